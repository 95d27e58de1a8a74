"""Predictions of a run on applied events, and their AMS at the run's validation cut.

The applied predictions have the columns of every prediction file (``event_id``, ``subset``,
``label``, ``weight``, ``score``; :data:`supertml.metrics.PREDICTION_COLUMNS`), with the
subsets of :data:`supertml.applied.events.APPLIED_SUBSETS` and, for events without labels,
label <NA> and weight NaN. The cut is never chosen here: it is the run's own, chosen on its
validation split (its scores JSON), so an AMS here is a legitimate test score.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from supertml.applied.events import APPLIED_SUBSETS
from supertml.errors import DataValidationError
from supertml.metrics import PREDICTION_COLUMNS, ams_at_cut
from supertml.published import STUDY_TEST_B_REG

__all__ = ["applied_predictions", "score_applied", "validate_applied_predictions"]


def applied_predictions(events: pd.DataFrame, score: ArrayLike) -> pd.DataFrame:
    """The predictions frame of ``events`` (their ids, subsets, labels, weights) and ``score``,
    one per event in the same order."""
    values = np.asarray(score, dtype=np.float64)
    if values.shape != (len(events),):
        raise ValueError(f"applied_predictions: {values.shape} scores for {len(events)} events")
    return pd.DataFrame(
        {
            "event_id": events["event_id"].to_numpy(np.int64),
            "subset": events["subset"].to_numpy(str),
            "label": pd.array(events["label"], dtype="Int8"),
            "weight": events["weight"].to_numpy(np.float64),
            "score": values,
        }
    )


def validate_applied_predictions(frame: pd.DataFrame, source: str | Path) -> None:
    """Check applied predictions: the columns, known subsets, unique integer ids, finite
    scores; where a label is known it is 0/1 with a finite, non-negative weight, and a subset
    is labelled throughout or not at all.

    Raises
    ------
    DataValidationError
        Naming ``source`` and the column.
    """
    missing = [name for name in PREDICTION_COLUMNS if name not in frame.columns]
    if missing:
        raise DataValidationError(source, f"missing column(s) {missing}", column=missing[0])
    unknown = sorted(set(frame["subset"].astype(str)) - set(APPLIED_SUBSETS))
    if unknown:
        raise DataValidationError(
            source,
            f"unknown subset(s) {unknown}; expected {list(APPLIED_SUBSETS)}",
            column="subset",
        )
    if frame["event_id"].duplicated().any():
        raise DataValidationError(source, "duplicated event_id", column="event_id")
    if not np.isfinite(frame["score"].to_numpy(np.float64)).all():
        raise DataValidationError(source, "score must be finite", column="score")
    label = pd.array(frame["label"], dtype="Int8")
    known = ~np.asarray(label.isna())
    if not np.isin(label[known].to_numpy(np.int64), (0, 1)).all():
        raise DataValidationError(source, "label must be 0, 1 or <NA>", column="label")
    weight = frame["weight"].to_numpy(np.float64)[known]
    if not (np.isfinite(weight) & (weight >= 0.0)).all():
        raise DataValidationError(
            source, "a labelled event's weight must be finite and non-negative", column="weight"
        )
    mixed = pd.Series(known).groupby(frame["subset"].to_numpy(str)).nunique() > 1
    if mixed.any():
        raise DataValidationError(
            source, f"subset(s) {sorted(mixed[mixed].index)} mix labelled and unlabelled events"
        )


def score_applied(frame: pd.DataFrame, run_scores: Mapping[str, Any]) -> dict[str, Any]:
    """Each subset's events and selection at the run's cut (``run_scores``: the run's scores
    JSON, with ``cut`` and ``b_reg``), and where labels are known its AMS there (with the
    run's b_r, and with b_r = 0 as the study scored its tests) and the selected weights.

    The AMS uses the events' own weights: for the Open Data file its ``KaggleWeight``, which
    puts each Kaggle set on the challenge's scale, so the public and private AMS here are
    those of the run's scores JSON when the run's test sets are those sets.
    """
    cut, b_reg = float(run_scores["cut"]), float(run_scores["b_reg"])
    subsets: dict[str, dict[str, Any]] = {}
    for name in APPLIED_SUBSETS:
        part = frame[frame["subset"] == name]
        if part.empty:
            continue
        scores = part["score"].to_numpy(np.float64)
        entry: dict[str, Any] = {
            "events": len(part),
            "selected": int((scores >= cut).sum()),
            "labelled": not part["label"].isna().any(),
        }
        if entry["labelled"]:
            labels = part["label"].to_numpy(np.int64)
            weights = part["weight"].to_numpy(np.float64)
            chosen = scores >= cut
            entry["signal_weight_selected"] = float(weights[chosen & (labels == 1)].sum())
            entry["background_weight_selected"] = float(weights[chosen & (labels == 0)].sum())
            entry["ams"] = ams_at_cut(scores, labels, weights, cut, b_reg=b_reg)
            entry["ams_br0"] = ams_at_cut(scores, labels, weights, cut, b_reg=STUDY_TEST_B_REG)
        subsets[name] = entry
    return {"cut": cut, "b_reg": b_reg, "subsets": subsets}
