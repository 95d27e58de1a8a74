"""The verdict's tables: which uncertainty each number quotes, and the numbers themselves."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from supertml.metrics.intervals import run_intervals
from supertml.metrics.seeds import COVERS_BOTH, COVERS_TEST
from supertml.reporting.tables import (
    BOOTSTRAP_UNC,
    SEED_UNC,
    analyses_table,
    experiment_summaries,
    intervals_table,
)
from tests.unit.reporting.runs import (
    analysis_record,
    hand_analysis,
    hand_score,
    predictions,
)


def test_one_seed_quotes_the_bootstrap_95_percent_interval() -> None:
    analyses = {("cnn_a", 0): hand_analysis("cnn_a", 0, 0.7)}
    (result,) = experiment_summaries([hand_score("cnn_a", 0, 3.1, 3.3)], analyses)
    assert (result.public, result.private, result.n_seeds) == (3.1, 3.3, 1)
    assert result.private_interval is not None
    assert result.public_interval is not None
    # The hand records' 95 % bounds are the 68 % ones widened by 1.
    assert (result.private_interval.low, result.private_interval.high) == (2.2, 4.4)
    assert (result.public_interval.low, result.public_interval.high) == pytest.approx((1.8, 4.4))
    assert result.private_interval.covers == COVERS_TEST
    assert result.private_interval.scale == pytest.approx(0.1)  # the bootstrap std
    assert result.is_image


def test_several_seeds_combine_the_seed_spread_with_the_test_samples() -> None:
    scores = [hand_score("gbt", s, 3.0 + 0.2 * s, 3.5 - 0.1 * s) for s in range(3)]
    analyses = {("gbt", s): hand_analysis("gbt", s, 0.7) for s in range(3)}
    (result,) = experiment_summaries(scores, analyses, study_rows={"gbt": "7"})
    assert result.public == pytest.approx(3.2)
    assert result.private == pytest.approx(3.4)
    assert result.private_seed_std == pytest.approx(0.1)  # sample std (ddof=1) of 3.5, 3.4, 3.3
    interval = result.private_interval
    assert interval is not None
    assert interval.covers == COVERS_BOTH
    # seed std 0.1 for one new run of 3 (x sqrt(4/3)), plus the bootstrap std 0.1.
    seed_var = 0.01 * 4 / 3
    assert interval.scale == pytest.approx(math.sqrt(seed_var + 0.01), rel=1e-9)
    assert interval.dof == pytest.approx(2 * (seed_var + 0.01) ** 2 / seed_var**2, rel=1e-9)
    assert (result.n_seeds, result.study_row, result.is_image) == (3, "7", False)


def test_a_stale_analysis_is_refused() -> None:
    analyses = {("cnn_a", 0): hand_analysis("cnn_a", 0, 0.65)}
    with pytest.raises(ValueError, match=r"validation cut 0\.65 differs .* 0\.7"):
        experiment_summaries([hand_score("cnn_a", 0, 3.1, 3.3)], analyses)
    with pytest.raises(ValueError, match="no analysis file for cnn_a seed 1"):
        experiment_summaries([hand_score("cnn_a", 1, 3.1, 3.3)], analyses)


@pytest.fixture(scope="module")
def one_run() -> tuple[pd.DataFrame, dict[str, Any], dict[str, Any]]:
    frame = predictions(0)
    analysis = analysis_record(frame, "cnn_a", 0)
    return frame, analysis, run_intervals(frame, analysis)


def row(table: pd.DataFrame, quantity: str, subset: str) -> pd.Series:
    hit = table[(table["quantity"] == quantity) & (table["subset"] == subset)]
    assert len(hit) == 1, (quantity, subset)
    return hit.iloc[0]


def test_analyses_table_with_one_seed(
    one_run: tuple[pd.DataFrame, dict[str, Any], dict[str, Any]],
) -> None:
    _, analysis, intervals = one_run
    table = analyses_table({("cnn_a", 0): analysis}, {("cnn_a", 0): intervals})
    folds = analysis["test_size"]["private"]["ams"]
    mean = row(table[table["analysis"] == "test_size"], "fold mean", "private")
    assert (mean["value"], mean["uncertainty"], mean["uncertainty_kind"]) == (
        folds["mean"], folds["std"], "fold std")  # fmt: skip
    assert mean["cut"] == analysis["validation_cut"]["cut"]
    top = row(table[table["analysis"] == "test_optimisation"], "fold max", "public")
    assert top["value"] == analysis["test_optimisation"]["public"]["ams"]["max"]
    assert math.isnan(top["uncertainty"])
    whole = row(table, "whole-set max", "private")
    boot = intervals["test_optimisation"]["private"]["intervals"][0]
    assert whole["value"] == analysis["test_optimisation"]["private"]["whole_ams"]
    assert whole["uncertainty"] == pytest.approx((boot["upper"] - boot["lower"]) / 2)
    assert whole["uncertainty_kind"] == BOOTSTRAP_UNC
    merged = row(table, "at fixed cut", "merged")
    fixed = analysis["double_luminosity"]["at_cuts"][1]
    assert (merged["value"], merged["cut"]) == (fixed["merged_ams"], 0.5)
    assert merged["uncertainty_kind"] == BOOTSTRAP_UNC
    public = row(table, "at validation cut", "public")
    boot = analysis["bootstrap"]["public"]["intervals"][0]
    assert public["uncertainty"] == pytest.approx((boot["upper"] - boot["lower"]) / 2)
    ratio = row(table, "at validation cut", "ratio")
    assert ratio["value"] == analysis["double_luminosity"]["at_cuts"][0]["ratio"]
    assert ratio["uncertainty_kind"] == "none (one seed)"


def test_analyses_table_with_seeds_averages_and_quotes_the_seed_std() -> None:
    records = {("gbt", s): analysis_record(predictions(10 + s), "gbt", s) for s in range(2)}
    table = analyses_table(records)
    whole = [records[("gbt", s)]["test_optimisation"]["public"]["whole_ams"] for s in range(2)]
    entry = row(table, "whole-set max", "public")
    assert entry["value"] == pytest.approx(np.mean(whole))
    assert entry["uncertainty"] == pytest.approx(np.std(whole, ddof=1))
    assert (entry["uncertainty_kind"], entry["n_seeds"]) == (SEED_UNC, 2)


def test_intervals_table_lists_every_interval(
    one_run: tuple[pd.DataFrame, dict[str, Any], dict[str, Any]],
) -> None:
    _, analysis, intervals = one_run
    table = intervals_table({("cnn_a", 0): analysis}, {("cnn_a", 0): intervals})
    # 3 at the validation cut, 2 + 4 double luminosity (validation public/private are the
    # analysis's own), 2 whole-set maxima.
    assert len(table) == 11
    private = table[(table["quantity"] == "at validation cut") & (table["subset"] == "private")]
    boot = analysis["bootstrap"]["private"]
    assert private["point"].item() == boot["point"]
    assert private["lower_95"].item() == boot["intervals"][1]["lower"]
    assert (table["lower_68"] <= table["upper_68"]).all()
    assert (table["lower_95"] <= table["lower_68"]).all()


def test_the_studys_b_r_0_scores_are_averaged_over_seeds() -> None:
    scores = [
        {**hand_score("cnn_a", s, 3.1, 3.3), "public_ams_br0": 3.0 + s, "private_ams_br0": 4.0}
        for s in range(2)
    ]
    analyses = {("cnn_a", s): hand_analysis("cnn_a", s, 0.7) for s in range(2)}
    (result,) = experiment_summaries(scores, analyses)
    assert (result.public_br0, result.private_br0) == (3.5, 4.0)
    (plain,) = experiment_summaries([hand_score("cnn_a", 0, 3.1, 3.3)], analyses)
    assert math.isnan(plain.private_br0)
