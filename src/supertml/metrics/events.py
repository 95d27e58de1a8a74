"""A prediction table's scored subsets as arrays, validated once, for the analyses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from supertml.constants import SCORED_SUBSETS
from supertml.metrics.scoring import validate_predictions

__all__ = ["SubsetEvents", "subset_events"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class SubsetEvents:
    """One subset's events in file order, with ``order`` sorting them by event_id."""

    scores: FloatArray
    labels: IntArray
    weights: FloatArray
    order: IntArray

    @property
    def size(self) -> int:
        return int(self.scores.size)

    def take_sorted(self, positions: IntArray) -> SubsetEvents:
        """The events at ``positions`` of the event_id order, kept in file order."""
        index = np.sort(self.order[positions])
        return SubsetEvents(self.scores[index], self.labels[index], self.weights[index], index)


def subset_events(frame: pd.DataFrame, source: str | Path) -> dict[str, SubsetEvents]:
    """Validate ``frame`` (naming ``source`` in errors) and return its scored subsets."""
    validate_predictions(frame, source)
    subsets = {}
    for name in SCORED_SUBSETS:
        part = frame[frame["subset"] == name]
        subsets[name] = SubsetEvents(
            scores=part["score"].to_numpy(dtype=np.float64),
            labels=part["label"].to_numpy(dtype=np.int64),
            weights=part["weight"].to_numpy(dtype=np.float64),
            # Folds are drawn in event_id order, so they depend on the events, not on the row
            # order of the file; sums stay in file order so that whole-subset values match
            # score_predictions to the last bit.
            order=np.argsort(part["event_id"].to_numpy(dtype=np.int64), kind="stable"),
        )
    return subsets
