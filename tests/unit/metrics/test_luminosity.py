"""The double-luminosity check against brute-force loops."""

from __future__ import annotations

import math

import pytest

from supertml.constants import NB_TOTAL, NS_TOTAL
from supertml.metrics.luminosity import analyse_double_luminosity
from supertml.metrics.scoring import ScoreConfig
from tests.unit.metrics.synthetic import (
    brute_ams,
    rows_of,
    synthetic_frame,
    validation_cut,
)


def test_double_luminosity_matches_brute_force() -> None:
    frame = synthetic_frame(seed=6)
    cuts = {"validation": validation_cut(frame, ScoreConfig()), "fixed": 0.5}
    result = analyse_double_luminosity(frame, cuts)
    public = rows_of(frame[frame["subset"] == "public"])
    private = rows_of(frame[frame["subset"] == "private"])
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
        assert entry.public_ams == pytest.approx(brute_ams(public, entry.cut), rel=1e-10)
        assert entry.private_ams == pytest.approx(brute_ams(private, entry.cut), rel=1e-10)
        merged = brute_ams(public + private, entry.cut)
        norm = brute_ams(normalised, entry.cut)
        assert entry.merged_ams == pytest.approx(merged, rel=1e-10)
        assert entry.normalised_ams == pytest.approx(norm, rel=1e-10)
        assert entry.ratio == pytest.approx(merged / norm, rel=1e-10)


def test_double_luminosity_inflates_by_sqrt2_when_subsets_alike() -> None:
    frame = synthetic_frame(
        {"val": 20_000, "public": 40_000, "private": 160_000}, seed=7, decimals=None
    )
    cut = validation_cut(frame, ScoreConfig())
    result = analyse_double_luminosity(frame, {"validation": cut, "fixed": 0.5})
    for entry in result.at_cuts:
        assert entry.ratio is not None
        assert entry.ratio == pytest.approx(math.sqrt(2.0), rel=0.03)
        # The separate subsets agree with the normalised merged set, not with the doubled one.
        for separate in (entry.public_ams, entry.private_ams):
            assert separate == pytest.approx(entry.normalised_ams, rel=0.05)
            assert entry.merged_ams > 1.3 * separate


def test_double_luminosity_ratio_none_without_signal() -> None:
    frame = synthetic_frame(seed=8)
    result = analyse_double_luminosity(frame, {"above_all": 2.0})
    entry = result.at_cuts[0]
    assert (entry.merged_ams, entry.normalised_ams, entry.ratio) == (0.0, 0.0, None)


def test_bad_cuts() -> None:
    with pytest.raises(ValueError, match="cuts is empty"):
        analyse_double_luminosity(synthetic_frame(), {})
    with pytest.raises(ValueError, match="cut 'fixed' must be a finite number"):
        analyse_double_luminosity(synthetic_frame(), {"fixed": math.nan})
