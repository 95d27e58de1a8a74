"""Tests of supertml.data.preprocess: scaler fit and transform, model matrix, prepared splits."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from supertml.constants import FEATURES, MISSING_VALUE, SUBSETS
from supertml.data.hep import DATA_FIX_FEATURES, apply_data_fix
from supertml.data.preprocess import (
    PreprocessingPreset,
    StandardScaler,
    fit_standard_scaler,
    model_matrix,
    physical_frame,
    prepare_splits,
)
from supertml.data.reader import EventTable
from supertml.data.splits import SplitConfig, Splits, split_events
from supertml.errors import ConfigError

M = MISSING_VALUE


@pytest.fixture(scope="module")
def sample_splits(sample_table: EventTable) -> Splits:
    return split_events(sample_table, SplitConfig())


def test_fit_ignores_missing_values_and_uses_population_std() -> None:
    train = pd.DataFrame({"a": [1.0, 3.0, M, M], "b": [1.0, 2.0, 3.0, 4.0]})
    scaler = fit_standard_scaler(train, ["a", "b"])
    assert scaler.features == ("a", "b")
    assert scaler.mean == pytest.approx((2.0, 2.5))
    # ddof=0: population std of 1..4 is sqrt(1.25), not the sample std sqrt(5/3).
    assert scaler.std == pytest.approx((1.0, np.sqrt(1.25)))


def test_constant_or_never_defined_feature_gets_std_one() -> None:
    train = pd.DataFrame({"const": [0.1, 0.1, 0.1, M], "never": [M, M, M, M]})
    scaler = fit_standard_scaler(train, ["const", "never"])
    assert scaler.std == (1.0, 1.0)
    assert scaler.mean[1] == 0.0
    out = scaler.transform(train)
    np.testing.assert_allclose(out["const"].to_numpy()[:3], 0.0, atol=1e-12)
    assert out["never"].isna().all()


def test_jet_num_is_not_scaled(sample_splits: Splits) -> None:
    train = sample_splits.frames["train"]
    scaler = fit_standard_scaler(train, FEATURES)
    assert "PRI_jet_num" not in scaler.features
    assert len(scaler.features) == len(FEATURES) - 1
    out = scaler.transform(train)
    pd.testing.assert_series_equal(out["PRI_jet_num"], train["PRI_jet_num"])
    assert set(out["PRI_jet_num"].unique()) <= {0.0, 1.0, 2.0, 3.0}


def test_transformed_train_is_standardised_on_defined_values(sample_splits: Splits) -> None:
    train = sample_splits.frames["train"]
    scaler = fit_standard_scaler(train, FEATURES)
    out = scaler.transform(train)
    for name in scaler.features:
        defined = out[name].dropna().to_numpy()
        assert defined.mean() == pytest.approx(0.0, abs=1e-9), name
        assert defined.std() == pytest.approx(1.0, rel=1e-9), name


def test_missing_becomes_nan_exactly_where_undefined(sample_splits: Splits) -> None:
    train = sample_splits.frames["train"]
    scaler = fit_standard_scaler(train, FEATURES)
    out = scaler.transform(train)
    names = list(scaler.features)
    np.testing.assert_array_equal(out[names].isna().to_numpy(), (train[names] == M).to_numpy())
    assert (train["DER_mass_MMC"] == M).any()  # the check above is not vacuous


def test_transform_keeps_other_columns_and_input(sample_splits: Splits) -> None:
    train = sample_splits.frames["train"]
    before = train.copy()
    out = fit_standard_scaler(train, FEATURES).transform(train)
    pd.testing.assert_frame_equal(train, before)
    for name in ("event_id", "label", "weight", "subset"):
        pd.testing.assert_series_equal(out[name], train[name])


def test_transform_refuses_already_scaled_input() -> None:
    train = pd.DataFrame({"a": [1.0, 3.0, M]})
    scaler = fit_standard_scaler(train, ["a"])
    with pytest.raises(ValueError, match="scaled twice"):
        scaler.transform(scaler.transform(train))


def test_fit_refuses_nan_and_missing_columns() -> None:
    with pytest.raises(ValueError, match="NaN or infinite"):
        fit_standard_scaler(pd.DataFrame({"a": [1.0, np.nan]}), ["a"])
    with pytest.raises(ValueError, match=r"lacks columns \['b'\]"):
        fit_standard_scaler(pd.DataFrame({"a": [1.0, 2.0]}), ["a", "b"])


def test_model_matrix_sets_undefined_to_zero() -> None:
    frame = pd.DataFrame({"a": [0.5, np.nan, -1.25], "b": [np.nan, 2.0, 3.0]})
    matrix = model_matrix(frame, ["b", "a"])
    assert matrix.dtype == np.float32
    np.testing.assert_array_equal(matrix, np.array([[0.0, 0.5], [2.0, 0.0], [3.0, -1.25]]))


def test_model_matrix_refuses_raw_frames() -> None:
    with pytest.raises(ValueError, match="-999"):
        model_matrix(pd.DataFrame({"a": [1.0, M]}), ["a"])


def test_scaler_json_round_trip(sample_splits: Splits) -> None:
    scaler = fit_standard_scaler(sample_splits.frames["train"], FEATURES)
    restored = StandardScaler.from_dict(json.loads(json.dumps(scaler.to_dict())))
    assert restored == scaler


def test_scaler_rejects_inconsistent_fields() -> None:
    with pytest.raises(ValueError, match="2 features but 1 means"):
        StandardScaler(features=("a", "b"), mean=(0.0,), std=(1.0, 1.0))
    with pytest.raises(ValueError, match="positive"):
        StandardScaler(features=("a",), mean=(0.0,), std=(0.0,))


def _frame(values: list[float], subset: str) -> pd.DataFrame:
    n = len(values)
    frame = pd.DataFrame({"event_id": np.arange(n, dtype=np.int64)})
    for name in FEATURES:
        frame[name] = np.asarray(values)
    frame["PRI_jet_num"] = 1.0
    frame["label"] = np.array([0, 1] * (n // 2), dtype=np.int8)
    frame["weight"] = 1.0
    frame["subset"] = subset
    return frame


def test_prepare_splits_fits_on_train_only() -> None:
    # Validation and test values lie far from the training ones: if their statistics leaked
    # into the fit, the scaler's mean would move away from the training mean 2.5.
    frames = {
        "train": _frame([1.0, 2.0, 3.0, 4.0], "train"),
        "val": _frame([100.0, 200.0], "val"),
        "public": _frame([-50.0, M], "public"),
        "private": _frame([10.0, 20.0], "private"),
    }
    splits = Splits(frames=frames, weight_scheme="per_class")
    result = prepare_splits(splits, PreprocessingPreset(name="standard"))
    prepared, scaler = result.scaled, result.scaler
    assert list(prepared) == list(SUBSETS)
    assert scaler.mean == pytest.approx([2.5] * 29)
    assert scaler.std == pytest.approx([np.sqrt(1.25)] * 29)
    val = prepared["val"]["DER_mass_MMC"].to_numpy()
    np.testing.assert_allclose(val, (np.array([100.0, 200.0]) - 2.5) / np.sqrt(1.25))
    assert np.isnan(prepared["public"]["PRI_met"].iloc[1])
    assert (prepared["private"]["PRI_jet_num"] == 1.0).all()


def test_prepare_splits_on_sample(sample_splits: Splits) -> None:
    result = prepare_splits(sample_splits, PreprocessingPreset(name="standard"))
    assert result.features == FEATURES
    for name in SUBSETS:
        raw = sample_splits.frames[name]
        assert len(result.scaled[name]) == len(raw)
        assert list(result.scaled[name].columns) == list(raw.columns)
        pd.testing.assert_frame_equal(result.physical[name], physical_frame(raw, FEATURES))
    assert result.scaler == fit_standard_scaler(sample_splits.frames["train"], FEATURES)


def test_unknown_scaling_is_refused(sample_splits: Splits) -> None:
    preset = PreprocessingPreset(name="odd", scaling="robust")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="unknown scaling 'robust'"):
        prepare_splits(sample_splits, preset)


def test_physical_frame_marks_undefined_as_nan_and_keeps_values() -> None:
    frame = pd.DataFrame({"a": [1.5, M, -3.0], "b": [M, 2.0, 4.0], "label": [0, 1, 0]})
    out = physical_frame(frame, ["a", "b"])
    np.testing.assert_array_equal(out["a"].to_numpy(), [1.5, np.nan, -3.0])
    np.testing.assert_array_equal(out["b"].to_numpy(), [np.nan, 2.0, 4.0])
    pd.testing.assert_series_equal(out["label"], frame["label"])
    assert frame.loc[1, "a"] == M  # the input is untouched


def test_prepare_splits_with_data_fix(sample_splits: Splits) -> None:
    preset = PreprocessingPreset(name="fix", data_fix=True)
    result = prepare_splits(sample_splits, preset)
    assert result.features == DATA_FIX_FEATURES
    fixed_train = apply_data_fix(sample_splits.frames["train"])
    # Fitted on the data-fixed training split only, and never on PRI_jet_num.
    assert result.scaler == fit_standard_scaler(fixed_train, DATA_FIX_FEATURES)
    assert "PRI_jet_num" not in result.scaler.features
    assert "PRI_tau_px" in result.scaler.features
    for name in SUBSETS:
        fixed = apply_data_fix(sample_splits.frames[name])
        pd.testing.assert_frame_equal(result.scaled[name], result.scaler.transform(fixed))
        pd.testing.assert_frame_equal(
            result.physical[name], physical_frame(fixed, DATA_FIX_FEATURES)
        )
        assert "PRI_tau_pt" not in result.scaled[name].columns
        pd.testing.assert_series_equal(
            result.scaled[name]["PRI_jet_num"], sample_splits.frames[name]["PRI_jet_num"]
        )
    physical = result.physical["train"]
    undefined = physical["PRI_jet_leading_px"].isna()
    assert undefined.any()
    np.testing.assert_array_equal(result.scaled["train"]["PRI_jet_leading_px"].isna(), undefined)
    # Physical values are unscaled (GeV): the lepton's px is its transverse momentum.
    np.testing.assert_allclose(
        physical["PRI_lep_px"], sample_splits.frames["train"]["PRI_lep_pt"], rtol=1e-12
    )
