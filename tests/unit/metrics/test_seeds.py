"""One AMS over training seeds."""

from __future__ import annotations

import json
import math
import statistics

import numpy as np
import pytest

from supertml.metrics.seeds import (
    COVERS_BOTH,
    COVERS_SEEDS,
    COVERS_TEST,
    single_run_interval,
    summarise_seeds,
)


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


def test_the_interval_for_one_more_run_is_a_student_t_prediction_interval() -> None:
    interval = single_run_interval(3.5, seed_std=0.1, n_seeds=3)
    assert interval is not None
    # With 2 dof the t quantile has a closed form, (2p - 1) / sqrt(2 p (1 - p)) = 4.3027 at
    # p = 0.975; one new run scatters by std * sqrt(1 + 1/3).
    t_975 = 0.95 / math.sqrt(2 * 0.975 * 0.025)
    half = t_975 * 0.1 * math.sqrt(4.0 / 3.0)
    assert (interval.low, interval.high) == pytest.approx((3.5 - half, 3.5 + half), rel=1e-12)
    assert (interval.dof, interval.covers) == (2.0, COVERS_SEEDS)
    # With 2 degrees of freedom, +-2 scales holds only about 82 % (a normal's 95 %).
    assert 1 - 2 * interval.probability_at_least(3.5 + 2 * interval.scale) == pytest.approx(
        0.8165, abs=1e-4
    )


def test_seed_and_test_sample_spreads_combine_with_welch_satterthwaite() -> None:
    interval = single_run_interval(3.5, seed_std=0.1, n_seeds=4, test_std=0.05)
    assert interval is not None
    seed_var = 0.01 * 1.25
    total = seed_var + 0.0025
    assert interval.scale == pytest.approx(math.sqrt(total), rel=1e-12)
    assert interval.dof == pytest.approx(3 * total**2 / seed_var**2, rel=1e-12)
    assert interval.covers == COVERS_BOTH


def test_one_seed_takes_the_bootstrap_interval_and_nothing_is_none() -> None:
    interval = single_run_interval(3.5, seed_std=None, n_seeds=1, test_std=0.1,
                                   bootstrap_bounds=(3.3, 3.7))  # fmt: skip
    assert interval is not None
    assert (interval.low, interval.high, interval.covers) == (3.3, 3.7, COVERS_TEST)
    assert single_run_interval(3.5, seed_std=None, n_seeds=1) is None


def test_the_prediction_interval_covers_95_percent_of_new_runs() -> None:
    # Monte Carlo: 3 seeds and one new run from the same normal; the interval from the 3 must
    # hold the new one in 95 % of trials (a mean's interval, or a normal quantile, would not).
    rng = np.random.default_rng(0)
    draws = rng.normal(3.5, 0.1, size=(20_000, 4))
    inside = 0
    for row in draws:
        seeds = summarise_seeds(row[:3].tolist())
        interval = single_run_interval(seeds.mean, seed_std=seeds.std, n_seeds=3)
        assert interval is not None
        inside += interval.contains(float(row[3]))
    assert inside / len(draws) == pytest.approx(0.95, abs=0.005)
