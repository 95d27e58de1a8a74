"""What the baselines' tests read of a fit: its predictions and its facts."""

from __future__ import annotations

from typing import Any

import pandas as pd

from supertml.baselines.models import BaselineFit


def predictions_and_info(fit: BaselineFit) -> tuple[pd.DataFrame, dict[str, Any]]:
    """``fit``'s predictions and info (its model is tested in ``test_models.py``)."""
    return fit.predictions, fit.info
