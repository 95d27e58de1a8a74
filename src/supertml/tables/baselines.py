"""Tree baselines on the small tables, and the study's shuffled-label control.

The study compared its CNNs with a random forest (Iris 96.7 %, Wine 100 %) and, as a sanity
check, retrained on shuffled labels (Iris 23 %, i.e. chance): REFERENCE.md section 5, "Small
data sets". The paper's own comparison was xgboost; scikit-learn's histogram gradient boosting
stands in for it, as in :mod:`supertml.baselines.gbt`. Accuracy on the test split is the metric.

Both models take the features as loaded: NaN for missing values (both route them natively),
categorical columns as their integer codes, treated as ordered numbers (trees split them
anyway; no one-hot encoding).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_limits

from supertml.tables.loading import TabularSplits

if TYPE_CHECKING:
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier

__all__ = [
    "BASELINE_MODELS",
    "BaselineModel",
    "BaselineResult",
    "accuracy",
    "chance_level",
    "fit_baseline",
    "run_baselines",
]

BaselineModel = Literal["random_forest", "gbt"]

#: The baseline models, in report order.
BASELINE_MODELS: tuple[BaselineModel, ...] = get_args(BaselineModel)


@dataclass(frozen=True)
class BaselineResult:
    """One baseline fit scored on the test split.

    ``chance`` is the share of the test split's most common class: the accuracy of always
    guessing it, which a model trained on shuffled labels should not beat by much.
    ``predicted`` holds the test predictions (class codes) and is left out of :meth:`to_dict`.
    """

    table: str
    model: BaselineModel
    shuffled_labels: bool
    seed: int
    accuracy: float
    chance: float
    n_train: int
    n_test: int
    n_classes: int
    predicted: npt.NDArray[np.int64] = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record of the result, without the predictions."""
        return {
            "table": self.table,
            "model": self.model,
            "shuffled_labels": self.shuffled_labels,
            "seed": self.seed,
            "accuracy": self.accuracy,
            "chance": self.chance,
            "n_train": self.n_train,
            "n_test": self.n_test,
            "n_classes": self.n_classes,
        }


def accuracy(labels: npt.ArrayLike, predicted: npt.ArrayLike) -> float:
    """Share of rows whose predicted class equals the true one."""
    truth, guess = np.asarray(labels), np.asarray(predicted)
    if truth.shape != guess.shape or truth.size == 0:
        raise ValueError(
            f"accuracy needs equal, non-empty label arrays, got {truth.shape} and {guess.shape}"
        )
    return float(np.mean(truth == guess))


def chance_level(labels: npt.ArrayLike) -> float:
    """Share of the most common class: the accuracy of always guessing it."""
    codes = np.asarray(labels, dtype=np.int64)
    if codes.size == 0:
        raise ValueError("chance_level needs at least one label")
    return float(np.bincount(codes).max() / codes.size)


def _classifier(
    model: BaselineModel, seed: int, threads: int
) -> RandomForestClassifier | HistGradientBoostingClassifier:
    # Imported here: scikit-learn costs about 2 s, which the config check (it imports this
    # package) and every table job without a tree would otherwise pay.
    from sklearn.ensemble import (  # noqa: PLC0415
        HistGradientBoostingClassifier,
        RandomForestClassifier,
    )

    if model == "random_forest":
        return RandomForestClassifier(n_estimators=100, random_state=seed, n_jobs=threads)
    if model == "gbt":
        # No early stopping: it would hold out part of an already small training split.
        return HistGradientBoostingClassifier(
            max_iter=100, learning_rate=0.1, early_stopping=False, random_state=seed
        )
    raise ValueError(f"unknown baseline model {model!r}; known: {list(BASELINE_MODELS)}")


def fit_baseline(
    splits: TabularSplits,
    model: BaselineModel,
    *,
    seed: int = 0,
    shuffled_labels: bool = False,
    threads: int = 1,
) -> BaselineResult:
    """Fit ``model`` on the training split and score its accuracy on the test split.

    With ``shuffled_labels`` the training labels are permuted (``numpy`` generator seeded with
    ``seed``) before fitting, breaking any link between features and class while keeping the
    class shares: the study's sanity check, whose accuracy should fall to chance. The test
    labels are never shuffled.

    ``threads`` caps the model's threads (random-forest jobs, boosted trees' OpenMP threads).
    One is the default: on tables this small OpenMP start-up dominates (on this project's
    2-core VM the boosted trees fit Iris in 0.17-0.42 s with one thread, 0.47-0.49 s with
    two; bench/RESULTS.md).
    """
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    labels = splits.train_labels
    if shuffled_labels:
        labels = np.random.default_rng(seed).permutation(labels)
    classifier = _classifier(model, seed, threads)
    with threadpool_limits(limits=threads, user_api="openmp"):
        classifier.fit(splits.train.to_numpy(dtype=np.float64, na_value=np.nan), labels)
        predicted = np.asarray(
            classifier.predict(splits.test.to_numpy(dtype=np.float64, na_value=np.nan)),
            dtype=np.int64,
        )
    return BaselineResult(
        table=splits.name,
        model=model,
        shuffled_labels=shuffled_labels,
        seed=seed,
        accuracy=accuracy(splits.test_labels, predicted),
        chance=chance_level(splits.test_labels),
        n_train=len(splits.train),
        n_test=len(splits.test),
        n_classes=splits.n_classes,
        predicted=predicted,
    )


def run_baselines(
    splits: TabularSplits,
    models: Sequence[BaselineModel] = BASELINE_MODELS,
    *,
    seed: int = 0,
    threads: int = 1,
) -> list[BaselineResult]:
    """Each model fitted on the true labels and, as the control, on shuffled labels."""
    return [
        fit_baseline(splits, model, seed=seed, shuffled_labels=shuffled, threads=threads)
        for model in models
        for shuffled in (False, True)
    ]
