"""Scoring layer: the challenge's AMS, cuts on a classifier score, prediction-file scores, and the
study's analyses of the claim.

Every AMS in the project is computed here (REFERENCE.md section 3): :mod:`~supertml.metrics.ams`
(the formula), :mod:`~supertml.metrics.cut` (cuts and scans), :mod:`~supertml.metrics.scoring`
(a prediction file's scores), :mod:`~supertml.metrics.folds` (test size, test-set
optimisation), :mod:`~supertml.metrics.luminosity` (double luminosity),
:mod:`~supertml.metrics.bootstrap` and :mod:`~supertml.metrics.intervals` (uncertainties),
:mod:`~supertml.metrics.seeds` (spread over training seeds), :mod:`~supertml.metrics.analyses`
(all of section 4 on one run).
"""

from __future__ import annotations

from supertml.metrics.ams import DEFAULT_B_REG, ams
from supertml.metrics.analyses import analyse_predictions
from supertml.metrics.bootstrap import bootstrap_ams
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
    ScoreConfig,
    predictions_frame,
    read_predictions,
    score_predictions,
    validate_predictions,
)
from supertml.metrics.seeds import summarise_seeds

__all__ = [
    "DEFAULT_B_REG",
    "PREDICTION_COLUMNS",
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
