"""The grid of a config: its runs, their files, every name resolved."""

from __future__ import annotations

from typing import Any

import pytest

from supertml.config import validate_config
from supertml.errors import ConfigError
from supertml.grid import IMAGE_KIND, Grid


@pytest.fixture
def grid() -> Grid:
    config: dict[str, Any] = {
        "dataset": {"name": "demo", "path": "events.csv"},
        "seeds": [0, 3],
        "encodings": {
            "p56": {"kind": "pixels", "size": 56},
            "t224": {"kind": "text", "size": 224},
        },
        "models": {
            "scratch": {"architecture": "resnet18"},
            "imagenet": {"architecture": "resnet34.tv_in1k", "pretrained": True},
            "local": {"architecture": "resnet34", "pretrained": True, "weights_file": "w.pth"},
        },
        "recipes": {"r": {"epochs": 1}},
        "experiments": {
            "a": {"encoding": "p56", "model": "scratch", "recipe": "r", "study_row": "7",
                  "scoring": {"min_pred": 0.75}},
            "b": {"encoding": "t224", "ordering": "table", "model": "imagenet", "recipe": "r"},
        },
        "scoring": {"min_pred": 0.8},
        "baselines": {"gbt": {"kind": "gradient_boosted_trees", "scoring": {"top_perc": 5}}},
        "tables": {
            "iris": {"spec": {"source": "iris"}, "encoding": "t224", "model": "scratch",
                     "recipe": "r", "seeds": [5]},
        },
        "apply": {
            "kaggle": {"events": "test.csv.gz", "runs": ["b", "gbt"]},
            "own": {"events": "test_split", "runs": ["a"]},
        },
    }  # fmt: skip
    return Grid(validate_config(config))


def test_runs_and_their_files(grid: Grid) -> None:
    assert grid.runs == ["a", "b", "gbt"]
    assert grid.run_files("scores")[:3] == [
        "results/demo/scores/a/seed_0.json",
        "results/demo/scores/a/seed_3.json",
        "results/demo/scores/b/seed_0.json",
    ]
    assert len(grid.run_files("analyses")) == 6
    assert grid.metrics_files() == [
        f"results/demo/runs/{e}/seed_{s}/metrics.csv" for e in "ab" for s in (0, 3)
    ]
    assert grid.run_labels(cnn_only=True) == ["a/seed_0", "a/seed_3", "b/seed_0", "b/seed_3"]
    final = grid.final_files()
    assert final[:2] == ["results/demo/summary.md", "results/demo/summary.csv"]
    assert "results/demo/figures/gbt/seed_3/ams_vs_cut.png" in final
    assert "results/demo/tables/iris/images/examples.png" in final
    assert len(final) == len(set(final))


def test_experiments_resolve_every_name(grid: Grid) -> None:
    a = grid.experiment("a")
    assert (a["encoding"]["size"], a["model"]["architecture"], a["recipe"]["epochs"]) == (
        56, "resnet18", 1)  # fmt: skip
    assert (a["preprocessing"], a["ordering"]) == ("standard", "table")
    # Pretrained without a file: the fetched weights; with one: that file.
    assert (
        grid.model("imagenet")["weights_file"] == "resources/weights/resnet34.tv_in1k.safetensors"
    )
    assert grid.model("local")["weights_file"] == "w.pth"
    assert grid.training_weights("b") == ["resources/weights/resnet34.tv_in1k.safetensors"]
    assert grid.training_weights("a") == []
    assert grid.fetched_architectures() == ["resnet34.tv_in1k"]
    assert grid.training_images("a") == {
        "train": "results/demo/images/standard/p56/table/train.h5",
        "val": "results/demo/images/standard/p56/table/val.h5",
    }
    assert list(grid.scored_images("b")) == ["val", "public", "private"]
    assert grid.study_rows() == {"a": "7"}


def test_encoders_read_what_they_draw(grid: Grid) -> None:
    assert (
        grid.encoder_input("standard", "p56", "val") == "results/demo/prepared/standard/val.parquet"
    )
    assert grid.encoder_input("standard", "t224", "val") == (
        "results/demo/prepared/standard/physical/val.parquet"
    )


def test_identity_of_cnn_runs_and_baselines(grid: Grid) -> None:
    assert grid.identity("a", 3) == {
        "experiment": "a", "kind": IMAGE_KIND, "seed": 3, "encoding": "p56/table",
        "model": "resnet18", "recipe": "r",
    }  # fmt: skip
    assert grid.identity("gbt", 0)["kind"] == grid.identity("gbt", 0)["model"]
    assert grid.identity("gbt", 0)["encoding"] == "-"


def test_tables_and_their_shuffled_controls(grid: Grid) -> None:
    assert grid.table_seeds("iris") == [5]
    assert (
        grid.table_training_images("iris", "cnn", 5) == "results/demo/tables/iris/images/train.h5"
    )
    assert grid.table_training_images("iris", "cnn_shuffled", 5).endswith(
        "train_shuffled/seed_5.h5"
    )
    assert grid.table_accuracy_files() == [
        "results/demo/tables/iris/cnn/seed_5/accuracy.json",
        "results/demo/tables/iris/cnn_shuffled/seed_5/accuracy.json",
    ]
    assert grid.per_table("split.json") == ["results/demo/tables/iris/split.json"]


def test_a_runs_own_cut_settings_go_over_the_top_level_ones(grid: Grid) -> None:
    assert grid.scoring("a") == {"top_perc": 10, "min_pred": 0.75, "b_reg": 10}
    assert grid.scoring("b") == {"top_perc": 10, "min_pred": 0.8, "b_reg": 10}
    assert grid.scoring("gbt") == {"top_perc": 5, "min_pred": 0.8, "b_reg": 10}
    # What the baseline's fit reads leaves the cut settings out: changing them refits nothing.
    assert "scoring" not in grid.baseline("gbt")
    assert grid.baseline("gbt")["kind"] == "gradient_boosted_trees"


def test_b_r_is_not_a_per_run_setting() -> None:
    config: dict[str, Any] = {
        "dataset": {"name": "demo", "path": "events.csv"},
        "encodings": {"p56": {"kind": "pixels", "size": 56}},
        "models": {"m": {"architecture": "resnet18"}},
        "recipes": {"r": {"epochs": 1}},
        "experiments": {
            "a": {"encoding": "p56", "model": "m", "recipe": "r", "scoring": {"b_reg": 0}}
        },
    }
    with pytest.raises(ConfigError, match=r"experiments\.a\.scoring.*'b_reg' was unexpected"):
        validate_config(config)


def test_each_application_asks_for_a_score_and_a_submission_per_run_and_seed(grid: Grid) -> None:
    applied = [path for path in grid.final_files() if "/applied/" in path]
    assert applied == grid.applied_files()
    assert applied[:2] == [
        "results/demo/applied/kaggle/scores/b/seed_0.json",
        "results/demo/applied/kaggle/submissions/b/seed_0.csv",
    ]
    assert len(applied) == 2 * (2 + 1) * 2  # (score, submission) x runs x seeds
    assert grid.applied_source("kaggle") == "test.csv.gz"
    assert grid.applied_source("own") == "results/demo/applied/test_split.csv.gz"


def test_an_applied_run_reads_its_own_preprocessing_ordering_and_model(grid: Grid) -> None:
    text = grid.applied_inputs("kaggle", "b", 3)
    assert text == {
        "features": "results/demo/prepared/standard/features.json",
        "values": "results/demo/applied/kaggle/prepared/standard/physical.parquet",
        "model": "results/demo/runs/b/seed_3/model.ckpt",
        "ordering": "results/demo/orderings/standard/table.json",
    }
    assert grid.applied_inputs("own", "a", 0)["values"].endswith("standard/scaled.parquet")
    assert grid.applied_inputs("kaggle", "gbt", 0) == {
        "features": "results/demo/prepared/standard/features.json",
        "values": "results/demo/applied/kaggle/prepared/standard/scaled.parquet",
        "model": "results/demo/runs/gbt/seed_0/model.joblib",
    }
