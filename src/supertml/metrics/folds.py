"""The test-size hypothesis and test-set optimisation: the test set in random folds.

REFERENCE.md section 4 (Strong 2019). Both split the public and private test events together
into ``n_folds`` folds and score each fold's public and private events on the full set's scale:
at the validation cut (:func:`analyse_test_size`), or at each fold's own best cut
(:func:`analyse_test_optimisation`, not a legitimate score). Every AMS goes through
:mod:`supertml.metrics.cut`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.model_selection import KFold

from supertml.constants import TEST_SUBSETS
from supertml.io import JsonValue
from supertml.metrics.ams import DEFAULT_B_REG
from supertml.metrics.checks import check_cut, check_int
from supertml.metrics.cut import ams_at_cut, max_ams
from supertml.metrics.events import SubsetEvents, subset_events
from supertml.metrics.scoring import IN_MEMORY

__all__ = [
    "FoldAnalysis",
    "FoldStatistics",
    "SubsetFolds",
    "analyse_test_optimisation",
    "analyse_test_size",
    "fold_analysis",
]

IntArray = NDArray[np.int64]


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


def _fold_members(
    subsets: Mapping[str, SubsetEvents], n_folds: int, seed: int
) -> dict[str, list[IntArray]]:
    """Per test subset, the positions (in its event_id order) of its events in each fold.

    The folds split the public and private events TOGETHER, as the study split its 550k test
    events (REFERENCE.md section 4), in the stable order (subset, event_id): a fold's public and
    private shares vary at random, as they did there.
    """
    n_folds = check_int("n_folds", n_folds, 2)
    seed = check_int("seed", seed, 0, 2**32 - 1)
    # Alphabetical subset order ("private" < "public") = the (subset, event_id) sort.
    ordered = sorted(TEST_SUBSETS)
    sizes = {name: subsets[name].size for name in ordered}
    for name, size in sizes.items():
        if n_folds > size:
            raise ValueError(
                f"n_folds = {n_folds} exceeds the {size} {name} test events; use fewer folds"
            )
    offsets = dict(zip(ordered, np.cumsum([0, *sizes.values()])[:-1].tolist(), strict=True))
    n_test = sum(sizes.values())
    members: dict[str, list[IntArray]] = {name: [] for name in TEST_SUBSETS}
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


def fold_analysis(
    subsets: Mapping[str, SubsetEvents],
    *,
    cut: float | None,
    b_reg: float,
    n_folds: int,
    seed: int,
) -> FoldAnalysis:
    """Score each fold's subsets at ``cut``, or at its own best cut when ``cut`` is None."""
    members = _fold_members(subsets, n_folds, seed)
    per_subset = {}
    for name in TEST_SUBSETS:
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
    source: str | Path = IN_MEMORY,
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
    cut = check_cut("cut", cut)
    return fold_analysis(
        subset_events(frame, source), cut=cut, b_reg=b_reg, n_folds=n_folds, seed=seed
    )


def analyse_test_optimisation(
    frame: pd.DataFrame,
    *,
    b_reg: float = DEFAULT_B_REG,
    n_folds: int = 10,
    seed: int = 0,
    source: str | Path = IN_MEMORY,
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
    return fold_analysis(
        subset_events(frame, source), cut=None, b_reg=b_reg, n_folds=n_folds, seed=seed
    )
