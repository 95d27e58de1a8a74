"""Steps of ``workflow/rules/train.smk``: pretrained weights, CNN training, CNN scoring.

Torch, Lightning and timm are imported inside each function (see :mod:`supertml.steps`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from supertml.io import write_table

__all__ = ["fetch_weights", "predict_model", "train_model"]


def fetch_weights(architecture: str, output: str | Path) -> None:
    """Save ``architecture``'s pretrained ImageNet weights to ``output`` (on the head node)."""
    from supertml.training.weights import fetch_pretrained_weights  # noqa: PLC0415

    fetch_pretrained_weights(architecture, output)


def train_model(
    experiment: Mapping[str, Any],
    *,
    seed: int,
    b_reg: float,
    train_cache: str | Path,
    val_cache: str | Path,
    out_dir: str | Path,
    threads: int,
    loggers: Mapping[str, Any] | None = None,
    logger_root: str | Path = "loggers",
) -> Path:
    """Train one (experiment, seed); ``experiment`` holds the resolved model and recipe.
    ``loggers``: the config's ``loggers`` section (TensorBoard / MLflow, written under
    ``logger_root``; :mod:`supertml.training.loggers`)."""
    from supertml.training import TrainSettings, train_classifier  # noqa: PLC0415
    from supertml.training.loggers import make_loggers  # noqa: PLC0415

    model, recipe = experiment["model"], experiment["recipe"]
    settings = TrainSettings(
        **dict(model),
        **{key: value for key, value in recipe.items() if key != "kind"},
        seed=seed,
        b_reg=b_reg,
    )
    extra = make_loggers(
        loggers or {}, root=logger_root, experiment=str(experiment["name"]), seed=seed
    )
    return train_classifier(
        settings,
        train_cache=train_cache,
        val_cache=val_cache,
        out_dir=out_dir,
        threads=threads,
        loggers=extra,
    )


def predict_model(
    checkpoint: str | Path,
    caches: Mapping[str, str | Path],
    *,
    output: str | Path,
    threads: int,
) -> None:
    """Score the val / public / private caches with a trained checkpoint."""
    from supertml.training import predict_caches  # noqa: PLC0415

    write_table(output, predict_caches(checkpoint, caches, threads=threads))
