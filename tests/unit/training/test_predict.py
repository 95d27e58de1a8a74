"""Scoring cached images: transfers, batches, the contract, and what it refuses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from supertml.metrics import validate_predictions
from supertml.training import TrainSettings, predict_caches, train_classifier
from supertml.training import predict as predict_module
from supertml.training.predict import cache_probabilities, inference_model, transfer_events
from tests.unit.training.conftest import SIZE, make_cache


@pytest.fixture(scope="module")
def checkpoint(caches: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings = TrainSettings(architecture="test_resnet", epochs=1, batch_size=32, seed=4)
    out = tmp_path_factory.mktemp("run")
    return train_classifier(settings, train_cache=caches["train"], val_cache=caches["val"],
                            out_dir=out)  # fmt: skip


def test_transfers_are_whole_batches_of_about_a_gigabyte() -> None:
    per = transfer_events(224 * 224, 128)
    assert per % 128 == 0
    assert per * 224 * 224 <= predict_module.CHUNK_BYTES < (per + 128) * 224 * 224
    assert transfer_events(10**10, 64) == 64  # one batch at least


def test_probabilities_do_not_depend_on_the_batch_size(checkpoint: Path) -> None:
    model = inference_model(checkpoint)
    images = np.random.default_rng(0).integers(0, 256, size=(50, SIZE, SIZE), dtype=np.uint8)
    generator = torch.Generator().manual_seed(0)
    by_7 = cache_probabilities(model, images, batch_size=7, generator=generator)
    by_50 = cache_probabilities(model, images, batch_size=50, generator=generator)
    np.testing.assert_allclose(by_7, by_50, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(by_7.sum(axis=1), 1.0, rtol=1e-6)
    empty = cache_probabilities(model, images[:0], batch_size=7, generator=generator)
    assert empty.shape == (0, 2)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        cache_probabilities(model, images, batch_size=0, generator=generator)


def test_predict_caches_follows_the_contract(checkpoint: Path, caches: dict[str, Path]) -> None:
    scored = {name: caches[name] for name in ("val", "public", "private")}
    frame = predict_caches(checkpoint, scored)
    validate_predictions(frame, checkpoint)
    assert frame.groupby("subset").size().to_dict() == {"private": 40, "public": 32, "val": 48}
    # The subset column comes from the mapping: a cache may be scored as another subset.
    renamed = predict_caches(checkpoint, {"val": caches["val"], "public": caches["public"],
                                          "private": caches["public"]})  # fmt: skip
    assert (renamed["subset"] == "private").sum() == 32


def test_a_multi_class_model_has_no_signal_probability(checkpoint: Path, tmp_path: Path) -> None:
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    state["hyper_parameters"]["num_classes"] = 3
    weights = state["state_dict"]
    for name in ("backbone.fc.weight", "backbone.fc.bias"):  # a 3-way output layer
        weights[name] = torch.zeros((3, *weights[name].shape[1:]))
    three = tmp_path / "three.ckpt"
    torch.save(state, three)
    cache = make_cache(tmp_path / "val.h5", "val", 8, 0)
    with pytest.raises(ValueError, match="3-class model has no p\\(signal\\)"):
        predict_caches(three, {"val": cache})
