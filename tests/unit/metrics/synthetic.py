"""Synthetic prediction tables and brute-force AMS loops, written independently of the package,
that the metrics tests check the analyses against."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold

from supertml.constants import NB_TOTAL, NS_TOTAL
from supertml.metrics.cut import choose_cut
from supertml.metrics.scoring import ScoreConfig, predictions_frame

B_REG = 10.0
SMALL = {"val": 400, "public": 150, "private": 450}

Row = tuple[float, int, float]


def synthetic_subset(
    rng: np.random.Generator, name: str, n: int, *, decimals: int | None, first_id: int = 0
) -> pd.DataFrame:
    """One subset, weights normalised per class to the challenge totals (the contract)."""
    label = (rng.random(n) < 0.34).astype(np.int64)
    weight = rng.uniform(0.5, 1.5, n)
    for cls, total in ((1, NS_TOTAL), (0, NB_TOTAL)):
        mask = label == cls
        if mask.any():
            weight[mask] *= total / weight[mask].sum()
    score = 1.0 / (1.0 + np.exp(-rng.normal(1.6 * label - 0.8, 1.0)))
    if decimals is not None:
        # Rounded scores create ties, which every selection must treat as one block.
        score = np.round(score, decimals)
    # Ids in a shuffled order: the analyses must sort them, not trust the row order.
    event_id = first_id + rng.permutation(n)
    return predictions_frame(name, event_id=event_id, label=label, weight=weight, score=score)


def synthetic_frame(
    sizes: dict[str, int] | None = None, seed: int = 0, decimals: int | None = 3
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sizes = SMALL if sizes is None else sizes
    return pd.concat(
        [synthetic_subset(rng, name, n, decimals=decimals) for name, n in sizes.items()],
        ignore_index=True,
    )


def ams_formula(s: float, b: float) -> float:
    """REFERENCE.md section 3, written out independently of the package."""
    if s == 0.0:
        return 0.0
    return math.sqrt(2.0 * ((s + b + B_REG) * math.log(1.0 + s / (b + B_REG)) - s))


def brute_ams(rows: list[Row], cut: float, factor: float = 1.0) -> float:
    s = b = 0.0
    for score, label, weight in rows:
        if score >= cut:
            if label == 1:
                s += weight * factor
            else:
                b += weight * factor
    return ams_formula(s, b)


def brute_max(rows: list[Row], factor: float = 1.0) -> tuple[float, float]:
    """Highest AMS over every candidate cut (each distinct score) whose selection holds
    background (LUMIN scores b = 0 as -1); highest cut on ties."""
    best, best_cut = -1.0, math.nan
    for cut in sorted({score for score, _, _ in rows}, reverse=True):
        if not any(score >= cut and label == 0 and weight > 0 for score, label, weight in rows):
            continue
        value = brute_ams(rows, cut, factor)
        if value > best:
            best, best_cut = value, cut
    return best, best_cut


def rows_of(frame: pd.DataFrame) -> list[Row]:
    return [
        (float(score), int(label), float(weight))
        for score, label, weight in zip(
            frame["score"], frame["label"], frame["weight"], strict=True
        )
    ]


def brute_folds(frame: pd.DataFrame, n_folds: int, seed: int) -> list[dict[str, list[Row]]]:
    """Per fold, per test subset, its rows: KFold over the test rows sorted by (subset, id)."""
    test = frame[frame["subset"] != "val"].sort_values(["subset", "event_id"])
    test = test.reset_index(drop=True)
    folds = []
    for _, index in KFold(n_splits=n_folds, shuffle=True, random_state=seed).split(test):
        rows: dict[str, list[Row]] = {"public": [], "private": []}
        for position in index.tolist():
            row = test.iloc[position]
            rows[str(row["subset"])].append(
                (float(row["score"]), int(row["label"]), float(row["weight"]))
            )
        folds.append(rows)
    return folds


def validation_cut(frame: pd.DataFrame, config: ScoreConfig) -> float:
    val = frame[frame["subset"] == "val"]
    return choose_cut(
        val["score"],
        val["label"],
        val["weight"],
        top_perc=config.top_perc,
        min_pred=config.min_pred,
        b_reg=config.b_reg,
    ).cut


def events(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores, labels and weights of ``n`` synthetic validation events."""
    part = synthetic_subset(np.random.default_rng(seed), "val", n, decimals=None)
    return part["score"].to_numpy(), part["label"].to_numpy(), part["weight"].to_numpy()
