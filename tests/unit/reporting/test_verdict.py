"""The claim-vs-study-vs-us table and each branch of the verdict line."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from supertml.published import PAPER_CLAIM_AMS, STUDY_BEST, STUDY_RESULTS
from supertml.reporting.verdict import (
    ExperimentResult,
    experiment_results,
    verdict_line,
    verdict_markdown,
    verdict_rows,
)


def result(
    name: str, kind: str, private: float, unc: float = 0.05, **extra: object
) -> ExperimentResult:
    fields: dict[str, object] = {
        "experiment": name,
        "kind": kind,
        "public": private - 0.1,
        "private": private,
        "public_unc": unc,
        "private_unc": unc,
        "n_seeds": 3,
    }
    fields.update(extra)
    return ExperimentResult.from_mapping(fields)


def test_study_table_is_section_5() -> None:
    assert [r.row for r in STUDY_RESULTS] == ["1", "3", "4", "5", "6", "7", "8", "8-scratch", "9"]
    assert (STUDY_BEST.row, STUDY_BEST.public, STUDY_BEST.private) == ("8", 3.425, 3.549)


def test_not_reached_and_baseline_better() -> None:
    line = verdict_line([result("exp", "cnn", 3.41), result("gbt", "gradient_boosted_trees", 3.70)])
    assert line.startswith("No image-based experiment reaches the claimed 3.979: ")
    assert "best private AMS 3.410 ± 0.050 (exp), 11.4 sigma below the claim" in line
    assert "the best tabular baseline reaches 3.700 ± 0.050 (gbt), 0.290 above" in line
    assert line.endswith("(4.1 sigma).")


def test_best_image_experiment_is_chosen() -> None:
    line = verdict_line([result("low", "cnn", 2.9), result("high", "cnn", 3.2)])
    assert "3.200 ± 0.050 (high)" in line
    assert line.endswith("; no tabular baseline was run.")


def test_within_uncertainty_of_claim() -> None:
    line = verdict_line([result("exp", "cnn", 3.90, unc=0.05)])
    assert line.startswith(
        "The best image-based experiment does not reach the claimed 3.979 on average but is "
        "within 2 sigma of it: "
    )
    assert "1.6 sigma below the claim" in line
    # The same numbers with a tighter band are judged as not reached.
    assert verdict_line([result("exp", "cnn", 3.90, unc=0.05)], n_sigma=1.0).startswith(
        "No image-based experiment reaches the claimed 3.979: "
    )


def test_claim_reached_and_image_better() -> None:
    line = verdict_line([result("exp", "cnn", 4.05), result("gbt", "gbt", 3.70)])
    assert line.startswith("An image-based experiment reaches the claimed 3.979: ")
    assert "1.4 sigma above the claim" in line
    assert "0.350 below the best image-based result" in line


def test_baseline_compatible_with_image() -> None:
    line = verdict_line([result("exp", "cnn", 3.60), result("gbt", "gbt", 3.65)])
    assert "compatible with the best image-based result within 2 sigma" in line


def test_unknown_uncertainty_one_seed() -> None:
    line = verdict_line([result("exp", "cnn", 3.5, unc=math.nan), result("g", "gbt", 3.6)])
    assert "3.500 (exp; no uncertainty: one seed)" in line
    assert "sigma below" not in line
    # Without both uncertainties the difference is reported without a significance.
    assert line.endswith("0.100 above the best image-based result.")


def test_only_baselines() -> None:
    line = verdict_line([result("gbt", "gbt", 3.7)])
    assert line.startswith("No image-based experiment was run; the best tabular baseline")


def test_invalid_inputs() -> None:
    with pytest.raises(ValueError, match="nothing to judge"):
        verdict_line([])
    with pytest.raises(ValueError, match=r"unknown study_row '2'"):
        result("exp", "cnn", 3.0, study_row="2")
    with pytest.raises(ValueError, match=r"experiment 'exp': private AMS must be finite"):
        result("exp", "cnn", math.nan, public=3.0)
    with pytest.raises(ValueError, match="lacks n_seeds"):
        ExperimentResult.from_mapping({"experiment": "e", "kind": "cnn", "public": 1,
                                       "private": 1})  # fmt: skip


def test_rows_and_markdown() -> None:
    ours = [result("pix56", "cnn", 3.41, study_row="7"), result("gbt", "gbt", 3.70)]
    rows = verdict_rows(ours)
    assert rows[0]["private"] == PAPER_CLAIM_AMS
    this_run = [r for r in rows if r["source"] == "this run"]
    assert [r["result"] for r in this_run] == ["pix56 (cnn)", "gbt (gbt)"]
    assert "+0.001 vs study row 7" in this_run[0]["note"]
    markdown = verdict_markdown(ours, dataset_note="bundled 8k-event sample: not comparable")
    for number in ("3.979", "3.806", "3.425", "3.549", "3.303", "3.409", "4.007", "5.790",
                   "3.870", "3.410 ± 0.050"):  # fmt: skip
        assert number in markdown
    assert "**Verdict.** No image-based experiment reaches the claimed 3.979" in markdown
    assert markdown.rstrip().endswith("*Note on the data:* bundled 8k-event sample: not comparable")
    assert "Note on the data" not in verdict_markdown(ours)


def test_experiment_results_from_summary() -> None:
    summary = pd.DataFrame(
        {
            "experiment": ["a", "a", "a", "g"],
            "kind": ["cnn", "cnn", "cnn", "gbt"],
            "seed": [0, 1, 2, 0],
            "public_ams": [3.0, 3.2, 3.4, 3.6],
            "private_ams": [3.1, 3.3, 3.2, 3.7],
        }
    )
    a, g = experiment_results(summary, study_rows={"a": "8"})
    assert (a.n_seeds, a.study_row) == (3, "8")
    assert a.public == pytest.approx(3.2)
    assert a.public_unc == pytest.approx(0.2)
    assert a.private_unc == pytest.approx(0.1)
    assert g.n_seeds == 1
    assert math.isnan(g.private_unc)
    with pytest.raises(ValueError, match="several kinds"):
        experiment_results(summary.assign(kind=["cnn", "gbt", "cnn", "gbt"]))
