"""The claim-vs-study-vs-us table and each branch of the verdict line, on constructed cases.

Public and private always differ, and in the opposite direction to the verdict, so that judging
or ranking by the public subset instead of the private one fails these tests.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd
import pytest

from supertml.metrics.seeds import COVERS_BOTH, COVERS_TEST, RunInterval, single_run_interval
from supertml.published import PAPER_CLAIM_AMS, STUDY_BEST, STUDY_RESULTS
from supertml.reporting.verdict import (
    PUBLISHED,
    ExperimentResult,
    experiment_results,
    verdict_line,
    verdict_markdown,
    verdict_rows,
)

CLAIM = PAPER_CLAIM_AMS


def result(
    name: str,
    kind: str,
    private: float,
    *,
    public: float | None = None,
    seed_std: float | None = 0.05,
    n_seeds: int = 3,
    test_std: float | None = None,
    bootstrap: tuple[float, float] | None = None,
    study_row: str | None = None,
) -> ExperimentResult:
    """A result whose public AMS lies on the other side of the claim from its private one."""
    if public is None:
        public = private + 0.6 if private < CLAIM else private - 0.6
    return ExperimentResult.from_mapping({
        "experiment": name, "kind": kind, "public": public, "private": private,
        "n_seeds": n_seeds, "study_row": study_row,
        "public_seed_std": seed_std, "private_seed_std": seed_std,
        "public_test_std": test_std, "private_test_std": test_std,
        "private_bootstrap_95": bootstrap,
    })  # fmt: skip


def test_study_table_is_section_5() -> None:
    assert [r.row for r in STUDY_RESULTS] == [
        "1", "2", "3", "4", "5", "6", "7", "8a", "8", "8-scratch", "9", "DL",
    ]  # fmt: skip
    assert (STUDY_BEST.row, STUDY_BEST.public, STUDY_BEST.private) == ("8", 3.425, 3.549)


def test_a_clear_miss() -> None:
    # 3 seeds, std 0.05: one run lies in 3.410 +- 4.303 * 0.05 * sqrt(4/3) = [3.162, 3.658].
    # The public mean, 4.010, is above the claim: judging by it would say "reached".
    line = verdict_line([result("exp", "cnn", 3.41)])
    assert line.startswith(
        "No image-based experiment reaches the claimed 3.979: the best, exp, mean private AMS "
        "3.410, lies below it (95 % interval for one run [3.162, 3.658], covering training seeds; "
    )
    assert "(Student-t, 2.0 dof)" in line
    assert line.endswith("; no tabular baseline was run.")


def test_a_clear_reach() -> None:
    line = verdict_line([result("exp", "cnn", 4.05)])  # public 3.45
    assert line.startswith("An image-based experiment reaches the claimed 3.979 on average: exp")


def test_exactly_at_the_claim_is_reached() -> None:
    line = verdict_line([result("exp", "cnn", CLAIM, public=3.0)])
    assert line.startswith("An image-based experiment reaches the claimed 3.979 on average")


def test_undecidable_one_run_could() -> None:
    # [3.652, 4.148] holds the claim: the mean misses it, one run might not.
    line = verdict_line([result("exp", "cnn", 3.90)])
    assert line.startswith(
        "No image-based experiment reaches the claimed 3.979 on average, but one run could: "
        "the claim lies inside the interval of the best, exp, mean private AMS 3.900 "
        "(95 % interval for one run [3.652, 4.148]"
    )


def _with_interval(high: float) -> ExperimentResult:
    base = result("exp", "cnn", 3.90)
    interval = RunInterval(3.80, high, 0.95, COVERS_BOTH, 0.05, 10.0, 3.90)
    return replace(base, private_interval=interval)


def test_the_claim_at_the_intervals_edge_counts_as_inside() -> None:
    assert "but one run could" in verdict_line([_with_interval(CLAIM)])
    below = verdict_line([_with_interval(math.nextafter(CLAIM, 0.0))])
    assert below.startswith("No image-based experiment reaches the claimed 3.979: the best")


def test_one_seed_without_bootstrap_is_undecided() -> None:
    line = verdict_line([result("exp", "cnn", 3.5, seed_std=None, n_seeds=1)])
    assert "its uncertainty is unknown (one seed, no bootstrap)" in line
    assert "P(one run" not in line


def test_one_seed_quotes_the_test_set_bootstrap() -> None:
    one = result("exp", "cnn", 3.5, seed_std=None, n_seeds=1, test_std=0.2, bootstrap=(3.1, 3.9))
    line = verdict_line([one])
    assert "95 % interval for one run [3.100, 3.900], covering test sample;" in line
    assert "(normal, test-sample bootstrap)" in line
    # P(one run >= 3.979) = P(Z >= (3.979 - 3.5) / 0.2).
    assert one.private_interval is not None
    assert one.private_interval.covers == COVERS_TEST
    assert one.private_interval.probability_at_least(CLAIM) == pytest.approx(0.00831, abs=5e-5)


def test_the_best_is_chosen_by_private_not_public() -> None:
    # "pub" has the higher public AMS (4.5) but the lower private one.
    images = [result("pub", "cnn", 3.30, public=4.5), result("priv", "cnn", 3.60, public=3.0)]
    assert "the best, priv, mean private AMS 3.600" in verdict_line(images)
    baselines = [result("g1", "gbt", 3.50, public=4.4), result("g2", "gbt", 3.70, public=3.1)]
    assert "the best tabular baseline, g2," in verdict_line([*images, *baselines])


def test_baseline_above_with_welch_interval() -> None:
    # Difference 0.29, Welch: sqrt(0.05^2/3 * 2) = 0.0408 at 4 dof -> half-width 0.113.
    line = verdict_line([result("exp", "cnn", 3.41), result("gbt", "gbt", 3.70)])
    assert line.endswith(
        "the best tabular baseline, gbt, gives mean private AMS 3.700, 0.290 above the best "
        "image-based mean (95 % interval of the difference [+0.177, +0.403], training seeds)."
    )


def test_baseline_compatible_and_baseline_below() -> None:
    close = verdict_line([result("exp", "cnn", 3.60), result("gbt", "gbt", 3.65)])
    assert "compatible with the best image-based mean (95 % interval of the difference" in close
    below = verdict_line([result("exp", "cnn", 4.05), result("gbt", "gbt", 3.70)])
    assert "0.350 below the best image-based mean" in below


def test_a_difference_with_one_seed_has_no_uncertainty() -> None:
    one = result("g", "gbt", 3.6, seed_std=None, n_seeds=1)
    line = verdict_line([result("exp", "cnn", 3.5), one])
    assert line.endswith(
        "0.100 above the best image-based mean (no uncertainty on the difference: it needs "
        "several seeds of both)."
    )


def test_only_baselines() -> None:
    line = verdict_line([result("gbt", "gbt", 3.7)])
    assert line.startswith("No image-based experiment was run; the best tabular baseline")


def test_not_comparable_data_get_no_judgement_against_the_claim() -> None:
    ours = [result("exp", "cnn", 4.5), result("gbt", "gbt", 3.7)]
    line = verdict_line(ours, comparable=False)
    assert line.startswith(
        "These numbers are not comparable with the claimed 3.979 (see the note on the data), so "
        "none is judged against it: the best image-based experiment is exp, mean private AMS "
        "4.500"
    )
    assert "reaches" not in line
    assert "P(one run" not in line
    markdown = verdict_markdown(ours, dataset_note="a sample", comparable=False)
    assert "P(one run" not in markdown
    assert "sigma" not in markdown


def test_invalid_inputs() -> None:
    with pytest.raises(ValueError, match="nothing to judge"):
        verdict_line([])
    with pytest.raises(ValueError, match=r"unknown study_row '10'"):
        result("exp", "cnn", 3.0, study_row="10")
    with pytest.raises(ValueError, match=r"experiment 'exp': private AMS must be finite"):
        result("exp", "cnn", math.nan, public=3.0)
    with pytest.raises(ValueError, match="lacks n_seeds"):
        ExperimentResult.from_mapping({"experiment": "e", "kind": "cnn", "public": 1,
                                       "private": 1})  # fmt: skip


def test_rows_and_markdown() -> None:
    ours = [result("pix56", "cnn", 3.41, study_row="7"), result("gbt", "gbt", 3.70)]
    rows = verdict_rows(ours)
    assert rows[0]["private"] == PAPER_CLAIM_AMS
    assert rows[0]["private_low"] is None
    assert rows[0]["interval_covers"] == PUBLISHED
    assert all(r["interval_covers"] == PUBLISHED for r in rows if r["source"] != "this run")
    this_run = [r for r in rows if r["source"] == "this run"]
    assert [r["result"] for r in this_run] == ["pix56 (cnn)", "gbt (gbt)"]
    assert "+0.001 vs study row 7" in this_run[0]["note"]
    assert "P(one run >= 3.979) = " in this_run[0]["note"]
    assert (this_run[0]["private_low"], this_run[0]["private_high"]) == pytest.approx(
        (3.1615, 3.6585), abs=5e-4
    )
    markdown = verdict_markdown(ours, dataset_note="bundled 8k-event sample: not comparable")
    for number in ("3.979", "3.806", "3.425", "3.549", "3.303", "3.409", "4.007", "5.790",
                   "3.870", "[3.162, 3.658]"):  # fmt: skip
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
    assert a.private_seed_std == pytest.approx(0.1)
    expected = single_run_interval(a.private, seed_std=0.1, n_seeds=3)
    assert expected is not None
    assert a.private_interval is not None
    assert (a.private_interval.low, a.private_interval.high) == pytest.approx(
        (expected.low, expected.high), rel=1e-12
    )
    assert g.n_seeds == 1
    assert g.private_interval is None
    with pytest.raises(ValueError, match="several kinds"):
        experiment_results(summary.assign(kind=["cnn", "gbt", "cnn", "gbt"]))


def test_a_study_rows_neighbour_quotes_the_studys_b_r_0_score() -> None:
    ours = ExperimentResult.from_mapping({
        "experiment": "pix56", "kind": "cnn", "public": 3.30, "private": 3.41, "n_seeds": 1,
        "study_row": "7", "public_br0": 3.304, "private_br0": 3.414,
    })  # fmt: skip
    (row,) = [r for r in verdict_rows([ours]) if r["source"] == "this run"]
    assert "with the study's b_r = 0: 3.304 / 3.414 (study 3.303 / 3.409)" in row["note"]
    plain = replace(ours, study_row=None)
    (row,) = [r for r in verdict_rows([plain]) if r["source"] == "this run"]
    assert "b_r = 0" not in row["note"]
