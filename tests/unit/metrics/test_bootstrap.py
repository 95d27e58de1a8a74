"""Bootstrap intervals of the AMS against naive resampling."""

from __future__ import annotations

import numpy as np
import pytest

from supertml.metrics.bootstrap import (
    ONE_SIGMA,
    bootstrap_ams,
    bootstrap_max_ams,
    percentile_interval,
)
from supertml.metrics.cut import ams_at_cut, max_ams
from tests.unit.metrics.synthetic import events
from tests.unit.reporting.runs import predictions


def _naive_bootstrap(
    scores: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    *,
    cut: float,
    n: int,
    seed: int,
) -> np.ndarray:
    """The textbook bootstrap: draw all N indices per resample."""
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n):
        index = rng.integers(0, scores.size, scores.size)
        values.append(ams_at_cut(scores[index], labels[index], weights[index], cut))
    return np.asarray(values)


def test_bootstrap_agrees_with_naive_resampling() -> None:
    scores, labels, weights = events(2_000, seed=9)
    result = bootstrap_ams(scores, labels, weights, 0.6, n_resamples=2_000, seed=1)
    naive = _naive_bootstrap(scores, labels, weights, cut=0.6, n=2_000, seed=2)
    # Same distribution, different draws: agreement within the Monte Carlo error (about 2 %).
    assert result.mean == pytest.approx(float(np.mean(naive)), rel=0.02)
    assert result.std == pytest.approx(float(np.std(naive, ddof=1)), rel=0.1)
    lower, upper = result.interval(0.95)
    assert lower == pytest.approx(float(np.quantile(naive, 0.025)), rel=0.05)
    assert upper == pytest.approx(float(np.quantile(naive, 0.975)), rel=0.05)


def test_bootstrap_covers_point_and_shrinks_with_more_events() -> None:
    widths = []
    for n in (2_000, 32_000):
        scores, labels, weights = events(n, seed=10)
        result = bootstrap_ams(scores, labels, weights, 0.6, n_resamples=500, seed=3)
        assert result.point == ams_at_cut(scores, labels, weights, 0.6)
        lower, upper = result.interval(ONE_SIGMA)
        assert lower < result.point < upper
        wide_lower, wide_upper = result.interval(0.95)
        assert wide_lower < lower
        assert upper < wide_upper
        # A +-1 sigma percentile interval is about 2 std wide for a near-normal distribution.
        assert upper - lower == pytest.approx(2.0 * result.std, rel=0.15)
        widths.append(upper - lower)
    # 16 times the events (same luminosity): the interval narrows by about sqrt(16) = 4.
    assert 2.5 < widths[0] / widths[1] < 6.0


def test_bootstrap_is_deterministic_by_seed() -> None:
    scores, labels, weights = events(1_000, seed=11)
    first = bootstrap_ams(scores, labels, weights, 0.5, n_resamples=200, seed=5)
    assert bootstrap_ams(scores, labels, weights, 0.5, n_resamples=200, seed=5) == first
    other = bootstrap_ams(scores, labels, weights, 0.5, n_resamples=200, seed=6)
    assert other.intervals != first.intervals
    assert other.point == first.point


def test_bootstrap_with_nothing_selected_is_zero() -> None:
    scores, labels, weights = events(500, seed=12)
    result = bootstrap_ams(scores, labels, weights, 2.0, n_resamples=50)
    assert (result.point, result.mean, result.std) == (0.0, 0.0, 0.0)
    with pytest.raises(KeyError, match=r"no bootstrap interval at level 0\.5"):
        result.interval(0.5)


def test_bad_bootstrap_arguments() -> None:
    scores, labels, weights = events(100, seed=15)
    with pytest.raises(ValueError, match="n_resamples must be >= 2"):
        bootstrap_ams(scores, labels, weights, 0.5, n_resamples=0)
    with pytest.raises(ValueError, match="labels must be 0 or 1"):
        bootstrap_ams(scores, labels * 2, weights, 0.5)


def test_bootstrap_of_the_maximum_matches_brute_force() -> None:
    frame = predictions(1)  # a table of synthetic predictions
    part = frame[frame["subset"] == "public"]
    scores = part["score"].to_numpy()
    labels = part["label"].to_numpy()
    weights = part["weight"].to_numpy()
    result = bootstrap_max_ams(scores, labels, weights, b_reg=10.0, n_resamples=25, seed=3)
    # The same draws, resampled explicitly and scanned by max_ams event list by event list.
    draws = np.random.default_rng(3).integers(0, scores.size, size=(25, scores.size))
    brute = np.array([max_ams(scores[d], labels[d], weights[d], b_reg=10.0)[0] for d in draws])
    assert (result.point, result.cut) == max_ams(scores, labels, weights, b_reg=10.0)
    assert result.mean == pytest.approx(float(brute.mean()), rel=1e-12)
    assert result.std == pytest.approx(float(brute.std(ddof=1)), rel=1e-10)
    level, lower, upper = result.intervals[0]
    assert level == ONE_SIGMA
    assert lower == pytest.approx(float(np.quantile(brute, (1 - ONE_SIGMA) / 2)), rel=1e-12)
    assert upper == pytest.approx(float(np.quantile(brute, (1 + ONE_SIGMA) / 2)), rel=1e-12)
    assert lower < result.point < upper


def test_bootstrap_of_the_maximum_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match="n_resamples"):
        bootstrap_max_ams([0.1, 0.9], [0, 1], [1.0, 1.0], n_resamples=1)
    with pytest.raises(ValueError, match="levels"):
        bootstrap_max_ams([0.1, 0.9], [0, 1], [1.0, 1.0], levels=[1.5])


def test_interval_levels_are_the_central_quantiles() -> None:
    # 0, 1, ..., 100: the q-quantile (linear interpolation) is exactly 100 q.
    values = np.arange(101, dtype=np.float64)
    result = percentile_interval(values, point=50.0, cut=0.5, n_events=101, seed=0)
    (level_68, lower_68, upper_68), (level_95, lower_95, upper_95) = result.intervals
    assert level_68 == ONE_SIGMA == pytest.approx(0.682689492137, abs=1e-12)
    assert (lower_68, upper_68) == pytest.approx((15.865525393, 84.134474607), abs=1e-8)
    assert (level_95, lower_95, upper_95) == (0.95, pytest.approx(2.5), pytest.approx(97.5))
    assert (result.mean, result.std) == (50.0, pytest.approx(float(np.std(values, ddof=1))))
