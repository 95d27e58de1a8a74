"""Tests of supertml.metrics.scoring: the prediction contract and the score summary."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from supertml.errors import DataValidationError
from supertml.metrics.cut import ams_at_cut, choose_cut, max_ams
from supertml.metrics.scoring import (
    ScoreConfig,
    read_predictions,
    score_predictions,
    validate_predictions,
)

SIZES = {"val": 600, "public": 300, "private": 500}


def _predictions(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    parts = []
    for subset, n in SIZES.items():
        label = (rng.random(n) < 0.35).astype(np.int64)
        parts.append(
            pd.DataFrame(
                {
                    # Ids overlap across subsets on purpose: only (subset, event_id) must be unique.
                    "event_id": np.arange(100_000, 100_000 + n, dtype=np.int64),
                    "subset": subset,
                    "label": label,
                    "weight": np.where(
                        label == 1, rng.uniform(0.05, 0.5, n), rng.uniform(0.5, 5.0, n)
                    ),
                    "score": np.clip(rng.normal(0.35 + 0.3 * label, 0.2), 0.0, 1.0),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _arrays(frame: pd.DataFrame, subset: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    part = frame[frame["subset"] == subset]
    return part["score"].to_numpy(), part["label"].to_numpy(), part["weight"].to_numpy()


def test_score_matches_direct_metrics() -> None:
    frame = _predictions(1)
    config = ScoreConfig(top_perc=15.0, min_pred=0.2, b_reg=10.0)
    result = score_predictions(frame, config)

    val = _arrays(frame, "val")
    choice = choose_cut(*val, top_perc=15.0, min_pred=0.2, b_reg=10.0)
    assert result["cut"] == choice.cut
    assert result["val_ams_at_cut"] == choice.ams_at_cut
    assert result["val_ams_max"] == choice.ams_max
    assert result["val_ams_max_cut"] == choice.ams_max_cut
    assert result["val_n_top"] == choice.n_top == int(15.0 * 600 / 100)
    for subset in ("public", "private"):
        arrays = _arrays(frame, subset)
        best, best_cut = max_ams(*arrays)
        assert result[f"{subset}_ams"] == ams_at_cut(*arrays, choice.cut)
        assert result[f"{subset}_ams_max"] == best
        assert result[f"{subset}_ams_max_cut"] == best_cut
        # Scanning the test set can only match or beat the validation cut.
        assert best >= float(result[f"{subset}_ams"])
    assert result["val_auc"] == pytest.approx(roc_auc_score(val[1], val[0]), abs=1e-15)
    assert (result["n_val"], result["n_public"], result["n_private"]) == (600, 300, 500)
    assert (result["top_perc"], result["min_pred"], result["b_reg"]) == (15.0, 0.2, 10.0)


def test_the_studys_b_r_0_score_sits_beside_ours_at_the_same_cut() -> None:
    frame = _predictions(5)
    result = score_predictions(frame, ScoreConfig(b_reg=10.0))
    for subset in ("public", "private"):
        scores, labels, weights = _arrays(frame, subset)
        chosen = scores >= float(result["cut"])
        s = float(weights[chosen & (labels == 1)].sum())
        b = float(weights[chosen & (labels == 0)].sum())
        # AMS with b_r = 0 (the study's score_test_df), by the formula itself.
        expected = np.sqrt(2 * ((s + b) * np.log1p(s / b) - s))
        assert result[f"{subset}_ams_br0"] == pytest.approx(expected, rel=1e-12)
        # A larger b_r lowers the AMS at fixed s and b.
        assert float(result[f"{subset}_ams_br0"]) > float(result[f"{subset}_ams"])


def test_score_values_are_plain_json_types() -> None:
    result = score_predictions(_predictions(2), ScoreConfig())
    assert all(type(value) in (float, int, str) for value in result.values())
    assert json.loads(json.dumps(result)) == result


def test_score_uses_each_subset_separately() -> None:
    frame = _predictions(3)
    base = score_predictions(frame, ScoreConfig())
    # Doubling the private weights must change only the private numbers.
    doubled = frame.copy()
    private = doubled["subset"] == "private"
    doubled.loc[private, "weight"] = doubled.loc[private, "weight"] * 2.0
    changed = score_predictions(doubled, ScoreConfig())
    assert changed["cut"] == base["cut"]
    assert changed["public_ams"] == base["public_ams"]
    assert changed["private_ams"] != pytest.approx(base["private_ams"], rel=1e-6)


def test_score_with_unreachable_min_pred() -> None:
    with pytest.raises(ValueError, match="min_pred"):
        score_predictions(_predictions(4), ScoreConfig(min_pred=2.0))


def _drop_column(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=["weight"])


def _unknown_subset(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[5, "subset"] = "test"
    return frame


def _missing_private(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["subset"] != "private"].reset_index(drop=True)


def _label_two(frame: pd.DataFrame) -> pd.DataFrame:
    frame["label"] = frame["label"].astype(np.int64)
    frame.loc[7, "label"] = 2
    return frame


def _label_text(frame: pd.DataFrame) -> pd.DataFrame:
    frame["label"] = np.where(frame["label"] == 1, "s", "b")
    return frame


def _score_nan(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[9, "score"] = np.nan
    return frame


def _score_inf(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[9, "score"] = np.inf
    return frame


def _weight_negative(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[11, "weight"] = -0.5
    return frame


def _weight_inf(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[11, "weight"] = np.inf
    return frame


def _duplicate(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[13, "event_id"] = frame.loc[12, "event_id"]
    return frame


def _fractional_id(frame: pd.DataFrame) -> pd.DataFrame:
    frame["event_id"] = frame["event_id"].astype(np.float64)
    frame.loc[3, "event_id"] = 1.5
    return frame


def _val_one_class(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[frame["subset"] == "val", "label"] = 0
    return frame


BAD_FRAMES: list[tuple[Callable[[pd.DataFrame], pd.DataFrame], str, str]] = [
    (_drop_column, "weight", "missing required column"),
    (_unknown_subset, "subset", r"unknown subset value\(s\) \['test'\].*row 5"),
    (_missing_private, "subset", r"no rows for subset\(s\) \['private'\]"),
    (_label_two, "label", "label must be 1 .* or 0 .*row 7"),
    (_label_text, "label", "must be numeric"),
    (_score_nan, "score", "score must be finite.*row 9"),
    (_score_inf, "score", "score must be finite"),
    (_weight_negative, "weight", "weight must be finite and non-negative.*row 11"),
    (_weight_inf, "weight", "weight must be finite"),
    (_duplicate, "event_id", r"duplicated \(subset, event_id\).*row 13"),
    (_fractional_id, "event_id", "event_id must be integers.*row 3"),
    (_val_one_class, "label", "only one class"),
]


@pytest.mark.parametrize(
    ("corrupt", "column", "match"), BAD_FRAMES, ids=[c.__name__ for c, _, _ in BAD_FRAMES]
)
def test_validation_errors(
    corrupt: Callable[[pd.DataFrame], pd.DataFrame], column: str, match: str
) -> None:
    frame = corrupt(_predictions(5))
    with pytest.raises(DataValidationError, match=match) as info:
        validate_predictions(frame, "runs/x/predictions.parquet")
    assert info.value.column == column
    assert str(info.value).startswith("runs/x/predictions.parquet")
    assert f"column {column!r}" in str(info.value)
    # score_predictions validates too, so no bad frame can be scored silently.
    with pytest.raises(DataValidationError, match=match):
        score_predictions(frame, ScoreConfig())


def test_valid_frame_passes() -> None:
    validate_predictions(_predictions(6), "ok.parquet")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_read_predictions_roundtrip(tmp_path: Path, suffix: str) -> None:
    frame = _predictions(7)
    path = tmp_path / f"predictions{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    loaded = read_predictions(path)
    assert len(loaded) == len(frame)
    np.testing.assert_allclose(loaded["score"].to_numpy(), frame["score"].to_numpy(), rtol=1e-15)
    assert score_predictions(loaded, ScoreConfig()) == pytest.approx(
        score_predictions(frame, ScoreConfig())
    )


def test_read_predictions_validates_and_names_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    _score_nan(_predictions(8)).to_csv(path, index=False)
    with pytest.raises(DataValidationError, match="score must be finite") as info:
        read_predictions(path)
    assert info.value.path == path
    assert str(path) in str(info.value)


def test_read_predictions_rejects_unknown_type(tmp_path: Path) -> None:
    path = tmp_path / "predictions.json"
    path.write_text("{}")
    with pytest.raises(DataValidationError, match=r"unsupported prediction file type '\.json'"):
        read_predictions(path)


def test_read_predictions_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="prediction file not found"):
        read_predictions(tmp_path / "absent.parquet")
