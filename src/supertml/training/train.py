"""Train one (experiment, seed): the checklist a training job follows, top to bottom.

A job killed part way (preempted, out of time on a cluster) loses at most one epoch: the full
training state is saved after every epoch to ``out_dir/checkpoints/last.ckpt`` and a rerun with
the same settings and inputs continues from it, to the same result as a run that never stopped
(on CPU, bit for bit: epoch ``k``'s shuffle and random state depend only on the seed and ``k``).

Several devices (``devices > 1``) train with Lightning's DDP, which starts one process per
device by re-running the job's command; those processes find what the first one decided
(resume or not, the range test's learning rate) in environment variables it sets.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Final

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import TQDMProgressBar
from pytorch_lightning.loggers import Logger

import supertml
from supertml.cluster.environment import (
    cluster_environment,
    current_slurm_job,
    no_slurm_probe_warning,
)
from supertml.io import atomic_path, write_json
from supertml.runinfo import run_provenance
from supertml.training.callbacks import (
    BestCheckpoint,
    EpochMetricsWriter,
    EpochSeeder,
    LastCheckpoint,
    save_checkpoint_atomically,
)
from supertml.training.data import ImageCacheDataModule
from supertml.training.lr_range import run_lr_range_test, write_lr_range_test
from supertml.training.model import ImageClassifier

__all__ = ["TrainSettings", "run_fingerprint", "train_classifier"]

log = logging.getLogger(__name__)

#: Training steps between progress-bar redraws: drawn every step, the bar costs more host
#: time than a small-image GPU step takes (bench/host_overhead.py, bench/RESULTS.md issue 14).
PROGRESS_REFRESH_STEPS: Final = 50

#: Environment variables through which the first DDP process informs the others.
_RESUME_ENV = "SUPERTML_RESUME_FROM"
_LR_ENV = "SUPERTML_FOUND_LR"


@dataclass(frozen=True)
class TrainSettings:
    """Everything that determines a training run's result (written beside its checkpoint).

    Model: ``architecture`` (timm name), ``pretrained`` / ``weights_file``, ``head``
    (``output`` or the study's ``dense``, ``dense_units`` wide), ``num_classes``.

    Recipe (REFERENCE.md section 5): ``frozen_epochs`` epochs of the head and batch-norm layers
    at ``learning_rate`` (0 for a single-stage recipe), then ``epochs`` epochs of all layers,
    ``layer_groups`` of them at one-cycle peaks spread by ``lr_spread`` up to
    ``unfrozen_learning_rate`` (default: ``learning_rate``), or at fastai's ``lr_slice``
    ``(lo, hi)`` (the groups get lo ... hi, geometric); then each of ``extra_cycles``
    (``epochs`` and a ``learning_rate`` or an ``lr_slice``) as one more one-cycle phase.
    ``lr_find``: replace ``learning_rate`` by the suggestion of a range test of
    ``lr_find_steps`` batches.
    ``signal_copies`` / ``loss_weights``: class balancing; ``holdout_fraction``: the share of
    the training events held out to monitor training instead of the validation cache (fastai's
    ``valid_pct``; see :mod:`supertml.training.data`). ``brightness`` / ``contrast``:
    train-time intensity augmentation; ``tta``: augmented copies averaged at prediction.
    ``monitor``: the metric that picks the saved epoch
    (:data:`supertml.training.callbacks.MONITORS`). ``compile``: ``torch.compile`` the network
    (``True``, or a mode of :data:`supertml.training.model.COMPILE_MODES`).
    ``devices``: GPUs (or CPU processes) of DDP training.
    """

    architecture: str
    pretrained: bool = False
    weights_file: str | None = None
    head: str = "output"
    dense_units: int = 512
    num_classes: int = 2
    frozen_epochs: int = 0
    epochs: int = 4
    batch_size: int = 128
    learning_rate: float = 1e-3
    unfrozen_learning_rate: float | None = None
    lr_spread: float = 1.0
    layer_groups: int = 1
    weight_decay: float = 0.01
    lr_find: bool = False
    lr_find_steps: int = 100
    signal_copies: int = 1
    loss_weights: str = "none"
    brightness: float = 0.0
    contrast: float = 0.0
    tta: int = 0
    monitor: str = "last"
    compile: bool | str = False
    devices: int = 1
    seed: int = 0
    b_reg: float = 10.0
    lr_slice: Sequence[float] | None = None
    extra_cycles: Sequence[Mapping[str, Any]] | None = None
    holdout_fraction: float = 0.0

    @property
    def phase_epochs(self) -> tuple[int, ...]:
        """Epochs of each stage in order: frozen, all layers, then each extra cycle."""
        extra = (int(cycle["epochs"]) for cycle in self.extra_cycles or ())
        return (self.frozen_epochs, self.epochs, *extra)

    @property
    def total_epochs(self) -> int:
        """Epochs of every stage: frozen, all layers, and the extra cycles."""
        return sum(self.phase_epochs)

    def model_arguments(self) -> dict[str, Any]:
        """Keyword arguments of :class:`ImageClassifier` (its hyperparameters); a fastai
        ``slice(lo, hi)`` becomes the head's peak ``hi`` spread by ``hi / lo``."""
        arguments = {name: getattr(self, name) for name in _MODEL_ARGUMENTS}
        if self.lr_slice is not None:
            low, high = self.lr_slice
            arguments |= {"unfrozen_learning_rate": high, "lr_spread": high / low}
        arguments["extra_cycles"] = [_cycle(c) for c in self.extra_cycles or ()] or None
        return arguments


def _cycle(cycle: Mapping[str, Any]) -> tuple[int, float, float]:
    """``(epochs, peak, spread)`` of one extra one-cycle phase of a recipe."""
    if cycle.get("lr_slice") is not None:
        low, high = cycle["lr_slice"]
        return int(cycle["epochs"]), float(high), float(high) / float(low)
    return int(cycle["epochs"]), float(cycle["learning_rate"]), 1.0


#: The settings that are :class:`ImageClassifier` hyperparameters as they stand.
_MODEL_ARGUMENTS: Final[tuple[str, ...]] = (
    "pretrained",
    "weights_file",
    "head",
    "dense_units",
    "num_classes",
    "learning_rate",
    "weight_decay",
    "frozen_epochs",
    "unfrozen_learning_rate",
    "lr_spread",
    "layer_groups",
    "brightness",
    "contrast",
    "tta",
    "compile",
    "b_reg",
)


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


def _is_ddp_child() -> bool:
    # Lightning's subprocess launcher sets LOCAL_RANK for the processes it starts.
    return os.environ.get("LOCAL_RANK", "0") != "0"


def _range_tested_settings(
    settings: TrainSettings, data: ImageCacheDataModule, out: Path, checkpoint_dir: Path
) -> TrainSettings:
    """``settings`` with the learning rate of a range test (run once per run, reused on
    resume from ``checkpoint_dir/lr_find.json``), its curve written into ``out``."""
    if _is_ddp_child():
        return replace(settings, learning_rate=float(os.environ[_LR_ENV]))
    saved = checkpoint_dir / "lr_find.json"
    if saved.exists():
        found = float(json.loads(saved.read_text())["suggestion"])
    else:
        arguments = settings.model_arguments()
        arguments["extra_cycles"] = None  # the test is bounded by steps, not epochs
        if settings.frozen_epochs > 0:
            # The test may span several short epochs: keep all of them in the frozen stage.
            arguments["frozen_epochs"] = settings.lr_find_steps
        model = ImageClassifier(settings.architecture, **arguments)
        trainer = pl.Trainer(
            accelerator="auto",
            devices=1,
            precision=_trainer_precision(),  # type: ignore[arg-type]
            # Bounded by steps alone: a training split of fewer batches than the test's steps
            # (the bundled sample) is cycled through again.
            max_epochs=-1,
            max_steps=settings.lr_find_steps,
            plugins=[cluster_environment()],
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            default_root_dir=checkpoint_dir,
            num_sanity_val_steps=0,
        )
        with no_slurm_probe_warning():
            result = run_lr_range_test(trainer, model, data, steps=settings.lr_find_steps)
        write_lr_range_test(result, out)
        shutil.copyfile(out / "lr_find.json", saved)
        found = result.suggestion
    os.environ[_LR_ENV] = repr(found)
    pl.seed_everything(settings.seed, workers=True, verbose=False)
    return replace(settings, learning_rate=found)


def train_classifier(
    settings: TrainSettings,
    *,
    train_cache: str | Path,
    val_cache: str | Path,
    out_dir: str | Path,
    threads: int = 1,
    callbacks: Sequence[pl.Callback] = (),
    loggers: Sequence[Logger] = (),
) -> Path:
    """Train a CNN on the cached images and write ``model.ckpt``, ``metrics.csv`` and
    ``train_config.json`` into ``out_dir`` (and the range test's ``lr_find.*`` if asked).
    Returns the checkpoint path.

    ``model.ckpt`` is the epoch chosen by ``settings.monitor``. Seeded and deterministic on
    CPU: the same settings and inputs give the same checkpoint. Resumes from
    ``out_dir/checkpoints/last.ckpt`` when ``checkpoints/fingerprint.json`` shows it was
    written by a run with the same :func:`run_fingerprint`; any other checkpoint there is
    deleted. The directory is removed once ``model.ckpt`` is written. ``callbacks``: extra
    Lightning callbacks (monitoring, tests); ``loggers``: Lightning loggers that also receive
    the epoch metrics (:mod:`supertml.training.loggers`; ``metrics.csv`` is written anyway).
    """
    out = Path(out_dir)
    checkpoint_dir = out / "checkpoints"
    resume_from = _resume_point(settings, out, checkpoint_dir, train_cache, val_cache)
    torch.set_num_threads(threads)
    pl.seed_everything(settings.seed, workers=True, verbose=False)

    data = ImageCacheDataModule(
        train_cache,
        val_cache,
        settings.batch_size,
        settings.seed,
        signal_copies=settings.signal_copies,
        loss_weights=settings.loss_weights,
        holdout_fraction=settings.holdout_fraction,
    )
    resolved = settings
    if settings.lr_find:
        resolved = _range_tested_settings(settings, data, out, checkpoint_dir)
    model = ImageClassifier(resolved.architecture, **resolved.model_arguments())
    metrics = EpochMetricsWriter(out / "metrics.csv", frozen_epochs=settings.frozen_epochs)
    best = BestCheckpoint(checkpoint_dir / "best.ckpt", settings.monitor)
    trainer = _trainer(settings, checkpoint_dir, [metrics, best], callbacks, loggers)
    log.info(
        "training %s on %s for %s epochs",
        settings.architecture,
        train_cache,
        "+".join(map(str, settings.phase_epochs)),
    )
    slurm_job = current_slurm_job()
    if slurm_job is not None:
        log.info("running in %s", slurm_job.describe())
    with no_slurm_probe_warning():
        trainer.fit(model, datamodule=data, ckpt_path=resume_from)
    checkpoint = out / "model.ckpt"
    if settings.monitor == "last":
        save_checkpoint_atomically(trainer, checkpoint)  # every DDP rank: it has a barrier
    if not trainer.is_global_zero:
        return checkpoint
    if settings.monitor != "last":
        with atomic_path(checkpoint) as tmp:
            shutil.copyfile(checkpoint_dir / "best.ckpt", tmp)
    # A job killed after its last epoch's checkpoint resumes into no epoch at all; the CSV
    # (which the scheduler may have deleted) is then written from the restored rows here.
    metrics.write()
    run_config: dict[str, Any] = {
        "settings": asdict(settings),
        "learning_rate_used": resolved.learning_rate,
        "selected_epoch": best.best_epoch,
        "selected_by": settings.monitor,
        "selected_value": best.best_value,
        "train_cache": str(train_cache),
        "val_cache": str(val_cache),
        "supertml_version": supertml.__version__,
        "torch_version": torch.__version__,
        "device": str(model.device),
        "devices": settings.devices,
        "precision": _trainer_precision(),
        "slurm_job_id": slurm_job.job_id if slurm_job is not None else None,
        "provenance": run_provenance(),
    }
    write_json(out / "train_config.json", run_config)
    shutil.rmtree(checkpoint_dir, ignore_errors=True)
    return checkpoint


def _resume_point(
    settings: TrainSettings,
    out: Path,
    checkpoint_dir: Path,
    train_cache: str | Path,
    val_cache: str | Path,
) -> Path | None:
    """The checkpoint to resume from, or None; the first DDP process decides for all."""
    if _is_ddp_child():
        return Path(os.environ[_RESUME_ENV]) if os.environ.get(_RESUME_ENV) else None
    out.mkdir(parents=True, exist_ok=True)
    resume_from = _resumable_checkpoint(
        checkpoint_dir, run_fingerprint(settings, train_cache, val_cache)
    )
    os.environ[_RESUME_ENV] = str(resume_from or "")
    return resume_from


def _trainer(
    settings: TrainSettings,
    checkpoint_dir: Path,
    recorders: Sequence[pl.Callback],
    extra: Sequence[pl.Callback],
    loggers: Sequence[Logger] = (),
) -> pl.Trainer:
    """The training run's Trainer; ``recorders`` (metrics writer, best-epoch record) run after
    the epoch seeder and before the resumable checkpoint, which must store their state."""
    return pl.Trainer(
        max_epochs=settings.total_epochs,
        accelerator="auto",
        devices=settings.devices,
        # One task per job, in SLURM or not; several GPUs through Lightning's own launcher
        # (supertml.cluster.environment says why).
        plugins=[cluster_environment()],
        strategy="ddp" if settings.devices > 1 else "auto",
        use_distributed_sampler=False,  # EpochShuffledBatches shards the batches itself
        precision=_trainer_precision(),  # type: ignore[arg-type]
        deterministic=not torch.cuda.is_available(),
        logger=list(loggers) or False,
        enable_checkpointing=False,  # no ModelCheckpoint: our callbacks do the saving
        callbacks=[
            EpochSeeder(settings.seed),
            # The metrics writer first, so that the epoch's row is in the checkpoints, and the
            # best-epoch record before the resumable checkpoint that stores it.
            *recorders,
            LastCheckpoint(checkpoint_dir / "last.ckpt"),
            *extra,
            TQDMProgressBar(refresh_rate=PROGRESS_REFRESH_STEPS),
        ],
        num_sanity_val_steps=0,
        log_every_n_steps=1,
        enable_model_summary=False,
        # Nothing of Lightning's own lands in the working directory (the repository root).
        default_root_dir=checkpoint_dir,
    )
