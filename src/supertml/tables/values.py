"""The numbers a small table's images show: printed values for text, scaled values for pixels.

Text images of the small data sets print each value with **1 decimal** (REFERENCE.md section 5,
"Text there used 1 decimal"), through the project's text encoder
(:mod:`supertml.encoding.text`). Pixel images draw standard-scaled values, the scaler fitted
on the training rows only (REFERENCE.md section 5, "statistics of the training split").

Decisions, each a physicist may want to know:

* **Missing values print as ``nan``**, exactly what Python's ``f"{float('nan'):.1f}"`` prints,
  so every string equals Python's formatting of the stored value. Blank is impossible (the text
  encoder needs visible ink for an undefined value), and the encoder's HiggsML default (zero,
  ``0.0``) would be confused with a real 0 (Adult's ``capital-gain`` is mostly 0).
  Iris and Wine have no missing values, so the study's images are unaffected.
* **Categorical columns print their integer code** (``3.0``): the encoder writes numbers only.
* **Pixels**: missing values stay NaN after scaling, which the pixel encoder draws black;
  categorical codes are scaled like any other column (unscaled codes would saturate the
  sigmoid).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from supertml.data.preprocess import StandardScaler, defined_mean_std
from supertml.encoding.text import TextStyle, format_values
from supertml.tables.loading import TabularSplits

__all__ = [
    "MISSING_TEXT",
    "TEXT_DECIMALS",
    "fit_table_scaler",
    "scaled_values",
    "text_strings",
    "text_style",
    "text_values",
]

#: Decimals printed in the small data sets' text images (REFERENCE.md section 5).
TEXT_DECIMALS: Final[int] = 1

#: Text printed for a missing value: Python's own formatting of NaN.
MISSING_TEXT: Final[str] = "nan"


def text_style(*, font_path: str | None = None, font_size: int = 13) -> TextStyle:
    """The text encoder's style for these tables: 1 decimal, missing printed ``nan``.

    >>> text_style().decimals, text_style().undefined
    (1, 'nan')
    """
    return TextStyle(
        font_path=font_path,
        font_size=font_size,
        decimals=TEXT_DECIMALS,
        undefined_text=MISSING_TEXT,
    )


def text_values(frame: pd.DataFrame) -> npt.NDArray[np.float64]:
    """The values a text image prints, ``float64 [N, F]`` in column order, NaN = missing.

    These are the table's own (unscaled) values, what ``Encoder.reads == "physical"`` expects;
    categorical columns hold their codes.
    """
    values: npt.NDArray[np.float64] = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    return values


def text_strings(frame: pd.DataFrame) -> npt.NDArray[np.str_]:
    """The strings a text image shows, ``str [N, F]``: ``f"{x:.1f}"``, ``nan`` when missing."""
    return format_values(text_values(frame), decimals=TEXT_DECIMALS, undefined_text=MISSING_TEXT)


def fit_table_scaler(train: pd.DataFrame) -> StandardScaler:
    """Mean and population standard deviation (ddof=0) of each column over its present values.

    Pass training rows only (REFERENCE.md section 5). A column that is constant or never present
    gets std 1 (and mean 0 if never present), so it stays constant instead of dividing by zero,
    with the statistics of :func:`supertml.data.preprocess.fit_standard_scaler` (missing = NaN
    here, -999.0 there).
    """
    values = train.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(values).any():
        raise ValueError("fit_table_scaler: training values hold infinities")
    mean, std = defined_mean_std(values, ~np.isnan(values))
    return StandardScaler(
        features=tuple(str(name) for name in train.columns),
        mean=tuple(float(v) for v in mean),
        std=tuple(float(v) for v in std),
    )


def scaled_values(
    splits: TabularSplits,
) -> tuple[StandardScaler, npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The pixel encoding's inputs: a scaler fitted on ``splits.train``, train and test scaled."""
    scaler = fit_table_scaler(splits.train)
    return scaler, scaler.scale_columns(splits.train), scaler.scale_columns(splits.test)
