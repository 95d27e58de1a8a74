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

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.ensemble import HistGradientBoostingClassifier

from supertml.baselines.models import BaselineFit, score_subsets
from supertml.data.preprocess import require_columns

__all__ = ["GbtModel", "GbtSettings", "fit_gbt"]


@dataclass(frozen=True)
class GbtSettings:
    """Hyper-parameters of the boosted-tree baseline (config ``baselines.<name>``)."""

    max_iter: int = 500
    learning_rate: float = 0.05
    max_leaf_nodes: int = 31
    min_samples_leaf: int = 20
    l2_regularization: float = 0.0
    seed: int = 0


@dataclass(frozen=True, eq=False)
class GbtModel:
    """A fitted boosted-tree classifier and the prepared features it reads, in order."""

    classifier: HistGradientBoostingClassifier
    features: tuple[str, ...]

    def score(self, prepared: pd.DataFrame) -> NDArray[np.float64]:
        """p(signal) of each row of a prepared (scaled, NaN where undefined) frame."""
        require_columns(prepared, self.features)
        matrix = prepared[list(self.features)].to_numpy(np.float64)
        scores: NDArray[np.float64] = self.classifier.predict_proba(matrix)[:, 1]
        return scores


def fit_gbt(
    settings: GbtSettings,
    prepared: Mapping[str, pd.DataFrame],
    features: Sequence[str],
) -> BaselineFit:
    """Fit on ``prepared["train"]``; score ``val``, ``public`` and ``private``.

    Training is unweighted, like the study's CNNs, so the comparison isolates the model.
    Undefined feature values stay NaN: histogram GBDTs route missing values to the best side of
    each split natively, which is how tree users treat HiggsML's -999 values.
    Early stopping uses 10 % of the training split, never the validation split (the cut is
    chosen there and must stay unbiased).

    Returns the predictions (event_id, subset, label, weight, score), facts about the fit
    (iterations used, settings) and the fitted :class:`GbtModel`, whose ``score`` made the
    predictions (so applying it to the same events later gives the same scores).
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
    model = GbtModel(classifier=classifier, features=tuple(features))
    info = {"settings": asdict(settings), "n_iter": int(classifier.n_iter_)}
    return BaselineFit(predictions=score_subsets(model, prepared), info=info, model=model)
