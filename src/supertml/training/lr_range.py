"""The learning-rate range test (Smith 2017, arXiv:1506.01186), through Lightning's tuner.

The study chose each stage's learning rate from fastai's ``lr_find`` curve (REFERENCE.md
section 5). Lightning's ``Tuner.lr_find`` runs the same test: ``steps`` batches with the rate
growing exponentially from ``min_lr`` to ``max_lr``, the loss recorded per batch, and the
model's weights restored afterwards. Its suggestion is the rate of the steepest loss descent.
In a two-stage recipe the test runs in the frozen stage (its first epoch), as the study's did.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import pytorch_lightning as pl
from matplotlib.figure import Figure
from pytorch_lightning.tuner.tuning import Tuner

from supertml.io import atomic_path, write_json

__all__ = ["LrRangeTest", "run_lr_range_test", "write_lr_range_test"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LrRangeTest:
    """The curve of a range test and the rate it suggests."""

    lrs: list[float]
    losses: list[float]
    suggestion: float
    min_lr: float
    max_lr: float


def run_lr_range_test(
    trainer: pl.Trainer,
    model: pl.LightningModule,
    datamodule: pl.LightningDataModule,
    *,
    steps: int = 100,
    min_lr: float = 1e-7,
    max_lr: float = 1.0,
) -> LrRangeTest:
    """Run the range test with ``trainer`` (one without the job's checkpoint callbacks).

    Raises ``RuntimeError`` when the curve gives no suggestion (too few steps survived the
    divergence check) - the recipe should then name a fixed learning rate.
    """
    finder = Tuner(trainer).lr_find(
        model,
        datamodule=datamodule,
        min_lr=min_lr,
        max_lr=max_lr,
        num_training=steps,
        update_attr=False,
    )
    if finder is None:
        raise RuntimeError("the learning-rate range test did not run")
    suggestion = finder.suggestion()
    lrs = [float(v) for v in finder.results["lr"]]
    losses = [float(v) for v in finder.results["loss"]]
    if suggestion is None:
        raise RuntimeError(
            f"the learning-rate range test over {len(lrs)} steps gave no suggestion; use more "
            "lr_find_steps or set learning_rate and lr_find: false"
        )
    log.info("learning-rate range test suggests %.3g", suggestion)
    return LrRangeTest(lrs, losses, float(suggestion), min_lr, max_lr)


def write_lr_range_test(result: LrRangeTest, directory: Path) -> None:
    """Write ``lr_find.json`` (everything), ``lr_find.csv`` (the curve) and ``lr_find.png``."""
    directory.mkdir(parents=True, exist_ok=True)
    write_json(directory / "lr_find.json", asdict(result))
    with atomic_path(directory / "lr_find.csv") as tmp, tmp.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["lr", "loss"])
        writer.writerows(zip(result.lrs, result.losses, strict=True))
    # Object API, no pyplot: no global figure state, no GUI backend needed.
    figure = Figure(figsize=(6, 4))
    axes = figure.add_subplot()
    axes.plot(result.lrs, result.losses)
    axes.axvline(result.suggestion, color="tab:red", linestyle="--", label="suggestion")
    axes.set_xscale("log")
    axes.set_xlabel("learning rate")
    axes.set_ylabel("training loss (smoothed)")
    axes.set_title(f"Learning-rate range test: suggestion {result.suggestion:.2g}")
    axes.legend()
    figure.tight_layout()
    with atomic_path(directory / "lr_find.png") as tmp:
        figure.savefig(tmp, format="png", dpi=100)
