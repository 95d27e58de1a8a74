"""Which training loggers (TensorBoard, MLflow) the config may ask for, and their packages.

Kept apart from :mod:`supertml.training.loggers`, which makes the loggers, so that the
pre-flight can check the packages without importing torch and Lightning (not to be confused
with :mod:`supertml.logs`, the steps' log files).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import Any, Final

__all__ = ["LOGGER_PACKAGES", "missing_packages"]

#: The module each logger imports, and the distribution that provides it.
LOGGER_PACKAGES: Final[Mapping[str, tuple[str, str]]] = {
    "tensorboard": ("tensorboard", "tensorboard"),
    "mlflow": ("mlflow", "mlflow-skinny"),
}


def missing_packages(settings: Mapping[str, Any]) -> dict[str, str]:
    """Per logger switched on in ``settings`` (config ``loggers``) whose module cannot be
    imported: the distribution to install."""
    return {
        name: distribution
        for name, (module, distribution) in LOGGER_PACKAGES.items()
        if settings.get(name) and importlib.util.find_spec(module) is None
    }
