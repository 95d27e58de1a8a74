"""Synthetic runs for the reporting and report-step tests: predictions, their real analyses
and scores, and hand-made records with known intervals."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from supertml.constants import NB_TOTAL, NS_TOTAL
from supertml.metrics import ScoreConfig, analyse_predictions, predictions_frame, score_predictions
from supertml.metrics.bootstrap import ONE_SIGMA

CONFIG = ScoreConfig(top_perc=10.0, min_pred=0.0, b_reg=10.0)
SIZES = {"val": 300, "public": 150, "private": 450}
N_FOLDS, N_BOOT = 3, 40


def predictions(seed: int) -> pd.DataFrame:
    """Synthetic predictions, each subset's weights normalised to the challenge totals."""
    rng = np.random.default_rng(seed)
    parts, offset = [], 0
    for subset, n in SIZES.items():
        label = (rng.random(n) < 0.4).astype(np.int64)
        score = np.clip(rng.normal(0.3 + 0.4 * label, 0.18), 0.0, 1.0).round(4)
        n_sig = int(label.sum())
        weight = np.where(label == 1, NS_TOTAL / n_sig, NB_TOTAL / (n - n_sig))
        parts.append(
            predictions_frame(subset, event_id=np.arange(n) + offset, label=label,
                              weight=weight, score=score)
        )  # fmt: skip
        offset += n
    return pd.concat(parts, ignore_index=True)


def identity(experiment: str, seed: int) -> dict[str, Any]:
    kind = "cnn" if experiment.startswith("cnn") else "gradient_boosted_trees"
    return {"experiment": experiment, "kind": kind, "seed": seed}


def analysis_record(frame: pd.DataFrame, experiment: str, seed: int) -> dict[str, Any]:
    result = analyse_predictions(frame, CONFIG, n_folds=N_FOLDS, seed=0, n_bootstrap=N_BOOT)
    return {**identity(experiment, seed), **result}


def score_record(frame: pd.DataFrame, experiment: str, seed: int) -> dict[str, Any]:
    extra = {"encoding": "-", "model": "-", "recipe": "-"}
    return {**identity(experiment, seed), **extra, **score_predictions(frame, CONFIG)}


def interval(point: float, lower: float, upper: float) -> dict[str, Any]:
    """A bootstrap record in the layout of BootstrapInterval.to_dict()."""
    return {
        "point": point, "mean": point, "std": (upper - lower) / 2, "n_resamples": 10,
        "intervals": [{"level": ONE_SIGMA, "lower": lower, "upper": upper},
                      {"level": 0.95, "lower": lower - 1, "upper": upper + 1}],
    }  # fmt: skip


def hand_analysis(experiment: str, seed: int, cut: float) -> dict[str, Any]:
    """A minimal analysis record with known bootstrap intervals at the validation cut."""
    return {
        **identity(experiment, seed),
        "validation_cut": {"cut": cut},
        "bootstrap": {
            "val": interval(3.0, 2.9, 3.1),
            "public": interval(3.1, 2.8, 3.4),  # half-width 0.3
            "private": interval(3.3, 3.2, 3.4),  # half-width 0.1
        },
    }


def hand_score(experiment: str, seed: int, public: float, private: float) -> dict[str, Any]:
    return {**identity(experiment, seed), "cut": 0.7, "public_ams": public,
            "private_ams": private}  # fmt: skip


SAMPLE_SPLITS = {
    "weight_scheme": "per_class",
    "splits": {"public": {"events": 582}, "private": {"events": 2620}},
}
