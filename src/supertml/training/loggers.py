"""Lightning's TensorBoard and MLflow loggers for a training run, when the config asks.

They are for watching training (``tensorboard --logdir``, ``mlflow ui``): the report reads the
run's ``metrics.csv`` only, which every run writes whatever the loggers. The config's
``loggers`` section is read by the job, not passed as a rule parameter, so turning a logger on
or off retrains nothing (Snakemake reruns a job whose parameters change).

Each logger needs its package (``pip install '.[loggers]'``); one that is asked for but not
installed is an error at the workflow's start, before any job (the pre-flight, through
:func:`supertml.loggers.missing_packages`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from supertml.loggers import missing_packages

if TYPE_CHECKING:  # Lightning only when loggers are made
    from pytorch_lightning.loggers import Logger

__all__ = ["make_loggers"]


def make_loggers(
    settings: Mapping[str, Any], *, root: str | Path, experiment: str, seed: int
) -> list[Logger]:
    """The loggers ``settings`` asks for: TensorBoard under ``<root>/tensorboard/<experiment>/
    seed_<seed>``; MLflow into ``settings["mlflow_tracking_uri"]`` (default a file store
    ``<root>/mlruns``), experiment ``<experiment>``, run ``seed_<seed>``.

    Raises
    ------
    ModuleNotFoundError
        Naming the logger, its config key and the package to install.
    """
    missing = missing_packages(settings)
    if missing:
        name, distribution = next(iter(missing.items()))
        raise ModuleNotFoundError(
            f"config loggers.{name} is on but {distribution} is not installed: "
            f"pip install {distribution} (or '.[loggers]'), or set loggers.{name}: false"
        )
    base = Path(root)
    loggers: list[Logger] = []
    if settings.get("tensorboard"):
        from pytorch_lightning.loggers import TensorBoardLogger  # noqa: PLC0415

        loggers.append(
            TensorBoardLogger(
                base / "tensorboard",
                name=experiment,
                version=f"seed_{seed}",
                default_hp_metric=False,
            )
        )
    if settings.get("mlflow"):
        from pytorch_lightning.loggers import MLFlowLogger  # noqa: PLC0415

        uri = settings.get("mlflow_tracking_uri")
        if not uri:
            # The default is MLflow's file store: no server and no database packages needed.
            # MLflow 3 keeps it in maintenance mode and refuses it unless this is set; set a
            # tracking URI (a server, sqlite:///...) for its newer features.
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
            uri = (base / "mlruns").resolve().as_uri()
        loggers.append(
            MLFlowLogger(experiment_name=experiment, run_name=f"seed_{seed}", tracking_uri=uri)
        )
    return loggers
