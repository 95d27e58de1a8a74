"""The whole workflow on the bundled real sample with a tiny model, on CPU."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from supertml.cluster.devices import GPU_COUNT_ENV, LOCK_DIR_ENV
from supertml.cluster.plan import job_counts
from supertml.metrics import read_predictions
from supertml.reporting import SUMMARY_COLUMNS
from tests.workflow.helpers import REPO, run_snakemake, tiny_config

pytestmark = pytest.mark.workflow

SCORE_KEYS = {
    "cut", "val_ams_at_cut", "val_ams_max", "val_ams_max_cut",
    "public_ams", "private_ams", "public_ams_max", "private_ams_max",
}  # fmt: skip


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("e2e")
    # A pretended one-GPU workstation: GPU jobs claim device 0 (they still run on the CPU).
    gpus = {GPU_COUNT_ENV: "1", LOCK_DIR_ENV: str(workdir / "gpu-locks")}
    run_snakemake(workdir, tiny_config(), "--cores", "2", "--resources", "gpu=1", env=gpus)
    return workdir


def test_summary_has_a_row_per_run(finished_run: Path) -> None:
    summary = pd.read_csv(finished_run / "results/tiny/summary.csv")
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    assert sorted(summary["experiment"]) == ["gbt", "pixels12_tiny"]
    assert summary[["val_ams_max", "public_ams_max", "private_ams_max"]].gt(0).all().all()
    assert (finished_run / "results/tiny/summary.md").read_text().count("| pixels12_tiny") == 1


def test_summary_and_verdict_warn_that_the_samples_subsets_are_small(finished_run: Path) -> None:
    # The sample's val (961) and public (582) subsets are below the meaningful 1,000 events.
    for page in ("summary.md", "verdict.md"):
        text = (finished_run / "results/tiny" / page).read_text()
        assert (
            "Too few events to mean much: subsets of fewer than 1,000 events (val 961, "
            "public 582)" in text
        ), page


@pytest.mark.parametrize("experiment", ["pixels12_tiny", "gbt"])
def test_predictions_and_scores_follow_the_contract(finished_run: Path, experiment: str) -> None:
    run_dir = finished_run / "results/tiny/runs" / experiment / "seed_0"
    predictions = read_predictions(run_dir / "predictions.parquet")
    splits = json.loads((finished_run / "results/tiny/splits/summary.json").read_text())
    counts = predictions.groupby("subset").size().to_dict()
    assert counts == {s: splits["splits"][s]["events"] for s in ("val", "public", "private")}
    scores = json.loads(
        (finished_run / f"results/tiny/scores/{experiment}/seed_0.json").read_text()
    )
    assert set(scores) >= SCORE_KEYS
    assert scores["val_ams_max"] >= scores["val_ams_at_cut"]
    assert scores["public_ams_max"] >= scores["public_ams"]


def test_cnn_run_wrote_checkpoint_metrics_and_logs(finished_run: Path) -> None:
    run_dir = finished_run / "results/tiny/runs/pixels12_tiny/seed_0"
    assert (run_dir / "model.ckpt").stat().st_size > 0
    metrics = pd.read_csv(run_dir / "metrics.csv")
    assert list(metrics["epoch"]) == [0]
    root = finished_run / "results/tiny/logs"
    logs = list(root.rglob("*.log"))
    assert {log.relative_to(root).parts[0] for log in logs} >= {
        "split_events", "prepare_features", "encode_images", "train_model",
        "predict_model", "train_baseline", "score_predictions", "summarise_scores",
    }  # fmt: skip


def test_gpu_jobs_claimed_the_workstation_gpu(finished_run: Path) -> None:
    logs = finished_run / "results/tiny/logs"
    for rule in ("train_model", "predict_model"):
        (log,) = (logs / rule).rglob("*.log")
        assert "claimed GPU 0 (CUDA_VISIBLE_DEVICES=0)" in log.read_text(), rule
    (baseline_log,) = (logs / "train_baseline").rglob("*.log")
    assert "claimed GPU" not in baseline_log.read_text()


def test_editing_one_encoding_reruns_only_what_depends_on_it(finished_run: Path) -> None:
    config = tiny_config()
    config["encodings"]["pixels12"]["size"] = 18
    config_path = finished_run / "edited.yaml"
    config_path.write_text(yaml.safe_dump(config))
    result = run_snakemake(finished_run, config_path, "-n")
    counts = job_counts(result.stdout)
    assert counts.get("encode_images") == 4
    assert counts.get("train_model") == 1
    assert counts.get("plot_panel") == 1
    for untouched in ("split_events", "prepare_features", "order_features", "train_baseline"):
        assert untouched not in counts


def test_one_runs_cut_settings_rescore_it_without_retraining(finished_run: Path) -> None:
    config = tiny_config()
    config["experiments"]["pixels12_tiny"]["scoring"] = {"min_pred": 0.3}
    config_path = finished_run / "min_pred.yaml"
    config_path.write_text(yaml.safe_dump(config))
    result = run_snakemake(finished_run, config_path, "-n")
    counts = job_counts(result.stdout)
    # The CNN's scores and analyses only (one seed); the baseline and every model stay.
    assert counts.get("score_predictions") == 1
    assert counts.get("analyse_predictions") == 1
    for untouched in ("train_model", "predict_model", "train_baseline", "encode_images"):
        assert untouched not in counts


def test_nothing_to_do_after_a_finished_run(finished_run: Path) -> None:
    result = run_snakemake(finished_run, tiny_config(), "-n")
    assert "Nothing to be done" in result.stdout + result.stderr


def _params_triggered(output: str) -> set[str]:
    """Rules a dry run reruns because their params (the step's code version) changed."""
    match = re.search(r"params have changed since last execution:\n\s+(.+)", output)
    return set() if match is None else {name.strip() for name in match[1].split(",")}


def _changed_package(root: Path, module: str, old: str, new: str) -> dict[str, str]:
    """A copy of the package with one edit, first on the import path of the workflow."""
    shutil.copytree(REPO / "src/supertml", root / "supertml")
    path = root / "supertml" / module
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return {"PYTHONPATH": str(root)}


def test_a_library_change_reruns_exactly_the_steps_that_run_it(
    finished_run: Path, tmp_path: Path
) -> None:
    # The seed streams of the extra bootstrap intervals: code of bootstrap_analyses only.
    env = _changed_package(
        tmp_path / "code", "metrics/intervals.py", "INTERVAL_STREAMS: Final[int] = 100",
        "INTERVAL_STREAMS: Final[int] = 200",
    )  # fmt: skip
    result = run_snakemake(finished_run, tiny_config(), "-n", env=env)
    assert _params_triggered(result.stdout) == {"bootstrap_analyses"}
    counts = job_counts(result.stdout)
    assert counts["bootstrap_analyses"] == 2  # one per run
    assert "train_model" not in counts
    assert "analyse_predictions" not in counts  # same module folder, other code


def test_a_comment_or_docstring_change_reruns_nothing(finished_run: Path, tmp_path: Path) -> None:
    env = _changed_package(
        tmp_path / "docs", "metrics/intervals.py", '"""Bootstrap intervals of the AMS values',
        '# a comment\n"""Bootstrap intervals, reworded, of the AMS values',
    )  # fmt: skip
    result = run_snakemake(finished_run, tiny_config(), "-n", env=env)
    assert "Nothing to be done" in result.stdout + result.stderr


def test_the_worked_example_of_config_readme_adds_only_its_own_jobs(finished_run: Path) -> None:
    # The YAML snippet of config/README.md, with this test's model and recipe names.
    readme = (REPO / "config/README.md").read_text()
    snippet = yaml.safe_load(readme.split("```yaml\n", 1)[1].split("```", 1)[0])
    config = tiny_config()
    config["encodings"].update(snippet["encodings"])
    for experiment in snippet["experiments"].values():
        experiment.update(model="tiny", recipe="one_epoch")
    config["experiments"].update(snippet["experiments"])
    path = finished_run / "worked_example.yaml"
    path.write_text(yaml.safe_dump(config))
    counts = job_counts(run_snakemake(finished_run, path, "-n").stdout)
    per_run = ("train_model", "predict_model", "score_predictions", "analyse_predictions",
               "bootstrap_analyses", "plot_run", "plot_panel")  # fmt: skip
    gathering = ("summarise_scores", "plot_training_curves", "plot_fold_distributions",
                 "plot_efficiency", "write_verdict")  # fmt: skip
    assert counts == {
        "encode_images": 4,
        **dict.fromkeys(per_run, 1),
        **dict.fromkeys(gathering, 1),
    }
