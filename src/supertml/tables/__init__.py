"""The paper's small classification tables (Iris, Wine, any CSV table) and their baselines.

``TableSpec`` says how to read a table, ``load_table`` turns it into coded ``TabularSplits``,
``text_values`` / ``scaled_values`` give the text and pixel encoders their inputs, and
``run_baselines`` scores tree models and the shuffled-label control by test accuracy
(REFERENCE.md section 5, "Small data sets"), and ``comparison_frame`` sets them beside the
paper's and the study's accuracies (:data:`supertml.published.PUBLISHED_ACCURACIES`). The
workflow's steps are in :mod:`supertml.steps.tables`.
"""

from __future__ import annotations

from supertml.tables.baselines import (
    BASELINE_MODELS,
    BaselineModel,
    BaselineResult,
    accuracy,
    chance_level,
    fit_baseline,
    run_baselines,
)
from supertml.tables.loading import TabularSplits, load_table
from supertml.tables.spec import DEFAULT_MISSING_VALUES, TableSource, TableSpec
from supertml.tables.summary import (
    COMPARISON_COLUMNS,
    METHODS,
    comparison_frame,
    comparison_markdown,
)
from supertml.tables.values import (
    MISSING_TEXT,
    TEXT_DECIMALS,
    fit_table_scaler,
    scaled_values,
    text_strings,
    text_style,
    text_values,
)

__all__ = [
    "BASELINE_MODELS",
    "COMPARISON_COLUMNS",
    "DEFAULT_MISSING_VALUES",
    "METHODS",
    "MISSING_TEXT",
    "TEXT_DECIMALS",
    "BaselineModel",
    "BaselineResult",
    "TableSource",
    "TableSpec",
    "TabularSplits",
    "accuracy",
    "chance_level",
    "comparison_frame",
    "comparison_markdown",
    "fit_baseline",
    "fit_table_scaler",
    "load_table",
    "run_baselines",
    "scaled_values",
    "text_strings",
    "text_style",
    "text_values",
]
