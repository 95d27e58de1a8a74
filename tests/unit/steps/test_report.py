"""The report steps on files: the verdict page and its tables, what the figure steps pass on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from supertml.io import write_json, write_table
from supertml.steps.analysis import bootstrap_analyses
from supertml.steps.report import (
    plot_fold_distributions,
    plot_run,
    plot_training_curves,
    write_verdict,
)
from tests.unit.reporting.runs import (
    N_FOLDS,
    SAMPLE_SPLITS,
    analysis_record,
    predictions,
    score_record,
)


def test_write_verdict_on_files(tmp_path: Path) -> None:
    runs = [("cnn_a", 0), ("gbt", 0)]
    score_paths, analysis_paths, interval_paths = [], [], []
    for n, (experiment, seed) in enumerate(runs):
        frame = predictions(20 + n)
        run_dir = tmp_path / experiment
        write_table(run_dir / "predictions.parquet", frame)
        write_json(run_dir / "score.json", score_record(frame, experiment, seed))
        write_json(run_dir / "analysis.json", analysis_record(frame, experiment, seed))
        bootstrap_analyses(run_dir / "predictions.parquet", run_dir / "analysis.json",
                           output=run_dir / "intervals.json")  # fmt: skip
        score_paths.append(run_dir / "score.json")
        analysis_paths.append(run_dir / "analysis.json")
        interval_paths.append(run_dir / "intervals.json")
    write_json(tmp_path / "splits.json", SAMPLE_SPLITS)
    names = ("verdict.md", "verdict.html", "verdict.csv", "analyses.csv", "intervals.csv")
    out = {name: tmp_path / "out" / name for name in names}
    page = write_verdict(
        score_paths, analysis_paths, interval_paths, tmp_path / "splits.json",
        dataset="sample", markdown_path=out["verdict.md"], html_path=out["verdict.html"],
        verdict_csv=out["verdict.csv"], analyses_csv=out["analyses.csv"],
        intervals_csv=out["intervals.csv"],
        conditions="| study row | the conditions table |",
    )  # fmt: skip
    assert out["verdict.md"].read_text() == page
    conditions = page[page.index("### 1a. Conditions") : page.index("## 2.")]
    assert "| study row | the conditions table |" in conditions
    assert "**Verdict.** " in page
    assert "NOT comparable" in page
    for heading in ("## 1. Claim", "### 2a.", "### 2b.", "### 2c.", "## 3.", "## 4."):
        assert heading in page
    score = json.loads(score_paths[0].read_text())
    # One seed: the interval is the run's bootstrap 95 % interval (the record's second level).
    boot = json.loads(analysis_paths[0].read_text())["bootstrap"]["private"]["intervals"][1]
    assert boot["level"] == 0.95
    assert "| this run | cnn_a (cnn) | " in page
    assert f"| [{boot['lower']:.3f}, {boot['upper']:.3f}] | test sample | 1 |" in page
    verdict = pd.read_csv(out["verdict.csv"])
    ours = verdict[verdict["source"] == "this run"].set_index("result")
    assert ours.loc["cnn_a (cnn)", "private"] == pytest.approx(score["private_ams"])
    assert ours.loc["cnn_a (cnn)", "private_low"] == pytest.approx(boot["lower"])
    assert ours.loc["cnn_a (cnn)", "interval_covers"] == "test sample"
    # The sample is not comparable with the claim: no probability against it anywhere.
    assert "P(one run" not in page
    html_page = out["verdict.html"].read_text()
    assert html_page.count("<table>") == 7  # verdict, 1a, 2a, 2b, 2c, intervals, runs
    assert len(pd.read_csv(out["intervals.csv"])) == 22
    assert set(pd.read_csv(out["analyses.csv"])["experiment"]) == {"cnn_a", "gbt"}
    # Each section quotes its own analysis: 2a the folds at the validation cut, 2b the
    # test-optimised folds (their means differ; both analyses have a "fold mean" row).
    record = json.loads(analysis_paths[0].read_text())
    section_a = page[page.index("### 2a.") : page.index("### 2b.")]
    section_b = page[page.index("### 2b.") : page.index("### 2c.")]
    for name, section in (("test_size", section_a), ("test_optimisation", section_b)):
        fold = record[name]["private"]["ams"]
        assert f"{fold['mean']:.3f} ± {fold['std']:.3f}" in section.split("| cnn_a |")[1]
    assert record["test_size"]["private"]["ams"]["mean"] != pytest.approx(
        record["test_optimisation"]["private"]["ams"]["mean"]
    )


def test_write_verdict_needs_every_runs_files(tmp_path: Path) -> None:
    frame = predictions(0)
    write_json(tmp_path / "score.json", score_record(frame, "cnn_a", 0))
    write_json(tmp_path / "analysis.json", analysis_record(frame, "cnn_a", 1))
    write_json(tmp_path / "splits.json", SAMPLE_SPLITS)
    with pytest.raises(ValueError, match=r"no analysis file for run\(s\) \[\('cnn_a', 0\)\]"):
        write_verdict(
            [tmp_path / "score.json"], [tmp_path / "analysis.json"], [],
            tmp_path / "splits.json", dataset="sample", markdown_path=tmp_path / "v.md",
            html_path=tmp_path / "v.html", verdict_csv=tmp_path / "v.csv",
            analyses_csv=tmp_path / "a.csv", intervals_csv=tmp_path / "i.csv",
        )  # fmt: skip
    assert not (tmp_path / "v.md").exists()


def test_figure_steps_pass_the_run_cut_and_pooled_folds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The figures themselves are tested in test_figures.py; here, what the steps hand them.
    calls: dict[str, tuple[Any, dict[str, Any]]] = {}

    def record(name: str) -> Any:
        def fake(*args: Any, **kwargs: Any) -> None:
            calls[name] = (args, kwargs)

        return fake

    for name in ("plot_score_distributions", "plot_ams_vs_cut", "plot_fold_distributions",
                 "plot_training_curves"):  # fmt: skip
        monkeypatch.setattr(f"supertml.reporting.figures.{name}", record(name))
    frame = predictions(5)
    write_table(tmp_path / "predictions.parquet", frame)
    score = score_record(frame, "cnn_a", 0)
    write_json(tmp_path / "score.json", score)
    plot_run(tmp_path / "predictions.parquet", tmp_path / "score.json", b_reg=10.0,
             scores_output=tmp_path / "s.png", ams_output=tmp_path / "a.png")  # fmt: skip
    (shown, out), options = calls["plot_score_distributions"]
    assert len(shown) == len(frame)
    assert out == tmp_path / "s.png"
    assert (options["cut"], options["subset"]) == (score["cut"], "val")
    assert calls["plot_ams_vs_cut"][1]["cut"] == score["cut"]
    assert calls["plot_ams_vs_cut"][1]["b_reg"] == 10.0

    records = [analysis_record(predictions(s), "cnn_a", s) for s in range(2)]
    for s, record in enumerate(records):
        write_json(tmp_path / f"analysis_{s}.json", record)
    paths = [tmp_path / "analysis_1.json", tmp_path / "analysis_0.json"]
    plot_fold_distributions(paths, output=tmp_path / "f.png", title="folds")
    pooled = calls["plot_fold_distributions"][0][0]
    expected = [v for r in records for v in r["test_optimisation"]["private"]["ams"]["values"]]
    assert pooled["cnn_a"]["test_optimisation"]["private"] == expected  # seed 0 first
    assert len(pooled["cnn_a"]["test_size"]["public"]) == 2 * N_FOLDS

    plot_training_curves(["cnn_a/seed_0"], [tmp_path / "m.csv"], output=tmp_path / "t.png",
                         title="curves")  # fmt: skip
    assert calls["plot_training_curves"][0][0] == {"cnn_a/seed_0": tmp_path / "m.csv"}
    with pytest.raises(ValueError, match="1 labels for 2 metrics files"):
        plot_training_curves(["x"], [tmp_path / "m.csv"] * 2, output=tmp_path / "u.png",
                             title="curves")  # fmt: skip
    with pytest.raises(ValueError, match="given twice"):
        plot_fold_distributions([paths[0], paths[0]], output=tmp_path / "g.png", title="folds")


def test_the_verdict_lists_what_produced_each_run(tmp_path: Path) -> None:
    frame = predictions(30)
    run_dir = tmp_path / "runs" / "cnn_a" / "seed_0"
    write_table(run_dir / "predictions.parquet", frame)
    write_json(run_dir / "score.json", score_record(frame, "cnn_a", 0))
    write_json(run_dir / "analysis.json", analysis_record(frame, "cnn_a", 0))
    bootstrap_analyses(run_dir / "predictions.parquet", run_dir / "analysis.json",
                       output=run_dir / "intervals.json")  # fmt: skip
    provenance = {
        "libraries": {"torch": "2.14.1", "timm": "1.0.31"}, "python": "3.11.7",
        "cuda": "13.0", "cudnn": 91002, "device": "NVIDIA H200",
        "commit": "0123456789abcdef0123456789abcdef01234567+dirty",
        "host": "gpu07", "slurm_job_id": "77",
    }  # fmt: skip
    write_json(run_dir / "train_config.json", {"provenance": provenance})
    old = tmp_path / "runs" / "gbt" / "seed_0" / "baseline_info.json"
    write_json(old, {"kind": "gradient_boosted_trees"})  # written before provenance was kept
    write_json(tmp_path / "splits.json", SAMPLE_SPLITS)
    out = tmp_path / "out"
    page = write_verdict(
        [run_dir / "score.json"], [run_dir / "analysis.json"], [run_dir / "intervals.json"],
        tmp_path / "splits.json", dataset="sample", markdown_path=out / "v.md",
        html_path=out / "v.html", verdict_csv=out / "v.csv", analyses_csv=out / "a.csv",
        intervals_csv=out / "i.csv", record_paths=[run_dir / "train_config.json", old],
    )  # fmt: skip
    section = page[page.index("## 5. What produced each run") :]
    assert (
        "| cnn_a/seed_0 | 0123456789ab+dirty | gpu07 | NVIDIA H200 | 13.0 / 91002 | 77 | A |"
        in section
    )
    assert "Library set A: timm 1.0.31, torch 2.14.1." in section  # as the record stores them
    assert "| gbt/seed_0 | not recorded (trained before runs kept their provenance) |" in section
