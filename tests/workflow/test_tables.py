"""The paper's small tables (Iris, Wine) through the real workflow, with a tiny CNN on CPU."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.datasets import load_iris

from supertml.cluster.plan import job_counts
from tests.workflow.helpers import REPO, run_snakemake, tiny_config

pytestmark = pytest.mark.workflow

SUMMARY = "results/tiny/tables_summary"


def write_messy_csv(directory: Path) -> dict[str, Any]:
    """Iris as a messy CSV pair, and the spec that reads it: no header, spaces after commas, a
    '?' for a missing value, a stray first line and labels spelled with a '.' in the test file.
    Every fifth row is a test row (30 of 150)."""
    data = load_iris()
    names = np.array(["Iris-setosa", "Iris-versicolor", "Iris-virginica"])[data.target]
    lines = [", ".join([*(f"{v:.1f}" for v in row), name]) for row, name in
             zip(data.data, names, strict=True)]  # fmt: skip
    lines[1] = "4.9, ?, 1.4, 0.2, Iris-setosa"  # a training row (row 1 is not a fifth)
    test = ["|1x3 Cross validator", *(f"{line}." for line in lines[::5])]
    train = [line for i, line in enumerate(lines) if i % 5]
    for name, rows in (("flowers.data", train), ("flowers.test", test)):
        path, text = directory / name, "\n".join([*rows, ""])
        # Rewriting an unchanged file would still make Snakemake rerun the table's split.
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    return {
        "source": "csv", "path": str(directory / "flowers.data"),
        "test_path": str(directory / "flowers.test"), "header": False,
        "columns": ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"],
        "test_skip_rows": 1, "target": "species",
        "label_map": {f"{name}.": name for name in sorted(set(names.tolist()))},
    }  # fmt: skip


def tables_config(directory: Path) -> dict[str, Any]:
    """The tiny config plus Iris, Wine and a CSV table, with the smallest images and model."""
    config = tiny_config()
    config["encodings"] |= {
        "text32": {"kind": "text", "size": 32, "font_size": 7, "decimals": 1},
        "text40": {"kind": "text", "size": 40, "font_size": 5, "decimals": 1},
    }
    config["recipes"]["table_tiny"] = {"epochs": 2, "batch_size": 32, "learning_rate": 0.01}
    config["tables"] = {
        "iris": {"spec": {"source": "iris"}, "encoding": "text32", "model": "tiny",
                 "recipe": "table_tiny"},
        # One CNN fewer: the shuffled control runs on Iris only.
        "wine": {"spec": {"source": "wine"}, "encoding": "text40", "model": "tiny",
                 "recipe": "table_tiny", "baselines": ["random_forest"],
                 "shuffled_control": False},
        "flowers": {"spec": write_messy_csv(directory), "encoding": "text32", "model": "tiny",
                    "recipe": "table_tiny", "baselines": ["gbt"], "shuffled_control": False},
    }  # fmt: skip
    return config


@pytest.fixture(scope="module")
def tables_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("tables")
    run_snakemake(
        workdir, tables_config(workdir), "--cores", "2", f"{SUMMARY}.md", f"{SUMMARY}.csv",
        "results/tiny/tables/iris/images/examples.png",
    )  # fmt: skip
    return workdir


def test_summary_compares_every_table_with_paper_and_study(tables_run: Path) -> None:
    summary = pd.read_csv(tables_run / f"{SUMMARY}.csv")
    methods = summary.groupby("table")["method"].apply(list).to_dict()
    assert methods["iris"] == [
        "cnn", "cnn_shuffled", "random_forest", "random_forest_shuffled", "gbt", "gbt_shuffled",
    ]  # fmt: skip
    # Wine: no CNN control and no boosted trees ran; the paper's xgboost still shows.
    assert methods["wine"] == ["cnn", "random_forest", "random_forest_shuffled", "gbt"]
    assert methods["flowers"] == ["cnn", "gbt", "gbt_shuffled"]  # no published numbers
    rows = summary.set_index(["table", "method"])
    assert rows.loc[("iris", "cnn"), "paper"] == pytest.approx(0.9333)
    assert rows.loc[("wine", "random_forest"), "study"] == pytest.approx(1.0)
    assert rows.loc[("wine", "gbt"), "n_seeds"] == 0
    assert rows.loc[("iris", "random_forest"), "accuracy_mean"] > 0.85
    assert rows.loc[("wine", "random_forest"), "accuracy_mean"] > 0.85
    assert (rows.loc["iris", "n_test"] == 30).all()
    markdown = (tables_run / f"{SUMMARY}.md").read_text()
    assert "| wine | CNN on text images (SuperTML) | 97.3 % (SuperTML) |" in markdown


def test_messy_csv_table_goes_the_same_path(tables_run: Path) -> None:
    table = tables_run / "results/tiny/tables/flowers"
    split = json.loads((table / "split.json").read_text())
    assert (split["n_train"], split["n_test"], split["missing_train"]) == (120, 30, 1)
    assert split["classes"] == ["Iris-setosa", "Iris-versicolor", "Iris-virginica"]
    predictions = pd.read_parquet(table / "cnn/seed_0/predictions.parquet")
    # Row ids are lines of the test file: after the stray first line, lines 2 to 31.
    assert predictions["row_id"].tolist() == list(range(2, 32))
    assert list(predictions.columns[-3:]) == [
        "p_Iris-setosa", "p_Iris-versicolor", "p_Iris-virginica",
    ]  # fmt: skip
    gbt = json.loads((table / "baselines.json").read_text())["results"][0]
    assert gbt["model"] == "gbt"
    assert gbt["accuracy"] > 0.85


def test_each_cnn_run_leaves_model_predictions_and_accuracy(tables_run: Path) -> None:
    tables = tables_run / "results/tiny/tables"
    for run in ("iris/cnn", "iris/cnn_shuffled", "wine/cnn", "flowers/cnn"):
        run_dir = tables / run / "seed_0"
        record = json.loads((run_dir / "accuracy.json").read_text())
        assert record["shuffled_labels"] == run.endswith("shuffled")
        assert record["n_classes"] == 3
        predictions = pd.read_parquet(run_dir / "predictions.parquet")
        assert len(predictions) == record["n_test"]
        assert record["accuracy"] == (predictions["label"] == predictions["predicted"]).mean()
        assert list(pd.read_csv(run_dir / "metrics.csv")["epoch"]) == [0, 1]
    assert not (tables / "wine/cnn_shuffled").exists()
    assert (tables / "iris/images/train_shuffled/seed_0.h5").exists()
    root = tables_run / "results/tiny/logs"
    logs = {log.relative_to(root).parts[0] for log in root.rglob("*.log")}
    assert logs == {
        "split_table", "encode_table_images", "shuffle_table_labels", "train_table_model",
        "fit_table_baselines", "summarise_tables",
    }  # fmt: skip


def test_editing_one_tables_encoding_reruns_only_that_table(tables_run: Path) -> None:
    config = tables_config(tables_run)
    config["encodings"]["text40"]["font_size"] = 4
    path = tables_run / "edited.yaml"
    path.write_text(yaml.safe_dump(config))
    counts = job_counts(run_snakemake(tables_run, path, "-n", f"{SUMMARY}.md").stdout)
    # Wine's images and CNN; its split, its baselines and the other tables stay.
    assert counts == {"encode_table_images": 1, "train_table_model": 1, "summarise_tables": 1}


def test_default_config_runs_iris_and_wine_with_controls(tmp_path: Path) -> None:
    (tmp_path / "resources").symlink_to(REPO / "resources")
    result = run_snakemake(tmp_path, REPO / "config" / "config.yaml", "-n")
    counts = job_counts(result.stdout)
    assert counts["split_table"] == 2
    assert counts["train_table_model"] == 4  # (iris, wine) x (true, shuffled labels)
    assert counts["summarise_tables"] == 1
    assert "results/sample/tables_summary.md" in result.stdout


def test_config_without_tables_has_no_table_jobs(tmp_path: Path) -> None:
    counts = job_counts(run_snakemake(tmp_path, tiny_config(), "-n").stdout)
    assert "split_table" not in counts
    assert "summarise_tables" not in counts


def test_recipe_choosing_an_epoch_on_the_test_rows_stops_the_run(tmp_path: Path) -> None:
    config = tables_config(tmp_path)
    config["recipes"]["table_tiny"]["monitor"] = "val_loss"
    result = run_snakemake(tmp_path, config, "-n", check=False)
    assert result.returncode != 0
    assert "tables.iris.recipe: 'table_tiny' keeps the best epoch" in result.stdout + result.stderr
