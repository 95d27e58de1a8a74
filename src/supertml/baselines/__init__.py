"""Tabular baselines scored by the same code as the image-based experiments."""

from supertml.baselines.gbt import GbtSettings, fit_predict_gbt

__all__ = ["GbtSettings", "fit_predict_gbt"]
