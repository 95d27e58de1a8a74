"""Train one (experiment, seed): the checklist a training job follows, top to bottom."""

from __future__ import annotations

import csv
import logging
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch

import supertml
from supertml.io import atomic_path, write_json
from supertml.training.data import ImageCacheDataModule
from supertml.training.model import ImageClassifier

__all__ = ["TrainSettings", "train_classifier"]

log = logging.getLogger(__name__)

#: Per-epoch columns of metrics.csv, in order.
METRIC_COLUMNS = ("epoch", "train_loss", "val_loss", "val_error", "val_auc", "val_ams_max", "lr")


@dataclass(frozen=True)
class TrainSettings:
    """Everything that determines a training run's result (written beside its checkpoint)."""

    architecture: str
    pretrained: bool = False
    weights_file: str | None = None
    epochs: int = 4
    batch_size: int = 128
    learning_rate: float = 1e-3
    weight_decay: float = 0.01
    seed: int = 0
    b_reg: float = 10.0


class _EpochMetricsWriter(pl.Callback):
    """Rewrites ``metrics.csv`` after every epoch, so progress is visible on disk.

    Written at the end of the training epoch, which Lightning runs after that epoch's
    validation, so both the epoch's train loss and its validation metrics are available.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: list[dict[str, float | int]] = []

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        metrics = trainer.callback_metrics
        row: dict[str, float | int] = {"epoch": trainer.current_epoch}
        for name in METRIC_COLUMNS[1:-1]:
            value = metrics.get(name)
            row[name] = float(value) if value is not None else math.nan
        row["lr"] = float(trainer.optimizers[0].param_groups[0]["lr"])
        self.rows.append(row)
        with atomic_path(self.path) as tmp, tmp.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=METRIC_COLUMNS)
            writer.writeheader()
            writer.writerows(self.rows)


def _trainer_precision() -> str:
    # bf16 autocast where a GPU runs the job; CPUs train in fp32 (bf16 on CPU is slow and
    # changes numerics between machines).
    return "bf16-mixed" if torch.cuda.is_available() else "32-true"


def train_classifier(
    settings: TrainSettings,
    *,
    train_cache: str | Path,
    val_cache: str | Path,
    out_dir: str | Path,
    threads: int = 1,
) -> Path:
    """Train a CNN on the cached images and write ``model.ckpt``, ``metrics.csv`` and
    ``train_config.json`` into ``out_dir``. Returns the checkpoint path.

    Seeded and deterministic on CPU: the same settings and inputs give the same checkpoint.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(threads)
    pl.seed_everything(settings.seed, workers=True, verbose=False)

    data = ImageCacheDataModule(train_cache, val_cache, settings.batch_size, settings.seed)
    model = ImageClassifier(
        settings.architecture,
        pretrained=settings.pretrained,
        weights_file=settings.weights_file,
        learning_rate=settings.learning_rate,
        weight_decay=settings.weight_decay,
        b_reg=settings.b_reg,
    )
    trainer = pl.Trainer(
        max_epochs=settings.epochs,
        accelerator="auto",
        devices=1,
        precision=_trainer_precision(),  # type: ignore[arg-type]
        deterministic=not torch.cuda.is_available(),
        logger=False,
        enable_checkpointing=False,
        callbacks=[_EpochMetricsWriter(out / "metrics.csv")],
        num_sanity_val_steps=0,
        log_every_n_steps=1,
        enable_model_summary=False,
    )
    log.info("training %s on %s for %d epochs", settings.architecture, train_cache, settings.epochs)
    trainer.fit(model, datamodule=data)

    checkpoint = out / "model.ckpt"
    with atomic_path(checkpoint) as tmp:
        trainer.save_checkpoint(tmp)
    resolved: dict[str, Any] = {
        "settings": asdict(settings),
        "train_cache": str(train_cache),
        "val_cache": str(val_cache),
        "supertml_version": supertml.__version__,
        "torch_version": torch.__version__,
        "device": str(model.device),
        "precision": _trainer_precision(),
    }
    write_json(out / "train_config.json", resolved)
    return checkpoint
