"""Training and prediction end to end on tiny caches, on CPU."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from supertml.encoding import read_image_cache
from supertml.metrics import validate_predictions
from supertml.training import TrainSettings, predict_caches, train_classifier
from supertml.training.data import ImageCacheDataModule

SETTINGS = TrainSettings(
    architecture="test_resnet", epochs=2, batch_size=32, learning_rate=0.01, seed=3
)


def run(tmp: Path, caches: dict[str, Path], settings: TrainSettings = SETTINGS) -> pd.DataFrame:
    checkpoint = train_classifier(
        settings, train_cache=caches["train"], val_cache=caches["val"], out_dir=tmp
    )
    scored = {k: caches[k] for k in ("val", "public", "private")}
    return predict_caches(checkpoint, scored)


@pytest.fixture(scope="module")
def first_run(
    caches: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, pd.DataFrame]:
    out = tmp_path_factory.mktemp("run")
    return out, run(out, caches)


def test_outputs_are_written(first_run: tuple[Path, pd.DataFrame]) -> None:
    out, _ = first_run
    assert (out / "model.ckpt").stat().st_size > 0
    # The per-epoch resume checkpoint is removed once the run is complete.
    assert not (out / "checkpoints").exists()
    config = json.loads((out / "train_config.json").read_text())
    assert config["settings"]["architecture"] == "test_resnet"
    assert config["precision"] == "32-true"
    with (out / "metrics.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["epoch"]) for r in rows] == [0, 1]
    assert list(rows[0]) == [
        "epoch",
        "stage",
        "train_loss",
        "val_loss",
        "val_error",
        "val_auc",
        "val_ams_max",
        "lr",
    ]
    assert [r["stage"] for r in rows] == ["all_layers", "all_layers"]
    assert all(np.isfinite(float(r[k])) for r in rows for k in rows[0] if k != "stage")
    # monitor "last": the final epoch is the model.
    assert config["selected_epoch"] == 1
    assert config["learning_rate_used"] == SETTINGS.learning_rate
    # What produced it: torch was imported, so the device is asked of it (a CPU here).
    provenance = config["provenance"]
    assert provenance["libraries"]["torch"] == torch.__version__.split("+")[0]
    assert provenance["device"].startswith("CPU")
    assert provenance["cuda"] == torch.version.cuda


def test_predictions_follow_the_contract(
    first_run: tuple[Path, pd.DataFrame], caches: dict[str, Path]
) -> None:
    _, predictions = first_run
    validate_predictions(predictions, "in-memory")
    assert predictions.groupby("subset").size().to_dict() == {
        "val": 48,
        "public": 32,
        "private": 40,
    }
    assert predictions["score"].between(0, 1).all()


def test_model_learns_the_synthetic_pattern(first_run: tuple[Path, pd.DataFrame]) -> None:
    _, predictions = first_run
    val = predictions[predictions["subset"] == "val"]
    signal = val.loc[val["label"] == 1, "score"].mean()
    background = val.loc[val["label"] == 0, "score"].mean()
    assert signal > background + 0.2


def test_training_is_deterministic_on_cpu(
    first_run: tuple[Path, pd.DataFrame], caches: dict[str, Path], tmp_path: Path
) -> None:
    again = run(tmp_path, caches)
    pd.testing.assert_frame_equal(again, first_run[1])


def test_seed_changes_the_result(
    first_run: tuple[Path, pd.DataFrame], caches: dict[str, Path], tmp_path: Path
) -> None:
    other = run(tmp_path, caches, TrainSettings(**{**SETTINGS.__dict__, "seed": 4}))
    assert not np.allclose(other["score"], first_run[1]["score"])


def test_data_module_batches_are_gathers_of_the_cache(caches: dict[str, Path]) -> None:
    data = ImageCacheDataModule(caches["train"], caches["val"], batch_size=32, seed=1, device="cpu")
    data.setup("fit")
    cache = read_image_cache(caches["train"])
    loader = data.train_dataloader()
    loader.sampler.set_epoch(4)  # type: ignore[attr-defined]
    batches = list(loader)
    assert len(batches) == 3  # 96 events, drop_last
    seen = []
    for images, labels, weights in batches:
        # Each image is found in the cache with its own label; unweighted loss (the study's).
        index = [
            int(np.flatnonzero((cache.images == im.numpy()).all(axis=(1, 2)))[0]) for im in images
        ]
        seen += index
        np.testing.assert_array_equal(labels.numpy(), cache.label[index])
        np.testing.assert_array_equal(weights.numpy(), np.ones(len(index), np.float32))
    assert sorted(seen) == list(range(96))
    assert seen != list(range(96))  # shuffled
    val = list(data.val_dataloader())
    assert len(val) == 1
    val_cache = read_image_cache(caches["val"])
    np.testing.assert_array_equal(val[0][0].numpy(), val_cache.images)
    # Validation batches carry the physics weights, for the AMS.
    np.testing.assert_array_equal(val[0][2].numpy(), val_cache.weight.astype(np.float32))
