"""The extra bootstrap intervals of a run: double luminosity and the test-scanned maxima."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from supertml.metrics.intervals import run_intervals
from tests.unit.reporting.runs import N_BOOT, analysis_record, predictions


@pytest.fixture(scope="module")
def one_run() -> tuple[pd.DataFrame, dict[str, Any], dict[str, Any]]:
    frame = predictions(0)
    analysis = analysis_record(frame, "cnn_a", 0)
    return frame, analysis, run_intervals(frame, analysis)


def test_intervals_agree_with_the_analysis_points(
    one_run: tuple[pd.DataFrame, dict[str, Any], dict[str, Any]],
) -> None:
    _, analysis, intervals = one_run
    validation, fixed = analysis["double_luminosity"]["at_cuts"]
    for entry, names in ((validation, ("merged", "normalised")),
                         (fixed, ("public", "private", "merged", "normalised"))):  # fmt: skip
        boot = intervals["double_luminosity"][entry["name"]]
        assert boot["cut"] == entry["cut"]
        assert set(boot) == {"cut", *names}  # public/private at the validation cut: analysis's
        for name in names:
            assert boot[name]["point"] == pytest.approx(entry[f"{name}_ams"], rel=1e-12)
    for subset in ("public", "private"):
        whole = analysis["test_optimisation"][subset]
        assert intervals["test_optimisation"][subset]["point"] == pytest.approx(whole["whole_ams"])
        assert intervals["test_optimisation"][subset]["n_resamples"] == N_BOOT
