"""TableSpec: config entries become typed specs; every mistake is a ConfigError naming it."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from supertml.errors import ConfigError
from supertml.tables import DEFAULT_MISSING_VALUES, TableSpec


def full_entry() -> dict[str, Any]:
    """An entry setting every key to a non-default value."""
    return {
        "name": "adult",
        "source": "csv",
        "path": "data/adult.data",
        "test_path": "data/adult.test",
        "columns": ["age", "workclass", "income", "id"],
        "header": False,
        "skip_rows": 2,
        "test_skip_rows": 1,
        "sep": ";",
        "target": "income",
        "categorical": ["workclass"],
        "drop": ["id"],
        "missing_values": ["?", "NA"],
        "label_map": {">50K.": ">50K"},
        "test_fraction": 0.25,
        "seed": 7,
    }


def test_every_key_is_read_and_typed() -> None:
    entry = full_entry()
    assert set(entry) == {f.name for f in fields(TableSpec)}  # the entry covers every key
    spec = TableSpec.from_mapping(entry)
    assert spec.path == Path("data/adult.data")
    assert spec.test_path == Path("data/adult.test")
    assert spec.columns == ("age", "workclass", "income", "id")
    assert spec.categorical == ("workclass",)
    assert spec.drop == ("id",)
    assert spec.missing_values == ("?", "NA")
    assert spec.label_map == {">50K.": ">50K"}
    assert (spec.header, spec.skip_rows, spec.test_skip, spec.sep) == (False, 2, 1, ";")
    assert (spec.test_fraction, spec.seed) == (0.25, 7)


def test_defaults() -> None:
    spec = TableSpec.from_mapping({"source": "csv", "path": "t.csv", "target": "y"}, name="t")
    assert spec.name == "t"
    assert spec.header is True
    assert spec.missing_values == DEFAULT_MISSING_VALUES == ("?", "")
    assert spec.test_fraction == 0.2
    assert spec.test_skip == spec.skip_rows == 0
    assert spec.label_map == {}


def test_sklearn_source_needs_nothing_else() -> None:
    spec = TableSpec.from_mapping({"source": "wine", "seed": 3}, name="wine")
    assert (spec.source, spec.path, spec.target, spec.seed) == ("wine", None, None, 3)


def test_unknown_key_is_named() -> None:
    entry = {"source": "iris", "targte": "species", "sep": ","}
    with pytest.raises(ConfigError, match=r"table 'iris': unknown key\(s\) \['targte'\]"):
        TableSpec.from_mapping(entry, name="iris")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"skip_rows": True}, "skip_rows must be an integer"),
        ({"skip_rows": -1}, "skip_rows and test_skip_rows must be >= 0"),
        ({"categorical": "workclass"}, "categorical must be a list of strings"),
        ({"missing_values": ["?", None]}, "missing_values must be a list of strings"),
        ({"label_map": {">50K.": 1}}, "label_map must map spellings"),
        ({"header": "no"}, "header must be true or false"),
        ({"test_fraction": 1.0}, r"test_fraction must lie strictly in \(0, 1\)"),
        ({"test_fraction": "0.2"}, "test_fraction must be a number"),
        ({"source": "excel"}, "source must be one of"),
        ({"sep": ", "}, "sep must be one character"),
        ({"path": None}, "source 'csv' needs a path"),
        ({"columns": None}, "header is false, so columns"),
        ({"target": "salary"}, r"columns \['salary'\] that are not in columns"),
        ({"columns": ["a", "a", "income"]}, r"duplicate column names \['a'\]"),
        ({"categorical": ["income"], "drop": []}, "cannot be categorical/dropped"),
        ({"categorical": ["id"]}, r"columns \['id'\] are both categorical and dropped"),
        ({"name": "other"}, "entry says name 'other'"),
    ],
)
def test_bad_entries_are_named(change: dict[str, Any], message: str) -> None:
    entry = full_entry() | change
    with pytest.raises(ConfigError, match=message) as info:
        TableSpec.from_mapping(entry, name="adult")
    assert str(info.value).startswith("table 'adult': ")


def test_csv_needs_a_target() -> None:
    with pytest.raises(ConfigError, match="needs a target column"):
        TableSpec.from_mapping({"source": "csv", "path": "t.csv"}, name="t")


def test_missing_source_is_named() -> None:
    with pytest.raises(ConfigError, match="missing required key 'source'"):
        TableSpec.from_mapping({"path": "t.csv"}, name="t")


def test_sklearn_source_refuses_csv_keys() -> None:
    with pytest.raises(ConfigError, match=r"keys \['path', 'target'\] only apply to source 'csv'"):
        TableSpec.from_mapping({"source": "iris", "path": "iris.csv", "target": "y"}, name="iris")
