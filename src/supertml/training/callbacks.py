"""Lightning callbacks of a training job: metrics on disk, resumable and best checkpoints.

Every file is written atomically (a temporary file renamed into place), so whenever a job is
killed, each checkpoint on disk is complete. Under DDP every rank calls
``trainer.save_checkpoint`` (it ends in a barrier) but only global rank 0 writes.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any, Final

import pytorch_lightning as pl
import torch

from supertml.io import atomic_path
from supertml.training.data import epoch_seed

__all__ = [
    "METRIC_COLUMNS",
    "MONITORS",
    "BestCheckpoint",
    "EpochMetricsWriter",
    "EpochSeeder",
    "LastCheckpoint",
    "save_checkpoint_atomically",
]

#: Per-epoch columns of metrics.csv, in order (``lr``: the head's learning rate at the end).
METRIC_COLUMNS: Final[tuple[str, ...]] = (
    "epoch",
    "stage",
    "train_loss",
    "val_loss",
    "val_error",
    "val_auc",
    "val_ams_max",
    "lr",
)

#: Metrics a run's final model can be chosen by, and whether larger is better; ``last``
#: keeps the final epoch (what fastai's fit_one_cycle, and so the study, ended with).
MONITORS: Final[dict[str, bool]] = {
    "last": True,
    "val_loss": False,
    "val_error": False,
    "val_auc": True,
    "val_ams_max": True,
}


def save_checkpoint_atomically(trainer: pl.Trainer, path: Path) -> None:
    """``trainer.save_checkpoint`` to ``path`` through a temporary file (rank 0 writes)."""
    if trainer.is_global_zero:
        with atomic_path(path) as tmp:
            trainer.save_checkpoint(tmp)
    else:
        trainer.save_checkpoint(path)  # writes nothing off rank 0; joins the barrier


class EpochMetricsWriter(pl.Callback):
    """Rewrites ``metrics.csv`` after every epoch, so progress is visible on disk.

    Written at the end of the training epoch, which Lightning runs after that epoch's
    validation, so both the epoch's train loss and its validation metrics are available.
    The rows are also callback state saved in the checkpoint (which Lightning writes after
    this callback's epoch end), so a resumed run rewrites the rows of the epochs before it
    even where the scheduler deleted the CSV of the interrupted job.
    """

    def __init__(self, path: Path, frozen_epochs: int = 0) -> None:
        self.path = path
        self.frozen_epochs = frozen_epochs
        self.rows: list[dict[str, Any]] = []

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        metrics = trainer.callback_metrics
        epoch = trainer.current_epoch
        row: dict[str, Any] = {
            "epoch": epoch,
            "stage": "frozen" if epoch < self.frozen_epochs else "all_layers",
        }
        for name in METRIC_COLUMNS[2:-1]:
            value = metrics.get(name)
            row[name] = float(value) if value is not None else math.nan
        row["lr"] = float(trainer.optimizers[0].param_groups[-1]["lr"])
        self.rows.append(row)
        if trainer.is_global_zero:
            self.write()

    def write(self) -> None:
        """(Re)write the CSV from the rows held."""
        with atomic_path(self.path) as tmp, tmp.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=METRIC_COLUMNS)
            writer.writeheader()
            writer.writerows(self.rows)

    def state_dict(self) -> dict[str, Any]:
        return {"rows": [dict(row) for row in self.rows]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.rows = [dict(row) for row in state_dict["rows"]]


class EpochSeeder(pl.Callback):
    """Reseeds torch's global generators at the start of each epoch from ``(seed, epoch)``.

    Lightning does not checkpoint the global random state, so anything random inside the
    model (dropout, augmentation) would otherwise draw differently after a resume.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        torch.manual_seed(epoch_seed(self.seed, trainer.current_epoch))


class LastCheckpoint(pl.Callback):
    """Saves the full training state to ``path`` at the end of every training epoch.

    Not Lightning's ModelCheckpoint: with ``save_top_k=0`` Lightning 2.6 writes no
    ``last.ckpt`` at all, and its write is not atomic.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        save_checkpoint_atomically(trainer, self.path)


class BestCheckpoint(pl.Callback):
    """Keeps the checkpoint of the epoch with the best ``monitor`` value in ``path``.

    ``monitor`` is one of :data:`MONITORS`; ``last`` keeps every epoch's (the final one wins).
    A NaN value (e.g. AUC of a one-class validation set) never counts as an improvement.
    The best value and epoch are callback state, saved in the resumable checkpoint (which must
    be written after this callback's epoch end), so a resumed run compares against them.
    """

    def __init__(self, path: Path, monitor: str) -> None:
        if monitor not in MONITORS:
            raise ValueError(f"unknown monitor {monitor!r}; choose one of {sorted(MONITORS)}")
        self.path = path
        self.monitor = monitor
        self.best_value: float | None = None
        self.best_epoch: int | None = None

    def _improves(self, value: float) -> bool:
        if self.monitor == "last":
            return True
        if math.isnan(value):
            return False
        if self.best_value is None:
            return True
        return value > self.best_value if MONITORS[self.monitor] else value < self.best_value

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        metric = trainer.callback_metrics.get(self.monitor)
        value = float(metric) if metric is not None else math.nan
        if self.monitor != "last" and metric is None:
            raise ValueError(
                f"monitor {self.monitor!r} is not among the logged metrics "
                f"({', '.join(sorted(trainer.callback_metrics))})"
            )
        if self._improves(value):
            self.best_value = None if self.monitor == "last" else value
            self.best_epoch = trainer.current_epoch
            if self.monitor != "last":  # the final state is saved by the caller anyway
                save_checkpoint_atomically(trainer, self.path)

    def state_dict(self) -> dict[str, Any]:
        return {"best_value": self.best_value, "best_epoch": self.best_epoch}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.best_value = state_dict["best_value"]
        self.best_epoch = state_dict["best_epoch"]
