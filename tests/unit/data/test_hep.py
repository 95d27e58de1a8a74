"""Tests of supertml.data.hep: the study's data-fix (rotation, flips, Cartesian momenta)."""

from __future__ import annotations

from math import cos, pi, sin, sinh
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from supertml.constants import DER_FEATURES, FEATURES, MISSING_VALUE
from supertml.data.hep import DATA_FIX_FEATURES, apply_data_fix
from supertml.data.reader import read_events

M = MISSING_VALUE
SAMPLE_DIR = Path(__file__).resolve().parents[3] / "resources" / "higgsml-sample"
OBJECTS = ("PRI_tau", "PRI_jet_leading", "PRI_jet_subleading")


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    """The bundled real sample (raw features, -999.0 where undefined)."""
    paths = sorted(SAMPLE_DIR.glob("*.csv.gz"))
    if not paths:
        pytest.skip(f"bundled sample not found in {SAMPLE_DIR}")
    return read_events(paths[0]).frame


@pytest.fixture(scope="module")
def fixed(raw: pd.DataFrame) -> pd.DataFrame:
    return apply_data_fix(raw)


def _event(**values: float) -> dict[str, float]:
    row = dict.fromkeys(FEATURES, 1.0)
    row.update(values)
    return row


def _frame(rows: list[dict[str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(FEATURES))
    frame.insert(0, "event_id", np.arange(len(rows), dtype=np.int64) + 100)
    frame["label"] = np.int8(1)
    frame["weight"] = 0.5
    frame["subset"] = "train"
    return frame


def test_feature_list_has_30_unique_names() -> None:
    assert len(DATA_FIX_FEATURES) == 30
    assert len(set(DATA_FIX_FEATURES)) == 30
    assert DATA_FIX_FEATURES[:13] == DER_FEATURES
    assert "PRI_lep_py" not in DATA_FIX_FEATURES


def test_hand_computed_events() -> None:
    # Event 0 needs both flips: after rotating by -lep_phi = -1, tau phi = -3 (< 0, so all phis
    # flip) and the jet's -3 - 1 = -4 wraps to 2 pi - 4, then flips to 4 - 2 pi; lep eta = -1
    # (< 0, so all etas flip). Event 1 needs neither flip; its MET's 3 - (-2) = 5 wraps to
    # 5 - 2 pi.
    flipped = _event(
        PRI_tau_pt=40.0, PRI_tau_eta=-0.5, PRI_tau_phi=-2.0,
        PRI_lep_pt=30.0, PRI_lep_eta=-1.0, PRI_lep_phi=1.0,
        PRI_met=20.0, PRI_met_phi=3.0, PRI_met_sumet=150.0, PRI_jet_num=1.0,
        PRI_jet_leading_pt=50.0, PRI_jet_leading_eta=2.0, PRI_jet_leading_phi=-3.0,
        PRI_jet_subleading_pt=M, PRI_jet_subleading_eta=M, PRI_jet_subleading_phi=M,
        PRI_jet_all_pt=50.0,
    )  # fmt: skip
    plain = _event(
        PRI_tau_pt=25.0, PRI_tau_eta=0.3, PRI_tau_phi=-1.5,
        PRI_lep_pt=35.0, PRI_lep_eta=0.7, PRI_lep_phi=-2.0,
        PRI_met=10.0, PRI_met_phi=3.0, PRI_jet_num=2.0,
        PRI_jet_leading_pt=60.0, PRI_jet_leading_eta=-1.2, PRI_jet_leading_phi=0.0,
        PRI_jet_subleading_pt=45.0, PRI_jet_subleading_eta=0.4, PRI_jet_subleading_phi=2.5,
    )  # fmt: skip
    out = apply_data_fix(_frame([flipped, plain]))
    expected = {
        "PRI_tau_px": [40 * cos(3.0), 25 * cos(0.5)],
        "PRI_tau_py": [40 * sin(3.0), 25 * sin(0.5)],
        "PRI_tau_pz": [40 * sinh(0.5), 25 * sinh(0.3)],
        "PRI_lep_px": [30.0, 35.0],
        "PRI_lep_pz": [30 * sinh(1.0), 35 * sinh(0.7)],
        "PRI_met_px": [20 * cos(-2.0), 10 * cos(5 - 2 * pi)],
        "PRI_met_py": [20 * sin(-2.0), 10 * sin(5 - 2 * pi)],
        "PRI_met": [20.0, 10.0],
        "PRI_met_sumet": [150.0, 1.0],
        "PRI_jet_num": [1.0, 2.0],
        "PRI_jet_leading_px": [50 * cos(4 - 2 * pi), 60 * cos(2.0)],
        "PRI_jet_leading_py": [50 * sin(4 - 2 * pi), 60 * sin(2.0)],
        "PRI_jet_leading_pz": [50 * sinh(-2.0), 60 * sinh(-1.2)],
        "PRI_jet_subleading_px": [M, 45 * cos(4.5 - 2 * pi)],
        "PRI_jet_subleading_py": [M, 45 * sin(4.5 - 2 * pi)],
        "PRI_jet_subleading_pz": [M, 45 * sinh(0.4)],
        "PRI_jet_all_pt": [50.0, 1.0],
    }
    for name, values in expected.items():
        np.testing.assert_allclose(out[name].to_numpy(), values, rtol=1e-12, err_msg=name)


def test_columns_and_pass_through(raw: pd.DataFrame, fixed: pd.DataFrame) -> None:
    others = [name for name in raw.columns if name not in FEATURES]
    assert list(fixed.columns) == ["event_id", *DATA_FIX_FEATURES, *others[1:]]
    for name in [*DER_FEATURES, *others, "PRI_met", "PRI_met_sumet", "PRI_jet_num"]:
        pd.testing.assert_series_equal(fixed[name], raw[name], check_dtype=False, obj=name)
    assert fixed.index.equals(raw.index)


def test_input_is_not_modified(raw: pd.DataFrame) -> None:
    before = raw.copy()
    apply_data_fix(raw)
    pd.testing.assert_frame_equal(raw, before)


def test_transverse_momenta_and_met_magnitude_are_preserved(
    raw: pd.DataFrame, fixed: pd.DataFrame
) -> None:
    for name in OBJECTS:
        defined = raw[f"{name}_pt"] != M
        before, after = raw[defined], fixed[defined]
        pt = np.hypot(after[f"{name}_px"], after[f"{name}_py"])
        np.testing.assert_allclose(pt, before[f"{name}_pt"], rtol=1e-12)
        expected = before[f"{name}_pt"] * np.sinh(before[f"{name}_eta"].abs())
        np.testing.assert_allclose(after[f"{name}_pz"].abs(), expected, rtol=1e-12)
    np.testing.assert_allclose(np.hypot(fixed["PRI_met_px"], fixed["PRI_met_py"]), raw["PRI_met"])
    # Lepton at phi = 0: all its transverse momentum is px (its py, identically 0, is dropped).
    np.testing.assert_allclose(fixed["PRI_lep_px"], raw["PRI_lep_pt"], rtol=1e-12)


def test_flips_leave_tau_py_and_lepton_pz_non_negative(fixed: pd.DataFrame) -> None:
    assert (fixed["PRI_tau_py"] >= 0).all()
    assert (fixed["PRI_lep_pz"] >= 0).all()
    assert (fixed["PRI_tau_py"] > 0).mean() > 0.99  # not all zero: the check above has teeth


def test_relative_geometry_is_preserved(raw: pd.DataFrame, fixed: pd.DataFrame) -> None:
    # Rotations and reflections keep the opening angle between tau and MET in the transverse
    # plane, and the sign of eta_tau * eta_lep.
    cos_before = np.cos(raw["PRI_tau_phi"] - raw["PRI_met_phi"])
    dot = fixed["PRI_tau_px"] * fixed["PRI_met_px"] + fixed["PRI_tau_py"] * fixed["PRI_met_py"]
    np.testing.assert_allclose(dot / (raw["PRI_tau_pt"] * raw["PRI_met"]), cos_before, atol=1e-9)
    same_hemisphere = np.sign(raw["PRI_tau_eta"] * raw["PRI_lep_eta"])
    np.testing.assert_array_equal(
        np.sign(fixed["PRI_tau_pz"] * fixed["PRI_lep_pz"]), same_hemisphere
    )


def test_undefined_jets_stay_undefined(raw: pd.DataFrame, fixed: pd.DataFrame) -> None:
    for name in ("PRI_jet_leading", "PRI_jet_subleading"):
        undefined = (raw[f"{name}_pt"] == M).to_numpy()
        assert undefined.any()
        assert not undefined.all()
        for part in ("px", "py", "pz"):
            np.testing.assert_array_equal((fixed[f"{name}_{part}"] == M).to_numpy(), undefined)
    # Nothing else became undefined, and no NaN leaked out.
    new = [name for name in DATA_FIX_FEATURES if not name.startswith(("DER_", "PRI_jet_"))]
    assert not (fixed[new] == M).any().any()
    assert not fixed[list(DATA_FIX_FEATURES)].isna().any().any()


def test_refuses_missing_columns_and_nan(raw: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"lacks raw feature columns \['PRI_tau_phi'\]"):
        apply_data_fix(raw.drop(columns=["PRI_tau_phi"]))
    broken = raw.head(3).copy()
    broken.loc[broken.index[0], "DER_mass_vis"] = np.nan
    with pytest.raises(ValueError, match="hold NaN"):
        apply_data_fix(broken)
