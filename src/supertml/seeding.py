"""Derived random seeds: one reproducible seed per (seed, stream), for every part of the project.

A run is seeded once (the config's seed); each use of randomness inside it (a bootstrap of one
subset, an epoch's shuffle, one member of an ensemble) takes its own stream, so adding or
reordering one use changes no other. The words come from numpy's ``SeedSequence`` (O'Neill's
seed mixing), never from adding offsets to the seed (which would make neighbouring runs share
streams).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

__all__ = ["derived_seed"]


def derived_seed(seed: int, stream: int, *, bits: Literal[32, 63] = 32) -> int:
    """A seed of ``bits`` bits derived from ``(seed, stream)`` alone.

    32 bits for numpy generators, 63 for torch's (a non-negative int64). Both are cut from the
    same 64-bit word, so the 32-bit seed is the low half of the 63-bit one's source.

    >>> derived_seed(0, 0), derived_seed(0, 1) != derived_seed(0, 0)
    (2968811710, True)
    """
    word = int(np.random.SeedSequence([seed, stream]).generate_state(1, np.uint64)[0])
    return word & 0xFFFFFFFF if bits == 32 else word >> 1
