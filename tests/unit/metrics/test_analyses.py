"""All the analyses of one prediction table, bundled as the workflow writes them."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from supertml.errors import DataValidationError
from supertml.metrics.ams import ams
from supertml.metrics.analyses import analyse_predictions
from supertml.metrics.bootstrap import ONE_SIGMA
from supertml.metrics.cut import ams_at_cut
from supertml.metrics.folds import analyse_test_optimisation, analyse_test_size
from supertml.metrics.luminosity import analyse_double_luminosity
from supertml.metrics.scoring import ScoreConfig, score_predictions
from tests.unit.metrics.synthetic import SMALL, ams_formula, synthetic_frame


def test_analyse_predictions_bundle() -> None:
    frame = synthetic_frame(seed=13)
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
    # The study's test-size analysis: the same folds at the validation max-AMS cut.
    max_cut = data["validation_cut"]["val_ams_max_cut"]
    assert max_cut != cut
    at_max = analyse_test_size(frame, max_cut, n_folds=5, seed=2).to_dict()
    assert data["test_size_at_max_cut"] == at_max
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
    assert ams_formula(217.039443378, 4379.2523956) == pytest.approx(
        ams(217.039443378, 4379.2523956), rel=1e-12
    )


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
        analyse_predictions(synthetic_frame(), ScoreConfig(), **kwargs)  # type: ignore[arg-type]


def test_bad_frame_names_the_source() -> None:
    frame = synthetic_frame().drop(columns=["score"])
    with pytest.raises(DataValidationError, match=r"preds\.parquet.*missing required column"):
        analyse_predictions(frame, ScoreConfig(), source="preds.parquet")
    with pytest.raises(DataValidationError, match=r"preds\.parquet"):
        analyse_test_size(frame, 0.5, source="preds.parquet")


def test_no_validation_event_above_min_pred() -> None:
    with pytest.raises(ValueError, match="min_pred"):
        analyse_predictions(synthetic_frame(), ScoreConfig(min_pred=2.0), n_bootstrap=10)
