"""The events a trained run is applied to, prepared with the run's own fitted preprocessing.

An applied events file is any file :func:`supertml.data.read_events` reads (Open Data, Kaggle
``training.csv`` or ``test.csv``; plain or gzip). Its events keep their own ids, labels and
weights and get a subset from their Kaggle set (:data:`KAGGLE_SET_SUBSETS`); a file without
labels (Kaggle ``test.csv``) is one subset, :data:`UNLABELLED_SUBSET`, with label <NA> and
weight NaN.

Preprocessing is never refitted on these events: the data-fix (if the run's preset has it) and
the standard scaler come from the run's ``prepared/<preprocessing>/features.json``, which
:func:`supertml.steps.data.prepare_features` wrote when it fitted them on the training split.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from supertml.constants import FEATURES, TEST_SUBSETS
from supertml.data import read_events
from supertml.data.hep import apply_data_fix
from supertml.data.preprocess import StandardScaler, physical_frame
from supertml.errors import DataValidationError
from supertml.io import atomic_path

__all__ = [
    "APPLIED_SUBSETS",
    "KAGGLE_SET_SUBSETS",
    "UNLABELLED_SUBSET",
    "PreparedEvents",
    "prepare_applied_events",
    "read_applied_events",
    "write_test_split",
]

#: Subsets of applied events, by the Kaggle set they came from (REFERENCE.md section 2): ``t``
#: the 250k training events, ``b`` the public and ``v`` the private test set, ``u`` unused.
KAGGLE_SET_SUBSETS: Final[Mapping[str, str]] = {
    "t": "training",
    "b": "public",
    "v": "private",
    "u": "unused",
}

#: The one subset of a file without labels (a Kaggle ``test.csv``).
UNLABELLED_SUBSET: Final[str] = "test"

#: Every subset an applied events file may hold.
APPLIED_SUBSETS: Final[tuple[str, ...]] = (*KAGGLE_SET_SUBSETS.values(), UNLABELLED_SUBSET)


def read_applied_events(path: str | Path) -> pd.DataFrame:
    """Read and validate an events file: ``event_id``, the 30 raw features (-999.0 where
    undefined), ``label`` (nullable Int8: 1 signal, 0 background, <NA> unknown), ``weight``
    (the file's ``KaggleWeight`` for the Open Data file, ``Weight`` for Kaggle
    ``training.csv``, NaN without labels) and ``subset``; ``attrs["source_format"]`` names
    the layout."""
    table = read_events(path)
    frame = table.frame
    n_events = len(frame)
    out = frame[["event_id", *FEATURES]].copy()
    if table.source_format == "kaggle_test":
        out["label"] = pd.array([pd.NA] * n_events, dtype="Int8")
        out["weight"] = np.full(n_events, np.nan)
        out["subset"] = UNLABELLED_SUBSET
    else:
        out["label"] = pd.array(frame["label"].to_numpy(np.int8), dtype="Int8")
        out["weight"] = frame["weight"].to_numpy(np.float64)
        out["subset"] = frame["kaggle_set"].map(KAGGLE_SET_SUBSETS).to_numpy(str)
    out.attrs["source_format"] = table.source_format
    return out


def write_test_split(splits: Mapping[str, pd.DataFrame], output: str | Path) -> None:
    """Write the public and private test splits as one Kaggle ``test.csv`` (``EventId`` and
    the 30 raw features, gzip, rows by EventId): the run's own test events without their
    labels, the file a challenge entrant is handed.

    Floats are written in Python's shortest round-trip form, so reading the file back gives
    the split's values bit for bit.
    """
    missing = [name for name in TEST_SUBSETS if name not in splits]
    if missing:
        raise ValueError(f"write_test_split: splits {missing} missing")
    events = pd.concat([splits[name] for name in TEST_SUBSETS], ignore_index=True)
    table = events[["event_id", *FEATURES]].sort_values("event_id", kind="stable")
    table = table.rename(columns={"event_id": "EventId"})
    with atomic_path(output) as partial:
        table.to_csv(partial, index=False, compression="gzip")


@dataclass(frozen=True, eq=False)
class PreparedEvents:
    """Applied events after a run's preprocessing: ``scaled`` (what pixel encodings and the
    baselines read) and ``physical`` (what text encodings print), NaN where undefined, both
    with ``event_id``, ``label``, ``weight`` and ``subset``; ``features`` in table order."""

    scaled: pd.DataFrame
    physical: pd.DataFrame
    features: tuple[str, ...]


def prepare_applied_events(
    events: pd.DataFrame, record: Mapping[str, Any], *, record_path: str | Path
) -> PreparedEvents:
    """Prepare ``events`` (from :func:`read_applied_events`) as the run's preset prepared its
    splits: ``record`` is the preset's ``features.json`` (read from ``record_path``, named in
    errors), holding its ``data_fix`` flag, its features and the scaler fitted on training.

    Raises
    ------
    DataValidationError
        If the record lacks a fitted scaler or its features are not the preset's.
    """
    for key in ("features", "scaler"):
        if key not in record:
            raise DataValidationError(record_path, f"no {key!r}: not a prepare_features record")
    frame = apply_data_fix(events) if record.get("data_fix", False) else events
    features = tuple(str(name) for name in record["features"])
    absent = [name for name in features if name not in frame.columns]
    if absent:
        raise DataValidationError(
            record_path, f"its features {absent} are not features of the prepared events"
        )
    scaler = StandardScaler.from_dict(record["scaler"])
    return PreparedEvents(
        scaled=scaler.transform(frame),
        physical=physical_frame(frame, features),
        features=features,
    )
