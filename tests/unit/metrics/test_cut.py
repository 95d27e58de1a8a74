"""Tests of supertml.metrics.cut against brute-force O(N^2) computations and hand examples."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.typing import NDArray

from supertml.metrics.cut import (
    NO_BACKGROUND,
    AmsCurve,
    CutChoice,
    ams_at_cut,
    ams_curve,
    choose_cut,
    max_ams,
)


def _ams_math(s: float, b: float, b_reg: float) -> float:
    if s == 0.0:
        return 0.0
    return math.sqrt(max(2.0 * ((s + b + b_reg) * math.log1p(s / (b + b_reg)) - s), 0.0))


def _brute_ams_at(
    scores: NDArray[np.float64],
    labels: NDArray[np.int64],
    weights: NDArray[np.float64],
    cut: float,
    *,
    b_reg: float,
    factor: float,
) -> float:
    s = b = 0.0
    for score, label, weight in zip(
        scores.tolist(), labels.tolist(), weights.tolist(), strict=True
    ):
        if score >= cut:
            if label == 1:
                s += weight * factor
            else:
                b += weight * factor
    return _ams_math(s, b, b_reg)


def _brute_choice(
    scores: NDArray[np.float64],
    labels: NDArray[np.int64],
    weights: NDArray[np.float64],
    *,
    top_perc: float,
    min_pred: float,
    b_reg: float,
    factor: float,
) -> tuple[float, float, float, float]:
    """LUMIN's method event by event: (cut, ams at cut, max ams, its cut)."""
    ranked = []
    for score in scores.tolist():
        # LUMIN's calc_ams gives -1 for a selection without background: never chosen.
        has_background = bool(np.any((scores >= score) & (labels == 0) & (weights > 0)))
        if score >= min_pred and has_background:
            ranked.append(
                (_brute_ams_at(scores, labels, weights, score, b_reg=b_reg, factor=factor), score)
            )
    ranked.sort(key=lambda pair: (-pair[0], -pair[1]))
    n_top = min(max(int(top_perc * len(scores) / 100), 1), len(ranked))
    top = [score for _, score in ranked[:n_top]]
    cut = sum(top) / len(top)
    return (
        cut,
        _brute_ams_at(scores, labels, weights, cut, b_reg=b_reg, factor=factor),
        ranked[0][0],
        ranked[0][1],
    )


def _events(
    seed: int, n: int, *, tied: bool
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]:
    """Random events: light signal weights, heavy background weights, AMS of order 1."""
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < 0.35).astype(np.int64)
    scores = np.clip(rng.normal(0.35 + 0.3 * labels, 0.2), 0.0, 1.0)
    if tied:
        scores = np.round(scores, 2)
    weights = np.where(labels == 1, rng.uniform(0.05, 0.5, n), rng.uniform(0.5, 5.0, n))
    return scores, labels, weights


CASES = [
    pytest.param(1, 200, False, 0.0, 1.0, id="seed1-n200"),
    pytest.param(2, 500, False, 0.0, 1.0, id="seed2-n500"),
    pytest.param(3, 300, True, 0.0, 1.0, id="seed3-tied"),
    pytest.param(4, 400, False, 0.5, 1.0, id="seed4-min_pred"),
    pytest.param(5, 350, True, 0.4, 5.0, id="seed5-tied-min_pred-factor5"),
    pytest.param(6, 250, False, 0.0, 2.5, id="seed6-factor"),
]


@pytest.mark.parametrize(("seed", "n", "tied", "min_pred", "factor"), CASES)
def test_choose_cut_matches_brute_force(
    seed: int, n: int, tied: bool, min_pred: float, factor: float
) -> None:
    scores, labels, weights = _events(seed, n, tied=tied)
    choice = choose_cut(
        scores, labels, weights, top_perc=10.0, min_pred=min_pred, weight_factor=factor
    )
    cut, at_cut, best, best_cut = _brute_choice(
        scores, labels, weights, top_perc=10.0, min_pred=min_pred, b_reg=10.0, factor=factor
    )
    assert choice.cut == pytest.approx(cut, rel=1e-12)
    assert choice.ams_at_cut == pytest.approx(at_cut, abs=1e-9)
    assert choice.ams_max == pytest.approx(best, abs=1e-9)
    assert choice.ams_max_cut == best_cut
    assert choice.n_top == int(10.0 * n / 100)
    assert choice.cut >= min_pred


@pytest.mark.parametrize(("seed", "n", "tied", "min_pred", "factor"), CASES)
def test_curve_matches_masks(seed: int, n: int, tied: bool, min_pred: float, factor: float) -> None:
    del min_pred
    scores, labels, weights = _events(seed, n, tied=tied)
    curve = ams_curve(scores, labels, weights, weight_factor=factor)
    distinct = np.unique(scores)[::-1]
    np.testing.assert_array_equal(curve.cuts, distinct)
    for i, cut in enumerate(curve.cuts.tolist()):
        mask = scores >= cut
        assert curve.signal[i] == pytest.approx(factor * weights[mask & (labels == 1)].sum())
        assert curve.background[i] == pytest.approx(factor * weights[mask & (labels == 0)].sum())
        assert curve.ams[i] == pytest.approx(
            _brute_ams_at(scores, labels, weights, cut, b_reg=10.0, factor=factor), abs=1e-9
        )


@pytest.mark.parametrize("seed", [11, 12])
def test_max_ams_matches_brute_force(seed: int) -> None:
    scores, labels, weights = _events(seed, 300, tied=seed == 12)
    best, best_cut = max_ams(scores, labels, weights, weight_factor=3.0)
    brute = [
        (_brute_ams_at(scores, labels, weights, c, b_reg=10.0, factor=3.0), c)
        for c in scores.tolist()
        if np.any((scores >= c) & (labels == 0))  # b = 0 is never the maximum
    ]
    top = max(brute, key=lambda pair: (pair[0], pair[1]))
    assert best == pytest.approx(top[0], abs=1e-9)
    assert best_cut == top[1]


@pytest.mark.parametrize("seed", [21, 22])
def test_ams_at_cut_matches_brute_force(seed: int) -> None:
    scores, labels, weights = _events(seed, 200, tied=False)
    for cut in (-1.0, 0.0, 0.3, 0.55, 0.9, 2.0):
        got = ams_at_cut(scores, labels, weights, cut, b_reg=5.0, weight_factor=1.5)
        assert got == pytest.approx(
            _brute_ams_at(scores, labels, weights, cut, b_reg=5.0, factor=1.5), abs=1e-9
        )


def _hand_events() -> tuple[list[float], list[int], list[float]]:
    # Signal of weight 5 at 0.95 and 0.85, light background at 0.9, heavy background below.
    scores = [0.95, 0.9, 0.85, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05]
    labels = [1, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    weights = [5.0, 1.0, 5.0] + [100.0] * 7
    return scores, labels, weights


def _ams_hand(s: float, b: float) -> float:
    return math.sqrt(2 * ((s + b + 10) * math.log(1 + s / (b + 10)) - s))


def test_hand_example() -> None:
    # AMS of "score >= c" with b_reg = 10:
    #   c = 0.95: s = 5,  b = 0   -> 1.471, but no background: never chosen (LUMIN's -1)
    #   c = 0.90: s = 5,  b = 1   -> 1.411
    #   c = 0.85: s = 10, b = 1   -> 2.676, the maximum
    #   c = 0.60: s = 10, b = 101 -> 0.935, lower below.
    # N = 10 and top_perc = 20 -> n_top = 2: the events at 0.85 and 0.90, cut = 0.875, which
    # selects the events at 0.95 and 0.90.
    scores, labels, weights = _hand_events()
    choice = choose_cut(scores, labels, weights, top_perc=20.0)
    assert choice.n_top == 2
    assert choice.cut == pytest.approx(0.875, abs=1e-15)
    assert choice.ams_at_cut == pytest.approx(_ams_hand(5, 1), rel=1e-12)
    assert choice.ams_max == pytest.approx(_ams_hand(10, 1), rel=1e-12)
    assert choice.ams_max_cut == 0.85
    assert choice.top_perc == 20.0
    assert choice.min_pred == 0.0


def _pure_signal_top() -> tuple[list[float], list[int], list[float]]:
    # Two signal events of weight 5 on top, then background of weight 100 below.
    scores = [0.95, 0.9, 0.85, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05]
    labels = [1, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    weights = [5.0, 5.0] + [100.0] * 8
    return scores, labels, weights


def test_selections_without_background_are_never_chosen() -> None:
    # "score >= 0.90" holds s = 10, b = 0: AMS 2.780 with b_r = 10, the highest of the curve,
    # from two events. LUMIN scores b = 0 as -1, so the study never chose it: the candidates
    # start at 0.85 (s = 10, b = 100 -> 0.940), and the top 2 are 0.85 and 0.60.
    scores, labels, weights = _pure_signal_top()
    curve = ams_curve(scores, labels, weights)
    assert curve.ams[1] == pytest.approx(_ams_hand(10, 0), rel=1e-12)
    np.testing.assert_array_equal(curve.choosable[:2], [NO_BACKGROUND, NO_BACKGROUND])
    np.testing.assert_array_equal(curve.choosable[2:], curve.ams[2:])
    choice = choose_cut(scores, labels, weights, top_perc=20.0)
    assert choice.cut == pytest.approx((0.85 + 0.6) / 2, rel=1e-15)
    assert choice.ams_max == pytest.approx(_ams_hand(10, 100), rel=1e-12)
    assert choice.ams_max_cut == 0.85
    assert max_ams(scores, labels, weights) == (choice.ams_max, 0.85)


def test_no_candidate_with_background_above_min_pred() -> None:
    with pytest.raises(ValueError, match=r"min_pred = 0\.88 holds background.*lower min_pred"):
        choose_cut(*_pure_signal_top(), min_pred=0.88)


def test_max_ams_needs_background() -> None:
    with pytest.raises(ValueError, match="no selection holds background"):
        max_ams([0.9, 0.5], [1, 1], [1.0, 2.0])
    with pytest.raises(ValueError, match="no selection holds background"):
        max_ams([0.9, 0.5], [1, 0], [1.0, 0.0])  # background of zero weight


def test_hand_curve() -> None:
    scores, labels, weights = _pure_signal_top()
    curve = ams_curve(scores, labels, weights)
    assert isinstance(curve, AmsCurve)
    np.testing.assert_array_equal(curve.cuts, scores)
    np.testing.assert_array_equal(curve.signal, [5.0] + [10.0] * 9)
    np.testing.assert_array_equal(curve.background, [0.0, 0.0] + [100.0 * k for k in range(1, 9)])
    assert curve.ams[2] == pytest.approx(
        math.sqrt(2 * (120 * math.log(1 + 10 / 110) - 10)), rel=1e-12
    )
    with pytest.raises(ValueError, match="read-only"):
        curve.ams[0] = 1.0


def test_ties_enter_together() -> None:
    scores = [0.7, 0.7, 0.7, 0.2]
    labels = [1, 0, 1, 0]
    weights = [1.0, 2.0, 3.0, 4.0]
    curve = ams_curve(scores, labels, weights)
    np.testing.assert_array_equal(curve.cuts, [0.7, 0.2])
    np.testing.assert_array_equal(curve.signal, [4.0, 4.0])
    np.testing.assert_array_equal(curve.background, [2.0, 6.0])


def test_mean_of_tied_scores_keeps_them_selected() -> None:
    # 0.1 + 0.1 + 0.1 = 0.30000000000000004, and / 3 gives 0.10000000000000002 > 0.1: an
    # unguarded mean would cut away the very events it averaged.
    scores = [0.1, 0.1, 0.1, 0.05]
    labels = [1, 0, 1, 0]
    weights = [1.0, 1.0, 1.0, 50.0]
    choice = choose_cut(scores, labels, weights, top_perc=75.0)
    assert choice.n_top == 3
    assert choice.cut == 0.1
    assert choice.ams_at_cut == pytest.approx(choice.ams_max)


# The zero-weight signal event at 0.5 leaves s and b unchanged: cuts 0.9 and 0.5 tie (both
# hold the light background event at 0.95).
_TIED = ([0.5, 0.9, 0.1, 0.95], [1, 1, 0, 0], [0.0, 5.0, 100.0, 1.0])


def test_max_ams_ties_take_highest_cut() -> None:
    best, best_cut = max_ams(*_TIED)
    assert best_cut == 0.9
    assert best == pytest.approx(_ams_hand(5, 1), rel=1e-12)


def test_choose_cut_ranking_ties_prefer_higher_score() -> None:
    # Same tie, with the lower-scored event first in the input: a stable sort on AMS alone
    # would pick 0.5; the documented rule picks the higher score.
    choice = choose_cut(*_TIED, top_perc=10.0)
    assert choice.n_top == 1
    assert choice.cut == 0.9
    assert choice.ams_max_cut == 0.9


def test_n_top_clipped_to_at_least_one() -> None:
    scores, labels, weights = _hand_events()
    choice = choose_cut(scores, labels, weights, top_perc=5.0)  # int(0.5) = 0
    assert choice.n_top == 1
    assert choice.cut == 0.85


def test_n_top_clipped_to_candidate_events() -> None:
    # N = 10 counts all events, so top 50 % asks for 5, but only 3 pass min_pred = 0.85, and of
    # those the one at 0.95 selects no background: 2 candidates.
    scores, labels, weights = _hand_events()
    choice = choose_cut(scores, labels, weights, top_perc=50.0, min_pred=0.85)
    assert choice.n_top == 2
    assert choice.cut == pytest.approx((0.9 + 0.85) / 2, rel=1e-15)


def test_n_top_counts_all_events_not_only_eligible() -> None:
    scores, labels, weights = _hand_events()
    # 20 % of all 10 events = 2 (of 3 candidates) -> same cut as without min_pred.
    choice = choose_cut(scores, labels, weights, top_perc=20.0, min_pred=0.6)
    assert choice.n_top == 2
    assert choice.cut == pytest.approx(0.875, abs=1e-15)


def test_ams_max_is_over_eligible_events() -> None:
    # Above 0.88 only 0.90 is a candidate; the higher AMS at 0.85 is below min_pred.
    scores, labels, weights = _hand_events()
    choice = choose_cut(scores, labels, weights, top_perc=20.0, min_pred=0.88)
    assert choice.ams_max_cut == 0.9
    assert choice.ams_max == pytest.approx(_ams_hand(5, 1), rel=1e-12)


def test_weight_factor_scales_weights() -> None:
    scores, labels, weights = _events(31, 200, tied=False)
    scaled = ams_at_cut(scores, labels, weights * 5.0, 0.5)
    assert ams_at_cut(scores, labels, weights, 0.5, weight_factor=5.0) == pytest.approx(
        scaled, rel=1e-12
    )
    assert ams_at_cut(scores, labels, weights, 0.5) != pytest.approx(scaled, rel=1e-3)


def test_choice_is_frozen() -> None:
    choice = choose_cut(*_hand_events(), top_perc=20.0)
    assert isinstance(choice, CutChoice)
    with pytest.raises(AttributeError):
        choice.cut = 0.0  # type: ignore[misc]


GOOD = ([0.9, 0.2, 0.5], [1, 0, 1], [1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    ("scores", "labels", "weights", "match"),
    [
        ([0.9, 0.2], [1, 0, 1], [1.0, 2.0, 3.0], "differ in length"),
        ([0.9, 0.2, 0.5], [1, 0], [1.0, 2.0, 3.0], "differ in length"),
        ([0.9, 0.2, 0.5], [1, 0, 2], [1.0, 2.0, 3.0], "labels must be 0 or 1.*index 2"),
        ([0.9, 0.2, 0.5], ["s", "b", "s"], [1.0, 2.0, 3.0], "labels must be numeric"),
        ([0.9, 0.2, 0.5], [1, 0, 1], [1.0, -2.0, 3.0], "weights must be finite and non-neg"),
        ([0.9, 0.2, 0.5], [1, 0, 1], [1.0, np.inf, 3.0], "weights must be finite"),
        ([0.9, 0.2, 0.5], [1, 0, 1], [np.nan, 2.0, 3.0], "weights must be finite"),
        ([0.9, np.nan, 0.5], [1, 0, 1], [1.0, 2.0, 3.0], "scores must be finite.*index 1"),
        ([np.inf, 0.2, 0.5], [1, 0, 1], [1.0, 2.0, 3.0], "scores must be finite"),
        ([], [], [], "no events"),
        ([[0.9, 0.2]], [[1, 0]], [[1.0, 2.0]], "one-dimensional"),
    ],
)
def test_bad_inputs_rejected_everywhere(
    scores: list[float], labels: list[int], weights: list[float], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        choose_cut(scores, labels, weights)
    with pytest.raises(ValueError, match=match):
        ams_curve(scores, labels, weights)
    with pytest.raises(ValueError, match=match):
        ams_at_cut(scores, labels, weights, 0.5)
    with pytest.raises(ValueError, match=match):
        max_ams(scores, labels, weights)


def test_no_event_passes_min_pred() -> None:
    with pytest.raises(ValueError, match=r"no event has score >= min_pred = 0\.95"):
        choose_cut(*GOOD, min_pred=0.95)


@pytest.mark.parametrize("top_perc", [0.0, -5.0, 101.0, math.nan])
def test_bad_top_perc(top_perc: float) -> None:
    with pytest.raises(ValueError, match="top_perc"):
        choose_cut(*GOOD, top_perc=top_perc)


@pytest.mark.parametrize("factor", [0.0, -1.0, math.inf])
def test_bad_weight_factor(factor: float) -> None:
    with pytest.raises(ValueError, match="weight_factor"):
        choose_cut(*GOOD, weight_factor=factor)


def test_nan_cut_rejected() -> None:
    with pytest.raises(ValueError, match="cut"):
        ams_at_cut(*GOOD, math.nan)
