"""The study's HEP preprocessing ("data-fix"): align every event, then use Cartesian momenta.

REFERENCE.md section 5: "rotate each event in phi so the lepton has phi = 0, flip so the tau has
phi > 0 and the lepton eta > 0, convert (pt, eta, phi) to (px, py, pz); 30 features result
(lepton py vanishes)". The study ran this through LUMIN (GilesStrong/SuperTML_HiggsML_Test,
``modules/data_import.py``, ``import_data``: ``proc_event(..., fix_phi=rotate, fix_y=flip_y,
fix_z=flip_z, use_cartesian=cartesian, ref_vec_0='PRI_lep', ref_vec_1='PRI_tau',
keep_feats=['PRI_met_pt'])``, called with ``-r True -z True -y True``); the steps below follow
LUMIN's ``lumin/data_processing/hep_proc.py`` (``fix_event_phi``, ``fix_event_y``,
``fix_event_z``, ``to_cartesian``, ``proc_event``), vectorised and without modifying the input.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from supertml.constants import DER_FEATURES, FEATURES, MISSING_VALUE

__all__ = ["DATA_FIX_FEATURES", "apply_data_fix"]

FloatArray = npt.NDArray[np.float64]

#: The 30 features after the data-fix, in "table" order: the DER features unchanged, then the
#: primitives with each (pt, eta, phi) replaced by Cartesian components. ``PRI_met`` stays the
#: MET magnitude (the study kept it as ``PRI_met_pt`` through ``keep_feats``). The study's own
#: column order differed (LUMIN appended the new components after the untouched columns in the
#: order of a Python set); this order is ours and only matters for the ``table`` ordering.
DATA_FIX_FEATURES: Final[tuple[str, ...]] = (
    *DER_FEATURES,
    "PRI_tau_px",
    "PRI_tau_py",
    "PRI_tau_pz",
    "PRI_lep_px",
    "PRI_lep_pz",
    "PRI_met_px",
    "PRI_met_py",
    "PRI_met",
    "PRI_met_sumet",
    "PRI_jet_num",
    "PRI_jet_leading_px",
    "PRI_jet_leading_py",
    "PRI_jet_leading_pz",
    "PRI_jet_subleading_px",
    "PRI_jet_subleading_py",
    "PRI_jet_subleading_pz",
    "PRI_jet_all_pt",
)

#: Objects with (pt, eta, phi); the MET has (magnitude, phi) only.
_OBJECTS: Final[tuple[str, ...]] = ("PRI_tau", "PRI_lep", "PRI_jet_leading", "PRI_jet_subleading")


def _wrap_phi(phi: FloatArray) -> FloatArray:
    """Map angles to (-pi, pi] (NaN stays NaN)."""
    wrapped: FloatArray = np.pi - np.mod(np.pi - phi, 2.0 * np.pi)
    return wrapped


def apply_data_fix(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` with the 30 raw features replaced by ``DATA_FIX_FEATURES``.

    Steps, per event (REFERENCE.md section 5; LUMIN ``proc_event`` as the study called it):

    1. Undefined values (-999.0) become NaN first, as LUMIN's ``proc_event`` replaces its
       ``default_values`` by NaN before any arithmetic, so undefined jets stay undefined.
    2. Rotate in phi so the lepton has phi = 0: every other object's phi becomes
       ``phi - lep_phi`` wrapped to (-pi, pi] (``fix_event_phi``; LUMIN's ``delta_phi`` wraps to
       [-pi, pi], which differs only at exactly +-pi, where px and py agree anyway).
    3. If the rotated tau phi < 0, negate every phi (``fix_event_y``: all vectors but the
       reference lepton, whose phi is 0), so the tau ends with phi in [0, pi] and py >= 0.
    4. If the lepton eta < 0, negate every eta (``fix_event_z``; the MET has no eta).
    5. ``px = pt cos(phi)``, ``py = pt sin(phi)``, ``pz = pt sinh(eta)`` (``to_cartesian``);
       the MET gets ``met_px``, ``met_py`` and keeps ``PRI_met`` (the magnitude); the lepton's
       py (identically 0) is dropped (``proc_event``: ``drop(columns=[f"{ref_vec_0}_py"])``).

    Undefined derived components are written back as -999.0, so the result is a raw table that
    ``fit_standard_scaler`` and ``StandardScaler.transform`` take as they take the challenge
    features. DER features, ``PRI_met_sumet``, ``PRI_jet_num``, ``PRI_jet_all_pt`` and all other
    columns (``event_id``, ``label``, ``weight``, ``subset``, ...) are copied unchanged; columns
    that stood before the first feature stay in front, the rest follow the new features.

    Raises
    ------
    ValueError
        If a raw feature column is missing or holds NaN (the input must be a raw table with
        -999.0 for undefined values, not already processed).
    """
    missing = [name for name in FEATURES if name not in frame.columns]
    if missing:
        raise ValueError(f"apply_data_fix: frame lacks raw feature columns {missing}")
    raw = frame.loc[:, list(FEATURES)].to_numpy(dtype=np.float64)
    if np.isnan(raw).any():
        raise ValueError(
            "apply_data_fix: raw features hold NaN; expected -999.0 for undefined values "
            "(already scaled or data-fixed?)"
        )
    values = np.where(raw == MISSING_VALUE, np.nan, raw)
    column = {name: values[:, index] for index, name in enumerate(FEATURES)}

    lep_phi = column["PRI_lep_phi"]
    phi = {
        name: _wrap_phi(column[f"{name}_phi"] - lep_phi)
        for name in ("PRI_tau", "PRI_jet_leading", "PRI_jet_subleading", "PRI_met")
    }
    phi["PRI_lep"] = np.zeros_like(lep_phi)
    # NaN < 0 is False, but the tau and lepton are always defined (REFERENCE.md section 2).
    y_sign = np.where(phi["PRI_tau"] < 0.0, -1.0, 1.0)
    z_sign = np.where(column["PRI_lep_eta"] < 0.0, -1.0, 1.0)

    fixed: dict[str, FloatArray] = {name: column[name] for name in DER_FEATURES}
    for name in _OBJECTS:
        pt = column[f"{name}_pt"]
        eta = z_sign * column[f"{name}_eta"]
        angle = y_sign * phi[name]
        fixed[f"{name}_px"] = pt * np.cos(angle)
        fixed[f"{name}_py"] = pt * np.sin(angle)
        fixed[f"{name}_pz"] = pt * np.sinh(eta)
    met_angle = y_sign * phi["PRI_met"]
    fixed["PRI_met_px"] = column["PRI_met"] * np.cos(met_angle)
    fixed["PRI_met_py"] = column["PRI_met"] * np.sin(met_angle)
    for name in ("PRI_met", "PRI_met_sumet", "PRI_jet_num", "PRI_jet_all_pt"):
        fixed[name] = column[name]

    out_values = np.column_stack([fixed[name] for name in DATA_FIX_FEATURES])
    out_values = np.where(np.isnan(out_values), MISSING_VALUE, out_values)
    new = pd.DataFrame(out_values, columns=list(DATA_FIX_FEATURES), index=frame.index)

    feature_set = set(FEATURES)
    names = list(frame.columns)
    first = next(index for index, name in enumerate(names) if name in feature_set)
    trailing = [name for name in names[first:] if name not in feature_set]
    return pd.concat([frame[names[:first]], new, frame[trailing]], axis=1)
