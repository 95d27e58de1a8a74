"""Tabular baselines scored by the same code as the image-based experiments."""

from supertml.baselines.gbt import GbtSettings, fit_predict_gbt
from supertml.baselines.mlp import MlpSettings, fit_predict_mlp
from supertml.baselines.tuning import GbtTuningSettings, fit_predict_tuned_gbt

__all__ = [
    "GbtSettings",
    "GbtTuningSettings",
    "MlpSettings",
    "fit_predict_gbt",
    "fit_predict_mlp",
    "fit_predict_tuned_gbt",
]
