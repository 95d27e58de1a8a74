"""Gradient-boosted trees tuned sensibly: a small seeded random search scored on validation.

REFERENCE.md section 6 quotes boosted trees at about 3.7 AMS "with modest tuning"; this module
is that modest tuning, so the CNNs are compared with a fair tree baseline rather than a default
one. ``n_trials`` points are drawn without replacement from a small grid of
``HistGradientBoostingClassifier`` settings (learning rate, leaves per tree, events per leaf,
L2 penalty, iteration cap; the number of iterations itself is found by the early stopping
inside :func:`~supertml.baselines.gbt.fit_gbt`). Each point is fitted on ``train`` and
scored on ``val``; the best point is refitted (same seed, so the same model) and scores the
test subsets. The test subsets are never shown to the trials, so the public and private AMS
stay honest; the validation AMS of the chosen model is optimistic, as for any tuned model.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_limits

from supertml.baselines.gbt import GbtSettings, fit_gbt
from supertml.baselines.models import BaselineFit
from supertml.errors import ConfigError
from supertml.metrics import DEFAULT_B_REG, max_ams

__all__ = [
    "OBJECTIVES",
    "SEARCH_PARAMETERS",
    "GbtTuningSettings",
    "fit_tuned_gbt",
    "sample_trials",
    "validation_score",
]

#: How a trial is scored on the validation split (see :func:`validation_score`).
OBJECTIVES: Final[tuple[str, ...]] = ("auc", "ams")
#: The GbtSettings fields searched, in the order of the trial table's columns.
SEARCH_PARAMETERS: Final[tuple[str, ...]] = (
    "learning_rate",
    "max_leaf_nodes",
    "min_samples_leaf",
    "l2_regularization",
    "max_iter",
)
# Smallest legal value of each searched parameter (learning_rate must also be > 0).
_MINIMUM: Final[dict[str, float]] = {
    "learning_rate": 0.0,
    "max_leaf_nodes": 2,
    "min_samples_leaf": 1,
    "l2_regularization": 0.0,
    "max_iter": 1,
}
_INTEGER: Final[frozenset[str]] = frozenset({"max_leaf_nodes", "min_samples_leaf", "max_iter"})


@dataclass(frozen=True)
class GbtTuningSettings:
    """The search (config ``baselines.<name>``): candidates per parameter, trials, objective.

    Defaults span the usual ranges for a few hundred thousand events: 4 x 4 x 4 x 4 x 2 = 512
    grid points, of which ``n_trials`` (12) are tried. ``n_trials`` above the grid size tries
    every point (a full grid search). Lists (from YAML) are stored as tuples.

    ``objective``: ``"auc"`` (default) or ``"ams"``; see :func:`validation_score` for why AUC.
    ``b_reg``: the AMS regulariser for ``"ams"`` (REFERENCE.md section 3). ``seed`` draws the
    trials and seeds every fit.

    Raises
    ------
    ConfigError
        Naming every bad field and its value.
    """

    n_trials: int = 12
    objective: Literal["auc", "ams"] = "auc"
    learning_rate: tuple[float, ...] = (0.02, 0.05, 0.1, 0.2)
    max_leaf_nodes: tuple[int, ...] = (15, 31, 63, 127)
    min_samples_leaf: tuple[int, ...] = (20, 50, 100, 200)
    l2_regularization: tuple[float, ...] = (0.0, 0.1, 1.0, 10.0)
    max_iter: tuple[int, ...] = (300, 1000)
    b_reg: float = DEFAULT_B_REG
    seed: int = 0

    def __post_init__(self) -> None:
        problems: list[str] = []
        for name, value, low in (("n_trials", self.n_trials, 1), ("seed", self.seed, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                problems.append(f"{name} must be an integer >= {low}, got {value!r}")
        if self.objective not in OBJECTIVES:
            problems.append(f"objective must be one of {list(OBJECTIVES)}, got {self.objective!r}")
        if not _finite(self.b_reg) or self.b_reg < 0:
            problems.append(f"b_reg must be >= 0, got {self.b_reg!r}")
        for name in SEARCH_PARAMETERS:
            values = getattr(self, name)
            if isinstance(values, list):
                values = tuple(values)
                object.__setattr__(self, name, values)  # frozen: hashable, YAML gives lists
            problems.extend(_candidate_problems(name, values))
        if problems:
            raise ConfigError("tuned boosted-tree baseline settings: " + "; ".join(problems))

    @property
    def grid_size(self) -> int:
        """Number of points in the grid of candidates."""
        return math.prod(len(getattr(self, name)) for name in SEARCH_PARAMETERS)


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _candidate_problems(name: str, values: object) -> list[str]:
    """What is wrong with one parameter's candidate tuple (empty list: nothing)."""
    if not isinstance(values, tuple) or not values:
        return [f"{name} must be a non-empty list of candidates, got {values!r}"]
    integer = name in _INTEGER
    bad = [
        value
        for value in values
        if not _finite(value)
        or (integer and not isinstance(value, int))
        or value < _MINIMUM[name]
        or (name == "learning_rate" and value <= 0.0)
    ]
    if bad:
        kind = "integers" if integer else "numbers"
        limit = "> 0" if name == "learning_rate" else f">= {_MINIMUM[name]:g}"
        return [f"{name} candidates must be {kind} {limit}, got {bad}"]
    if len(set(values)) != len(values):
        return [f"{name} candidates repeat a value: {list(values)}"]
    return []


def sample_trials(settings: GbtTuningSettings) -> list[dict[str, float | int]]:
    """The trials: ``min(n_trials, grid_size)`` distinct grid points, drawn with ``seed``.

    Random search rather than a grid walk (Bergstra and Bengio 2012, JMLR 13, 281): with a
    dozen trials, a random subset covers every value of each parameter, where a grid would fix
    most of them. Drawing grid indices without replacement never repeats a point.
    """
    sizes = [len(getattr(settings, name)) for name in SEARCH_PARAMETERS]
    rng = np.random.default_rng(settings.seed)
    flat = rng.choice(
        settings.grid_size, size=min(settings.n_trials, settings.grid_size), replace=False
    )
    index = np.unravel_index(flat, sizes)
    return [
        {
            name: getattr(settings, name)[int(index[column][trial])]
            for column, name in enumerate(SEARCH_PARAMETERS)
        }
        for trial in range(flat.size)
    ]


def validation_score(
    scores: ArrayLike,
    labels: ArrayLike,
    weights: ArrayLike,
    objective: str,
    *,
    b_reg: float = DEFAULT_B_REG,
) -> float:
    """Score one trial on the validation split; higher is better.

    ``"auc"``: ROC AUC with the event weights (the physics mixture of processes within each
    class). ``"ams"``: the maximum AMS over cuts, through
    :func:`supertml.metrics.max_ams` (REFERENCE.md section 3).

    AUC is the default because it is far less noisy. The maximum AMS is decided by the few
    hundred highest-scored validation events, and the maximum over cuts is itself biased
    upwards; its trial-to-trial noise is of the size of the differences between sensible
    settings, so picking the best of a dozen maxima mostly picks a lucky fluctuation (the
    test-set optimisation of REFERENCE.md section 4, on a smaller scale). AUC uses every event
    and rewards the separation the cut then exploits.
    """
    if objective == "auc":
        return float(roc_auc_score(labels, scores, sample_weight=weights))
    if objective == "ams":
        return max_ams(scores, labels, weights, b_reg=b_reg)[0]
    raise ValueError(f"unknown tuning objective {objective!r}; expected one of {list(OBJECTIVES)}")


def _gbt_settings(params: Mapping[str, float | int], seed: int) -> GbtSettings:
    """The boosted-tree settings of one grid point."""
    return GbtSettings(
        learning_rate=float(params["learning_rate"]),
        max_leaf_nodes=int(params["max_leaf_nodes"]),
        min_samples_leaf=int(params["min_samples_leaf"]),
        l2_regularization=float(params["l2_regularization"]),
        max_iter=int(params["max_iter"]),
        seed=seed,
    )


def _val_score(predictions: pd.DataFrame, settings: GbtTuningSettings) -> float:
    val = predictions[predictions["subset"] == "val"]
    return validation_score(
        val["score"].to_numpy(),
        val["label"].to_numpy(),
        val["weight"].to_numpy(),
        settings.objective,
        b_reg=settings.b_reg,
    )


def fit_tuned_gbt(
    settings: GbtTuningSettings,
    prepared: Mapping[str, pd.DataFrame],
    features: Sequence[str],
    *,
    threads: int = 1,
) -> BaselineFit:
    """Search the boosted-tree settings on ``val``; refit the best, score val/public/private.

    Same inputs and predictions contract as :func:`~supertml.baselines.gbt.fit_gbt`
    (``prepared`` holds ``train``, ``val``, ``public``, ``private``). Ties keep the earlier
    trial. Only ``train`` and ``val`` reach the trials. ``threads`` caps the OpenMP threads of
    every fit (scikit-learn's own ``threadpoolctl``): by default the trees take every core, and
    on a shared or busy machine OpenMP's busy-waiting then makes small fits many times slower.

    Returns the predictions of the refitted best model, a dict with the search settings,
    the trial table (``trials``: one dict per trial with its parameters, ``n_iter`` used,
    ``score`` and ``seconds``), ``best_trial``, ``chosen`` (its parameters), the refit's info
    and its validation score (equal to the best trial's: same seed, same model), and the
    refitted model.
    """
    missing = [name for name in ("train", "val", "public", "private") if name not in prepared]
    if missing:
        raise ValueError(f"fit_tuned_gbt: prepared subsets {missing} missing")
    if threads < 1:
        raise ValueError(f"fit_tuned_gbt: threads must be >= 1, got {threads}")
    with threadpool_limits(limits=threads):
        return _search_and_refit(settings, prepared, features, threads)


def _search_and_refit(
    settings: GbtTuningSettings,
    prepared: Mapping[str, pd.DataFrame],
    features: Sequence[str],
    threads: int,
) -> BaselineFit:
    """The body of :func:`fit_tuned_gbt`, run under its thread limit."""
    # fit_gbt always scores three subsets; handing it val in the test slots keeps the
    # test events out of every trial (and skips predicting 550k events per trial).
    val_only = {
        "train": prepared["train"],
        "val": prepared["val"],
        "public": prepared["val"],
        "private": prepared["val"],
    }
    start = time.perf_counter()
    trials: list[dict[str, Any]] = []
    for number, params in enumerate(sample_trials(settings)):
        tick = time.perf_counter()
        trial = fit_gbt(_gbt_settings(params, settings.seed), val_only, features)
        predictions, fit_info = trial.predictions, trial.info
        trials.append(
            {
                "trial": number,
                **params,
                "n_iter": fit_info["n_iter"],
                "score": _val_score(predictions, settings),
                "seconds": time.perf_counter() - tick,
            }
        )
    best = int(np.argmax([trial["score"] for trial in trials]))  # first of any tie
    chosen = {name: trials[best][name] for name in SEARCH_PARAMETERS}
    search_seconds = time.perf_counter() - start
    refit = fit_gbt(_gbt_settings(chosen, settings.seed), prepared, features)
    predictions = refit.predictions
    info = {
        "settings": asdict(settings),
        "objective": settings.objective,
        "threads": threads,
        "trials": trials,
        "best_trial": best,
        "chosen": chosen,
        "refit": refit.info,
        "refit_val_score": _val_score(predictions, settings),
        "search_seconds": search_seconds,
    }
    return BaselineFit(predictions=predictions, info=info, model=refit.model)
