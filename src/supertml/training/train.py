"""Train one (experiment, seed): the checklist a training job follows, top to bottom.

A job killed part way (preempted, out of time on a cluster) loses at most one epoch: the full
training state is saved after every epoch to ``out_dir/checkpoints/last.ckpt`` and a rerun with
the same settings and inputs continues from it, to the same result as a run that never stopped
(on CPU, bit for bit: epoch ``k``'s shuffle and random state depend only on the seed and ``k``).
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import math
import shutil
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch

import supertml
from supertml.io import atomic_path, write_json
from supertml.training.data import ImageCacheDataModule, epoch_seed
from supertml.training.model import ImageClassifier

__all__ = ["TrainSettings", "run_fingerprint", "train_classifier"]

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
    The rows are also callback state saved in the checkpoint (which Lightning writes after
    this callback's epoch end), so a resumed run rewrites the rows of the epochs before it
    even where the scheduler deleted the CSV of the interrupted job.
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


class _EpochSeeder(pl.Callback):
    """Reseeds torch's global generators at the start of each epoch from ``(seed, epoch)``.

    Lightning does not checkpoint the global random state, so anything random inside the
    model (dropout, stochastic depth) would otherwise draw differently after a resume.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        torch.manual_seed(epoch_seed(self.seed, trainer.current_epoch))


class _LastCheckpoint(pl.Callback):
    """Saves the full training state to ``path`` at the end of every training epoch.

    Not Lightning's ModelCheckpoint: with ``save_top_k=0`` Lightning 2.6 writes no
    ``last.ckpt`` at all, and its write is not atomic. This one writes a temporary file and
    renames it, so ``path`` is always a complete checkpoint, whenever the job is killed.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        with atomic_path(self.path) as tmp:
            trainer.save_checkpoint(tmp)


def run_fingerprint(
    settings: TrainSettings, train_cache: str | Path, val_cache: str | Path
) -> dict[str, Any]:
    """What must match for a checkpoint to be resumed: settings, inputs, precision, versions.

    Inputs are identified by resolved path, size and modification time (a rebuilt cache gets a
    new mtime), cheap even for a 12 GB cache. ``hash`` is the SHA-256 of the rest.
    """
    inputs = {}
    for name, path in (("train_cache", train_cache), ("val_cache", val_cache)):
        stat = Path(path).stat()
        inputs[name] = {
            "path": str(Path(path).resolve()),
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
        }
    content: dict[str, Any] = {
        "settings": asdict(settings),
        "inputs": inputs,
        "precision": _trainer_precision(),
        "supertml_version": supertml.__version__,
        "torch_version": torch.__version__,
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
    return {**content, "hash": digest}


def _resumable_checkpoint(directory: Path, fingerprint: dict[str, Any]) -> Path | None:
    """``last.ckpt`` if it belongs to this run; otherwise clear the directory (logging why)."""
    last = directory / "last.ckpt"
    stamp = directory / "fingerprint.json"
    reason = None
    if not last.exists():
        reason = None if not directory.exists() else "no last.ckpt"
    elif not stamp.exists():
        reason = "no fingerprint.json beside it"
    elif json.loads(stamp.read_text()).get("hash") != fingerprint["hash"]:
        reason = "it was written with different settings or inputs"
    elif not zipfile.is_zipfile(last):
        # torch saves zip archives whose directory is written last: a truncated file fails.
        reason = "it is incomplete (the job died while writing it)"
    else:
        log.info("resuming from %s", last)
        return last
    if reason is not None:
        log.warning("starting afresh, not resuming from %s: %s", last, reason)
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    write_json(stamp, fingerprint)
    return None


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
    callbacks: Sequence[pl.Callback] = (),
) -> Path:
    """Train a CNN on the cached images and write ``model.ckpt``, ``metrics.csv`` and
    ``train_config.json`` into ``out_dir``. Returns the checkpoint path.

    Seeded and deterministic on CPU: the same settings and inputs give the same checkpoint.
    Resumes from ``out_dir/checkpoints/last.ckpt`` when ``checkpoints/fingerprint.json`` shows
    it was written by a run with the same :func:`run_fingerprint`; any other checkpoint there
    is deleted. The directory is removed once ``model.ckpt`` is written (it holds the same
    state). ``callbacks``: extra Lightning callbacks (monitoring, tests).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    checkpoint_dir = out / "checkpoints"
    resume_from = _resumable_checkpoint(
        checkpoint_dir, run_fingerprint(settings, train_cache, val_cache)
    )
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
    metrics = _EpochMetricsWriter(out / "metrics.csv")
    trainer = pl.Trainer(
        max_epochs=settings.epochs,
        accelerator="auto",
        devices=1,
        precision=_trainer_precision(),  # type: ignore[arg-type]
        deterministic=not torch.cuda.is_available(),
        logger=False,
        enable_checkpointing=False,  # no ModelCheckpoint: _LastCheckpoint does the saving
        callbacks=[
            _EpochSeeder(settings.seed),
            metrics,
            # After the metrics writer, so that the epoch's row is in the checkpoint.
            _LastCheckpoint(checkpoint_dir / "last.ckpt"),
            *callbacks,
        ],
        num_sanity_val_steps=0,
        log_every_n_steps=1,
        enable_model_summary=False,
    )
    log.info("training %s on %s for %d epochs", settings.architecture, train_cache, settings.epochs)
    trainer.fit(model, datamodule=data, ckpt_path=resume_from)
    # A job killed after its last epoch's checkpoint resumes into no epoch at all; the CSV
    # (which the scheduler may have deleted) is then written from the restored rows here.
    metrics.write()

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
    shutil.rmtree(checkpoint_dir, ignore_errors=True)
    return checkpoint
