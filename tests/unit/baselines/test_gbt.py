"""The boosted-tree baseline writes the predictions contract and learns a simple signal."""

from __future__ import annotations

import numpy as np
import pandas as pd

from supertml.baselines import GbtSettings, fit_gbt
from supertml.constants import FEATURES
from supertml.metrics import validate_predictions
from tests.unit.baselines.fits import predictions_and_info


def prepared_frames(seed: int = 0) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    frames = {}
    for offset, (subset, n) in enumerate(
        {"train": 400, "val": 200, "public": 100, "private": 150}.items()
    ):
        label = rng.integers(0, 2, n)
        values = rng.normal(size=(n, len(FEATURES)))
        values[:, 0] += 1.5 * label  # the signal lives in the first feature
        values[rng.random((n, len(FEATURES))) < 0.1] = np.nan  # undefined values stay NaN
        frame = pd.DataFrame(values, columns=list(FEATURES))
        frame.insert(0, "event_id", np.arange(n) + 10_000 * offset)
        frame["label"] = label.astype(np.int8)
        frame["weight"] = np.where(label == 1, 0.01, 2.0)
        frame["subset"] = subset
        frames[subset] = frame
    return frames


def test_predictions_contract_and_learning() -> None:
    frames = prepared_frames()
    predictions, info = predictions_and_info(
        fit_gbt(GbtSettings(max_iter=50, seed=1), frames, FEATURES)
    )
    validate_predictions(predictions, "in-memory")
    assert predictions.groupby("subset").size().to_dict() == {
        "val": 200,
        "public": 100,
        "private": 150,
    }
    val = predictions[predictions["subset"] == "val"]
    assert (
        val.loc[val["label"] == 1, "score"].mean()
        > val.loc[val["label"] == 0, "score"].mean() + 0.2
    )
    # Weights and ids pass through untouched.
    np.testing.assert_array_equal(val["weight"].to_numpy(), frames["val"]["weight"].to_numpy())
    np.testing.assert_array_equal(val["event_id"].to_numpy(), frames["val"]["event_id"].to_numpy())
    assert 1 <= info["n_iter"] <= 50


def test_seeded_fit_is_reproducible() -> None:
    frames = prepared_frames()
    first, _ = predictions_and_info(fit_gbt(GbtSettings(max_iter=30, seed=2), frames, FEATURES))
    second, _ = predictions_and_info(fit_gbt(GbtSettings(max_iter=30, seed=2), frames, FEATURES))
    pd.testing.assert_frame_equal(first, second)
