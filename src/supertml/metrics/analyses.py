"""The study's analyses of the 3.979 claim on one prediction table (REFERENCE.md section 4).

- **Test-size hypothesis** (:func:`analyse_test_size`): the public+private test events split into
  random folds, each fold's subsets scored at the validation cut on the full set's scale.
- **Test-set optimisation** (:func:`analyse_test_optimisation`): the same folds, the cut scanned
  for the maximum AMS in each fold (not a legitimate score; it shows how much tuning on the test
  set inflates the AMS).
- **Double luminosity** (:func:`analyse_double_luminosity`): public and private scored as one set
  without rescaling the weights, beside the separate and the properly normalised values.
- **Bootstrap** (:func:`bootstrap_ams`): percentile intervals of the AMS at a fixed cut.
- **Seeds** (:func:`summarise_seeds`): one AMS across training seeds.

Input is a prediction table in the contract of :mod:`supertml.metrics.scoring` (public and private
weights each already normalised to the challenge totals Ns, Nb). Every AMS goes through
:mod:`supertml.metrics.cut` / :func:`supertml.metrics.ams.ams`. Results are frozen dataclasses whose
``to_dict()`` gives JSON-ready nested dicts; :func:`analyse_predictions` bundles all of them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from sklearn.model_selection import KFold

from supertml.metrics.ams import DEFAULT_B_REG, ams
from supertml.metrics.cut import ams_at_cut, choose_cut, max_ams
from supertml.metrics.scoring import ScoreConfig, validate_predictions

__all__ = [
    "DEFAULT_LEVELS",
    "ONE_SIGMA",
    "BootstrapInterval",
    "DoubleLuminosity",
    "DoubleLuminosityAtCut",
    "FoldAnalysis",
    "FoldStatistics",
    "JsonValue",
    "SeedSummary",
    "SubsetFolds",
    "analyse_double_luminosity",
    "analyse_predictions",
    "analyse_test_optimisation",
    "analyse_test_size",
    "bootstrap_ams",
    "percentile_interval",
    "summarise_seeds",
]

#: A value ``json.dumps`` writes as standard JSON (NaN and inf are never produced here).
JsonValue = float | int | str | bool | None | list["JsonValue"] | dict[str, "JsonValue"]

#: Central probability of +-1 sigma of a normal distribution, erf(1/sqrt(2)) = 0.6827.
ONE_SIGMA: Final[float] = math.erf(1.0 / math.sqrt(2.0))
#: Bootstrap interval levels reported by default: +-1 sigma and 95 %.
DEFAULT_LEVELS: Final[tuple[float, ...]] = (ONE_SIGMA, 0.95)

_IN_MEMORY: Final[str] = "<predictions in memory>"
_TEST_SUBSETS: Final[tuple[str, str]] = ("public", "private")
# Bound on the indices drawn at once by the bootstrap (about 100 MB of temporaries): large enough
# to vectorise, small enough that 1000 resamples of 450k events never hold 3 GB at once.
_BOOTSTRAP_CHUNK: Final[int] = 4_000_000

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


# --------------------------------------------------------------------------------------------
# Result types


@dataclass(frozen=True)
class FoldStatistics:
    """One AMS over the folds: the values in fold order, mean, sample std (ddof=1), min, max."""

    values: tuple[float, ...]
    mean: float
    std: float
    min: float
    max: float

    @classmethod
    def from_values(cls, values: Sequence[float]) -> FoldStatistics:
        """Statistics of at least two values (the std is the sample std, ddof=1)."""
        arr = np.asarray(values, dtype=np.float64)
        if arr.size < 2:
            raise ValueError(f"fold statistics need at least 2 values, got {arr.size}")
        return cls(
            values=tuple(float(v) for v in arr),
            mean=float(np.mean(arr)),
            std=float(np.std(arr, ddof=1)),
            min=float(np.min(arr)),
            max=float(np.max(arr)),
        )

    def to_dict(self) -> dict[str, JsonValue]:
        """JSON-ready dict; ``std_ddof`` records that ``std`` is the sample std."""
        return {
            "values": list(self.values),
            "mean": self.mean,
            "std": self.std,
            "std_ddof": 1,
            "min": self.min,
            "max": self.max,
        }


@dataclass(frozen=True)
class SubsetFolds:
    """One test subset (``public`` or ``private``) across the folds.

    ``fold_events[k]`` events of the subset fall in fold k and their weights are multiplied by
    ``weight_factors[k] = n_events / fold_events[k]`` (REFERENCE.md section 3, weight factor).
    ``cuts[k]`` is the cut applied in fold k: the validation cut throughout, or the fold's own
    best cut under test-set optimisation. ``whole_ams``/``whole_cut``: the same method applied to
    the whole subset (its AMS at the validation cut, or its maximum AMS and that cut).
    """

    subset: str
    n_events: int
    fold_events: tuple[int, ...]
    weight_factors: tuple[float, ...]
    cuts: tuple[float, ...]
    ams: FoldStatistics
    whole_ams: float
    whole_cut: float

    def to_dict(self) -> dict[str, JsonValue]:
        """JSON-ready dict."""
        return {
            "subset": self.subset,
            "n_events": self.n_events,
            "fold_events": list(self.fold_events),
            "weight_factors": list(self.weight_factors),
            "cuts": list(self.cuts),
            "ams": self.ams.to_dict(),
            "whole_ams": self.whole_ams,
            "whole_cut": self.whole_cut,
        }


@dataclass(frozen=True)
class FoldAnalysis:
    """The test set in ``n_folds`` random folds, public and private scored in each fold.

    ``method``: ``"validation_cut"`` (test-size hypothesis) or ``"optimised_cut"`` (test-set
    optimisation), REFERENCE.md section 4.
    """

    method: Literal["validation_cut", "optimised_cut"]
    n_folds: int
    seed: int
    public: SubsetFolds
    private: SubsetFolds

    def to_dict(self) -> dict[str, JsonValue]:
        """JSON-ready dict."""
        return {
            "method": self.method,
            "n_folds": self.n_folds,
            "seed": self.seed,
            "public": self.public.to_dict(),
            "private": self.private.to_dict(),
        }


@dataclass(frozen=True)
class DoubleLuminosityAtCut:
    """Public, private and merged AMS at one cut (see :func:`analyse_double_luminosity`).

    ``merged_ams``: public+private as one set, weights untouched (two luminosities).
    ``normalised_ams``: the merged set rescaled to one luminosity. ``ratio``: merged over
    normalised, about sqrt(2) when public and private are alike; None if ``normalised_ams`` is 0.
    """

    name: str
    cut: float
    public_ams: float
    private_ams: float
    merged_ams: float
    normalised_ams: float
    ratio: float | None

    def to_dict(self) -> dict[str, JsonValue]:
        """JSON-ready dict."""
        return {
            "name": self.name,
            "cut": self.cut,
            "public_ams": self.public_ams,
            "private_ams": self.private_ams,
            "merged_ams": self.merged_ams,
            "normalised_ams": self.normalised_ams,
            "ratio": self.ratio,
        }


@dataclass(frozen=True)
class DoubleLuminosity:
    """The double-luminosity check at several cuts (REFERENCE.md section 4).

    ``normalisation_factors``: the factor applied to each subset's weights in the normalised
    merged set, ``(public, private) = (n_public, n_private) / n_merged``. ``luminosity_ratio``:
    summed weights of the unrescaled merged set over those of the normalised one (2 when both
    subsets are normalised to the same totals, as the prediction contract requires).
    """

    n_public: int
    n_private: int
    normalisation_factors: tuple[float, float]
    luminosity_ratio: float
    at_cuts: tuple[DoubleLuminosityAtCut, ...]

    def to_dict(self) -> dict[str, JsonValue]:
        """JSON-ready dict."""
        return {
            "n_public": self.n_public,
            "n_private": self.n_private,
            "normalisation_factors": {
                "public": self.normalisation_factors[0],
                "private": self.normalisation_factors[1],
            },
            "luminosity_ratio": self.luminosity_ratio,
            "at_cuts": [entry.to_dict() for entry in self.at_cuts],
        }


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


@dataclass(frozen=True)
class SeedSummary:
    """One quantity across training seeds.

    ``std`` is the sample std (ddof=1) and ``sem = std / sqrt(n)`` its standard error of the mean;
    both are None for a single seed, where no spread can be estimated.
    """

    values: tuple[float, ...]
    n: int
    mean: float
    std: float | None
    sem: float | None

    def to_dict(self) -> dict[str, JsonValue]:
        """JSON-ready dict."""
        return {
            "values": list(self.values),
            "n": self.n,
            "mean": self.mean,
            "std": self.std,
            "std_ddof": 1,
            "sem": self.sem,
        }


# --------------------------------------------------------------------------------------------
# Inputs


@dataclass(frozen=True, eq=False)
class _Subset:
    """One subset's events in file order, with ``order`` sorting them by event_id."""

    scores: FloatArray
    labels: IntArray
    weights: FloatArray
    order: IntArray

    @property
    def size(self) -> int:
        return int(self.scores.size)

    def take_sorted(self, positions: IntArray) -> _Subset:
        """The events at ``positions`` of the event_id order, kept in file order."""
        index = np.sort(self.order[positions])
        return _Subset(self.scores[index], self.labels[index], self.weights[index], index)


def _split(frame: pd.DataFrame, source: str | Path) -> dict[str, _Subset]:
    """Validate ``frame`` and return its subsets."""
    validate_predictions(frame, source)
    subsets = {}
    for name in ("val", *_TEST_SUBSETS):
        part = frame[frame["subset"] == name]
        subsets[name] = _Subset(
            scores=part["score"].to_numpy(dtype=np.float64),
            labels=part["label"].to_numpy(dtype=np.int64),
            weights=part["weight"].to_numpy(dtype=np.float64),
            # Folds are drawn in event_id order, so they depend on the events, not on the row
            # order of the file; sums stay in file order so that whole-subset values match
            # score_predictions to the last bit.
            order=np.argsort(part["event_id"].to_numpy(dtype=np.int64), kind="stable"),
        )
    return subsets


def _check_int(name: str, value: object, minimum: int, maximum: int | None = None) -> int:
    """``value`` as an int in [minimum, maximum], else a ValueError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    number = int(value)
    if number < minimum or (maximum is not None and number > maximum):
        upper = "" if maximum is None else f" and <= {maximum}"
        raise ValueError(f"{name} must be >= {minimum}{upper}, got {number}")
    return number


def _check_levels(levels: Sequence[float]) -> tuple[float, ...]:
    checked = tuple(float(level) for level in levels)
    if not checked or not all(0.0 < level < 1.0 for level in checked):
        raise ValueError(f"levels must be non-empty and each in (0, 1), got {list(levels)}")
    return checked


def _check_cut(name: str, cut: float) -> float:
    if not math.isfinite(cut):
        raise ValueError(f"{name} must be a finite number, got {cut!r}")
    return float(cut)


# --------------------------------------------------------------------------------------------
# Folds: test-size hypothesis and test-set optimisation


def _fold_members(
    subsets: Mapping[str, _Subset], n_folds: int, seed: int
) -> dict[str, list[IntArray]]:
    """Per test subset, the positions (in its event_id order) of its events in each fold.

    The folds split the public and private events TOGETHER, as the study split its 550k test
    events (REFERENCE.md section 4), in the stable order (subset, event_id): a fold's public and
    private shares vary at random, as they did there.
    """
    n_folds = _check_int("n_folds", n_folds, 2)
    seed = _check_int("seed", seed, 0, 2**32 - 1)
    # Alphabetical subset order ("private" < "public") = the (subset, event_id) sort.
    ordered = sorted(_TEST_SUBSETS)
    sizes = {name: subsets[name].size for name in ordered}
    for name, size in sizes.items():
        if n_folds > size:
            raise ValueError(
                f"n_folds = {n_folds} exceeds the {size} {name} test events; use fewer folds"
            )
    offsets = dict(zip(ordered, np.cumsum([0, *sizes.values()])[:-1].tolist(), strict=True))
    n_test = sum(sizes.values())
    members: dict[str, list[IntArray]] = {name: [] for name in _TEST_SUBSETS}
    folds = KFold(n_splits=n_folds, shuffle=True, random_state=seed)
    for k, (_, fold) in enumerate(folds.split(np.zeros((n_test, 1)))):
        for name in ordered:
            start = offsets[name]
            inside = fold[(fold >= start) & (fold < start + sizes[name])] - start
            if inside.size == 0:
                raise ValueError(
                    f"fold {k + 1} of {n_folds} (seed {seed}) holds no {name} events, so its "
                    f"{name} AMS is undefined; use fewer folds or another seed"
                )
            members[name].append(inside.astype(np.int64))
    return members


def _fold_analysis(
    subsets: Mapping[str, _Subset],
    *,
    cut: float | None,
    b_reg: float,
    n_folds: int,
    seed: int,
) -> FoldAnalysis:
    """Score each fold's subsets at ``cut``, or at its own best cut when ``cut`` is None."""
    members = _fold_members(subsets, n_folds, seed)
    per_subset = {}
    for name in _TEST_SUBSETS:
        whole = subsets[name]
        values: list[float] = []
        cuts: list[float] = []
        factors: list[float] = []
        for index in members[name]:
            part = whole.take_sorted(index)
            # A fold holds a fraction of the subset's events, so its weights are scaled back to
            # the subset's luminosity (REFERENCE.md section 3, weight factor).
            factor = whole.size / index.size
            factors.append(factor)
            if cut is None:
                best, best_cut = max_ams(
                    part.scores, part.labels, part.weights, b_reg=b_reg, weight_factor=factor
                )
                values.append(best)
                cuts.append(best_cut)
            else:
                values.append(
                    ams_at_cut(
                        part.scores,
                        part.labels,
                        part.weights,
                        cut,
                        b_reg=b_reg,
                        weight_factor=factor,
                    )
                )
                cuts.append(cut)
        if cut is None:
            whole_ams, whole_cut = max_ams(whole.scores, whole.labels, whole.weights, b_reg=b_reg)
        else:
            whole_ams = ams_at_cut(whole.scores, whole.labels, whole.weights, cut, b_reg=b_reg)
            whole_cut = cut
        per_subset[name] = SubsetFolds(
            subset=name,
            n_events=whole.size,
            fold_events=tuple(int(index.size) for index in members[name]),
            weight_factors=tuple(factors),
            cuts=tuple(cuts),
            ams=FoldStatistics.from_values(values),
            whole_ams=whole_ams,
            whole_cut=whole_cut,
        )
    return FoldAnalysis(
        method="optimised_cut" if cut is None else "validation_cut",
        n_folds=n_folds,
        seed=seed,
        public=per_subset["public"],
        private=per_subset["private"],
    )


def analyse_test_size(
    frame: pd.DataFrame,
    cut: float,
    *,
    b_reg: float = DEFAULT_B_REG,
    n_folds: int = 10,
    seed: int = 0,
    source: str | Path = _IN_MEMORY,
) -> FoldAnalysis:
    """Test-size hypothesis: public and private AMS at ``cut`` in each of ``n_folds`` folds.

    REFERENCE.md section 4 (Strong 2019): the public+private test events, sorted by
    (subset, event_id), are split by ``KFold(n_folds, shuffle=True, random_state=seed)``. In each
    fold, public and private are scored separately at ``cut`` (pass the validation cut), each
    subset's weights multiplied by (its events in the whole test / its events in the fold) so the
    AMS is on the full set's scale. The spread of the fold values shows how far a test set of
    1/n_folds the size could move the score (study, SENet154 pixels: max 3.94 public / 3.67
    private).

    Raises
    ------
    DataValidationError
        If ``frame`` breaks the prediction contract (named as ``source``).
    ValueError
        If ``n_folds`` < 2 or exceeds the events of a test subset, ``seed`` is not in
        [0, 2**32), ``cut`` is not finite, or a fold holds no events of a subset.
    """
    cut = _check_cut("cut", cut)
    return _fold_analysis(_split(frame, source), cut=cut, b_reg=b_reg, n_folds=n_folds, seed=seed)


def analyse_test_optimisation(
    frame: pd.DataFrame,
    *,
    b_reg: float = DEFAULT_B_REG,
    n_folds: int = 10,
    seed: int = 0,
    source: str | Path = _IN_MEMORY,
) -> FoldAnalysis:
    """Test-set optimisation: the maximum AMS over all cuts in each fold (REFERENCE.md section 4).

    Same folds and weight factors as :func:`analyse_test_size`, but the cut is scanned on each
    fold's subset itself (:func:`~supertml.metrics.cut.max_ams`). ``whole_ams``/``whole_cut`` of
    each subset are the maximum over the whole public or private set. NOT a legitimate score: it
    shows how much tuning on the test set inflates the AMS (study: max 5.79 public / 3.87
    private; the 100k public subset is very noisy under cut optimisation).

    Raises
    ------
    DataValidationError, ValueError
        As :func:`analyse_test_size`.
    """
    return _fold_analysis(_split(frame, source), cut=None, b_reg=b_reg, n_folds=n_folds, seed=seed)


# --------------------------------------------------------------------------------------------
# Double luminosity


def _double_luminosity(
    subsets: Mapping[str, _Subset], cuts: Mapping[str, float], b_reg: float
) -> DoubleLuminosity:
    if not cuts:
        raise ValueError("cuts is empty: give at least one named cut, e.g. {'validation': c}")
    public, private = subsets["public"], subsets["private"]
    n_merged = public.size + private.size
    factors = (public.size / n_merged, private.size / n_merged)
    scores = np.concatenate([public.scores, private.scores])
    labels = np.concatenate([public.labels, private.labels])
    merged_w = np.concatenate([public.weights, private.weights])
    normal_w = np.concatenate([public.weights * factors[0], private.weights * factors[1]])
    total_normal = float(np.sum(normal_w))
    entries = []
    for name, raw_cut in cuts.items():
        cut = _check_cut(f"cut {name!r}", raw_cut)
        merged = ams_at_cut(scores, labels, merged_w, cut, b_reg=b_reg)
        normalised = ams_at_cut(scores, labels, normal_w, cut, b_reg=b_reg)
        entries.append(
            DoubleLuminosityAtCut(
                name=str(name),
                cut=cut,
                public_ams=ams_at_cut(
                    public.scores, public.labels, public.weights, cut, b_reg=b_reg
                ),
                private_ams=ams_at_cut(
                    private.scores, private.labels, private.weights, cut, b_reg=b_reg
                ),
                merged_ams=merged,
                normalised_ams=normalised,
                ratio=merged / normalised if normalised > 0.0 else None,
            )
        )
    return DoubleLuminosity(
        n_public=public.size,
        n_private=private.size,
        normalisation_factors=factors,
        luminosity_ratio=float(np.sum(merged_w)) / total_normal if total_normal > 0 else 0.0,
        at_cuts=tuple(entries),
    )


def analyse_double_luminosity(
    frame: pd.DataFrame,
    cuts: Mapping[str, float],
    *,
    b_reg: float = DEFAULT_B_REG,
    source: str | Path = _IN_MEMORY,
) -> DoubleLuminosity:
    """Double-luminosity check: public+private scored as ONE set without rescaling the weights.

    REFERENCE.md section 4 (Strong 2019): AMS does not self-normalise. Each test subset's weights
    are normalised to the full challenge totals (Ns, Nb), i.e. each subset alone stands for one
    luminosity; merging them unrescaled sums to 2 Ns, 2 Nb, two luminosities. Since
    AMS ~ s / sqrt(b) for s << b, doubling s and b inflates it by about sqrt(2) (study, SENet154
    text, cut 0.5: 2.830 public / 2.837 private but 4.007 merged, matching the claimed 3.979).

    Normalisation of the merged set (derivation). The weight-factor convention (REFERENCE.md
    section 3) gives a random subset of n_sub of the n_test events weights w * n_test / n_sub,
    where w is the event's weight in the whole test set. The merged set IS the whole test set
    (n_merged = n_public + n_private), so its properly normalised weights undo each subset's
    factor: public weights times n_public / n_merged, private times n_private / n_merged. The
    class totals are then exactly (n_public Ns + n_private Ns) / n_merged = Ns (and Nb): one
    luminosity, every event at its own weight. (A uniform factor 1/2 also restores the totals and
    equals this only when n_public = n_private; with Kaggle's 100k:450k it would count each public
    event 4.5 times as much as a private one.) When public and private are alike,
    ``merged_ams / normalised_ams`` is then about sqrt(2).

    Parameters
    ----------
    cuts
        Named cuts, e.g. ``{"validation": cut, "fixed": 0.5}``; one result per entry, in order.

    Raises
    ------
    DataValidationError
        If ``frame`` breaks the prediction contract (named as ``source``).
    ValueError
        If ``cuts`` is empty or holds a non-finite cut.
    """
    return _double_luminosity(_split(frame, source), cuts, b_reg)


# --------------------------------------------------------------------------------------------
# Bootstrap


def _resampled_sums(rng: np.random.Generator, weights: FloatArray, counts: IntArray) -> FloatArray:
    """Per resample r, the sum of ``counts[r]`` weights drawn uniformly with replacement."""
    out = np.zeros(counts.size, dtype=np.float64)
    if weights.size == 0:
        return out
    start = 0
    while start < counts.size:
        # Take as many resamples as fit the draw budget (at least one).
        budget = np.cumsum(counts[start:])
        stop = start + max(1, int(np.searchsorted(budget, _BOOTSTRAP_CHUNK, side="right")))
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
    cut = _check_cut("cut", cut)
    n_resamples = _check_int("n_resamples", n_resamples, 2)
    seed = _check_int("seed", seed, 0)
    checked_levels = _check_levels(levels)
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
            for level in _check_levels(levels)
        ),
    )


# --------------------------------------------------------------------------------------------
# Seeds and the whole bundle


def summarise_seeds(values: Sequence[float]) -> SeedSummary:
    """Mean, sample std (ddof=1), n and standard error of one AMS over training seeds.

    Raises
    ------
    ValueError
        If ``values`` is empty or holds a non-finite value.
    """
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"summarise_seeds needs a non-empty list of values, got {values!r}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"summarise_seeds: values must be finite, got {arr.tolist()}")
    n = int(arr.size)
    std = float(np.std(arr, ddof=1)) if n > 1 else None
    return SeedSummary(
        values=tuple(float(v) for v in arr),
        n=n,
        mean=float(np.mean(arr)),
        std=std,
        sem=std / math.sqrt(n) if std is not None else None,
    )


def analyse_predictions(
    frame: pd.DataFrame,
    config: ScoreConfig,
    *,
    n_folds: int = 10,
    seed: int = 0,
    n_bootstrap: int = 1000,
    fixed_cut: float = 0.5,
    levels: Sequence[float] = DEFAULT_LEVELS,
    source: str | Path = _IN_MEMORY,
) -> dict[str, JsonValue]:
    """All section-4 analyses of one prediction table, as one JSON-ready dict.

    The validation cut is chosen exactly as in
    :func:`~supertml.metrics.scoring.score_predictions` (``choose_cut`` on ``val`` with
    ``config``). Keys: ``settings``, ``n_events``, ``validation_cut``, ``test_size``
    (:func:`analyse_test_size` at that cut), ``test_optimisation``
    (:func:`analyse_test_optimisation`), ``double_luminosity`` (at the validation cut and at
    ``fixed_cut``, the study's 0.5) and ``bootstrap`` (``val``, ``public``, ``private`` at the
    validation cut; resampling seeded by ``seed``, one stream per subset).

    Raises
    ------
    DataValidationError
        If ``frame`` breaks the prediction contract (named as ``source``).
    ValueError
        On bad ``n_folds``, ``seed``, ``n_bootstrap``, ``fixed_cut`` or ``levels`` (checked before
        any work), or if no validation event has score >= ``config.min_pred``.
    """
    n_bootstrap = _check_int("n_bootstrap", n_bootstrap, 2)
    n_folds = _check_int("n_folds", n_folds, 2)
    seed = _check_int("seed", seed, 0, 2**32 - 1)
    fixed_cut = _check_cut("fixed_cut", fixed_cut)
    levels = _check_levels(levels)
    subsets = _split(frame, source)
    val = subsets["val"]
    choice = choose_cut(
        val.scores,
        val.labels,
        val.weights,
        top_perc=config.top_perc,
        min_pred=config.min_pred,
        b_reg=config.b_reg,
    )
    b_reg = config.b_reg
    # Folds first: their argument errors (too many folds for a subset) come before the costlier
    # bootstrap.
    test_size = _fold_analysis(subsets, cut=choice.cut, b_reg=b_reg, n_folds=n_folds, seed=seed)
    optimised = _fold_analysis(subsets, cut=None, b_reg=b_reg, n_folds=n_folds, seed=seed)
    bootstrap: dict[str, JsonValue] = {}
    for stream, name in enumerate(("val", *_TEST_SUBSETS)):
        part = subsets[name]
        # A distinct, reproducible stream per subset: (seed, stream) -> one 32-bit seed word.
        sub_seed = int(np.random.SeedSequence([seed, stream]).generate_state(1)[0])
        bootstrap[name] = bootstrap_ams(
            part.scores,
            part.labels,
            part.weights,
            choice.cut,
            b_reg=b_reg,
            n_resamples=n_bootstrap,
            levels=levels,
            seed=sub_seed,
        ).to_dict()
    return {
        "settings": {
            "top_perc": float(config.top_perc),
            "min_pred": float(config.min_pred),
            "b_reg": float(b_reg),
            "n_folds": n_folds,
            "seed": seed,
            "n_bootstrap": n_bootstrap,
            "fixed_cut": fixed_cut,
        },
        "n_events": {name: part.size for name, part in subsets.items()},
        "validation_cut": {
            "cut": choice.cut,
            "val_ams_at_cut": choice.ams_at_cut,
            "val_ams_max": choice.ams_max,
            "val_ams_max_cut": choice.ams_max_cut,
            "n_top": choice.n_top,
        },
        "test_size": test_size.to_dict(),
        "test_optimisation": optimised.to_dict(),
        "double_luminosity": _double_luminosity(
            subsets, {"validation": choice.cut, "fixed": fixed_cut}, b_reg
        ).to_dict(),
        "bootstrap": bootstrap,
    }
