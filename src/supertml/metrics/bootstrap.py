"""Percentile bootstrap intervals of the AMS (Efron and Tibshirani 1993, ch. 13).

One interval type (:class:`BootstrapInterval`), built by :func:`percentile_interval` from
resampled values: of the AMS at a fixed cut (:func:`bootstrap_ams`, exact and vectorised) and of
the test-scanned maximum (:func:`bootstrap_max_ams`, the cut scanned again per resample). Every
resample seed is derived with :func:`supertml.seeding.derived_seed`; no step holds more than
:data:`BOOTSTRAP_CHUNK` drawn indices at once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from supertml.io import JsonValue
from supertml.metrics.ams import DEFAULT_B_REG, ams
from supertml.metrics.checks import check_cut, check_int, check_levels
from supertml.metrics.cut import NO_BACKGROUND, ams_at_cut, choosable_ams, max_ams

__all__ = [
    "BOOTSTRAP_CHUNK",
    "DEFAULT_LEVELS",
    "ONE_SIGMA",
    "BootstrapInterval",
    "bootstrap_ams",
    "bootstrap_max_ams",
    "percentile_interval",
]

#: Central probability of +-1 sigma of a normal distribution, erf(1/sqrt(2)) = 0.6827.
ONE_SIGMA: Final[float] = math.erf(1.0 / math.sqrt(2.0))
#: Bootstrap interval levels reported by default: +-1 sigma and 95 %.
DEFAULT_LEVELS: Final[tuple[float, ...]] = (ONE_SIGMA, 0.95)
#: Bound on the indices (or event counts) drawn at once, about 32 MB per array: large enough to
#: vectorise, small enough that 1000 resamples of 450k events never hold 3 GB at once.
BOOTSTRAP_CHUNK: Final[int] = 4_000_000

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class BootstrapInterval:
    """Percentile bootstrap of the AMS at a fixed cut on one set of events.

    ``point``: the AMS of the set itself. ``mean``/``std``: of the resampled AMS values (sample
    std, ddof=1). ``intervals``: ``(level, lower, upper)`` central percentile intervals.
    """

    n_events: int
    cut: float
    point: float
    n_resamples: int
    seed: int
    mean: float
    std: float
    intervals: tuple[tuple[float, float, float], ...]

    def interval(self, level: float) -> tuple[float, float]:
        """``(lower, upper)`` of the interval at ``level``."""
        for stored, lower, upper in self.intervals:
            if stored == level:
                return lower, upper
        raise KeyError(f"no bootstrap interval at level {level}; have {self._levels()}")

    def _levels(self) -> list[float]:
        return [level for level, _, _ in self.intervals]

    def to_dict(self) -> dict[str, JsonValue]:
        """JSON-ready dict."""
        return {
            "n_events": self.n_events,
            "cut": self.cut,
            "point": self.point,
            "n_resamples": self.n_resamples,
            "seed": self.seed,
            "mean": self.mean,
            "std": self.std,
            "std_ddof": 1,
            "intervals": [
                {"level": level, "lower": lower, "upper": upper}
                for level, lower, upper in self.intervals
            ],
        }


def _resampled_sums(rng: np.random.Generator, weights: FloatArray, counts: IntArray) -> FloatArray:
    """Per resample r, the sum of ``counts[r]`` weights drawn uniformly with replacement."""
    out = np.zeros(counts.size, dtype=np.float64)
    if weights.size == 0:
        return out
    start = 0
    while start < counts.size:
        # Take as many resamples as fit the draw budget (at least one).
        budget = np.cumsum(counts[start:])
        stop = start + max(1, int(np.searchsorted(budget, BOOTSTRAP_CHUNK, side="right")))
        block = counts[start:stop]
        drawn = weights[rng.integers(0, weights.size, size=int(block.sum()))]
        # Resample r owns the r-th consecutive run of ``block[r]`` draws; reduceat sums each run
        # (empty runs are skipped: reduceat would return the next element for them).
        starts = np.cumsum(block) - block
        filled = block > 0
        sums = np.zeros(block.size, dtype=np.float64)
        if drawn.size:
            sums[filled] = np.add.reduceat(drawn, starts[filled])
        out[start:stop] = sums
        start = stop
    return out


def bootstrap_ams(
    scores: ArrayLike,
    labels: ArrayLike,
    weights: ArrayLike,
    cut: float,
    *,
    b_reg: float = DEFAULT_B_REG,
    n_resamples: int = 1000,
    levels: Sequence[float] = DEFAULT_LEVELS,
    seed: int = 0,
) -> BootstrapInterval:
    """Percentile bootstrap of the AMS of "score >= cut" (Efron and Tibshirani 1993, ch. 13).

    Each resample draws the set's N events with replacement, weights unchanged: same N, so the
    same luminosity, and the AMS stays on the set's scale. The cut is held fixed (the validation
    cut), so the interval is the statistical uncertainty of a score, not of the cut choice.

    Vectorised and exact: only selected events enter the AMS, so per resample the numbers of
    draws landing on selected signal, selected background and everything else are drawn from
    Multinomial(N, (n_ss, n_sb, rest) / N), and then that many draws uniformly from the selected
    signal (background) weights are summed. Conditioned on the counts, the draws within a group
    are uniform over it, so this has the same distribution as drawing all N indices, at a cost
    proportional to the selected events only.

    Raises
    ------
    ValueError
        On invalid events (see :func:`~supertml.metrics.cut.ams_curve`), a non-finite cut,
        ``n_resamples`` < 2, a level outside (0, 1), or a bad ``seed``.
    """
    cut = check_cut("cut", cut)
    n_resamples = check_int("n_resamples", n_resamples, 2)
    seed = check_int("seed", seed, 0)
    checked_levels = check_levels(levels)
    # ams_at_cut validates the events (shape, labels, finite scores and weights).
    point = ams_at_cut(scores, labels, weights, cut, b_reg=b_reg)
    score_f = np.asarray(scores, dtype=np.float64)
    is_signal = np.asarray(labels) == 1
    weight_f = np.asarray(weights, dtype=np.float64)
    selected = score_f >= cut
    sig_w = weight_f[selected & is_signal]
    bkg_w = weight_f[selected & ~is_signal]
    n = score_f.size
    rng = np.random.default_rng(seed)
    shares = np.array([sig_w.size, bkg_w.size, n - sig_w.size - bkg_w.size], dtype=np.float64) / n
    counts = rng.multinomial(n, shares, size=n_resamples).astype(np.int64)
    s = _resampled_sums(rng, sig_w, counts[:, 0])
    b = _resampled_sums(rng, bkg_w, counts[:, 1])
    return percentile_interval(
        ams(s, b, b_reg), point=point, cut=cut, n_events=n, seed=seed, levels=checked_levels
    )


def percentile_interval(
    resampled: FloatArray,
    *,
    point: float,
    cut: float,
    n_events: int,
    seed: int,
    levels: Sequence[float] = DEFAULT_LEVELS,
) -> BootstrapInterval:
    """The :class:`BootstrapInterval` of resampled AMS values: their mean, sample std and
    central percentile intervals at ``levels`` (Efron and Tibshirani 1993, ch. 13)."""
    values = np.asarray(resampled, dtype=np.float64)
    return BootstrapInterval(
        n_events=int(n_events),
        cut=float(cut),
        point=float(point),
        n_resamples=int(values.size),
        seed=int(seed),
        mean=float(np.mean(values)),
        std=float(np.std(values, ddof=1)),
        intervals=tuple(
            (
                level,
                float(np.quantile(values, (1.0 - level) / 2.0)),
                float(np.quantile(values, (1.0 + level) / 2.0)),
            )
            for level in check_levels(levels)
        ),
    )


def bootstrap_max_ams(
    scores: ArrayLike,
    labels: ArrayLike,
    weights: ArrayLike,
    *,
    b_reg: float = DEFAULT_B_REG,
    n_resamples: int = 1000,
    levels: Sequence[float] = DEFAULT_LEVELS,
    seed: int = 0,
) -> BootstrapInterval:
    """Percentile bootstrap of the test-scanned maximum AMS (Efron and Tibshirani 1993, ch. 13).

    Each resample draws the N events with replacement (weights unchanged, so the luminosity and
    the AMS scale stay those of the set), and the cut is scanned again over every distinct score:
    the spread of "the best AMS a cut tuned on this set reaches" (the study's test-set
    optimisation, REFERENCE.md section 4). A resample is an event-count vector; s and b of
    "score >= c" are its weighted cumulative sums in descending score order, so each resample
    costs O(N) after one sort, and AMS goes through :func:`supertml.metrics.ams`. The maximum of
    a noisy curve is biased upwards in the resamples; read the interval as a spread.

    Raises
    ------
    ValueError
        On invalid events (as :func:`supertml.metrics.max_ams`), ``n_resamples`` < 2, a level
        outside (0, 1) or a bad ``seed``.
    """
    n_resamples = check_int("n_resamples", n_resamples, 2)
    seed = check_int("seed", seed, 0)
    checked = check_levels(levels)
    # max_ams validates the events (shapes, labels, finite values).
    point, point_cut = max_ams(scores, labels, weights, b_reg=b_reg)
    score_f = np.asarray(scores, dtype=np.float64)
    order = np.argsort(-score_f, kind="stable")
    descending = score_f[order]
    is_signal = np.asarray(labels)[order] == 1
    weight_f = np.asarray(weights, dtype=np.float64)[order]
    signal_w = np.where(is_signal, weight_f, 0.0)
    background_w = np.where(is_signal, 0.0, weight_f)
    # "score >= c" for each distinct c ends at the last event of its group of tied scores.
    ends = np.flatnonzero(np.append(descending[1:] != descending[:-1], True))
    n = score_f.size
    rng = np.random.default_rng(seed)
    maxima = np.empty(n_resamples, dtype=np.float64)
    block = max(1, BOOTSTRAP_CHUNK // n)
    for start in range(0, n_resamples, block):
        k = min(block, n_resamples - start)
        draws = rng.integers(0, n, size=(k, n))
        # Counts per (resample, event) in one bincount: row r owns bins [r n, (r + 1) n).
        offsets = (np.arange(k, dtype=np.int64) * n)[:, None]
        counts = np.bincount((draws + offsets).ravel(), minlength=k * n).reshape(k, n)
        # Draws index the events as given (reproducible from the seed alone); sums run in
        # descending score order.
        counts = counts[:, order]
        s = np.cumsum(counts * signal_w, axis=1)[:, ends]
        b = np.cumsum(counts * background_w, axis=1)[:, ends]
        # As max_ams: a selection with no background is never the maximum (LUMIN's -1).
        maxima[start : start + k] = choosable_ams(ams(s, b, b_reg), b).max(axis=1)
    if np.any(maxima == NO_BACKGROUND):
        raise ValueError(
            "a resample drew no background event: the maximum AMS is undefined there; the set is "
            "too small for this bootstrap"
        )
    return percentile_interval(
        maxima, point=point, cut=point_cut, n_events=n, seed=seed, levels=checked
    )
