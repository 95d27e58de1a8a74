"""torch.compile as a recipe option: same checkpoint layout, same scores as eager."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from supertml.training import TrainSettings, predict_caches, train_classifier
from supertml.training.model import ImageClassifier, compile_mode


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


@pytest.mark.parametrize(
    ("setting", "mode"),
    [(False, None), (True, "default"), ("reduce-overhead", "reduce-overhead")],
)
def test_compile_settings_name_a_mode(setting: bool | str, mode: str | None) -> None:
    assert compile_mode(setting) == mode


def test_an_unknown_mode_fails_when_the_model_is_built() -> None:
    with pytest.raises(ValueError, match="unknown compile mode 'fastest'"):
        ImageClassifier("test_resnet", compile="fastest")


@pytest.mark.parametrize(("setting", "graphs"), [(True, False), ("reduce-overhead", True)])
def test_the_mode_reaches_torch_compile_and_graph_modes_mark_each_step(
    monkeypatch: pytest.MonkeyPatch, setting: bool | str, graphs: bool
) -> None:
    compiled: list[str | None] = []
    marks: list[bool] = []

    def fake_compile(module: torch.nn.Module, *, mode: str | None = None) -> torch.nn.Module:
        compiled.append(mode)
        return module

    monkeypatch.setattr(torch, "compile", fake_compile)
    monkeypatch.setattr(torch.compiler, "cudagraph_mark_step_begin", lambda: marks.append(True))
    model = ImageClassifier("test_resnet", compile=setting)
    model.mark_step()  # before compiling: never a mark
    model.prepare_for_device(compile_network=setting)
    model.mark_step()
    assert compiled == [compile_mode(setting)]
    assert marks == ([True] if graphs else [])
