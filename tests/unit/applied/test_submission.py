"""The Kaggle submission file: its format, its checks, and the AMS a grader gets from it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from supertml.applied.submission import (
    graded_events,
    read_submission,
    solution_frame,
    submission_ams,
    submission_frame,
    validate_submission,
    write_submission,
)
from supertml.errors import DataValidationError
from supertml.metrics import ScoreConfig, predictions_frame, score_predictions


def test_ranks_follow_the_score_ties_by_event_id_and_class_follows_the_cut() -> None:
    frame = submission_frame([30, 10, 20, 40], [0.9, 0.2, 0.9, 0.5], cut=0.5)
    assert list(frame["EventId"]) == [10, 20, 30, 40]
    assert list(frame["RankOrder"]) == [1, 3, 4, 2]  # 20 and 30 tie at 0.9: 30 ranks higher
    assert list(frame["Class"]) == ["b", "s", "s", "s"]  # score >= cut is signal
    validate_submission(frame, "mem", event_ids=[10, 20, 30, 40])


def _good() -> pd.DataFrame:
    return submission_frame([1, 2, 3], [0.1, 0.5, 0.9], cut=0.5)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.rename(columns={"Class": "Label"}), "header must be EventId,RankOrder,Class"),
        (lambda f: f.assign(EventId=[1, 1, 3]), "duplicated EventId"),
        (lambda f: f.assign(RankOrder=[1, 2, 2]), "permutation of 1..3"),
        (lambda f: f.assign(RankOrder=[0, 1, 2]), "permutation of 1..3"),
        (lambda f: f.assign(Class=["b", "x", "s"]), "'s' or 'b'"),
        (lambda f: f.assign(Class=["s", "b", "s"]), "Class 'b' is ranked above"),
        (lambda f: f.assign(RankOrder=[1.0, 2.0, 3.0]), "must be integers"),
        (lambda f: f.iloc[:0], "no events"),
    ],
)
def test_a_bad_submission_is_refused_naming_its_file(change, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DataValidationError, match=f"sub.csv.*{message}"):
        validate_submission(change(_good()), "sub.csv")


def test_a_submission_of_other_events_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "sub.csv"
    with pytest.raises(DataValidationError, match="not the 4 events applied"):
        write_submission(target, _good(), event_ids=[1, 2, 3, 4])
    assert not target.exists()  # nothing half-written


def test_a_written_submission_reads_back_equal(tmp_path: Path) -> None:
    target = tmp_path / "sub.csv"
    write_submission(target, _good(), event_ids=[3, 2, 1])
    assert target.read_text().splitlines()[0] == "EventId,RankOrder,Class"
    pd.testing.assert_frame_equal(read_submission(target), _good())


def test_the_graders_ams_from_the_submission_is_the_scores_ams() -> None:
    rng = np.random.default_rng(5)
    n = 4000
    label = rng.integers(0, 2, n)
    score = np.clip(0.3 * label + rng.normal(0.35, 0.2, n), 0, 1)
    weight = np.where(label == 1, rng.uniform(0.001, 0.01, n), rng.uniform(0.5, 5, n))
    subset = np.array(["val", "public", "private"])[np.arange(n) % 3]
    predictions = pd.concat(
        [
            predictions_frame(
                name,
                event_id=np.flatnonzero(subset == name),
                label=label[subset == name],
                weight=weight[subset == name],
                score=score[subset == name],
            )
            for name in ("val", "public", "private")
        ],
        ignore_index=True,
    )
    scores = score_predictions(predictions, ScoreConfig(top_perc=10, min_pred=0.0, b_reg=10.0))
    test = predictions[predictions["subset"] != "val"]
    submission = submission_frame(test["event_id"], test["score"], float(scores["cut"]))
    solution = solution_frame(test)
    result = submission_ams(submission, solution, b_reg=10.0)
    assert result["Public"] == pytest.approx(scores["public_ams"], rel=1e-12)
    assert result["Private"] == pytest.approx(scores["private_ams"], rel=1e-12)
    assert scores["public_ams"] > 0


def test_the_grader_refuses_a_submission_missing_solution_events() -> None:
    test = predictions_frame("public", event_id=[1, 2], label=[1, 0], weight=[1.0, 1.0],
                             score=[0.9, 0.1])  # fmt: skip
    with pytest.raises(ValueError, match="missing from the submission"):
        submission_ams(submission_frame([1], [0.9], 0.5), solution_frame(test), b_reg=10.0)


def test_a_submission_holds_the_test_events_of_a_file_that_has_them() -> None:
    subsets = ["training", "public", "private", "unused"]
    assert list(graded_events(subsets)) == [False, True, True, False]
    assert list(graded_events(["test", "test"])) == [True, True]
    assert list(graded_events(["training", "training"])) == [True, True]  # no test events
