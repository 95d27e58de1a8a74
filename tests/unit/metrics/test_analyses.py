"""Tests of supertml.metrics.analyses against brute-force loops on synthetic predictions."""

from __future__ import annotations

import json
import math
import statistics
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import KFold

from supertml.constants import NB_TOTAL, NS_TOTAL
from supertml.errors import DataValidationError
from supertml.metrics.ams import ams
from supertml.metrics.analyses import (
    ONE_SIGMA,
    FoldStatistics,
    analyse_double_luminosity,
    analyse_predictions,
    analyse_test_optimisation,
    analyse_test_size,
    bootstrap_ams,
    summarise_seeds,
)
from supertml.metrics.cut import ams_at_cut, choose_cut
from supertml.metrics.scoring import ScoreConfig, predictions_frame, score_predictions

B_REG = 10.0
SMALL = {"val": 400, "public": 150, "private": 450}

Row = tuple[float, int, float]


def _subset(
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


def _frame(
    sizes: dict[str, int] | None = None, seed: int = 0, decimals: int | None = 3
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sizes = SMALL if sizes is None else sizes
    return pd.concat(
        [_subset(rng, name, n, decimals=decimals) for name, n in sizes.items()],
        ignore_index=True,
    )


def _ams_formula(s: float, b: float) -> float:
    """REFERENCE.md section 3, written out independently of the package."""
    if s == 0.0:
        return 0.0
    return math.sqrt(2.0 * ((s + b + B_REG) * math.log(1.0 + s / (b + B_REG)) - s))


def _brute_ams(rows: list[Row], cut: float, factor: float = 1.0) -> float:
    s = b = 0.0
    for score, label, weight in rows:
        if score >= cut:
            if label == 1:
                s += weight * factor
            else:
                b += weight * factor
    return _ams_formula(s, b)


def _brute_max(rows: list[Row], factor: float = 1.0) -> tuple[float, float]:
    """Highest AMS over every candidate cut (each distinct score); highest cut on ties."""
    best, best_cut = -1.0, math.nan
    for cut in sorted({score for score, _, _ in rows}, reverse=True):
        value = _brute_ams(rows, cut, factor)
        if value > best:
            best, best_cut = value, cut
    return best, best_cut


def _rows(frame: pd.DataFrame) -> list[Row]:
    return [
        (float(score), int(label), float(weight))
        for score, label, weight in zip(
            frame["score"], frame["label"], frame["weight"], strict=True
        )
    ]


def _brute_folds(frame: pd.DataFrame, n_folds: int, seed: int) -> list[dict[str, list[Row]]]:
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


def _validation_cut(frame: pd.DataFrame, config: ScoreConfig) -> float:
    val = frame[frame["subset"] == "val"]
    return choose_cut(
        val["score"],
        val["label"],
        val["weight"],
        top_perc=config.top_perc,
        min_pred=config.min_pred,
        b_reg=config.b_reg,
    ).cut


# ---------------------------------------------------------------------------------------------
# Test-size hypothesis and test-set optimisation


def test_test_size_matches_brute_force() -> None:
    frame = _frame(seed=1)
    cut = _validation_cut(frame, ScoreConfig())
    result = analyse_test_size(frame, cut, n_folds=5, seed=7)
    folds = _brute_folds(frame, 5, 7)
    for name in ("public", "private"):
        got = getattr(result, name)
        n_total = SMALL[name]
        expected = []
        for k, rows in enumerate(folds):
            factor = n_total / len(rows[name])
            assert got.fold_events[k] == len(rows[name])
            assert got.weight_factors[k] == pytest.approx(factor, rel=1e-15)
            expected.append(_brute_ams(rows[name], cut, factor))
        assert got.ams.values == pytest.approx(expected, rel=1e-10)
        assert got.cuts == (cut,) * 5
        assert sum(got.fold_events) == got.n_events == n_total
        assert got.whole_ams == pytest.approx(_brute_ams(_rows(frame[frame.subset == name]), cut))
    assert result.method == "validation_cut"
    assert (result.n_folds, result.seed) == (5, 7)


def test_test_optimisation_matches_brute_force() -> None:
    frame = _frame(seed=2)
    result = analyse_test_optimisation(frame, n_folds=4, seed=3)
    folds = _brute_folds(frame, 4, 3)
    for name in ("public", "private"):
        got = getattr(result, name)
        for k, rows in enumerate(folds):
            best, best_cut = _brute_max(rows[name], SMALL[name] / len(rows[name]))
            assert got.ams.values[k] == pytest.approx(best, rel=1e-10)
            assert got.cuts[k] == best_cut
        whole, whole_cut = _brute_max(_rows(frame[frame["subset"] == name]))
        assert got.whole_ams == pytest.approx(whole, rel=1e-10)
        assert got.whole_cut == whole_cut
    assert result.method == "optimised_cut"


def test_optimised_folds_beat_the_validation_cut() -> None:
    frame = _frame(seed=3)
    cut = _validation_cut(frame, ScoreConfig())
    fixed = analyse_test_size(frame, cut, seed=4)
    scanned = analyse_test_optimisation(frame, seed=4)
    for name in ("public", "private"):
        at_cut, best = getattr(fixed, name), getattr(scanned, name)
        # Same folds, same factors; scanning can only match or beat any fixed cut.
        assert at_cut.fold_events == best.fold_events
        assert all(b >= a - 1e-12 for a, b in zip(at_cut.ams.values, best.ams.values, strict=True))
        assert best.whole_ams >= at_cut.whole_ams


def test_fold_statistics() -> None:
    result = analyse_test_size(_frame(seed=4), 0.6, n_folds=6, seed=0)
    for stats in (result.public.ams, result.private.ams):
        values = list(stats.values)
        assert len(values) == 6
        assert stats.mean == pytest.approx(statistics.fmean(values), rel=1e-12)
        assert stats.std == pytest.approx(statistics.stdev(values), rel=1e-12)  # ddof = 1
        assert (stats.min, stats.max) == (min(values), max(values))
    assert FoldStatistics.from_values([1.0, 3.0]).std == pytest.approx(math.sqrt(2.0))
    with pytest.raises(ValueError, match="at least 2"):
        FoldStatistics.from_values([1.0])


def test_folds_are_deterministic_and_ignore_row_order() -> None:
    frame = _frame(seed=5)
    base = analyse_test_optimisation(frame, seed=11)
    shuffled = frame.sample(frac=1.0, random_state=99).reset_index(drop=True)
    again = analyse_test_optimisation(shuffled, seed=11)
    # Same folds whatever the row order (only the summation order, hence the last bit, moves).
    for name in ("public", "private"):
        got, want = getattr(again, name), getattr(base, name)
        assert got.fold_events == want.fold_events
        assert got.cuts == want.cuts
        assert got.ams.values == pytest.approx(want.ams.values, rel=1e-12)
    assert analyse_test_optimisation(frame, seed=11) == base
    other = analyse_test_optimisation(frame, seed=12)
    assert other.public.ams.values != base.public.ams.values
    assert other.private.fold_events != base.private.fold_events


# ---------------------------------------------------------------------------------------------
# Double luminosity


def test_double_luminosity_matches_brute_force() -> None:
    frame = _frame(seed=6)
    cuts = {"validation": _validation_cut(frame, ScoreConfig()), "fixed": 0.5}
    result = analyse_double_luminosity(frame, cuts)
    public = _rows(frame[frame["subset"] == "public"])
    private = _rows(frame[frame["subset"] == "private"])
    n_merged = len(public) + len(private)
    # Proper normalisation: undo each subset's weight factor n_test / n_subset.
    normalised = [(sc, lab, w * len(public) / n_merged) for sc, lab, w in public] + [
        (sc, lab, w * len(private) / n_merged) for sc, lab, w in private
    ]
    assert result.normalisation_factors == pytest.approx((150 / 600, 450 / 600))
    assert result.luminosity_ratio == pytest.approx(2.0, rel=1e-12)
    assert (result.n_public, result.n_private) == (150, 450)
    assert sum(w for _, _, w in normalised) == pytest.approx(NS_TOTAL + NB_TOTAL, rel=1e-12)
    assert [entry.name for entry in result.at_cuts] == ["validation", "fixed"]
    for entry in result.at_cuts:
        assert entry.cut == cuts[entry.name]
        assert entry.public_ams == pytest.approx(_brute_ams(public, entry.cut), rel=1e-10)
        assert entry.private_ams == pytest.approx(_brute_ams(private, entry.cut), rel=1e-10)
        merged = _brute_ams(public + private, entry.cut)
        norm = _brute_ams(normalised, entry.cut)
        assert entry.merged_ams == pytest.approx(merged, rel=1e-10)
        assert entry.normalised_ams == pytest.approx(norm, rel=1e-10)
        assert entry.ratio == pytest.approx(merged / norm, rel=1e-10)


def test_double_luminosity_inflates_by_sqrt2_when_subsets_alike() -> None:
    frame = _frame({"val": 20_000, "public": 40_000, "private": 160_000}, seed=7, decimals=None)
    cut = _validation_cut(frame, ScoreConfig())
    result = analyse_double_luminosity(frame, {"validation": cut, "fixed": 0.5})
    for entry in result.at_cuts:
        assert entry.ratio is not None
        assert entry.ratio == pytest.approx(math.sqrt(2.0), rel=0.03)
        # The separate subsets agree with the normalised merged set, not with the doubled one.
        for separate in (entry.public_ams, entry.private_ams):
            assert separate == pytest.approx(entry.normalised_ams, rel=0.05)
            assert entry.merged_ams > 1.3 * separate


def test_double_luminosity_ratio_none_without_signal() -> None:
    frame = _frame(seed=8)
    result = analyse_double_luminosity(frame, {"above_all": 2.0})
    entry = result.at_cuts[0]
    assert (entry.merged_ams, entry.normalised_ams, entry.ratio) == (0.0, 0.0, None)


# ---------------------------------------------------------------------------------------------
# Bootstrap


def _events(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    part = _subset(np.random.default_rng(seed), "val", n, decimals=None)
    return part["score"].to_numpy(), part["label"].to_numpy(), part["weight"].to_numpy()


def _naive_bootstrap(
    scores: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    *,
    cut: float,
    n: int,
    seed: int,
) -> np.ndarray:
    """The textbook bootstrap: draw all N indices per resample."""
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n):
        index = rng.integers(0, scores.size, scores.size)
        values.append(ams_at_cut(scores[index], labels[index], weights[index], cut))
    return np.asarray(values)


def test_bootstrap_agrees_with_naive_resampling() -> None:
    scores, labels, weights = _events(2_000, seed=9)
    result = bootstrap_ams(scores, labels, weights, 0.6, n_resamples=2_000, seed=1)
    naive = _naive_bootstrap(scores, labels, weights, cut=0.6, n=2_000, seed=2)
    # Same distribution, different draws: agreement within the Monte Carlo error (about 2 %).
    assert result.mean == pytest.approx(float(np.mean(naive)), rel=0.02)
    assert result.std == pytest.approx(float(np.std(naive, ddof=1)), rel=0.1)
    lower, upper = result.interval(0.95)
    assert lower == pytest.approx(float(np.quantile(naive, 0.025)), rel=0.05)
    assert upper == pytest.approx(float(np.quantile(naive, 0.975)), rel=0.05)


def test_bootstrap_covers_point_and_shrinks_with_more_events() -> None:
    widths = []
    for n in (2_000, 32_000):
        scores, labels, weights = _events(n, seed=10)
        result = bootstrap_ams(scores, labels, weights, 0.6, n_resamples=500, seed=3)
        assert result.point == ams_at_cut(scores, labels, weights, 0.6)
        lower, upper = result.interval(ONE_SIGMA)
        assert lower < result.point < upper
        wide_lower, wide_upper = result.interval(0.95)
        assert wide_lower < lower
        assert upper < wide_upper
        # A +-1 sigma percentile interval is about 2 std wide for a near-normal distribution.
        assert upper - lower == pytest.approx(2.0 * result.std, rel=0.15)
        widths.append(upper - lower)
    # 16 times the events (same luminosity): the interval narrows by about sqrt(16) = 4.
    assert 2.5 < widths[0] / widths[1] < 6.0


def test_bootstrap_is_deterministic_by_seed() -> None:
    scores, labels, weights = _events(1_000, seed=11)
    first = bootstrap_ams(scores, labels, weights, 0.5, n_resamples=200, seed=5)
    assert bootstrap_ams(scores, labels, weights, 0.5, n_resamples=200, seed=5) == first
    other = bootstrap_ams(scores, labels, weights, 0.5, n_resamples=200, seed=6)
    assert other.intervals != first.intervals
    assert other.point == first.point


def test_bootstrap_with_nothing_selected_is_zero() -> None:
    scores, labels, weights = _events(500, seed=12)
    result = bootstrap_ams(scores, labels, weights, 2.0, n_resamples=50)
    assert (result.point, result.mean, result.std) == (0.0, 0.0, 0.0)
    with pytest.raises(KeyError, match=r"no bootstrap interval at level 0\.5"):
        result.interval(0.5)


# ---------------------------------------------------------------------------------------------
# Seeds and the bundle


def test_summarise_seeds() -> None:
    values = [3.41, 3.52, 3.38, 3.47]
    summary = summarise_seeds(values)
    assert summary.n == 4
    assert summary.mean == pytest.approx(statistics.fmean(values))
    assert summary.std == pytest.approx(statistics.stdev(values))
    assert summary.sem == pytest.approx(statistics.stdev(values) / 2.0)
    single = summarise_seeds([3.5])
    assert (single.n, single.mean, single.std, single.sem) == (1, 3.5, None, None)
    assert json.loads(json.dumps(single.to_dict()))["std"] is None


def test_analyse_predictions_bundle() -> None:
    frame = _frame(seed=13)
    config = ScoreConfig(top_perc=15.0)
    result = analyse_predictions(frame, config, n_folds=5, seed=2, n_bootstrap=100)
    # Plain JSON (no NaN): what the workflow writes is what it reads back.
    data: Any = json.loads(json.dumps(result, allow_nan=False))
    assert data == result
    cut = score_predictions(frame, config)["cut"]
    assert isinstance(cut, float)
    assert data["validation_cut"]["cut"] == cut
    assert data["n_events"] == SMALL
    assert data["test_size"] == analyse_test_size(frame, cut, n_folds=5, seed=2).to_dict()
    optimised = analyse_test_optimisation(frame, n_folds=5, seed=2)
    assert data["test_optimisation"] == optimised.to_dict()
    expected_double = analyse_double_luminosity(frame, {"validation": cut, "fixed": 0.5})
    assert data["double_luminosity"] == expected_double.to_dict()
    boot = data["bootstrap"]
    assert sorted(boot) == ["private", "public", "val"]
    for name, entry in boot.items():
        part = frame[frame["subset"] == name]
        assert entry["point"] == ams_at_cut(part["score"], part["label"], part["weight"], cut)
        assert entry["n_resamples"] == 100
        assert [i["level"] for i in entry["intervals"]] == [ONE_SIGMA, 0.95]
    # One stream per subset: the seeds differ, and rerunning gives the same dict.
    assert len({entry["seed"] for entry in boot.values()}) == 3
    assert analyse_predictions(frame, config, n_folds=5, seed=2, n_bootstrap=100) == result


def test_ams_of_fold_scale_matches_formula() -> None:
    # Guard for the brute-force helper itself: it must agree with the package's one formula.
    assert _ams_formula(217.039443378, 4379.2523956) == pytest.approx(
        ams(217.039443378, 4379.2523956), rel=1e-12
    )


# ---------------------------------------------------------------------------------------------
# Errors


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_folds": 1}, "n_folds must be >= 2"),
        ({"n_folds": 2.0}, "n_folds must be an integer"),
        ({"n_folds": True}, "n_folds must be an integer"),
        ({"n_folds": 151}, "n_folds = 151 exceeds the 150 public test events"),
        ({"seed": -1}, "seed must be >= 0"),
        ({"n_bootstrap": 1}, "n_bootstrap must be >= 2"),
        ({"fixed_cut": math.nan}, "fixed_cut must be a finite number"),
        ({"levels": [0.5, 1.0]}, r"levels must be non-empty and each in \(0, 1\)"),
        ({"levels": []}, "levels must be non-empty"),
    ],
)
def test_analyse_predictions_rejects_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        analyse_predictions(_frame(), ScoreConfig(), **kwargs)  # type: ignore[arg-type]


def test_bad_frame_names_the_source() -> None:
    frame = _frame().drop(columns=["score"])
    with pytest.raises(DataValidationError, match=r"preds\.parquet.*missing required column"):
        analyse_predictions(frame, ScoreConfig(), source="preds.parquet")
    with pytest.raises(DataValidationError, match=r"preds\.parquet"):
        analyse_test_size(frame, 0.5, source="preds.parquet")


def test_fold_without_events_of_a_subset() -> None:
    # Two public events among 400 private: with seed 1 both land in the first of two folds
    # (seed 0 splits them, so the error is about the draw, not the sizes).
    frame = _frame({"val": 100, "public": 2, "private": 400}, seed=14)
    assert analyse_test_size(frame, 0.5, n_folds=2, seed=0).public.fold_events == (1, 1)
    with pytest.raises(ValueError, match=r"fold 2 of 2 \(seed 1\) holds no public events"):
        analyse_test_size(frame, 0.5, n_folds=2, seed=1)


def test_other_bad_arguments() -> None:
    frame = _frame()
    with pytest.raises(ValueError, match="cut must be a finite number"):
        analyse_test_size(frame, math.inf)
    with pytest.raises(ValueError, match="cuts is empty"):
        analyse_double_luminosity(frame, {})
    with pytest.raises(ValueError, match="cut 'fixed' must be a finite number"):
        analyse_double_luminosity(frame, {"fixed": math.nan})
    scores, labels, weights = _events(100, seed=15)
    with pytest.raises(ValueError, match="n_resamples must be >= 2"):
        bootstrap_ams(scores, labels, weights, 0.5, n_resamples=0)
    with pytest.raises(ValueError, match="labels must be 0 or 1"):
        bootstrap_ams(scores, labels * 2, weights, 0.5)
    with pytest.raises(ValueError, match="non-empty"):
        summarise_seeds([])
    with pytest.raises(ValueError, match="must be finite"):
        summarise_seeds([3.0, math.nan])
    with pytest.raises(ValueError, match="min_pred"):
        analyse_predictions(frame, ScoreConfig(min_pred=2.0), n_bootstrap=10)
