"""TensorBoard and MLflow loggers beside the CSV record: same training, the curves in both."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from supertml import loggers
from supertml.steps.train import train_model
from supertml.training.loggers import make_loggers
from tests.unit.steps.chain import run_data_and_images


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_data_and_images(tmp_path_factory.mktemp("chain"))


def test_training_with_both_loggers_writes_them_and_the_same_csv(
    chain: dict[str, Any], tmp_path: Path
) -> None:
    def train(name: str, settings: dict[str, Any]) -> Path:
        return train_model(
            chain["experiment"], seed=0, b_reg=10.0, train_cache=chain["caches"]["train"],
            val_cache=chain["caches"]["val"], out_dir=tmp_path / name, threads=1,
            loggers=settings, logger_root=tmp_path / "loggers",
        )  # fmt: skip

    plain = train("plain", {})
    logged = train("logged", {"tensorboard": True, "mlflow": True})
    assert not (tmp_path / "loggers/tensorboard/plain").exists()
    events = list((tmp_path / "loggers/tensorboard/tiny/seed_0").glob("events.out.tfevents.*"))
    assert len(events) == 1
    assert events[0].stat().st_size > 0
    # MLflow's file store: one run with the epoch metrics the CSV holds.
    metric_files = {p.name for p in (tmp_path / "loggers/mlruns").glob("*/*/metrics/*")}
    assert {"train_loss", "val_loss", "val_auc"} <= metric_files
    # The loggers watch; they change nothing the report reads.
    columns = ["epoch", "train_loss", "val_loss", "val_auc"]
    first = pd.read_csv(plain.parent / "metrics.csv")[columns]
    second = pd.read_csv(logged.parent / "metrics.csv")[columns]
    pd.testing.assert_frame_equal(first, second)


def test_a_logger_whose_package_is_missing_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loggers.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModuleNotFoundError, match=r"loggers\.tensorboard is on but tensorboard"):
        make_loggers({"tensorboard": True}, root=tmp_path, experiment="e", seed=0)
    assert make_loggers({}, root=tmp_path, experiment="e", seed=0) == []
