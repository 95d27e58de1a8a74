"""Challenge data: read and validate the CSV files, split them, scale the features.

``read_events`` -> ``split_events`` -> ``prepare_splits`` is the path from a file to the four
prepared tables (train, val, public, private) that encoders and models read.
"""

from __future__ import annotations

from supertml.data.hep import DATA_FIX_FEATURES, apply_data_fix
from supertml.data.preprocess import (
    UNSCALED_FEATURES,
    PreparedSplits,
    PreprocessingPreset,
    StandardScaler,
    fit_standard_scaler,
    model_matrix,
    physical_frame,
    prepare_splits,
)
from supertml.data.reader import (
    KAGGLE_SET_CODES,
    LABEL_CODES,
    SOURCE_COLUMNS,
    EventTable,
    read_events,
)
from supertml.data.splits import SPLIT_COLUMNS, SplitConfig, Splits, WeightScheme, split_events

__all__ = [
    "DATA_FIX_FEATURES",
    "KAGGLE_SET_CODES",
    "LABEL_CODES",
    "SOURCE_COLUMNS",
    "SPLIT_COLUMNS",
    "UNSCALED_FEATURES",
    "EventTable",
    "PreparedSplits",
    "PreprocessingPreset",
    "SplitConfig",
    "Splits",
    "StandardScaler",
    "WeightScheme",
    "apply_data_fix",
    "fit_standard_scaler",
    "model_matrix",
    "physical_frame",
    "prepare_splits",
    "read_events",
    "split_events",
]
