"""The challenge's submission file, and the AMS a grader computes from it.

Format (Adam-Bourdarios et al. 2014, section 4; the Kaggle challenge's "Evaluation" page): a
CSV with header ``EventId,RankOrder,Class`` and one row per test event. ``RankOrder`` is a
permutation of 1..N, N the most signal-like event; ``Class`` is ``s`` for events selected as
signal and ``b`` otherwise. The grader's AMS uses ``Class`` alone: s and b are the summed
weights of true signal and true background events with ``Class`` ``s``, per ``Usage`` (Public
or Private) of the solution file, whose columns are ``EventId,Class,Weight,Usage``.

Here ``Class`` is ``s`` where the score reaches the run's validation cut (``score >= cut``, the
project's one selection rule, :mod:`supertml.metrics.cut`), so the ranks above the cut are
exactly the ``s`` rows. Tied scores are ranked by ``EventId`` so the file is reproducible.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from supertml.errors import DataValidationError
from supertml.io import atomic_path
from supertml.metrics import ams

__all__ = [
    "GRADED_SUBSETS",
    "SOLUTION_COLUMNS",
    "SUBMISSION_COLUMNS",
    "USAGES",
    "graded_events",
    "read_submission",
    "solution_frame",
    "submission_ams",
    "submission_frame",
    "validate_submission",
    "write_submission",
]

#: The header of a submission file, in order.
SUBMISSION_COLUMNS: Final[tuple[str, ...]] = ("EventId", "RankOrder", "Class")
#: The header of the challenge's solution file, in order.
SOLUTION_COLUMNS: Final[tuple[str, ...]] = ("EventId", "Class", "Weight", "Usage")
#: The solution's ``Usage`` by applied subset: the leaderboard sets of the challenge.
USAGES: Final[dict[str, str]] = {"public": "Public", "private": "Private"}
#: Applied subsets that Kaggle grades: its test set, with or without labels.
GRADED_SUBSETS: Final[tuple[str, ...]] = (*USAGES, "test")


def graded_events(subset: ArrayLike) -> NDArray[np.bool_]:
    """Which events a submission holds: those of the challenge's test set (public, private,
    or an unlabelled ``test.csv``), as Kaggle accepts only those; every event of a file that
    holds none (a training file: then the submission is for recomputing its AMS only)."""
    names = np.asarray(subset, dtype=str)
    graded = np.isin(names, GRADED_SUBSETS)
    return graded if graded.any() else np.ones(len(names), dtype=np.bool_)


def submission_frame(event_id: ArrayLike, score: ArrayLike, cut: float) -> pd.DataFrame:
    """The submission of events ``event_id`` scored ``score``, selected where ``score >= cut``;
    rows in ``EventId`` order."""
    ids = np.asarray(event_id, dtype=np.int64)
    scores = np.asarray(score, dtype=np.float64)
    if ids.shape != scores.shape or ids.ndim != 1:
        raise ValueError(f"submission_frame: {ids.shape} ids but {scores.shape} scores")
    # lexsort: the last key is the primary one, so ties in score go by EventId.
    ascending = np.lexsort((ids, scores))
    rank = np.empty(len(ids), dtype=np.int64)
    rank[ascending] = np.arange(1, len(ids) + 1)
    frame = pd.DataFrame(
        {"EventId": ids, "RankOrder": rank, "Class": np.where(scores >= cut, "s", "b")}
    )
    return frame.sort_values("EventId", kind="stable", ignore_index=True)


def validate_submission(
    frame: pd.DataFrame, source: str | Path, *, event_ids: ArrayLike | None = None
) -> None:
    """Check a submission: the exact header, unique integer ``EventId`` (the set
    ``event_ids`` when given), ``RankOrder`` a permutation of 1..N, ``Class`` ``s`` or ``b``,
    and every ``s`` ranked above every ``b`` (one cut on one score).

    Raises
    ------
    DataValidationError
        Naming ``source`` and the column.
    """
    if tuple(frame.columns) != SUBMISSION_COLUMNS:
        raise DataValidationError(
            source, f"header must be {','.join(SUBMISSION_COLUMNS)}, got {','.join(frame.columns)}"
        )
    if frame.empty:
        raise DataValidationError(source, "no events")
    for column in ("EventId", "RankOrder"):
        if frame[column].dtype.kind not in "iu":
            raise DataValidationError(source, "must be integers", column=column)
    ids = frame["EventId"].to_numpy(np.int64)
    if len(np.unique(ids)) != len(ids):
        raise DataValidationError(source, "duplicated EventId", column="EventId")
    if event_ids is not None:
        expected = np.unique(np.asarray(event_ids, dtype=np.int64))
        if len(expected) != len(ids) or not np.array_equal(expected, np.sort(ids)):
            raise DataValidationError(
                source,
                f"its {len(ids)} EventIds are not the {len(expected)} events applied",
                column="EventId",
            )
    ranks = frame["RankOrder"].to_numpy(np.int64)
    if not np.array_equal(np.sort(ranks), np.arange(1, len(ranks) + 1)):
        raise DataValidationError(
            source, f"must be a permutation of 1..{len(ranks)}", column="RankOrder"
        )
    classes = frame["Class"].astype(str).to_numpy()
    if not np.isin(classes, ("s", "b")).all():
        raise DataValidationError(source, "must be 's' or 'b'", column="Class")
    signal = classes == "s"
    if signal.any() and (~signal).any() and ranks[signal].min() < ranks[~signal].max():
        raise DataValidationError(
            source, "an event of Class 'b' is ranked above one of Class 's'", column="RankOrder"
        )


def write_submission(path: str | Path, frame: pd.DataFrame, *, event_ids: ArrayLike) -> None:
    """Validate ``frame`` against the events applied, then write it (whole or not at all)."""
    validate_submission(frame, path, event_ids=event_ids)
    with atomic_path(path) as partial:
        frame.to_csv(partial, index=False)


def read_submission(path: str | Path) -> pd.DataFrame:
    """Read and validate a submission file."""
    source = Path(path)
    if not source.is_file():
        raise FileNotFoundError(f"{source}: submission file not found")
    frame = pd.read_csv(source, dtype={"Class": str})
    validate_submission(frame, source)
    return frame


def solution_frame(events: pd.DataFrame) -> pd.DataFrame:
    """The challenge's solution file of labelled applied events (``event_id``, ``label``,
    ``weight``, ``subset``) in the public and private subsets."""
    rows = events[events["subset"].isin(list(USAGES))]
    if rows["label"].isna().any():
        raise ValueError("solution_frame: public or private events without labels")
    return pd.DataFrame(
        {
            "EventId": rows["event_id"].to_numpy(np.int64),
            "Class": np.where(rows["label"].to_numpy(np.int64) == 1, "s", "b"),
            "Weight": rows["weight"].to_numpy(np.float64),
            "Usage": rows["subset"].map(USAGES).to_numpy(str),
        }
    )


def submission_ams(
    submission: pd.DataFrame, solution: pd.DataFrame, *, b_reg: float
) -> dict[str, float]:
    """The grader's AMS of ``submission`` against ``solution``, per ``Usage``: s and b are the
    summed ``Weight`` of true signal and true background events the submission calls ``s``
    (:func:`supertml.metrics.ams`, the challenge's eq. (7)).

    Raises
    ------
    ValueError
        If an event of the solution is missing from the submission.
    """
    joined = solution.merge(
        submission[["EventId", "Class"]], on="EventId", how="left", suffixes=("", "_submitted")
    )
    if joined["Class_submitted"].isna().any():
        raise ValueError("submission_ams: solution events missing from the submission")
    selected = (joined["Class_submitted"] == "s").to_numpy()
    signal = (joined["Class"] == "s").to_numpy()
    weight = joined["Weight"].to_numpy(np.float64)
    result = {}
    for usage in sorted(set(joined["Usage"])):
        rows = (joined["Usage"] == usage).to_numpy()
        s = float(weight[rows & selected & signal].sum())
        b = float(weight[rows & selected & ~signal].sum())
        result[usage] = float(ams(s, b, b_reg=b_reg))
    return result
