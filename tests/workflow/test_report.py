"""A tiny real run writes every report figure and the verdict; `--report` gathers them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from supertml.runinfo import repository_commit
from tests.workflow.helpers import REPO, run_snakemake, tiny_config

pytestmark = pytest.mark.workflow

RUNS = ("pixels12_tiny", "gbt")


def report_config() -> dict[str, Any]:
    # Few folds and resamples: the analyses' numbers are tested in the unit tests.
    return {
        **tiny_config(),
        "analysis": {"n_folds": 3, "n_bootstrap": 50},
        "apply": {"own": {"events": "test_split", "runs": ["gbt"]}},
    }


@pytest.fixture(scope="module")
def reported_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("report")
    run_snakemake(workdir, report_config(), "--cores", "2")
    return workdir


def test_every_figure_is_written(reported_run: Path) -> None:
    figures = reported_run / "results/tiny/figures"
    expected = [figures / "training_curves.png", figures / "fold_distributions.png",
                figures / "roc.png", figures / "ams_vs_efficiency.png"]  # fmt: skip
    expected += [
        figures / run / "seed_0" / f"{name}.png"
        for run in RUNS
        for name in ("score_distributions", "ams_vs_cut")
    ]
    for path in expected:
        assert path.read_bytes()[:4] == b"\x89PNG", path
        assert path.stat().st_size > 10_000, path


def test_verdict_holds_every_experiment_with_an_uncertainty(reported_run: Path) -> None:
    results = reported_run / "results/tiny"
    verdict = pd.read_csv(results / "verdict.csv")
    ours = verdict[verdict["source"] == "this run"]
    assert sorted(ours["result"]) == ["gbt (gradient_boosted_trees)", "pixels12_tiny (cnn)"]
    # One seed each: the test-set bootstrap's 95 % interval, around the run's own AMS.
    assert (ours["private_low"] < ours["private"]).all()
    assert (ours["private"] < ours["private_high"]).all()
    assert (ours["interval_covers"] == "test sample").all()
    assert ours["note"].str.startswith("one seed").all()
    summary = pd.read_csv(results / "summary.csv").set_index("experiment")
    mean = ours.set_index("result")["private"]
    assert mean["gbt (gradient_boosted_trees)"] == pytest.approx(summary.loc["gbt", "private_ams"])
    page = (results / "verdict.md").read_text()
    assert "**Verdict.** " in page
    assert "NOT comparable" in page  # the tiny run's test set is a pseudo test set
    # verdict, 2a, 2b, 2c, intervals, runs, what produced each run, and the applied runs
    assert (results / "verdict.html").read_text().count("<table>") == 8
    applied = page[page.index("## 6. Runs applied to other events") :]
    (row,) = [line for line in applied.splitlines() if line.startswith("| own | gbt/seed_0 |")]
    split = pd.read_json(results / "splits/summary.json")["splits"]
    events = split["public"]["events"] + split["private"]["events"]
    assert row.split(" | ")[2:4] == ["test", f"{events:,}"]
    assert row.endswith("| no labels |")
    produced = page[page.index("## 5. What produced each run") :]
    commit = repository_commit(REPO)
    for run in ("pixels12_tiny/seed_0", "gbt/seed_0"):
        (row,) = [line for line in produced.splitlines() if line.startswith(f"| {run} |")]
        assert row.split(" | ")[1].startswith(commit[:12])
    analyses = pd.read_csv(results / "analyses.csv")
    assert set(analyses["experiment"]) == set(RUNS)
    assert analyses["value"].notna().all()
    intervals = pd.read_csv(results / "intervals.csv")
    assert len(intervals) == 11 * len(RUNS)
    assert (intervals["n_resamples"] == 50).all()


def test_report_is_one_html_file_with_every_figure(reported_run: Path) -> None:
    target = reported_run / "results/tiny/report.html"
    run_snakemake(reported_run, report_config(), "--report", str(target))
    page = target.read_text()
    assert len(page) > 200_000  # the figures are embedded, not linked
    for name in ("score_distributions.png", "ams_vs_cut.png", "training_curves.png",
                 "fold_distributions.png", "verdict.html", "intervals.csv"):  # fmt: skip
        assert name in page, name
    assert "Runs" in page
    assert "Verdict" in page
