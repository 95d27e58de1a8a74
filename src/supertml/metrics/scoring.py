"""Score a prediction file: validation cut, public/private test AMS, test-scanned maxima.

Contract of a prediction file (Parquet or CSV): one row per scored event with columns

- ``event_id`` (int), ``subset`` (``"val"``, ``"public"`` or ``"private"``, all three present),
- ``label`` (1 signal, 0 background), ``score`` (float, p(signal)),
- ``weight`` (float, already scaled so that summing a subset's selected weights gives s and b on
  the challenge's scale; REFERENCE.md section 3, "Weight factor").

Every model and baseline goes through :func:`score_predictions`, so every AMS in the project is
computed the same way (REFERENCE.md section 3).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from sklearn.metrics import roc_auc_score

from supertml.constants import SCORED_SUBSETS
from supertml.errors import DataValidationError
from supertml.metrics.ams import DEFAULT_B_REG
from supertml.metrics.cut import ams_at_cut, choose_cut, max_ams
from supertml.published import STUDY_TEST_B_REG

__all__ = [
    "IN_MEMORY",
    "PREDICTION_COLUMNS",
    "ScoreConfig",
    "predictions_frame",
    "read_predictions",
    "score_predictions",
    "subset_arrays",
    "validate_predictions",
]

#: Required columns of a prediction file.
PREDICTION_COLUMNS: Final[tuple[str, ...]] = ("event_id", "subset", "label", "weight", "score")

#: What messages call a prediction table that came from no file.
IN_MEMORY: Final[str] = "<predictions in memory>"


def predictions_frame(
    subset: str,
    *,
    event_id: ArrayLike,
    label: ArrayLike,
    weight: ArrayLike,
    score: ArrayLike,
) -> pd.DataFrame:
    """One subset's rows in the prediction contract, with its column order and dtypes.

    Every producer of predictions (CNNs, baselines) builds its rows here, so the files the
    scoring code reads have one layout whoever wrote them.
    """
    return pd.DataFrame(
        {
            "event_id": np.asarray(event_id, dtype=np.int64),
            "subset": subset,
            "label": np.asarray(label, dtype=np.int8),
            "weight": np.asarray(weight, dtype=np.float64),
            "score": np.asarray(score, dtype=np.float64),
        },
        columns=list(PREDICTION_COLUMNS),
    )


@dataclass(frozen=True)
class ScoreConfig:
    """Settings of the validation cut choice (REFERENCE.md section 3; study: top 10 %)."""

    top_perc: float = 10.0
    min_pred: float = 0.0
    b_reg: float = DEFAULT_B_REG


def _first_bad(frame: pd.DataFrame, bad: NDArray[np.bool_]) -> str:
    """Describe the first flagged row by position and event id, for the error message."""
    pos = int(np.flatnonzero(bad)[0])
    event_id = frame["event_id"].iloc[pos] if "event_id" in frame.columns else "?"
    return f"{int(np.count_nonzero(bad))} bad row(s), first at row {pos} (event_id {event_id})"


def _numeric(frame: pd.DataFrame, column: str, source: str | Path) -> NDArray[np.float64]:
    """A column as float64, or a DataValidationError if it is not numeric."""
    series = frame[column]
    if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
        raise DataValidationError(
            source, f"must be numeric, got dtype {series.dtype}", column=column
        )
    return np.asarray(series.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)


def validate_predictions(frame: pd.DataFrame, source: str | Path) -> None:
    """Check a prediction table against the contract in this module's docstring.

    Checks, in order: required columns; ``subset`` values; every one of ``val``, ``public`` and
    ``private`` present; ``event_id`` integer-valued; ``label`` 0/1; ``score`` finite;
    ``weight`` finite and non-negative; no duplicated (``subset``, ``event_id``); and ``val``
    holding both classes (no cut or AUC can be chosen on one class).

    Raises
    ------
    DataValidationError
        Naming ``source``, the column, and the first bad row (0-based position and event id).
    """
    _check_columns_and_subsets(frame, source)
    values: dict[str, NDArray[np.float64]] = {}
    for column, valid, rule in _VALUE_CHECKS:
        values[column] = _numeric(frame, column, source)
        bad = ~valid(values[column])
        if bad.any():
            raise DataValidationError(source, f"{rule}; " + _first_bad(frame, bad), column=column)
    duplicated = frame.duplicated(subset=["subset", "event_id"]).to_numpy(dtype=np.bool_)
    if duplicated.any():
        raise DataValidationError(
            source,
            "duplicated (subset, event_id); " + _first_bad(frame, duplicated),
            column="event_id",
        )
    val_labels = values["label"][(frame["subset"] == "val").to_numpy(dtype=np.bool_)]
    if np.unique(val_labels).size < 2:
        raise DataValidationError(
            source,
            "subset 'val' holds only one class; the cut and the AUC need signal and background",
            column="label",
        )


#: Per numeric column, in checking order: which values are valid, and the rule a bad one breaks.
_VALUE_CHECKS: Final[
    tuple[tuple[str, Callable[[NDArray[np.float64]], NDArray[np.bool_]], str], ...]
] = (
    ("event_id", lambda v: np.isfinite(v) & (v == np.round(v)), "event_id must be integers"),
    ("label", lambda v: (v == 0.0) | (v == 1.0), "label must be 1 (signal) or 0 (background)"),
    ("score", np.isfinite, "score must be finite"),
    ("weight", lambda v: np.isfinite(v) & (v >= 0.0), "weight must be finite and non-negative"),
)


def _check_columns_and_subsets(frame: pd.DataFrame, source: str | Path) -> None:
    missing = [c for c in PREDICTION_COLUMNS if c not in frame.columns]
    if missing:
        raise DataValidationError(
            source,
            f"missing required column(s) {missing}; "
            f"a prediction file needs {list(PREDICTION_COLUMNS)}",
            column=missing[0],
        )
    subset = frame["subset"]
    unknown = ~subset.isin(SCORED_SUBSETS).to_numpy(dtype=np.bool_)
    if unknown.any():
        values = sorted({str(v) for v in subset[unknown].unique()})
        raise DataValidationError(
            source,
            f"unknown subset value(s) {values}, expected one of {list(SCORED_SUBSETS)}; "
            + _first_bad(frame, unknown),
            column="subset",
        )
    absent = [name for name in SCORED_SUBSETS if not (subset == name).any()]
    if absent:
        raise DataValidationError(
            source,
            f"no rows for subset(s) {absent}; val, public and private must all be present",
            column="subset",
        )


def subset_arrays(
    frame: pd.DataFrame, name: str
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]:
    """Scores, labels and weights of one subset."""
    part = frame[frame["subset"] == name]
    return (
        part["score"].to_numpy(dtype=np.float64),
        part["label"].to_numpy(dtype=np.int64),
        part["weight"].to_numpy(dtype=np.float64),
    )


def score_predictions(
    frame: pd.DataFrame, config: ScoreConfig, *, source: str | Path = IN_MEMORY
) -> dict[str, float | int | str]:
    """Score validated predictions the study's way (REFERENCE.md section 3).

    The cut is chosen on ``val`` by :func:`~supertml.metrics.cut.choose_cut` and applied to the
    ``public`` and ``private`` test subsets, each scored separately with its own weights.

    ``public_ams_max``/``private_ams_max`` (and their cuts) are the maxima reached by scanning
    the cut on each test subset itself: "test-set optimisation", reported to show how much a
    test-tuned cut inflates the AMS. They are NOT legitimate scores.

    ``public_ams_br0``/``private_ams_br0`` are the same test AMS at the cut with b_r = 0, as the
    study computed its test scores (the cut itself is always chosen with ``config.b_reg``).

    ``val_auc`` is the unweighted ROC AUC on ``val`` (a training-quality number; AMS is what
    counts). All values are plain Python floats, ints or strings (JSON-serialisable).

    Raises
    ------
    DataValidationError
        If ``frame`` breaks the prediction contract (named as ``source``).
    ValueError
        If no validation event has score >= ``config.min_pred``.
    """
    validate_predictions(frame, source)
    val_s, val_y, val_w = subset_arrays(frame, "val")
    choice = choose_cut(
        val_s, val_y, val_w, top_perc=config.top_perc, min_pred=config.min_pred, b_reg=config.b_reg
    )
    result: dict[str, float | int | str] = {
        "cut": choice.cut,
        "val_ams_at_cut": choice.ams_at_cut,
        "val_ams_max": choice.ams_max,
        "val_ams_max_cut": choice.ams_max_cut,
        "val_n_top": choice.n_top,
    }
    for name in ("public", "private"):
        s, y, w = subset_arrays(frame, name)
        best, best_cut = max_ams(s, y, w, b_reg=config.b_reg)
        result[f"{name}_ams"] = ams_at_cut(s, y, w, choice.cut, b_reg=config.b_reg)
        # The study's own test score at the cut used b_r = 0 (score_test_df; REFERENCE.md
        # section 5, "AMS details"): kept beside ours so a row can be set next to the study's.
        result[f"{name}_ams_br0"] = ams_at_cut(s, y, w, choice.cut, b_reg=STUDY_TEST_B_REG)
        result[f"{name}_ams_max"] = best
        result[f"{name}_ams_max_cut"] = best_cut
    result["val_auc"] = float(roc_auc_score(val_y, val_s))
    for name in SCORED_SUBSETS:
        result[f"n_{name}"] = int((frame["subset"] == name).sum())
    result["top_perc"] = float(config.top_perc)
    result["min_pred"] = float(config.min_pred)
    result["b_reg"] = float(config.b_reg)
    return result


def read_predictions(path: str | Path) -> pd.DataFrame:
    """Read a prediction file (``.parquet`` or ``.csv``) and validate it.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    DataValidationError
        For an unsupported file type or a table that breaks the contract.
    """
    target = Path(path)
    if not target.is_file():
        raise FileNotFoundError(f"{target}: prediction file not found")
    suffix = target.suffix.lower()
    if suffix == ".parquet":
        frame = pd.read_parquet(target)
    elif suffix == ".csv":
        frame = pd.read_csv(target)
    else:
        raise DataValidationError(
            target, f"unsupported prediction file type {target.suffix!r}; use .parquet or .csv"
        )
    validate_predictions(frame, target)
    return frame
