"""The tuned boosted-tree baseline: trial drawing, choice of the best trial, the refit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from supertml.baselines.gbt import GbtSettings, fit_gbt
from supertml.baselines.tuning import (
    SEARCH_PARAMETERS,
    GbtTuningSettings,
    fit_tuned_gbt,
    sample_trials,
    validation_score,
)
from supertml.constants import FEATURES
from supertml.errors import ConfigError
from supertml.metrics import max_ams, validate_predictions
from tests.unit.baselines.fits import predictions_and_info

# A search small enough for a unit test, wide enough that trials score differently.
SMALL = GbtTuningSettings(
    n_trials=4,
    learning_rate=(0.05, 0.3),
    max_leaf_nodes=(3, 15),
    min_samples_leaf=(5, 40),
    l2_regularization=(0.0, 1.0),
    max_iter=(10, 40),
    seed=5,
)


def prepared_frames(seed: int = 0) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    frames = {}
    sizes = {"train": 1500, "val": 600, "public": 200, "private": 300}
    for offset, (subset, n) in enumerate(sizes.items()):
        label = (rng.random(n) < 0.35).astype(np.int8)
        values = rng.normal(size=(n, len(FEATURES)))
        values[:, 0] += 1.0 * label
        values[:, 1] += 0.7 * label * np.sign(values[:, 2])
        values[rng.random((n, len(FEATURES))) < 0.1] = np.nan
        frame = pd.DataFrame(values, columns=list(FEATURES))
        frame.insert(0, "event_id", np.arange(n) + 10_000 * offset)
        frame["label"] = label
        frame["weight"] = np.where(label == 1, 0.01, 2.0) * rng.uniform(0.5, 1.5, n)
        frame["subset"] = subset
        frames[subset] = frame
    return frames


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return prepared_frames()


@pytest.fixture(scope="module")
def tuned(frames: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, dict[str, Any]]:
    return predictions_and_info(fit_tuned_gbt(SMALL, frames, FEATURES))


def test_contract_and_best_trial_chosen(
    frames: dict[str, pd.DataFrame], tuned: tuple[pd.DataFrame, dict[str, Any]]
) -> None:
    predictions, info = tuned
    validate_predictions(predictions, "in-memory")
    assert predictions.groupby("subset").size().to_dict() == {
        "val": 600,
        "public": 200,
        "private": 300,
    }
    trials = pd.DataFrame(info["trials"])
    assert len(trials) == 4
    assert trials["score"].nunique() > 1  # the search has something to choose between
    best = int(trials["score"].idxmax())
    assert info["best_trial"] == best
    assert info["chosen"] == {name: trials.loc[best, name] for name in SEARCH_PARAMETERS}
    # The returned predictions come from the chosen settings: same val score, and the same
    # scores as a direct fit with those settings.
    assert info["refit_val_score"] == pytest.approx(trials.loc[best, "score"])
    with threadpool_limits(limits=1):  # as inside the search: many OpenMP threads are slow here
        direct, _ = predictions_and_info(
            fit_gbt(GbtSettings(seed=SMALL.seed, **info["chosen"]), frames, FEATURES)
        )
    pd.testing.assert_frame_equal(predictions, direct)


def test_auc_score_is_weighted(frames: dict[str, pd.DataFrame]) -> None:
    labels = np.array([0, 0, 1, 1])
    scores = np.array([0.1, 0.6, 0.4, 0.9])
    # Unweighted AUC is 0.75; up-weighting the misordered background lowers it.
    assert validation_score(scores, labels, np.ones(4), "auc") == pytest.approx(0.75)
    assert validation_score(scores, labels, np.array([1.0, 3.0, 1.0, 1.0]), "auc") < 0.75


def test_ams_objective_uses_max_validation_ams(frames: dict[str, pd.DataFrame]) -> None:
    settings = GbtTuningSettings(**{**SMALL.__dict__, "objective": "ams", "n_trials": 2})
    predictions, info = predictions_and_info(fit_tuned_gbt(settings, frames, FEATURES))
    val = predictions[predictions["subset"] == "val"]
    expected, _ = max_ams(val["score"], val["label"], val["weight"])
    assert info["refit_val_score"] == pytest.approx(expected)
    scores = [trial["score"] for trial in info["trials"]]
    assert info["refit_val_score"] == pytest.approx(max(scores))


def test_trials_are_seeded_distinct_grid_points() -> None:
    trials = sample_trials(SMALL)
    assert trials == sample_trials(SMALL)
    assert trials != sample_trials(GbtTuningSettings(**{**SMALL.__dict__, "seed": 6}))
    points = {tuple(trial[name] for name in SEARCH_PARAMETERS) for trial in trials}
    assert len(points) == 4
    for trial in trials:
        for name in SEARCH_PARAMETERS:
            assert trial[name] in getattr(SMALL, name)
    # More trials than grid points: the whole grid, once each.
    everything = sample_trials(GbtTuningSettings(**{**SMALL.__dict__, "n_trials": 1000}))
    assert len({tuple(t.values()) for t in everything}) == SMALL.grid_size == 32


def test_yaml_lists_become_tuples() -> None:
    settings = GbtTuningSettings(learning_rate=[0.1, 0.2])  # type: ignore[arg-type]
    assert settings.learning_rate == (0.1, 0.2)
    assert hash(settings)


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"n_trials": 0}, "n_trials"),
        ({"objective": "logloss"}, "objective"),
        ({"learning_rate": ()}, "learning_rate"),
        ({"learning_rate": (0.0, 0.1)}, "learning_rate"),
        ({"max_leaf_nodes": (1,)}, "max_leaf_nodes"),
        ({"max_iter": (10.5,)}, "max_iter"),
        ({"min_samples_leaf": (5, 5)}, "repeat"),
    ],
)
def test_bad_settings_are_rejected(fields: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        GbtTuningSettings(**fields)  # type: ignore[arg-type]


def test_bad_inputs_of_the_search_are_refused(frames: dict[str, pd.DataFrame]) -> None:
    with pytest.raises(ValueError, match="threads"):
        fit_tuned_gbt(SMALL, frames, FEATURES, threads=0)
    with pytest.raises(ValueError, match="public"):
        fit_tuned_gbt(SMALL, {"train": frames["train"], "val": frames["val"]}, FEATURES)


def test_unknown_objective_in_score() -> None:
    with pytest.raises(ValueError, match="unknown tuning objective"):
        validation_score(np.ones(2), np.array([0, 1]), np.ones(2), "logloss")
