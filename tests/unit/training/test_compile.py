"""torch.compile as a recipe option: same checkpoint layout, same scores as eager."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from supertml.training import TrainSettings, predict_caches, train_classifier


def test_compiled_training_saves_plain_weights_and_scores_like_eager(
    caches: dict[str, Path], tmp_path: Path
) -> None:
    settings = TrainSettings(
        architecture="test_resnet", epochs=1, batch_size=32, learning_rate=0.01, compile=True
    )
    checkpoint = train_classifier(
        settings, train_cache=caches["train"], val_cache=caches["val"], out_dir=tmp_path
    )
    keys = torch.load(checkpoint, map_location="cpu", weights_only=False)["state_dict"]
    assert keys
    assert not any("_compiled" in key or "_orig_mod" in key for key in keys)
    scored = {k: caches[k] for k in ("val", "public", "private")}
    eager = predict_caches(checkpoint, scored)
    compiled = predict_caches(checkpoint, scored, compile_network=True)
    np.testing.assert_allclose(compiled["score"], eager["score"], atol=1e-4)
