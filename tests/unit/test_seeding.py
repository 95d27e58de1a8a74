"""Derived seeds: one per (seed, stream), the same as numpy's SeedSequence gives."""

from __future__ import annotations

import numpy as np

from supertml.seeding import derived_seed


def test_derived_seeds_are_seed_sequence_words() -> None:
    # Independent of the helper: the first 64-bit word of SeedSequence([seed, stream]).
    word = int(np.random.SeedSequence([1337, 4]).generate_state(1, np.uint64)[0])
    assert derived_seed(1337, 4, bits=63) == word >> 1
    assert derived_seed(1337, 4) == int(np.random.SeedSequence([1337, 4]).generate_state(1)[0])
    assert derived_seed(1337, 4) == word & 0xFFFFFFFF


def test_streams_and_seeds_give_distinct_seeds_within_range() -> None:
    seeds = {derived_seed(seed, stream) for seed in range(20) for stream in range(20)}
    assert len(seeds) == 400
    assert all(0 <= s < 2**32 for s in seeds)
    assert all(0 <= derived_seed(s, 1, bits=63) < 2**63 for s in range(20))
