"""Gradient-boosted trees on the prepared tabular features: a physicist's first baseline.

Same splits, same prepared (scaled) features, same predictions contract and scoring code as the
CNN experiments, so the numbers in the summary are directly comparable. scikit-learn's
``HistGradientBoostingClassifier`` (a LightGBM-style histogram GBDT) is used rather than
XGBoost to keep the dependency set small; REFERENCE.md section 6 quotes XGBoost at about 3.7 AMS
on the full data with modest tuning.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier

from supertml.metrics import predictions_frame

__all__ = ["GbtSettings", "fit_predict_gbt"]


@dataclass(frozen=True)
class GbtSettings:
    """Hyper-parameters of the boosted-tree baseline (config ``baselines.<name>``)."""

    max_iter: int = 500
    learning_rate: float = 0.05
    max_leaf_nodes: int = 31
    min_samples_leaf: int = 20
    l2_regularization: float = 0.0
    seed: int = 0


def fit_predict_gbt(
    settings: GbtSettings,
    prepared: Mapping[str, pd.DataFrame],
    features: Sequence[str],
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Fit on ``prepared["train"]``; score ``val``, ``public`` and ``private``.

    Training is unweighted, like the study's CNNs, so the comparison isolates the model.
    Undefined feature values stay NaN: histogram GBDTs route missing values to the best side of
    each split natively, which is how tree users treat HiggsML's -999 values.
    Early stopping uses 10 % of the training split, never the validation split (the cut is
    chosen there and must stay unbiased).

    Returns the predictions frame (event_id, subset, label, weight, score) and a dict of
    facts about the fit (iterations used, settings).
    """
    train = prepared["train"]
    classifier = HistGradientBoostingClassifier(
        max_iter=settings.max_iter,
        learning_rate=settings.learning_rate,
        max_leaf_nodes=settings.max_leaf_nodes,
        min_samples_leaf=settings.min_samples_leaf,
        l2_regularization=settings.l2_regularization,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=20,
        random_state=settings.seed,
    )
    classifier.fit(train[list(features)].to_numpy(np.float64), train["label"].to_numpy())
    frames = []
    for subset in ("val", "public", "private"):
        frame = prepared[subset]
        scores = classifier.predict_proba(frame[list(features)].to_numpy(np.float64))[:, 1]
        frames.append(
            predictions_frame(
                subset,
                event_id=frame["event_id"],
                label=frame["label"],
                weight=frame["weight"],
                score=scores,
            )
        )
    info = {"settings": asdict(settings), "n_iter": int(classifier.n_iter_)}
    return pd.concat(frames, ignore_index=True), info
