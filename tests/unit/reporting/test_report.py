"""The report's steps: uncertainty choice, table numbers, bootstrap of maxima, HTML, files."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from supertml.constants import NB_TOTAL, NS_TOTAL
from supertml.io import write_json, write_table
from supertml.metrics import (
    ScoreConfig,
    analyse_predictions,
    max_ams,
    predictions_frame,
    score_predictions,
)
from supertml.metrics.analyses import ONE_SIGMA
from supertml.reporting.report import (
    BOOTSTRAP_UNC,
    SEED_UNC,
    analyses_table,
    bootstrap_max_ams,
    bootstrap_run,
    dataset_note,
    experiment_summaries,
    intervals_table,
    markdown_to_html,
    plot_fold_figure,
    plot_run_figures,
    plot_training_runs,
    run_intervals,
    write_verdict,
)

CONFIG = ScoreConfig(top_perc=10.0, min_pred=0.0, b_reg=10.0)
SIZES = {"val": 300, "public": 150, "private": 450}
N_FOLDS, N_BOOT = 3, 40


def predictions(seed: int) -> pd.DataFrame:
    """Synthetic predictions, each subset's weights normalised to the challenge totals."""
    rng = np.random.default_rng(seed)
    parts, offset = [], 0
    for subset, n in SIZES.items():
        label = (rng.random(n) < 0.4).astype(np.int64)
        score = np.clip(rng.normal(0.3 + 0.4 * label, 0.18), 0.0, 1.0).round(4)
        n_sig = int(label.sum())
        weight = np.where(label == 1, NS_TOTAL / n_sig, NB_TOTAL / (n - n_sig))
        parts.append(
            predictions_frame(subset, event_id=np.arange(n) + offset, label=label,
                              weight=weight, score=score)
        )  # fmt: skip
        offset += n
    return pd.concat(parts, ignore_index=True)


def identity(experiment: str, seed: int) -> dict[str, Any]:
    kind = "cnn" if experiment.startswith("cnn") else "gradient_boosted_trees"
    return {"experiment": experiment, "kind": kind, "seed": seed}


def analysis_record(frame: pd.DataFrame, experiment: str, seed: int) -> dict[str, Any]:
    result = analyse_predictions(frame, CONFIG, n_folds=N_FOLDS, seed=0, n_bootstrap=N_BOOT)
    return {**identity(experiment, seed), **result}


def score_record(frame: pd.DataFrame, experiment: str, seed: int) -> dict[str, Any]:
    extra = {"encoding": "-", "model": "-", "recipe": "-"}
    return {**identity(experiment, seed), **extra, **score_predictions(frame, CONFIG)}


def interval(point: float, lower: float, upper: float) -> dict[str, Any]:
    """A bootstrap record in the layout of BootstrapInterval.to_dict()."""
    return {
        "point": point, "mean": point, "std": (upper - lower) / 2, "n_resamples": 10,
        "intervals": [{"level": ONE_SIGMA, "lower": lower, "upper": upper},
                      {"level": 0.95, "lower": lower - 1, "upper": upper + 1}],
    }  # fmt: skip


def hand_analysis(experiment: str, seed: int, cut: float) -> dict[str, Any]:
    """A minimal analysis record with known bootstrap intervals at the validation cut."""
    return {
        **identity(experiment, seed),
        "validation_cut": {"cut": cut},
        "bootstrap": {
            "val": interval(3.0, 2.9, 3.1),
            "public": interval(3.1, 2.8, 3.4),  # half-width 0.3
            "private": interval(3.3, 3.2, 3.4),  # half-width 0.1
        },
    }


def hand_score(experiment: str, seed: int, public: float, private: float) -> dict[str, Any]:
    return {**identity(experiment, seed), "cut": 0.7, "public_ams": public,
            "private_ams": private}  # fmt: skip


# --------------------------------------------------------------------------------------------
# Uncertainty choice of the verdict table


def test_one_seed_quotes_the_bootstrap_half_width() -> None:
    analyses = {("cnn_a", 0): hand_analysis("cnn_a", 0, 0.7)}
    (result,) = experiment_summaries([hand_score("cnn_a", 0, 3.1, 3.3)], analyses)
    assert (result.public, result.private, result.n_seeds) == (3.1, 3.3, 1)
    assert result.public_unc == pytest.approx(0.3)
    assert result.private_unc == pytest.approx(0.1)
    assert result.unc_label == BOOTSTRAP_UNC
    assert result.is_image


def test_several_seeds_quote_the_seed_std() -> None:
    scores = [hand_score("gbt", s, 3.0 + 0.2 * s, 3.5 - 0.1 * s) for s in range(3)]
    analyses = {("gbt", s): hand_analysis("gbt", s, 0.7) for s in range(3)}
    (result,) = experiment_summaries(scores, analyses, study_rows={"gbt": "7"})
    assert result.public == pytest.approx(3.2)
    assert result.private == pytest.approx(3.4)
    assert result.public_unc == pytest.approx(0.2)  # sample std (ddof=1) of 3.0, 3.2, 3.4
    assert result.private_unc == pytest.approx(0.1)
    assert result.unc_label == f"{SEED_UNC} (3 seeds)"
    assert (result.n_seeds, result.study_row, result.is_image) == (3, "7", False)


def test_a_stale_analysis_is_refused() -> None:
    analyses = {("cnn_a", 0): hand_analysis("cnn_a", 0, 0.65)}
    with pytest.raises(ValueError, match=r"validation cut 0\.65 differs .* 0\.7"):
        experiment_summaries([hand_score("cnn_a", 0, 3.1, 3.3)], analyses)
    with pytest.raises(ValueError, match="no analysis file for cnn_a seed 1"):
        experiment_summaries([hand_score("cnn_a", 1, 3.1, 3.3)], analyses)


# --------------------------------------------------------------------------------------------
# The sample's note


SAMPLE_SPLITS = {
    "weight_scheme": "per_class",
    "splits": {"public": {"events": 582}, "private": {"events": 2620}},
}


def test_the_sample_gets_a_not_comparable_note() -> None:
    note = dataset_note("sample", SAMPLE_SPLITS)
    assert note is not None
    assert "8,004-event sample" in note
    assert "582 public, 2620 private" in note
    assert "about 172 times fewer" in note  # 550000 / 3202
    assert "NOT comparable" in note


def test_full_data_gets_no_note_but_any_pseudo_test_set_does() -> None:
    assert dataset_note("higgsml", {"weight_scheme": "kaggle"}) is None
    note = dataset_note("kaggle_training", {"weight_scheme": "per_class", "splits": {}})
    assert note is not None
    assert "'kaggle_training'" in note
    assert "pseudo test set" in note


# --------------------------------------------------------------------------------------------
# Bootstrap of the test-scanned maximum


def test_bootstrap_of_the_maximum_matches_brute_force() -> None:
    frame = predictions(1)
    part = frame[frame["subset"] == "public"]
    scores = part["score"].to_numpy()
    labels = part["label"].to_numpy()
    weights = part["weight"].to_numpy()
    result = bootstrap_max_ams(scores, labels, weights, b_reg=10.0, n_resamples=25, seed=3)
    # The same draws, resampled explicitly and scanned by max_ams event list by event list.
    draws = np.random.default_rng(3).integers(0, scores.size, size=(25, scores.size))
    brute = np.array([max_ams(scores[d], labels[d], weights[d], b_reg=10.0)[0] for d in draws])
    assert (result.point, result.cut) == max_ams(scores, labels, weights, b_reg=10.0)
    assert result.mean == pytest.approx(float(brute.mean()), rel=1e-12)
    assert result.std == pytest.approx(float(brute.std(ddof=1)), rel=1e-10)
    level, lower, upper = result.intervals[0]
    assert level == ONE_SIGMA
    assert lower == pytest.approx(float(np.quantile(brute, (1 - ONE_SIGMA) / 2)), rel=1e-12)
    assert upper == pytest.approx(float(np.quantile(brute, (1 + ONE_SIGMA) / 2)), rel=1e-12)
    assert lower < result.point < upper


def test_bootstrap_of_the_maximum_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match="n_resamples"):
        bootstrap_max_ams([0.1, 0.9], [0, 1], [1.0, 1.0], n_resamples=1)
    with pytest.raises(ValueError, match="levels"):
        bootstrap_max_ams([0.1, 0.9], [0, 1], [1.0, 1.0], levels=[1.5])


# --------------------------------------------------------------------------------------------
# Tables from real analyses of synthetic predictions


@pytest.fixture(scope="module")
def one_run() -> tuple[pd.DataFrame, dict[str, Any], dict[str, Any]]:
    frame = predictions(0)
    analysis = analysis_record(frame, "cnn_a", 0)
    return frame, analysis, run_intervals(frame, analysis)


def test_intervals_agree_with_the_analysis_points(
    one_run: tuple[pd.DataFrame, dict[str, Any], dict[str, Any]],
) -> None:
    _, analysis, intervals = one_run
    validation, fixed = analysis["double_luminosity"]["at_cuts"]
    for entry, names in ((validation, ("merged", "normalised")),
                         (fixed, ("public", "private", "merged", "normalised"))):  # fmt: skip
        boot = intervals["double_luminosity"][entry["name"]]
        assert boot["cut"] == entry["cut"]
        assert set(boot) == {"cut", *names}  # public/private at the validation cut: analysis's
        for name in names:
            assert boot[name]["point"] == pytest.approx(entry[f"{name}_ams"], rel=1e-12)
    for subset in ("public", "private"):
        whole = analysis["test_optimisation"][subset]
        assert intervals["test_optimisation"][subset]["point"] == pytest.approx(whole["whole_ams"])
        assert intervals["test_optimisation"][subset]["n_resamples"] == N_BOOT


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


# --------------------------------------------------------------------------------------------
# Markdown to HTML


def test_markdown_to_html_renders_tables_and_escapes() -> None:
    page = markdown_to_html(
        "# Title <x>\n\nA **bold** and *italic* `code` line\ncontinued.\n\n"
        "| a | b |\n|---|---|\n| 1 < 2 | 3.0 ± 0.1 |\n\n- item one\n- item two\n",
        title="T & T",
    )
    assert "<title>T &amp; T</title>" in page
    assert "<h1>Title &lt;x&gt;</h1>" in page
    assert (
        "<p>A <strong>bold</strong> and <em>italic</em> <code>code</code> line continued.</p>"
        in page
    )
    assert "<tr><th>a</th><th>b</th></tr>" in page
    assert "<tr><td>1 &lt; 2</td><td>3.0 ± 0.1</td></tr>" in page
    assert "<ul>\n<li>item one</li>\n<li>item two</li>\n</ul>" in page
    assert '<meta charset="utf-8">' in page


# --------------------------------------------------------------------------------------------
# The step functions on files


def test_write_verdict_on_files(tmp_path: Path) -> None:
    runs = [("cnn_a", 0), ("gbt", 0)]
    score_paths, analysis_paths, interval_paths = [], [], []
    for n, (experiment, seed) in enumerate(runs):
        frame = predictions(20 + n)
        run_dir = tmp_path / experiment
        write_table(run_dir / "predictions.parquet", frame)
        write_json(run_dir / "score.json", score_record(frame, experiment, seed))
        write_json(run_dir / "analysis.json", analysis_record(frame, experiment, seed))
        bootstrap_run(run_dir / "predictions.parquet", run_dir / "analysis.json",
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
    )  # fmt: skip
    assert out["verdict.md"].read_text() == page
    assert "**Verdict.** " in page
    assert "NOT comparable" in page
    for heading in ("## 1. Claim", "### 2a.", "### 2b.", "### 2c.", "## 3.", "## 4."):
        assert heading in page
    score = json.loads(score_paths[0].read_text())
    boot = json.loads(analysis_paths[0].read_text())["bootstrap"]["private"]["intervals"][0]
    half = (boot["upper"] - boot["lower"]) / 2
    assert "| this run | cnn_a (cnn) | " in page
    assert f"{score['private_ams']:.3f} ± {half:.3f}" in page
    verdict = pd.read_csv(out["verdict.csv"])
    ours = verdict[verdict["source"] == "this run"].set_index("result")
    assert ours.loc["cnn_a (cnn)", "private"] == pytest.approx(score["private_ams"])
    assert ours.loc["cnn_a (cnn)", "private_unc"] == pytest.approx(half)
    assert BOOTSTRAP_UNC in ours.loc["cnn_a (cnn)", "note"]
    html_page = out["verdict.html"].read_text()
    assert html_page.count("<table>") == 6  # verdict, 2a, 2b, 2c, intervals, runs
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
        monkeypatch.setattr(f"supertml.reporting.report.{name}", record(name))
    frame = predictions(5)
    write_table(tmp_path / "predictions.parquet", frame)
    score = score_record(frame, "cnn_a", 0)
    write_json(tmp_path / "score.json", score)
    plot_run_figures(tmp_path / "predictions.parquet", tmp_path / "score.json", b_reg=10.0,
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
    plot_fold_figure(paths, output=tmp_path / "f.png", title="folds")
    pooled = calls["plot_fold_distributions"][0][0]
    expected = [v for r in records for v in r["test_optimisation"]["private"]["ams"]["values"]]
    assert pooled["cnn_a"]["test_optimisation"]["private"] == expected  # seed 0 first
    assert len(pooled["cnn_a"]["test_size"]["public"]) == 2 * N_FOLDS

    plot_training_runs(["cnn_a/seed_0"], [tmp_path / "m.csv"], output=tmp_path / "t.png",
                       title="curves")  # fmt: skip
    assert calls["plot_training_curves"][0][0] == {"cnn_a/seed_0": tmp_path / "m.csv"}
    with pytest.raises(ValueError, match="1 labels for 2 metrics files"):
        plot_training_runs(["x"], [tmp_path / "m.csv"] * 2, output=tmp_path / "u.png",
                           title="curves")  # fmt: skip
    with pytest.raises(ValueError, match="given twice"):
        plot_fold_figure([paths[0], paths[0]], output=tmp_path / "g.png", title="folds")
