"""Weighted ROC and AMS-vs-efficiency curves (supertml.reporting.efficiency)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from supertml.reporting.efficiency import efficiency_curve, plot_efficiency
from tests.unit.reporting.runs import predictions


def test_the_weighted_auc_is_scikit_learns() -> None:
    frame = predictions(3)
    private = frame[frame["subset"] == "private"]
    curve = efficiency_curve(private, b_reg=10.0)
    expected = roc_auc_score(private["label"], private["score"], sample_weight=private["weight"])
    assert curve.auc == pytest.approx(expected, rel=1e-12)
    # Efficiencies climb to 1 as the cut falls; both start above 0 at the highest cut.
    assert curve.signal_efficiency[-1] == pytest.approx(1.0)
    assert curve.background_efficiency[-1] == pytest.approx(1.0)
    assert np.all(np.diff(curve.signal_efficiency) >= 0)


def test_selections_without_background_have_no_ams_drawn() -> None:
    frame = pd.DataFrame({"score": [0.9, 0.8, 0.3, 0.2], "label": [1, 1, 0, 1],
                          "weight": [1.0, 1.0, 5.0, 1.0]})  # fmt: skip
    curve = efficiency_curve(frame, b_reg=10.0)
    assert np.isnan(curve.ams[:2]).all()  # "score >= 0.9" and ">= 0.8": signal only
    assert np.isfinite(curve.ams[2:]).all()
    with pytest.raises(ValueError, match="signal and background"):
        efficiency_curve(frame[frame["label"] == 1], b_reg=10.0)


def test_both_figures_are_written(tmp_path: Path) -> None:
    frames = [predictions(4), predictions(5)]
    roc, ams = tmp_path / "roc.png", tmp_path / "ams.png"
    plot_efficiency(frames, ["a/seed_0", "b/seed_0"], subset="private", b_reg=10.0,
                    title="demo", roc_output=roc, ams_output=ams)  # fmt: skip
    for path in (roc, ams):
        assert path.read_bytes()[:4] == b"\x89PNG"
        assert path.stat().st_size > 10_000
