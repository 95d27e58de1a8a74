"""The steps of analysis.smk: the analyses of a run and the intervals they lack, on files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supertml.io import write_table
from supertml.metrics import ScoreConfig
from supertml.metrics.analyses import analyse_predictions as analyse
from supertml.metrics.intervals import run_intervals
from supertml.steps.analysis import analyse_predictions, bootstrap_analyses
from tests.unit.reporting.runs import predictions

SCORING = {"top_perc": 10.0, "min_pred": 0.0, "b_reg": 10.0}
ANALYSIS = {"n_folds": 3, "fold_seed": 4, "n_bootstrap": 20, "fixed_cut": 0.5}


@pytest.fixture
def analysed(tmp_path: Path) -> Path:
    write_table(tmp_path / "predictions.parquet", predictions(7))
    analyse_predictions(
        tmp_path / "predictions.parquet", SCORING, ANALYSIS,
        identity={"experiment": "gbt", "kind": "gradient_boosted_trees", "seed": 0},
        output=tmp_path / "analysis.json",
    )  # fmt: skip
    return tmp_path


def test_analyse_predictions_passes_the_settings_on(analysed: Path) -> None:
    record = json.loads((analysed / "analysis.json").read_text())
    expected = analyse(predictions(7), ScoreConfig(**SCORING), n_folds=3, seed=4,
                       n_bootstrap=20, fixed_cut=0.5)  # fmt: skip
    assert {k: record[k] for k in expected} == json.loads(json.dumps(expected))
    assert (record["experiment"], record["seed"]) == ("gbt", 0)


def test_bootstrap_analyses_adds_the_missing_intervals(analysed: Path) -> None:
    bootstrap_analyses(analysed / "predictions.parquet", analysed / "analysis.json",
                       output=analysed / "intervals.json")  # fmt: skip
    record = json.loads((analysed / "intervals.json").read_text())
    analysis = json.loads((analysed / "analysis.json").read_text())
    expected = run_intervals(predictions(7), analysis)
    assert record["test_optimisation"] == json.loads(json.dumps(expected["test_optimisation"]))
    assert record["experiment"] == "gbt"
    assert record["analysis"] == str(analysed / "analysis.json")
