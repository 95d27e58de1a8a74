"""Scoring layer: the challenge's AMS, cuts on a classifier score, and prediction-file scores.

Every AMS in the project is computed here (REFERENCE.md section 3).
"""

from __future__ import annotations

from supertml.metrics.ams import DEFAULT_B_REG, ams
from supertml.metrics.analyses import analyse_predictions, bootstrap_ams, summarise_seeds
from supertml.metrics.cut import (
    AmsCurve,
    CutChoice,
    ams_at_cut,
    ams_curve,
    choose_cut,
    max_ams,
)
from supertml.metrics.scoring import (
    PREDICTION_COLUMNS,
    PREDICTION_SUBSETS,
    ScoreConfig,
    predictions_frame,
    read_predictions,
    score_predictions,
    validate_predictions,
)

__all__ = [
    "DEFAULT_B_REG",
    "PREDICTION_COLUMNS",
    "PREDICTION_SUBSETS",
    "AmsCurve",
    "CutChoice",
    "ScoreConfig",
    "ams",
    "ams_at_cut",
    "ams_curve",
    "analyse_predictions",
    "bootstrap_ams",
    "choose_cut",
    "max_ams",
    "predictions_frame",
    "read_predictions",
    "score_predictions",
    "summarise_seeds",
    "validate_predictions",
]
