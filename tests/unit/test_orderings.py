"""Tests of supertml.orderings: the named feature orderings, their files and their errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from supertml.constants import DER_FEATURES, FEATURES
from supertml.data.hep import DATA_FIX_FEATURES
from supertml.orderings import (
    STUDY_PRI_ORDER,
    feature_importances,
    read_ordering,
    resolve_ordering,
    write_ordering,
)

SMALL = {"n_estimators": 10, "max_events": 400}


def _train(features: tuple[str, ...], informative: str, n: int = 600) -> pd.DataFrame:
    """Scaled-looking noise features; the label is the sign of ``informative`` (plus noise)."""
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(rng.normal(size=(n, len(features))), columns=list(features))
    frame["label"] = (frame[informative] + 0.3 * rng.normal(size=n) > 0).astype(np.int8)
    frame.iloc[::5, 1] = np.nan  # undefined values must not break the forest
    return frame


@pytest.fixture(scope="module")
def table_train() -> pd.DataFrame:
    return _train(FEATURES, "PRI_lep_eta")


@pytest.fixture(scope="module")
def fixed_train() -> pd.DataFrame:
    return _train(DATA_FIX_FEATURES, "DER_pt_h")


def test_table_is_the_features_as_given() -> None:
    assert resolve_ordering({"kind": "table"}, FEATURES) == list(FEATURES)
    assert resolve_ordering({"kind": "table"}, DATA_FIX_FEATURES) == list(DATA_FIX_FEATURES)


def test_random_is_a_seeded_permutation() -> None:
    first = resolve_ordering({"kind": "random", "seed": 3}, FEATURES)
    assert first == resolve_ordering({"kind": "random", "seed": 3}, FEATURES)
    assert sorted(first) == sorted(FEATURES)
    assert first != list(FEATURES)
    assert first != resolve_ordering({"kind": "random", "seed": 4}, FEATURES)
    assert resolve_ordering({"kind": "random"}, FEATURES) == resolve_ordering(
        {"kind": "random", "seed": 0}, FEATURES
    )


@pytest.mark.parametrize("method", ["permutation", "impurity"])
def test_importance_puts_the_informative_feature_first(
    table_train: pd.DataFrame, method: str
) -> None:
    spec = {"kind": "importance", "method": method, "seed": 1, **SMALL}
    order = resolve_ordering(spec, FEATURES, table_train)
    assert order[0] == "PRI_lep_eta"
    assert sorted(order) == sorted(FEATURES)
    assert order == resolve_ordering(spec, FEATURES, table_train)  # seeded


def test_importances_are_descending_and_cover_all_features(table_train: pd.DataFrame) -> None:
    values = feature_importances(table_train, FEATURES, seed=2, **SMALL)
    assert list(values) != list(FEATURES)
    assert sorted(values) == sorted(FEATURES)
    numbers = list(values.values())
    assert numbers == sorted(numbers, reverse=True)
    assert numbers[0] > 10 * max(abs(number) for number in numbers[1:])


def test_study_der_ranks_der_then_fixed_primitives(fixed_train: pd.DataFrame) -> None:
    order = resolve_ordering(
        {"kind": "study_der", "seed": 0, **SMALL}, DATA_FIX_FEATURES, fixed_train
    )
    assert order[0] == "DER_pt_h"
    assert sorted(order[:13]) == sorted(DER_FEATURES)
    assert order[13:] == list(STUDY_PRI_ORDER)
    assert sorted(order) == sorted(DATA_FIX_FEATURES)
    # REFERENCE.md section 5: lepton, MET, tau, then jets with momentum components adjacent.
    assert order[13:18] == ["PRI_lep_px", "PRI_lep_pz", "PRI_met_px", "PRI_met_py", "PRI_met_sumet"]


def test_study_der_needs_data_fix_features(table_train: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"ordering 'der'.*data_fix: true.*PRI_tau_px"):
        resolve_ordering({"kind": "study_der"}, FEATURES, table_train, name="der")


def test_fixed_uses_the_given_permutation() -> None:
    listed = list(reversed(FEATURES))
    assert resolve_ordering({"kind": "fixed", "features": listed}, FEATURES) == listed


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"kind": "fixed", "features": list(FEATURES[:-1])}, r"missing: \['PRI_jet_all_pt'\]"),
        ({"kind": "fixed", "features": [*FEATURES, "DER_pt_h"]}, r"duplicated: \['DER_pt_h'\]"),
        ({"kind": "fixed", "features": [*FEATURES[:-1], "x"]}, r"unknown: \['x'\]"),
        ({"kind": "fixed"}, "needs a `features` list"),
        ({"kind": "sorted"}, "unknown kind 'sorted'"),
        ({"kind": "importance"}, "needs the prepared training split"),
    ],
)
def test_bad_specs_name_the_ordering(spec: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=rf"ordering 'mine'.*{message}"):
        resolve_ordering(spec, FEATURES, name="mine")


def test_importance_errors_name_the_ordering(table_train: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="ordering 'imp': unknown importance method 'gain'"):
        resolve_ordering(
            {"kind": "importance", "method": "gain"}, FEATURES, table_train, name="imp"
        )
    one_class = table_train.assign(label=0)
    with pytest.raises(ValueError, match=r"ordering 'imp': .*signal and background"):
        resolve_ordering({"kind": "importance", **SMALL}, FEATURES, one_class, name="imp")
    raw = table_train.fillna(-999.0)
    with pytest.raises(ValueError, match=r"ordering 'imp': .*-999\.0"):
        resolve_ordering({"kind": "importance", **SMALL}, FEATURES, raw, name="imp")
    with pytest.raises(ValueError, match=r"ordering 'imp': .*lacks columns \['label'\]"):
        resolve_ordering(
            {"kind": "importance"}, FEATURES, table_train.drop(columns="label"), name="imp"
        )


def test_write_and_read_round_trip(tmp_path: Path, table_train: pd.DataFrame) -> None:
    path = tmp_path / "imp.json"
    spec = {"kind": "importance", "method": "impurity", **SMALL}
    order = write_ordering(path, "imp", spec, FEATURES, table_train)
    payload = json.loads(path.read_text())
    assert payload["name"] == "imp"
    assert payload["spec"] == spec
    assert payload["features"] == order
    importances = payload["importances"]  # keyed by feature; the file may sort the keys
    assert sorted(importances) == sorted(order)
    ranked = [importances[name] for name in order]
    assert ranked == sorted(ranked, reverse=True)
    assert read_ordering(path, FEATURES) == order

    table = tmp_path / "table.json"
    write_ordering(table, "table", {"kind": "table"}, FEATURES)
    assert json.loads(table.read_text())["importances"] is None


def test_read_refuses_an_ordering_of_other_features(tmp_path: Path) -> None:
    path = tmp_path / "table.json"
    write_ordering(path, "table", {"kind": "table"}, FEATURES)
    with pytest.raises(ValueError, match=rf"{path.name}: not a permutation of the 30 features"):
        read_ordering(path, DATA_FIX_FEATURES)
    path.write_text("[]")
    with pytest.raises(ValueError, match="no `features` list"):
        read_ordering(path, FEATURES)
