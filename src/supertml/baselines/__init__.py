"""Tabular baselines scored by the same code as the image-based experiments."""

from supertml.baselines.gbt import GbtSettings, fit_gbt
from supertml.baselines.mlp import MlpSettings, fit_mlp
from supertml.baselines.models import BaselineFit
from supertml.baselines.tuning import GbtTuningSettings, fit_tuned_gbt

__all__ = [
    "BaselineFit",
    "GbtSettings",
    "GbtTuningSettings",
    "MlpSettings",
    "fit_gbt",
    "fit_mlp",
    "fit_tuned_gbt",
]
