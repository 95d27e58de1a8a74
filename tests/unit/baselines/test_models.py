"""Saved baseline models: read back equal, refused when they are not ours or are stale."""

from __future__ import annotations

from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

from supertml.baselines import models
from supertml.baselines.gbt import GbtSettings, fit_gbt
from supertml.errors import DataValidationError


def _frames() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(0)
    frames = {}
    for i, name in enumerate(("train", "val", "public", "private")):
        label = rng.integers(0, 2, 300)
        frames[name] = pd.DataFrame(
            {"a": rng.normal(label, 1.0), "b": rng.normal(0, 1, 300), "label": label,
             "weight": 1.0, "event_id": np.arange(300) + 1000 * i, "subset": name}
        )  # fmt: skip
    return frames


def test_a_saved_model_reads_back_and_scores_as_the_fit_did(tmp_path: Path) -> None:
    frames = _frames()
    fit = fit_gbt(GbtSettings(max_iter=10), frames, ["a", "b"])
    models.save_baseline_model(tmp_path / "m.joblib", "gradient_boosted_trees", fit.model)
    kind, model = models.load_baseline_model(tmp_path / "m.joblib")
    assert kind == "gradient_boosted_trees"
    assert model.features == ("a", "b")
    private = fit.predictions[fit.predictions["subset"] == "private"]
    np.testing.assert_array_equal(model.score(frames["private"]), private["score"])


def test_a_file_that_is_not_a_saved_model_is_refused(tmp_path: Path) -> None:
    joblib.dump({"model": 1}, tmp_path / "other.joblib")
    (tmp_path / "text.joblib").write_text("not a pickle")
    for name in ("other.joblib", "text.joblib"):
        with pytest.raises(DataValidationError, match=rf"{name}: not a saved baseline model"):
            models.load_baseline_model(tmp_path / name)
    with pytest.raises(FileNotFoundError, match=r"absent\.joblib"):
        models.load_baseline_model(tmp_path / "absent.joblib")


def test_a_model_from_another_scikit_learn_is_refused_with_the_remedy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fit = fit_gbt(GbtSettings(max_iter=5), _frames(), ["a", "b"])
    monkeypatch.setattr(
        models, "_library_versions", lambda: {"scikit-learn": "0.1", "torch": "0.1"}
    )
    models.save_baseline_model(tmp_path / "m.joblib", "gradient_boosted_trees", fit.model)
    monkeypatch.undo()
    with pytest.raises(DataValidationError, match=r"scikit-learn 0\.1 -> .*rerun train_baseline"):
        models.load_baseline_model(tmp_path / "m.joblib")
