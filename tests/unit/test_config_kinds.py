"""Kind-specific keys and defaults of recipes and baselines."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from supertml.config import (
    BASELINE_DEFAULTS,
    ENCODING_DEFAULTS,
    ORDERING_DEFAULTS,
    RECIPE_DEFAULTS,
    SCHEMA_PATH,
    recipe_epochs,
    validate_config,
)
from supertml.errors import ConfigError


def with_recipe(recipe: dict[str, Any], **baselines: dict[str, Any]) -> dict[str, Any]:
    return {
        "dataset": {"name": "tiny", "path": "events.csv"},
        "models": {"m": {"architecture": "test_resnet"}},
        "recipes": {"r": recipe},
        "experiments": {"e": {"encoding": "pixels56", "model": "m", "recipe": "r"}},
        "baselines": baselines,
    }


def test_two_stage_recipe_gets_the_study_defaults() -> None:
    recipe = validate_config(with_recipe({"kind": "two_stage", "epochs": 4}))["recipes"]["r"]
    assert recipe["frozen_epochs"] == 4
    assert recipe["layer_groups"] == 3
    assert recipe["lr_spread"] == 100.0
    assert recipe["unfrozen_learning_rate"] is None


def test_frozen_epochs_do_not_apply_to_a_single_stage_recipe() -> None:
    with pytest.raises(ConfigError, match=r"recipes\.r: 'frozen_epochs' do\(es\) not apply"):
        validate_config(with_recipe({"frozen_epochs": 2}))


def test_two_stage_recipe_needs_a_body_and_a_head_group() -> None:
    with pytest.raises(ConfigError, match=r"recipes\.r: a two_stage recipe needs layer_groups"):
        validate_config(with_recipe({"kind": "two_stage", "layer_groups": 1}))


def test_unknown_monitor_is_rejected() -> None:
    with pytest.raises(ConfigError, match=r"recipes\.r\.monitor"):
        validate_config(with_recipe({"monitor": "val_accuracy"}))


def test_baseline_kinds_get_their_own_defaults() -> None:
    config = validate_config(
        with_recipe(
            {},
            gbt={"kind": "gradient_boosted_trees"},
            tuned={"kind": "tuned_gradient_boosted_trees", "grid": {"max_iter": [50]}},
            net={"kind": "fully_connected", "ensemble_size": 3},
        )
    )
    assert config["baselines"]["gbt"]["max_leaf_nodes"] == 31
    assert config["baselines"]["tuned"] == {
        "kind": "tuned_gradient_boosted_trees",
        "preprocessing": "standard",
        "scoring": {},
        "n_trials": 12,
        "objective": "auc",
        "grid": {"max_iter": [50]},
    }
    assert config["baselines"]["net"]["depth"] == 4
    assert config["baselines"]["net"]["ensemble_size"] == 3


def test_key_of_another_baseline_kind_is_rejected() -> None:
    with pytest.raises(ConfigError, match=r"baselines\.net: 'max_leaf_nodes' do\(es\) not apply"):
        validate_config(with_recipe({}, net={"kind": "fully_connected", "max_leaf_nodes": 31}))


def test_study_row_must_name_a_row_of_the_study() -> None:
    config = with_recipe({})
    config["experiments"]["e"]["study_row"] = "7"
    assert validate_config(config)["experiments"]["e"]["study_row"] == "7"
    config["experiments"]["e"]["study_row"] = "10"  # the study's table has no row 10
    with pytest.raises(ConfigError, match=r"experiments\.e\.study_row"):
        validate_config(config)


def _stated_defaults(description: str, kind: str) -> set[str]:
    """The defaults a schema description states for ``kind``: "kind: ... (default V)" or
    "default V for kind" or "V for kind" (several kinds in one sentence)."""

    def found(segments: list[str]) -> set[str]:
        stated: set[str] = set()
        for segment in segments:
            stated |= set(re.findall(rf"(-?[\w.+-]+) for {kind}\b", segment))
            stated |= set(re.findall(r"default:? (?:null: )?'?(-?[\w.+-]+)", segment))
            stated |= set(re.findall(r"'?(\w+)'? \([^)]*\bdefault\b", segment))  # "relu (default)"
        return {value.rstrip(".,)") for value in stated}

    # The sentence about this kind, else the whole description (one default for all kinds).
    return found([s for s in description.split(";") if kind in s]) or found([description])


def _same(stated: str, value: Any) -> bool:
    if isinstance(value, bool):
        return stated == str(value).lower()
    if isinstance(value, int | float):
        try:
            return float(stated) == float(value)
        except ValueError:
            return False
    return stated == str(value)


@pytest.mark.parametrize(
    ("section", "defaults"),
    [("encodings", ENCODING_DEFAULTS), ("orderings", ORDERING_DEFAULTS),
     ("recipes", RECIPE_DEFAULTS), ("baselines", BASELINE_DEFAULTS)],
)  # fmt: skip
def test_schema_descriptions_state_the_per_kind_defaults(
    section: str, defaults: dict[str, dict[str, Any]]
) -> None:
    # The defaults live in supertml.config alone; the schema's words must agree with them.
    schema = yaml.safe_load(SCHEMA_PATH.read_text())
    keys = schema["properties"][section]["additionalProperties"]["properties"]
    checked = 0
    for kind, entries in defaults.items():
        for key, value in entries.items():
            if value is None or isinstance(value, dict):
                continue  # "null" and nested grids are described in words
            stated = _stated_defaults(keys[key]["description"], kind)
            assert any(_same(s, value) for s in stated), (
                f"{section}.{key} ({kind}): the schema says {sorted(stated)}, the default is "
                f"{value!r}"
            )
            checked += 1
    assert checked >= 3


def test_an_lr_slice_sets_the_spread_and_the_heads_peak() -> None:
    recipe = {"kind": "two_stage", "epochs": 4, "lr_slice": [1e-6, 3e-5]}
    resolved = validate_config(with_recipe(recipe))
    entry = resolved["recipes"]["r"]
    assert entry["unfrozen_learning_rate"] == 3e-5
    assert entry["lr_spread"] == pytest.approx(30.0)
    # A validated config validates again unchanged (the pre-flight does so).
    assert validate_config(resolved)["recipes"]["r"] == entry


@pytest.mark.parametrize(
    ("recipe", "message"),
    [
        ({"kind": "two_stage", "lr_slice": [1e-6, 3e-5], "lr_spread": 100},
         r"recipes\.r: lr_spread 100 contradicts lr_slice \[1e-06, 3e-05\]"),
        ({"lr_slice": [3e-5, 1e-6]}, r"recipes\.r\.lr_slice: lo 3e-05 exceeds hi 1e-06"),
        ({"extra_cycles": [{"epochs": 4, "lr_slice": [2e-4, 1e-6]}]},
         r"recipes\.r\.extra_cycles\[0\]\.lr_slice: lo 0\.0002 exceeds hi 1e-06"),
        ({"extra_cycles": [{"epochs": 4}]}, r"recipes\.r\.extra_cycles\.0"),
        ({"extra_cycles": [{"epochs": 4, "learning_rate": 1e-3, "lr_slice": [1e-6, 1e-5]}]},
         r"recipes\.r\.extra_cycles\.0"),
        ({"lr_slice": [1e-6]}, r"recipes\.r\.lr_slice"),
    ],
)  # fmt: skip
def test_bad_slices_and_cycles_name_their_key(recipe: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        validate_config(with_recipe(recipe))


def test_recipe_epochs_count_every_phase() -> None:
    recipe = {"kind": "two_stage", "frozen_epochs": 4, "epochs": 1,
              "extra_cycles": [{"epochs": 4, "lr_slice": [1e-6, 3e-4]}]}  # fmt: skip
    entry = validate_config(with_recipe(recipe))["recipes"]["r"]
    assert recipe_epochs(entry) == 9  # the study's run 8: 4 + 1 + 4
