"""Cuts on a classifier score: AMS of a selection, the AMS curve, and the study's cut choice.

A selection is always "score >= cut". Weights passed in are final (already on the scale of the
full set); ``weight_factor`` multiplies them, as the study's ``wgt_factor`` did (REFERENCE.md
section 3, "Weight factor").

A selection holding no background (b = 0) is never chosen, as a cut or as a maximum: LUMIN's
``calc_ams`` returns -1 for b = 0 (REFERENCE.md section 5, "AMS details"), so the study never
picked one. Their AMS is still reported by the curve and at a given cut (with b_r = 10 it is
finite), but on a test set it comes from a pure-signal tail of a few events.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from supertml.metrics.ams import DEFAULT_B_REG, ams

__all__ = [
    "NO_BACKGROUND",
    "AmsCurve",
    "CutChoice",
    "ams_at_cut",
    "ams_curve",
    "choosable_ams",
    "choose_cut",
    "max_ams",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: What a selection with no background scores when cuts are ranked: LUMIN's ``calc_ams`` value
#: for b = 0, below every real AMS (>= 0), so such a selection is never the choice.
NO_BACKGROUND: Final[float] = -1.0


@dataclass(frozen=True, eq=False)
class AmsCurve:
    """AMS of "score >= c" for every distinct score value c, highest cut first.

    ``signal[i]`` and ``background[i]`` are the summed (factor-scaled) weights of true signal and
    true background events with score >= ``cuts[i]``; events tied at a score enter together.
    The arrays are read-only. (``eq=False``: element-wise array equality has no single truth
    value, so the generated ``__eq__``/``__hash__`` would be wrong.)
    """

    cuts: FloatArray
    signal: FloatArray
    background: FloatArray
    ams: FloatArray

    @property
    def choosable(self) -> FloatArray:
        """AMS of the selections that may be chosen; -1 (LUMIN's value) where b = 0."""
        return choosable_ams(self.ams, self.background)


@dataclass(frozen=True)
class CutChoice:
    """A cut chosen by the study's method (see :func:`choose_cut`).

    ``cut`` and ``ams_at_cut``: the chosen cut and the AMS of "score >= cut".
    ``ams_max`` and ``ams_max_cut``: the single highest AMS over eligible events and its cut.
    ``n_top``: events averaged for the cut; ``top_perc`` and ``min_pred``: the settings used.
    """

    cut: float
    ams_at_cut: float
    ams_max: float
    ams_max_cut: float
    n_top: int
    top_perc: float
    min_pred: float


def choosable_ams(
    values: ArrayLike, background: ArrayLike, fill: float = NO_BACKGROUND
) -> FloatArray:
    """``values`` (AMS of selections) where the selection holds background, ``fill`` where it
    holds none: the one place that says such a selection is never a cut or a maximum
    (module docstring). Arrays of any matching shape."""
    return np.where(np.asarray(background) > 0.0, values, fill).astype(np.float64, copy=False)


def _event_arrays(
    scores: ArrayLike, labels: ArrayLike, weights: ArrayLike, weight_factor: float
) -> tuple[FloatArray, BoolArray, FloatArray]:
    """Validate per-event inputs; return scores, the signal mask and factor-scaled weights."""
    score_arr = np.asarray(scores)
    label_arr = np.asarray(labels)
    weight_arr = np.asarray(weights)
    for name, arr in (("scores", score_arr), ("labels", label_arr), ("weights", weight_arr)):
        if arr.ndim != 1:
            raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
        if arr.dtype.kind not in "biuf":
            raise ValueError(f"{name} must be numeric, got dtype {arr.dtype}")
    n = score_arr.size
    if label_arr.size != n or weight_arr.size != n:
        raise ValueError(
            f"scores, labels and weights differ in length: {n}, {label_arr.size}, {weight_arr.size}"
        )
    if n == 0:
        raise ValueError("no events: scores, labels and weights are empty")
    score_f = score_arr.astype(np.float64)
    weight_f = weight_arr.astype(np.float64)
    if not np.all(np.isfinite(score_f)):
        bad = int(np.flatnonzero(~np.isfinite(score_f))[0])
        raise ValueError(f"scores must be finite; first bad at index {bad}: {score_f[bad]}")
    is_one = label_arr == 1
    if not np.all(is_one | (label_arr == 0)):
        bad = int(np.flatnonzero(~(is_one | (label_arr == 0)))[0])
        raise ValueError(f"labels must be 0 or 1; first bad at index {bad}: {label_arr[bad]}")
    ok_weight = np.isfinite(weight_f) & (weight_f >= 0.0)
    if not np.all(ok_weight):
        bad = int(np.flatnonzero(~ok_weight)[0])
        raise ValueError(
            f"weights must be finite and non-negative; first bad at index {bad}: {weight_f[bad]}"
        )
    if not (math.isfinite(weight_factor) and weight_factor > 0.0):
        raise ValueError(f"weight_factor must be finite and positive, got {weight_factor!r}")
    return score_f, np.asarray(is_one, dtype=np.bool_), weight_f * weight_factor


def _curve(scores: FloatArray, is_signal: BoolArray, weights: FloatArray, b_reg: float) -> AmsCurve:
    """AMS curve of already validated, already scaled inputs (one sort, cumulative sums)."""
    distinct, group = np.unique(scores, return_inverse=True)
    # Weights per distinct score, then sums from the highest score down: entry i is the
    # selection "score >= distinct value i", so tied events always enter together.
    sig_per = np.bincount(group, weights=np.where(is_signal, weights, 0.0), minlength=distinct.size)
    bkg_per = np.bincount(group, weights=np.where(is_signal, 0.0, weights), minlength=distinct.size)
    cuts = distinct[::-1].copy()
    # bincount with weights returns float64 (numpy's stubs say int): the cast is a no-op.
    signal = np.cumsum(sig_per[::-1], dtype=np.float64)
    background = np.cumsum(bkg_per[::-1], dtype=np.float64)
    values = ams(signal, background, b_reg)
    for arr in (cuts, signal, background, values):
        arr.setflags(write=False)
    return AmsCurve(cuts=cuts, signal=signal, background=background, ams=values)


def _ams_at(
    scores: FloatArray, is_signal: BoolArray, weights: FloatArray, cut: float, b_reg: float
) -> float:
    """AMS of "score >= cut" for already validated, already scaled inputs."""
    selected = scores >= cut
    s = float(np.sum(weights[selected & is_signal]))
    b = float(np.sum(weights[selected & ~is_signal]))
    return ams(s, b, b_reg)


def ams_curve(
    scores: ArrayLike,
    labels: ArrayLike,
    weights: ArrayLike,
    *,
    b_reg: float = DEFAULT_B_REG,
    weight_factor: float = 1.0,
) -> AmsCurve:
    """AMS of the selection "score >= c" for every distinct score value c, descending.

    One sort and cumulative sums, O(N log N) (REFERENCE.md section 3, cut choice). ``labels`` are
    1 for signal and 0 for background; ``weights`` are multiplied by ``weight_factor``.

    Raises
    ------
    ValueError
        On empty or differently sized inputs, labels other than 0/1, non-finite scores,
        negative or non-finite weights, or a non-positive ``weight_factor``.
    """
    s, sig, w = _event_arrays(scores, labels, weights, weight_factor)
    return _curve(s, sig, w, b_reg)


def ams_at_cut(
    scores: ArrayLike,
    labels: ArrayLike,
    weights: ArrayLike,
    cut: float,
    *,
    b_reg: float = DEFAULT_B_REG,
    weight_factor: float = 1.0,
) -> float:
    """AMS of the selection "score >= cut" (REFERENCE.md section 3).

    Raises
    ------
    ValueError
        On invalid inputs (see :func:`ams_curve`) or a NaN ``cut``.
    """
    if math.isnan(cut):
        raise ValueError("cut must be a number, got NaN")
    s, sig, w = _event_arrays(scores, labels, weights, weight_factor)
    return _ams_at(s, sig, w, cut, b_reg)


def max_ams(
    scores: ArrayLike,
    labels: ArrayLike,
    weights: ArrayLike,
    *,
    b_reg: float = DEFAULT_B_REG,
    weight_factor: float = 1.0,
) -> tuple[float, float]:
    """Highest AMS over all cuts "score >= c" and the cut c that reaches it.

    Scanning the cut on the very set being scored is an optimisation on that set; on a test set
    it is not a legitimate score (REFERENCE.md section 3, "test-set optimisation").
    When several cuts reach the same maximum, the highest cut is returned (the tightest
    selection; this happens when the events between them carry zero weight). Selections with no
    background are skipped (module docstring).

    Raises
    ------
    ValueError
        On invalid inputs (see :func:`ams_curve`), or when no selection holds background.

    Returns
    -------
    tuple of float
        ``(ams_max, cut)``.
    """
    curve = ams_curve(scores, labels, weights, b_reg=b_reg, weight_factor=weight_factor)
    if not np.any(curve.background > 0.0):
        raise ValueError(
            "no selection holds background (no background event, or all of zero weight): the "
            "maximum AMS is undefined (LUMIN gives -1)"
        )
    # argmax returns the first maximum, and cuts are in descending order: the highest cut.
    best = int(np.argmax(curve.choosable))
    return float(curve.ams[best]), float(curve.cuts[best])


def choose_cut(
    scores: ArrayLike,
    labels: ArrayLike,
    weights: ArrayLike,
    *,
    top_perc: float = 10.0,
    min_pred: float = 0.0,
    b_reg: float = DEFAULT_B_REG,
    weight_factor: float = 1.0,
) -> CutChoice:
    """Choose a cut by the study's method: the mean score of the events of highest AMS.

    REFERENCE.md section 3, as in LUMIN's ``binary_class_cut_by_ams`` (Strong 2020, Mach.
    Learn.: Sci. Technol. 1 045006): every event with score >= ``min_pred`` is given the AMS of
    the selection "score >= its score"; the events are ranked by that AMS, and the cut is the
    mean score of the top ``n_top = int(top_perc * N / 100)`` of them, where N counts ALL events
    (eligible or not), as LUMIN did. Averaging over many near-optimal cuts is meant to
    generalise better than the single maximum, which is reported beside it.

    Edge-case rules (ours, where LUMIN is silent or breaks):

    - Events whose selection holds no background are not candidates (LUMIN's -1 ranks them
      last; module docstring). ``n_top`` is clipped to at least 1 (so a small set still gets a
      cut) and to at most the number of candidates (LUMIN would average in ineligible events'
      scores).
    - Ties in the AMS ranking are broken by higher score first, then by input order (stable
      sort), so the result does not depend on the sort algorithm. Events tied in both share a
      score, so the cut does not depend on their order.
    - The mean is clipped to the range of the averaged scores, so rounding can never move the
      cut past tied top events (three scores of 0.1 sum to 0.30000000000000004).
    - ``ams_max``/``ams_max_cut`` are the maximum over candidates only (as in LUMIN), with
      the highest cut on ties; with ``min_pred`` at or below the lowest score they equal
      :func:`max_ams`.

    Per-event AMS comes from :func:`ams_curve` (each event mapped to its distinct score by a
    binary search), so the whole choice costs O(N log N).

    Raises
    ------
    ValueError
        On invalid inputs (see :func:`ams_curve`), ``top_perc`` outside (0, 100], a NaN
        ``min_pred``, or when no event with score >= ``min_pred`` has background in its
        selection.
    """
    if not (math.isfinite(top_perc) and 0.0 < top_perc <= 100.0):
        raise ValueError(f"top_perc must be in (0, 100], got {top_perc!r}")
    if math.isnan(min_pred):
        raise ValueError("min_pred must be a number, got NaN")
    score_f, is_signal, weight_f = _event_arrays(scores, labels, weights, weight_factor)
    eligible = score_f >= min_pred
    n_eligible = int(np.count_nonzero(eligible))
    if n_eligible == 0:
        raise ValueError(
            f"no event has score >= min_pred = {min_pred} (highest score {score_f.max()}); "
            "lower min_pred"
        )
    curve = _curve(score_f, is_signal, weight_f, b_reg)
    # curve.cuts holds exactly the distinct scores in descending order; searching the ascending
    # view finds each event's own entry.
    ascending = curve.cuts[::-1]
    entry = curve.cuts.size - 1 - np.searchsorted(ascending, score_f[eligible])
    # Candidates: eligible events whose selection "score >= their score" holds background.
    has_background = curve.background[entry] > 0.0
    n_candidates = int(np.count_nonzero(has_background))
    if n_candidates == 0:
        raise ValueError(
            f"no selection with score >= min_pred = {min_pred} holds background (the events "
            "there are all signal): no cut can be chosen; lower min_pred"
        )
    event_scores = score_f[eligible][has_background]
    event_ams = curve.ams[entry[has_background]]
    # lexsort: last key is primary -> AMS descending, then score descending; stable beyond.
    order = np.lexsort((-event_scores, -event_ams))
    n_top = min(max(int(top_perc * score_f.size / 100), 1), n_candidates)
    top_scores = event_scores[order[:n_top]]
    # The mean lies between the extremes mathematically, but rounding can push it past them:
    # three tied scores of 0.1 average to 0.10000000000000002, which would cut those events away.
    cut = float(np.clip(np.mean(top_scores), top_scores.min(), top_scores.max()))
    return CutChoice(
        cut=cut,
        ams_at_cut=_ams_at(score_f, is_signal, weight_f, cut, b_reg),
        ams_max=float(event_ams[order[0]]),
        ams_max_cut=float(event_scores[order[0]]),
        n_top=n_top,
        top_perc=float(top_perc),
        min_pred=float(min_pred),
    )
