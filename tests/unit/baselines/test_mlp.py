"""The fully connected baseline: predictions contract, learning, determinism, ensembles."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import roc_auc_score

from supertml.baselines.mlp import (
    MlpSettings,
    build_mlp,
    class_balanced_weights,
    fit_mlp,
    member_seed,
)
from supertml.constants import FEATURES
from supertml.errors import ConfigError
from supertml.metrics import validate_predictions
from tests.unit.baselines.fits import predictions_and_info

SIZES = {"train": 2000, "val": 800, "public": 300, "private": 400}
# Small but enough to learn the synthetic signal: about 8 x 16 optimiser steps.
FAST = MlpSettings(width=32, epochs=8, batch_size=128, learning_rate=1e-2, seed=3)


def prepared_frames(seed: int = 0) -> dict[str, pd.DataFrame]:
    """Scaled-like frames: signal shifted in two features and in the sign of a product."""
    rng = np.random.default_rng(seed)
    frames = {}
    for offset, (subset, n) in enumerate(SIZES.items()):
        label = (rng.random(n) < 0.35).astype(np.int8)
        values = rng.normal(size=(n, len(FEATURES)))
        values[:, 0] += 1.2 * label
        values[:, 1] -= 0.8 * label
        values[:, 2] = (
            np.abs(values[:, 2]) * np.where(label == 1, 1.0, -1.0) * np.sign(values[:, 3])
        )
        values[rng.random((n, len(FEATURES))) < 0.1] = np.nan  # undefined values stay NaN
        frame = pd.DataFrame(values, columns=list(FEATURES))
        frame.insert(0, "event_id", np.arange(n) + 10_000 * offset)
        frame["label"] = label
        frame["weight"] = np.where(label == 1, 0.01, 2.0) * rng.uniform(0.5, 1.5, n)
        frame["subset"] = subset
        frames[subset] = frame
    return frames


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return prepared_frames()


@pytest.fixture(scope="module")
def single(frames: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, dict[str, Any]]:
    return predictions_and_info(fit_mlp(FAST, frames, FEATURES))


def _val(predictions: pd.DataFrame) -> pd.DataFrame:
    return predictions[predictions["subset"] == "val"]


def test_predictions_contract_and_learning(
    frames: dict[str, pd.DataFrame], single: tuple[pd.DataFrame, dict[str, Any]]
) -> None:
    predictions, info = single
    validate_predictions(predictions, "in-memory")
    assert predictions.groupby("subset").size().to_dict() == {
        "val": 800,
        "public": 300,
        "private": 400,
    }
    val = _val(predictions)
    assert roc_auc_score(val["label"], val["score"]) > 0.8
    assert predictions["score"].between(0.0, 1.0).all()
    # Weights and ids pass through untouched (the scoring code needs the raw weights).
    np.testing.assert_array_equal(val["weight"].to_numpy(), frames["val"]["weight"].to_numpy())
    np.testing.assert_array_equal(val["event_id"].to_numpy(), frames["val"]["event_id"].to_numpy())
    assert info["train_seconds"] > 0.0
    assert info["settings"] == {**FAST.__dict__}


def test_best_epoch_weights_are_the_ones_used(
    frames: dict[str, pd.DataFrame], single: tuple[pd.DataFrame, dict[str, Any]]
) -> None:
    predictions, info = single
    (member,) = info["members"]
    assert len(member["val_loss"]) == FAST.epochs
    assert member["best_val_loss"] == min(member["val_loss"])
    assert member["best_epoch"] == 1 + int(np.argmin(member["val_loss"]))
    # The class-balanced BCE of the returned val scores is the best epoch's loss, so the best
    # epoch's weights (not the last epoch's) made the predictions.
    val = _val(predictions)
    p = np.clip(val["score"].to_numpy(), 1e-7, 1 - 1e-7)
    y = val["label"].to_numpy()
    w = class_balanced_weights(y, val["weight"].to_numpy())
    bce = -(w * (y * np.log(p) + (1 - y) * np.log(1 - p))).sum() / w.sum()
    assert bce == pytest.approx(member["best_val_loss"], rel=1e-4)
    if member["best_epoch"] != FAST.epochs:
        assert bce != pytest.approx(member["val_loss"][-1], rel=1e-4)


def test_fixed_seed_is_reproducible_and_seed_matters(
    frames: dict[str, pd.DataFrame], single: tuple[pd.DataFrame, dict[str, Any]]
) -> None:
    threads = torch.get_num_threads()
    again, _ = predictions_and_info(fit_mlp(FAST, frames, FEATURES))
    pd.testing.assert_frame_equal(single[0], again)
    other, _ = predictions_and_info(
        fit_mlp(MlpSettings(**{**FAST.__dict__, "seed": 4}), frames, FEATURES)
    )
    assert not np.allclose(single[0]["score"], other["score"])
    assert torch.get_num_threads() == threads  # restored after the call


def test_ensemble_extends_the_single_member(
    frames: dict[str, pd.DataFrame], single: tuple[pd.DataFrame, dict[str, Any]]
) -> None:
    pair = MlpSettings(**{**FAST.__dict__, "ensemble_size": 2, "epochs": 4})
    one = MlpSettings(**{**FAST.__dict__, "epochs": 4})
    first, first_info = predictions_and_info(fit_mlp(one, frames, FEATURES))
    both, info = predictions_and_info(fit_mlp(pair, frames, FEATURES))
    validate_predictions(both, "in-memory")
    members = info["members"]
    assert [m["member"] for m in members] == [0, 1]
    # Member 0 is the single network; member 1 is a different one; the mean differs from both.
    assert members[0]["val_loss"] == first_info["members"][0]["val_loss"]
    assert members[1]["val_loss"] != members[0]["val_loss"]
    assert not np.allclose(both["score"], first["score"])
    assert members[0]["seed"] == member_seed(FAST.seed, 0) != members[1]["seed"]


def test_unbalanced_training_runs_unweighted(frames: dict[str, pd.DataFrame]) -> None:
    settings = MlpSettings(**{**FAST.__dict__, "class_balance": False, "epochs": 3})
    predictions, _ = predictions_and_info(fit_mlp(settings, frames, FEATURES))
    balanced, _ = predictions_and_info(
        fit_mlp(MlpSettings(**{**FAST.__dict__, "epochs": 3}), frames, FEATURES)
    )
    validate_predictions(predictions, "in-memory")
    assert not np.allclose(predictions["score"], balanced["score"])


def test_class_balanced_weights_even_the_classes() -> None:
    labels = np.array([1, 0, 0, 1, 0])
    weights = np.array([0.01, 2.0, 4.0, 0.03, 2.0])
    balanced = class_balanced_weights(labels, weights)
    assert balanced[labels == 1].sum() == pytest.approx(2.5)
    assert balanced[labels == 0].sum() == pytest.approx(2.5)
    # The spread within a class is kept.
    assert balanced[3] / balanced[0] == pytest.approx(3.0)
    with pytest.raises(ValueError, match="signal"):
        class_balanced_weights(np.zeros(3), np.ones(3))


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("depth", 0, "depth"),
        ("ensemble_size", 0, "ensemble_size"),
        ("activation", "tanh", "activation"),
        ("dropout", 1.0, "dropout"),
        ("epochs", 0, "epochs"),
        ("learning_rate", 0.0, "learning_rate"),
        ("width", 2.5, "width"),
    ],
)
def test_bad_settings_are_rejected(field: str, value: object, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        MlpSettings(**{field: value})  # type: ignore[arg-type]


def test_network_shape_follows_settings() -> None:
    net = build_mlp(30, MlpSettings(width=16, depth=3, activation="swish", dropout=0.1))
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [
        (30, 16),
        (16, 16),
        (16, 16),
        (16, 1),
    ]
    assert sum(isinstance(m, torch.nn.SiLU) for m in net) == 3
    assert sum(isinstance(m, torch.nn.Dropout) for m in net) == 3


def test_missing_subset_and_single_class_are_refused(frames: dict[str, pd.DataFrame]) -> None:
    with pytest.raises(ValueError, match="private"):
        fit_mlp(FAST, {k: v for k, v in frames.items() if k != "private"}, FEATURES)
    one_class = {**frames, "val": frames["val"][frames["val"]["label"] == 0]}
    with pytest.raises(ValueError, match="'val' holds only one class"):
        fit_mlp(FAST, one_class, FEATURES)
