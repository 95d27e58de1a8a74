"""The small tables' workflow steps: split, images, shuffled labels, CNN, baselines, summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from supertml.config import ENCODING_DEFAULTS
from supertml.encoding import read_image_cache
from supertml.encoding.registry import make_encoder
from supertml.errors import DataValidationError
from supertml.steps.tables import (
    encode_table_images,
    fit_table_baselines,
    read_table_splits,
    shuffle_table_labels,
    split_table,
    summarise_tables,
    table_encoding,
    train_table_model,
)
from supertml.tables import TableSpec, load_table, scaled_values, text_values
from tests.unit.tables.conftest import WriteLines

TEXT: dict[str, Any] = {**ENCODING_DEFAULTS["text"], "kind": "text", "size": 32, "font_size": 7}
TEXT["decimals"] = 1


def _split(root: Path, spec: dict[str, Any], name: str) -> dict[str, Path]:
    paths = {key: root / f"{key}.{ext}" for key, ext in
             (("train", "parquet"), ("test", "parquet"), ("summary", "json"))}  # fmt: skip
    split_table(
        spec,
        name=name,
        train_output=paths["train"],
        test_output=paths["test"],
        summary_output=paths["summary"],
    )
    return paths


def _encode(root: Path, split: dict[str, Path], encoding: dict[str, Any]) -> dict[str, Path]:
    paths = {"train": root / "train.h5", "val": root / "val.h5", "examples": root / "ex.png"}
    encode_table_images(
        split["train"],
        split["test"],
        split["summary"],
        encoding,
        train_output=paths["train"],
        val_output=paths["val"],
        examples_output=paths["examples"],
        provenance={"table": "t"},
    )
    return paths


@pytest.fixture(scope="module")
def iris(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("iris")
    split = _split(root, {"source": "iris"}, "iris")
    return {**split, **{f"{k}_images": v for k, v in _encode(root, split, TEXT).items()}}


def test_split_files_give_back_the_loaded_table(iris: dict[str, Path]) -> None:
    expected = load_table(TableSpec(name="iris", source="iris"))
    got = read_table_splits(iris["train"], iris["test"], iris["summary"])
    pd.testing.assert_frame_equal(got.train, expected.train)
    pd.testing.assert_frame_equal(got.test, expected.test)
    np.testing.assert_array_equal(got.test_labels, expected.test_labels)
    np.testing.assert_array_equal(got.train_ids, expected.train_ids)
    assert got.classes == ("setosa", "versicolor", "virginica")
    summary = json.loads(iris["summary"].read_text())
    assert (summary["n_train"], summary["n_test"], summary["source"]) == (120, 30, "iris")


def test_feature_named_like_an_added_column_is_refused(
    tmp_path: Path, write_lines: WriteLines
) -> None:
    path = write_lines("t.csv", ["label,y", "1,a", "2,b", "3,a", "4,b", "5,a", "6,b"])
    spec = {"source": "csv", "path": str(path), "target": "y", "test_fraction": 0.34}
    with pytest.raises(DataValidationError, match=r"\['label'\] clash") as info:
        _split(tmp_path, spec, "t")
    assert str(path) in str(info.value)


def test_test_rows_become_the_val_subset_with_class_codes(iris: dict[str, Path]) -> None:
    splits = read_table_splits(iris["train"], iris["test"], iris["summary"])
    val = read_image_cache(iris["val_images"])
    train = read_image_cache(iris["train_images"])
    assert (len(train), len(val), val.num_classes) == (120, 30, 3)
    assert set(val.subset) == {"val"}
    assert set(train.subset) == {"train"}
    np.testing.assert_array_equal(val.label, splits.test_labels)
    np.testing.assert_array_equal(val.event_id, splits.test_ids)
    np.testing.assert_array_equal(val.weight, np.ones(30))
    encoder = make_encoder(table_encoding(TEXT), splits.features)
    np.testing.assert_array_equal(val.images, encoder.encode(text_values(splits.test)))
    assert val.attrs["table_rows"] == "test"
    assert val.encoding["undefined_text"] == "nan"
    assert iris["examples_images"].stat().st_size > 0


def test_missing_values_print_nan_and_pixels_read_scaled_values(
    tmp_path: Path, adult_like: dict[str, Any]
) -> None:
    split = _split(tmp_path, adult_like, "adult")
    splits = read_table_splits(split["train"], split["test"], split["summary"])
    assert splits.train.isna().to_numpy().any()  # the fixture has missing cells
    text = read_image_cache(_encode(tmp_path / "text", split, TEXT)["train"])
    nan_encoder = make_encoder({**TEXT, "undefined_text": "nan"}, splits.features)
    zero_encoder = make_encoder(TEXT, splits.features)
    values = text_values(splits.train)
    np.testing.assert_array_equal(text.images, nan_encoder.encode(values))
    assert not np.array_equal(text.images, zero_encoder.encode(values))

    pixels = {"kind": "pixels", "size": 12, "layout": "squares"}
    pixel_cache = read_image_cache(_encode(tmp_path / "pixels", split, pixels)["val"])
    _, _, test_scaled = scaled_values(splits)
    expected = make_encoder(pixels, splits.features).encode(test_scaled)
    np.testing.assert_array_equal(pixel_cache.images, expected)
    assert pixel_cache.num_classes == 2
    assert pixel_cache.attrs["values"] == "scaled"


def test_shuffled_copy_keeps_images_and_class_shares(iris: dict[str, Path], tmp_path: Path) -> None:
    shuffle_table_labels(iris["train_images"], seed=4, output=tmp_path / "s4.h5")
    shuffle_table_labels(iris["train_images"], seed=5, output=tmp_path / "s5.h5")
    original = read_image_cache(iris["train_images"])
    shuffled = read_image_cache(tmp_path / "s4.h5")
    np.testing.assert_array_equal(shuffled.images, original.images)
    np.testing.assert_array_equal(
        shuffled.label, np.random.default_rng(4).permutation(original.label)
    )
    np.testing.assert_array_equal(np.bincount(shuffled.label), np.bincount(original.label))
    assert not np.array_equal(shuffled.label, original.label)
    assert not np.array_equal(read_image_cache(tmp_path / "s5.h5").label, shuffled.label)
    assert shuffled.attrs["shuffled_labels_seed"] == 4
    assert shuffled.attrs["table"] == "t"  # provenance travels on
    assert shuffled.num_classes == 3


def test_baselines_for_every_seed_model_and_labelling(
    iris: dict[str, Path], tmp_path: Path
) -> None:
    output = tmp_path / "baselines.json"
    fit_table_baselines(
        iris["train"], iris["test"], iris["summary"], models=["random_forest"], seeds=[0, 1],
        output=output,
    )  # fmt: skip
    payload = json.loads(output.read_text())
    assert payload["table"] == "iris"
    keys = [(r["seed"], r["model"], r["shuffled_labels"]) for r in payload["results"]]
    assert keys == [
        (0, "random_forest", False), (0, "random_forest", True),
        (1, "random_forest", False), (1, "random_forest", True),
    ]  # fmt: skip
    true = [r["accuracy"] for r in payload["results"] if not r["shuffled_labels"]]
    assert min(true) > 0.85
    with pytest.raises(ValueError, match=r"unknown baseline models \['xgboost'\]"):
        fit_table_baselines(
            iris["train"], iris["test"], iris["summary"], models=["xgboost"], seeds=[0],
            output=output,
        )  # fmt: skip


def test_cnn_is_trained_scored_and_recorded(iris: dict[str, Path], tmp_path: Path) -> None:
    model = {"architecture": "test_resnet", "pretrained": False}
    recipe = {"kind": "single_stage", "epochs": 1, "batch_size": 32, "learning_rate": 0.01}
    out = tmp_path / "cnn" / "seed_3"
    accuracy = train_table_model(
        model, recipe, table="iris", variant="cnn", seed=3, summary_path=iris["summary"],
        train_cache=iris["train_images"], val_cache=iris["val_images"], out_dir=out,
        predictions_output=out / "predictions.parquet", accuracy_output=out / "accuracy.json",
    )  # fmt: skip
    record = json.loads((out / "accuracy.json").read_text())
    predictions = pd.read_parquet(out / "predictions.parquet")
    assert list(predictions.columns) == [
        "row_id", "label", "predicted", "p_setosa", "p_versicolor", "p_virginica",
    ]  # fmt: skip
    correct = predictions["label"] == predictions["predicted"]
    assert record["accuracy"] == accuracy == correct.mean()
    assert record | {"accuracy": 0} == {
        "table": "iris", "model": "cnn", "shuffled_labels": False, "seed": 3, "accuracy": 0,
        "chance": pytest.approx(1 / 3), "n_train": 120, "n_test": 30, "n_classes": 3,
        "architecture": "test_resnet", "epochs": 1,
    }  # fmt: skip
    assert json.loads((out / "train_config.json").read_text())["settings"]["num_classes"] == 3


def test_a_recipe_choosing_its_epoch_on_the_test_rows_is_refused(
    iris: dict[str, Path], tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="monitor must be 'last', not 'val_loss'"):
        train_table_model(
            {"architecture": "test_resnet"}, {"monitor": "val_loss"}, table="iris",
            variant="cnn", seed=0, summary_path=iris["summary"],
            train_cache=iris["train_images"], val_cache=iris["val_images"],
            out_dir=tmp_path, predictions_output=tmp_path / "p.parquet",
            accuracy_output=tmp_path / "a.json",
        )  # fmt: skip
    assert not (tmp_path / "a.json").exists()


def test_summary_sets_this_run_beside_paper_and_study(
    iris: dict[str, Path], tmp_path: Path
) -> None:
    records = [
        {"table": "iris", "model": "cnn", "shuffled_labels": False, "seed": s, "accuracy": a}
        for s, a in ((0, 0.9), (1, 1.0))
    ]
    accuracy_files = []
    for i, record in enumerate(records):
        accuracy_files.append(tmp_path / f"a{i}.json")
        accuracy_files[-1].write_text(json.dumps(record))
    baselines = tmp_path / "b.json"
    fit_table_baselines(iris["train"], iris["test"], iris["summary"], seeds=[0], output=baselines)
    frame = summarise_tables(
        {"iris": "iris"},
        summaries={"iris": iris["summary"]},
        accuracies=accuracy_files,
        baselines=[baselines],
        csv_output=tmp_path / "s.csv",
        markdown_output=tmp_path / "s.md",
    )
    cnn = frame.set_index("method").loc["cnn"]
    assert cnn["accuracy_mean"] == pytest.approx(0.95)
    assert cnn["paper"] == pytest.approx(0.9333)
    assert cnn["study"] == pytest.approx(0.967)
    assert set(frame["method"]) == {
        "cnn", "cnn_shuffled", "random_forest", "random_forest_shuffled", "gbt", "gbt_shuffled",
    }  # fmt: skip
    written = pd.read_csv(tmp_path / "s.csv")
    assert list(written.columns) == list(frame.columns)
    np.testing.assert_allclose(written["accuracy_mean"], frame["accuracy_mean"])
    markdown = (tmp_path / "s.md").read_text()
    assert "| iris | CNN on text images (SuperTML) | 93.3 % (SuperTML) |" in markdown
    assert "95.0 % ± 7.1 (2 seeds)" in markdown
