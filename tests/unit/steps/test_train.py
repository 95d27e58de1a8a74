"""The steps of train.smk: a config experiment trained and scored on the sample's caches."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from supertml.metrics import read_predictions
from supertml.steps.train import fetch_weights, predict_model, train_model
from supertml.training.backbone import PretrainedWeightsError
from tests.unit.steps.chain import run_data_and_images


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    root = tmp_path_factory.mktemp("chain")
    chain = run_data_and_images(root)
    checkpoint = train_model(
        chain["experiment"], seed=2, b_reg=10.0, train_cache=chain["caches"]["train"],
        val_cache=chain["caches"]["val"], out_dir=root / "run", threads=1,
    )  # fmt: skip
    return chain, checkpoint


def test_train_model_takes_model_and_recipe_from_the_experiment(
    trained: tuple[dict[str, Any], Path],
) -> None:
    chain, checkpoint = trained
    settings = json.loads((checkpoint.parent / "train_config.json").read_text())["settings"]
    recipe = chain["experiment"]["recipe"]
    assert settings["architecture"] == "test_resnet"
    assert (settings["epochs"], settings["batch_size"], settings["seed"]) == (
        recipe["epochs"], recipe["batch_size"], 2)  # fmt: skip
    assert settings["b_reg"] == 10.0


def test_predict_model_scores_every_scored_event(
    trained: tuple[dict[str, Any], Path], tmp_path: Path
) -> None:
    chain, checkpoint = trained
    output = tmp_path / "predictions.parquet"
    predict_model(checkpoint, chain["scored"], output=output, threads=1)
    frame = read_predictions(output)
    sizes = {s: chain["summary"]["splits"][s]["events"] for s in ("val", "public", "private")}
    assert frame.groupby("subset").size().to_dict() == sizes
    assert frame["score"].between(0, 1).all()


def test_fetch_weights_offline_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from supertml.training import weights  # noqa: PLC0415

    monkeypatch.setattr(weights, "weights_host", lambda architecture: ("127.0.0.1:9", False))
    target = tmp_path / "resources/weights/resnet34.safetensors"
    with pytest.raises(PretrainedWeightsError, match=str(target)):
        fetch_weights("resnet34", target)
