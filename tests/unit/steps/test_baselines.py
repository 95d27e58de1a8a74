"""The step of baselines.smk: every baseline kind through the registry, in the contract."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sklearn

from supertml.baselines.models import load_baseline_model
from supertml.baselines.registry import BASELINE_KINDS, fit_baseline
from supertml.config import BASELINE_DEFAULTS
from supertml.metrics import read_predictions
from supertml.steps.baselines import train_baseline
from tests.unit.steps.chain import CONFIG, run_data_and_images


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_data_and_images(tmp_path_factory.mktemp("chain"))


def test_the_registry_knows_exactly_the_config_kinds() -> None:
    assert set(BASELINE_KINDS) == set(BASELINE_DEFAULTS)
    with pytest.raises(ValueError, match="unknown baseline kind 'svm'"):
        fit_baseline("svm", {}, {}, [], seed=0)


@pytest.mark.parametrize(
    "baseline",
    [
        CONFIG["baselines"]["gbt"],
        {"kind": "tuned_gradient_boosted_trees", "preprocessing": "standard", "n_trials": 2,
         "objective": "auc", "grid": {"max_iter": [5, 10]}},
        {"kind": "fully_connected", "preprocessing": "standard", "width": 8, "depth": 1,
         "activation": "relu", "dropout": 0.0, "epochs": 1, "batch_size": 512,
         "learning_rate": 0.002, "weight_decay": 0.0, "ensemble_size": 1,
         "class_balance": True},
    ],
    ids=["gbt", "tuned_gbt", "fully_connected"],
)  # fmt: skip
def test_train_baseline_writes_predictions_and_its_record(
    chain: dict[str, Any], tmp_path: Path, baseline: dict[str, Any]
) -> None:
    output, info = tmp_path / "predictions.parquet", tmp_path / "info.json"
    model_path = tmp_path / "model.joblib"
    train_baseline(
        baseline, chain["prepared"], features_path=chain["features"], seed=0, output=output,
        info_path=info, model_path=model_path,
    )  # fmt: skip
    frame = read_predictions(output)
    assert set(frame["subset"]) == {"val", "public", "private"}
    record = json.loads(info.read_text())
    assert record["kind"] == baseline["kind"]
    assert record["provenance"]["libraries"]["scikit-learn"] == sklearn.__version__
    # The saved model, read back, scores the test events exactly as the fit did.
    kind, model = load_baseline_model(model_path)
    assert kind == baseline["kind"]
    public = pd.read_parquet(chain["prepared"]["public"])
    expected = frame[frame["subset"] == "public"]
    assert list(expected["event_id"]) == list(public["event_id"])
    np.testing.assert_array_equal(model.score(public), expected["score"].to_numpy())
