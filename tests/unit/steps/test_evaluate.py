"""The steps of evaluate.smk: a run's score file and the summary of all runs."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from supertml.io import write_json, write_table
from supertml.metrics import ScoreConfig, score_predictions
from supertml.steps.evaluate import score_predictions as score_step
from supertml.steps.evaluate import summarise_scores
from tests.unit.reporting.runs import predictions

IDENTITY = {"experiment": "cnn_a", "kind": "cnn", "seed": 0, "encoding": "p/t", "model": "m",
            "recipe": "r"}  # fmt: skip


def test_score_predictions_writes_the_scores_with_the_run_identity(tmp_path: Path) -> None:
    frame = predictions(3)
    write_table(tmp_path / "predictions.parquet", frame)
    settings = {"top_perc": 10.0, "min_pred": 0.0, "b_reg": 10.0}
    score_step(tmp_path / "predictions.parquet", settings, identity=IDENTITY,
               output=tmp_path / "score.json")  # fmt: skip
    record = json.loads((tmp_path / "score.json").read_text())
    assert {k: record[k] for k in IDENTITY} == IDENTITY
    expected = score_predictions(frame, ScoreConfig(**settings))
    assert {k: record[k] for k in expected} == expected
    assert record["predictions"] == str(tmp_path / "predictions.parquet")


def test_summarise_scores_writes_one_row_per_run(tmp_path: Path) -> None:
    paths = []
    for seed in (0, 1):
        frame = predictions(seed)
        write_table(tmp_path / f"p{seed}.parquet", frame)
        path = tmp_path / f"s{seed}.json"
        score_step(tmp_path / f"p{seed}.parquet", {"top_perc": 10.0, "min_pred": 0.0,
                   "b_reg": 10.0}, identity={**IDENTITY, "seed": seed}, output=path)  # fmt: skip
        paths.append(path)
    write_json(tmp_path / "splits.json", {"dataset": "x", "source": "x.csv",
                                          "weight_scheme": "kaggle", "splits": {}})  # fmt: skip
    summarise_scores(paths, tmp_path / "splits.json", csv_path=tmp_path / "summary.csv",
                     markdown_path=tmp_path / "summary.md")  # fmt: skip
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert summary["seed"].tolist() == [0, 1]
    assert (tmp_path / "summary.md").read_text().count("| cnn_a |") == 2
