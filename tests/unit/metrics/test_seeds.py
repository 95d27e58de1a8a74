"""One AMS over training seeds."""

from __future__ import annotations

import json
import math
import statistics

import pytest

from supertml.metrics.seeds import summarise_seeds


def test_summarise_seeds() -> None:
    values = [3.41, 3.52, 3.38, 3.47]
    summary = summarise_seeds(values)
    assert summary.n == 4
    assert summary.mean == pytest.approx(statistics.fmean(values))
    assert summary.std == pytest.approx(statistics.stdev(values))
    assert summary.sem == pytest.approx(statistics.stdev(values) / 2.0)
    single = summarise_seeds([3.5])
    assert (single.n, single.mean, single.std, single.sem) == (1, 3.5, None, None)
    assert json.loads(json.dumps(single.to_dict()))["std"] is None


def test_bad_seed_values() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        summarise_seeds([])
    with pytest.raises(ValueError, match="must be finite"):
        summarise_seeds([3.0, math.nan])
