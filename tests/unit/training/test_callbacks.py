"""The training callbacks on a stand-in trainer: metric rows, best epoch, reseeding."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import torch

from supertml.training.callbacks import (
    METRIC_COLUMNS,
    BestCheckpoint,
    EpochMetricsWriter,
    EpochSeeder,
    LastCheckpoint,
)
from supertml.training.data import epoch_seed


class FakeTrainer:
    """What the callbacks read of a Lightning trainer, and a save that records its calls."""

    def __init__(self) -> None:
        self.current_epoch = 0
        self.callback_metrics: dict[str, torch.Tensor] = {}
        self.optimizers = [SimpleNamespace(param_groups=[{"lr": 0.1}, {"lr": 0.01}])]
        self.is_global_zero = True
        self.saved: list[tuple[int, Path]] = []

    def save_checkpoint(self, path: Path) -> None:
        Path(path).write_text(f"epoch {self.current_epoch}")
        self.saved.append((self.current_epoch, Path(path)))

    def epoch(self, number: int, **metrics: float) -> None:
        self.current_epoch = number
        self.callback_metrics = {k: torch.tensor(v) for k, v in metrics.items()}


def _run(callback: Any, trainer: FakeTrainer, epochs: list[dict[str, float]]) -> None:
    for number, metrics in enumerate(epochs):
        trainer.epoch(number, **metrics)
        callback.on_train_epoch_end(trainer, None)


def test_metrics_writer_rewrites_the_csv_every_epoch(tmp_path: Path) -> None:
    writer = EpochMetricsWriter(tmp_path / "metrics.csv", frozen_epochs=1)
    trainer = FakeTrainer()
    _run(writer, trainer, [{"train_loss": 0.7, "val_loss": 0.6}, {"train_loss": 0.5}])
    with (tmp_path / "metrics.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(METRIC_COLUMNS)
    assert [r["stage"] for r in rows] == ["frozen", "all_layers"]
    assert float(rows[0]["val_loss"]) == pytest.approx(0.6)
    assert math.isnan(float(rows[1]["val_loss"]))  # not logged that epoch
    assert float(rows[1]["lr"]) == 0.01  # the last parameter group: the head's
    # The rows are checkpoint state: a resumed writer rewrites them all.
    again = EpochMetricsWriter(tmp_path / "again.csv")
    again.load_state_dict(writer.state_dict())
    again.write()
    assert (tmp_path / "again.csv").read_text() == (tmp_path / "metrics.csv").read_text()


@pytest.mark.parametrize(
    ("monitor", "values", "best"),
    [("val_loss", [0.5, 0.3, 0.4], 1), ("val_auc", [0.7, 0.9, float("nan")], 1),
     ("last", [0.5, 0.3, 0.4], 2)],
)  # fmt: skip
def test_best_checkpoint_keeps_the_best_epoch(
    tmp_path: Path, monitor: str, values: list[float], best: int
) -> None:
    callback = BestCheckpoint(tmp_path / "best.ckpt", monitor)
    trainer = FakeTrainer()
    name = "val_loss" if monitor == "last" else monitor
    _run(callback, trainer, [{name: v} for v in values])
    assert callback.best_epoch == best
    if monitor == "last":
        assert trainer.saved == []  # the caller saves the final state itself
    else:
        assert (tmp_path / "best.ckpt").read_text() == f"epoch {best}"
        restored = BestCheckpoint(tmp_path / "x.ckpt", monitor)
        restored.load_state_dict(callback.state_dict())
        assert (restored.best_epoch, restored.best_value) == (best, callback.best_value)


def test_best_checkpoint_refuses_an_unknown_or_unlogged_monitor(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown monitor"):
        BestCheckpoint(tmp_path / "b.ckpt", "val_accuracy")
    callback = BestCheckpoint(tmp_path / "b.ckpt", "val_auc")
    with pytest.raises(ValueError, match="'val_auc' is not among the logged metrics"):
        _run(callback, FakeTrainer(), [{"val_loss": 0.4}])


def test_last_checkpoint_saves_every_epoch_atomically(tmp_path: Path) -> None:
    trainer = FakeTrainer()
    _run(LastCheckpoint(tmp_path / "last.ckpt"), trainer, [{}, {}])
    assert (tmp_path / "last.ckpt").read_text() == "epoch 1"
    assert [epoch for epoch, _ in trainer.saved] == [0, 1]
    assert all(path.name.startswith(".last.ckpt.") for _, path in trainer.saved)  # temp files
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.ckpt"]


def test_epoch_seeder_reseeds_from_seed_and_epoch() -> None:
    trainer = FakeTrainer()
    trainer.current_epoch = 3
    EpochSeeder(7).on_train_epoch_start(trainer, None)  # type: ignore[arg-type]
    drawn = torch.rand(3)
    torch.manual_seed(epoch_seed(7, 3))
    assert torch.equal(drawn, torch.rand(3))
