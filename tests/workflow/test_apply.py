"""Trained runs applied to events files through the workflow (config ``apply``).

The data set is the bundled sample dealt into the Open Data file's Kaggle sets (t, b, v), so
the workflow's own public and private test sets are the file's b and v events, with their
KaggleWeight: applying a run to the same file must give the same scores per event, and the
AMS a grader computes from the run's submission file must be the run's scores JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from supertml.applied.events import read_applied_events
from supertml.applied.submission import read_submission, solution_frame, submission_ams
from tests.workflow.helpers import SAMPLE, run_snakemake, tiny_config

RUNS = ("pixels12_tiny", "gbt")


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("apply")
    raw = pd.read_csv(SAMPLE)
    raw["KaggleSet"] = np.where(
        np.arange(len(raw)) < 4000, "t", np.where(np.arange(len(raw)) % 2 == 0, "b", "v")
    )
    opendata = workdir / "opendata.csv.gz"
    raw.to_csv(opendata, index=False, compression="gzip")
    config = tiny_config(opendata)
    config["apply"] = {
        "own_sets": {"events": str(opendata), "runs": list(RUNS)},
        "unlabelled": {"events": "test_split", "runs": list(RUNS)},
    }
    run_snakemake(workdir, config, "--cores", "2")
    return workdir


def _results(workdir: Path) -> Path:
    return workdir / "results/tiny"


@pytest.mark.parametrize("run", RUNS)
def test_applied_scores_are_the_workflows_scores_of_the_same_events(
    finished: Path, run: str
) -> None:
    results = _results(finished)
    ours = pd.read_parquet(results / f"applied/own_sets/runs/{run}/seed_0/predictions.parquet")
    theirs = pd.read_parquet(results / f"runs/{run}/seed_0/predictions.parquet")
    for subset in ("public", "private"):
        a = ours[ours["subset"] == subset].set_index("event_id").sort_index()
        b = theirs[theirs["subset"] == subset].set_index("event_id").sort_index()
        assert list(a.index) == list(b.index)
        np.testing.assert_array_equal(a["label"].to_numpy(int), b["label"])
        np.testing.assert_array_equal(a["weight"], b["weight"])
        if run == "gbt":
            np.testing.assert_array_equal(a["score"], b["score"])
        else:  # the same images and network in other batches: float32 sums may differ
            np.testing.assert_allclose(a["score"], b["score"], rtol=0, atol=1e-6)


@pytest.mark.parametrize("run", RUNS)
def test_the_ams_at_the_runs_cut_and_from_its_submission_are_its_scores(
    finished: Path, run: str
) -> None:
    results = _results(finished)
    scores = json.loads((results / f"scores/{run}/seed_0.json").read_text())
    applied = json.loads((results / f"applied/own_sets/scores/{run}/seed_0.json").read_text())
    assert applied["cut"] == scores["cut"]
    assert applied["subsets"]["training"]["labelled"] is True
    for subset in ("public", "private"):
        assert applied["subsets"][subset]["ams"] == pytest.approx(scores[f"{subset}_ams"], rel=1e-9)
    # A grader's view: the submission file alone, against the file's labels and weights.
    submission = read_submission(results / f"applied/own_sets/submissions/{run}/seed_0.csv")
    solution = solution_frame(read_applied_events(finished / "opendata.csv.gz"))
    # Kaggle grades its test set only: the submission holds the b and v events, no others.
    assert sorted(submission["EventId"]) == sorted(solution["EventId"])
    graded = submission_ams(submission, solution, b_reg=scores["b_reg"])
    assert graded["Public"] == pytest.approx(scores["public_ams"], rel=1e-9)
    assert graded["Private"] == pytest.approx(scores["private_ams"], rel=1e-9)


@pytest.mark.parametrize("run", RUNS)
def test_the_unlabelled_test_split_gets_one_valid_submission_per_run(
    finished: Path, run: str
) -> None:
    results = _results(finished)
    split = json.loads((results / "splits/summary.json").read_text())["splits"]
    submission = read_submission(results / f"applied/unlabelled/submissions/{run}/seed_0.csv")
    assert len(submission) == split["public"]["events"] + split["private"]["events"]
    applied = json.loads((results / f"applied/unlabelled/scores/{run}/seed_0.json").read_text())
    assert applied["subsets"]["test"]["labelled"] is False
    assert applied["subsets"]["test"]["selected"] == int((submission["Class"] == "s").sum())
