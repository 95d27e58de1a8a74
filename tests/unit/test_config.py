"""The config schema and reference checks: defaults, unknown keys, dangling names."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from supertml.config import load_config, validate_config
from supertml.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def minimal() -> dict[str, Any]:
    return {
        "dataset": {"name": "tiny", "path": "events.csv"},
        "models": {"m": {"architecture": "test_resnet"}},
        "recipes": {"r": {"epochs": 1}},
        "experiments": {"e": {"encoding": "pixels56", "model": "m", "recipe": "r"}},
    }


def test_defaults_are_filled_in_nested_named_entries() -> None:
    config = validate_config(minimal())
    assert config["split"] == {
        "validation_fraction": 0.2,
        "seed": 1337,
        "pseudo_test_fraction": 0.4,
        "public_fraction": pytest.approx(100_000 / 550_000),
        "stratify": "label",
    }
    assert config["scoring"] == {"top_perc": 10, "min_pred": 0.0, "b_reg": 10}
    assert config["recipes"]["r"] == {
        "kind": "single_stage",
        "epochs": 1,
        "batch_size": 128,
        "learning_rate": 0.001,
        "weight_decay": 0.01,
        "lr_find": False,
        "lr_find_steps": 100,
        "signal_copies": 1,
        "holdout_fraction": 0.0,
        "loss_weights": "none",
        "brightness": 0.0,
        "contrast": 0.0,
        "tta": 0,
        "monitor": "last",
        "compile": False,
        "devices": 1,
        "lr_spread": 1.0,
        "layer_groups": 1,
        "lr_slice": None,
        "extra_cycles": None,
    }
    assert config["experiments"]["e"]["ordering"] == "table"
    assert config["models"]["m"]["pretrained"] is False


def test_input_is_not_modified() -> None:
    raw = minimal()
    validate_config(raw)
    assert "split" not in raw


@pytest.mark.parametrize(
    ("section", "entry", "key"),
    [
        ("recipes", "r", "learnig_rate"),
        ("models", "m", "pretrianed"),
        ("experiments", "e", "encodng"),
    ],
)
def test_unknown_key_is_rejected_by_name(section: str, entry: str, key: str) -> None:
    config = minimal()
    config[section][entry][key] = 1
    with pytest.raises(ConfigError, match=rf"{section}\.{entry}: .*'{key}' was unexpected"):
        validate_config(config)


def test_unknown_top_level_key_is_rejected() -> None:
    config = minimal()
    config["seed"] = 3
    with pytest.raises(ConfigError, match="'seed' was unexpected"):
        validate_config(config)


def test_dangling_reference_names_the_field_and_known_entries() -> None:
    config = minimal()
    config["experiments"]["e"]["model"] = "resnet"
    with pytest.raises(
        ConfigError, match=r"experiments\.e\.model: 'resnet' is not in models \(m\)"
    ):
        validate_config(config)


def test_experiment_and_baseline_names_must_differ() -> None:
    config = minimal()
    config["baselines"] = {"e": {"kind": "gradient_boosted_trees"}}
    with pytest.raises(ConfigError, match="both as experiment and baseline"):
        validate_config(config)


def test_bad_value_is_rejected() -> None:
    config = minimal()
    config["encodings"] = {"pixels56": {"kind": "pixels", "size": 2}}
    with pytest.raises(ConfigError, match=r"encodings\.pixels56\.size"):
        validate_config(config)


@pytest.mark.parametrize("name", sorted(p.name for p in (REPO / "config").glob("*.yaml")))
def test_shipped_configs_are_valid(name: str) -> None:
    config = load_config(REPO / "config" / name)
    assert config["experiments"] or config["baselines"]


def test_load_config_reports_bad_yaml(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("dataset: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path)


def test_load_config_rejects_non_mapping(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text(yaml.safe_dump([1, 2]))
    with pytest.raises(ConfigError, match="mapping"):
        load_config(path)


def test_kind_defaults_are_filled_per_kind() -> None:
    config = minimal()
    config["encodings"] = {"t": {"kind": "text"}, "p": {"kind": "pixels"}}
    config["orderings"] = {"table": {"kind": "table"}, "r": {"kind": "random"}}
    config["experiments"]["e"]["encoding"] = "t"
    resolved = validate_config(config)
    assert resolved["encodings"]["t"] == {
        "kind": "text", "size": 224, "font_size": 13, "decimals": 3, "n_cols": 2,
        "font": "FreeMonoBold", "font_path": None, "min_font_size": None,
        "undefined_text": None,
    }  # fmt: skip
    assert resolved["encodings"]["p"] == {"kind": "pixels", "size": 56, "layout": "squares"}
    assert resolved["orderings"]["r"] == {"kind": "random", "seed": 0}


@pytest.mark.parametrize(
    ("section", "entry", "message"),
    [
        ("encodings", {"kind": "text", "layout": "squares"}, "'layout' do(es) not apply"),
        ("encodings", {"kind": "pixels", "font_size": 9}, "'font_size' do(es) not apply"),
        ("orderings", {"kind": "table", "seed": 3}, "'seed' do(es) not apply to kind 'table'"),
        ("orderings", {"kind": "fixed"}, "kind 'fixed' needs a `features` list"),
        ("encodings", {"kind": "text", "font_size": 8, "min_font_size": 9}, "min_font_size 9 >"),
    ],
)
def test_keys_of_another_kind_are_rejected(
    section: str, entry: dict[str, Any], message: str
) -> None:
    config = minimal()
    config[section] = {
        "x": entry,
        **({"pixels56": {"kind": "pixels"}} if section == "encodings" else {}),
        **({"table": {"kind": "table"}} if section == "orderings" else {}),
    }
    with pytest.raises(ConfigError, match=re.escape(f"{section}.x: ") + ".*" + re.escape(message)):
        validate_config(config)


def test_study_der_ordering_needs_data_fix() -> None:
    config = minimal()
    config["orderings"] = {"der": {"kind": "study_der"}}
    config["experiments"]["e"]["ordering"] = "der"
    with pytest.raises(ConfigError, match="needs a preprocessing preset with data_fix: true"):
        validate_config(config)
    config["preprocessing"] = {"standard": {"data_fix": True}}
    assert validate_config(config)["orderings"]["der"]["method"] == "permutation"


def _with_table(**entry: Any) -> dict[str, Any]:
    config = minimal()
    config["tables"] = {
        "iris": {"spec": {"source": "iris"}, "encoding": "pixels56", "model": "m", "recipe": "r"}
        | entry
    }
    return config


def test_table_defaults_are_filled() -> None:
    table = validate_config(_with_table())["tables"]["iris"]
    assert table == {
        "spec": {"source": "iris"}, "encoding": "pixels56", "model": "m", "recipe": "r",
        "baselines": ["random_forest", "gbt"], "shuffled_control": True, "seeds": None,
        "reference": None,
    }  # fmt: skip
    assert validate_config(minimal())["tables"] == {}


@pytest.mark.parametrize(
    ("entry", "recipe", "message"),
    [
        ({"model": "nope"}, {}, r"tables.iris.model: 'nope' is not in models \(m\)"),
        ({"spec": {"source": "iris", "path": "x.csv"}}, {}, "tables.iris.spec: .*only apply"),
        ({"spec": {"source": "csv", "path": "x.csv"}}, {}, "needs a target column"),
        ({"spec": {"sorce": "iris"}}, {}, r"unknown key\(s\) \['sorce'\]"),
        ({}, {"monitor": "val_error"}, "tables.iris.recipe: 'r' keeps the best epoch"),
        ({}, {"signal_copies": 2}, "tables.iris.recipe: 'r' has signal_copies 2"),
        ({"baselines": ["xgboost"]}, {}, "tables.iris.baselines.0"),
        ({"reference": "mnist"}, {}, "tables.iris.reference"),
    ],
)
def test_bad_table_entries_are_named(
    entry: dict[str, Any], recipe: dict[str, Any], message: str
) -> None:
    config = _with_table(**entry)
    config["recipes"]["r"] |= recipe
    with pytest.raises(ConfigError, match=message):
        validate_config(config)


@pytest.mark.parametrize("setting", [True, False, "reduce-overhead", "max-autotune"])
def test_compile_takes_a_boolean_or_a_torch_compile_mode(setting: bool | str) -> None:
    raw = minimal()
    raw["recipes"]["r"]["compile"] = setting
    assert validate_config(raw)["recipes"]["r"]["compile"] == setting


def test_an_unknown_compile_mode_is_rejected() -> None:
    raw = minimal()
    raw["recipes"]["r"]["compile"] = "fastest"
    with pytest.raises(ConfigError, match="compile"):
        validate_config(raw)
