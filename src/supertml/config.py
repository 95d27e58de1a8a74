"""Loading and checking the workflow configuration.

The JSON schema (``schemas/config.schema.yaml``) rejects unknown keys and fills defaults; this
module adds the checks a schema cannot express: names an experiment refers to must exist, and
experiment and baseline names share one namespace (both become ``{experiment}`` in paths).
Snakemake's own ``snakemake.utils.validate`` uses the same schema file in ``common.smk``.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator, Mapping, Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from supertml.errors import ConfigError

__all__ = ["SCHEMA_PATH", "check_references", "load_config", "recipe_epochs", "validate_config"]

#: The configuration schema, shipped inside the package so library and workflow share it.
SCHEMA_PATH: Path = Path(str(files("supertml") / "schemas" / "config.schema.yaml"))

#: Keys each encoding kind accepts, with the defaults filled in for it (schema descriptions).
ENCODING_DEFAULTS: Mapping[str, Mapping[str, Any]] = {
    "pixels": {"size": 56, "layout": "squares"},
    "text": {
        "size": 224,
        "font_size": 13,
        "decimals": 3,
        "n_cols": 2,
        "font": "FreeMonoBold",
        "font_path": None,
        "min_font_size": None,
        "undefined_text": None,
    },
}

#: Keys each ordering kind accepts, with their defaults.
ORDERING_DEFAULTS: Mapping[str, Mapping[str, Any]] = {
    "table": {},
    "random": {"seed": 0},
    "importance": {"seed": 0, "method": "permutation", "n_estimators": 100, "max_events": 20000},
    "study_der": {"seed": 0, "method": "permutation", "n_estimators": 100, "max_events": 20000},
    "fixed": {"features": None},
}

#: Keys only some recipe kinds take, with their defaults (the others have schema defaults).
RECIPE_DEFAULTS: Mapping[str, Mapping[str, Any]] = {
    "single_stage": {"lr_spread": 1.0, "layer_groups": 1},
    "two_stage": {
        "frozen_epochs": 4,
        "unfrozen_learning_rate": None,
        "lr_spread": 100.0,
        "layer_groups": 3,
    },
}

#: Keys each baseline kind takes, with their defaults (``preprocessing`` applies to all).
BASELINE_DEFAULTS: Mapping[str, Mapping[str, Any]] = {
    "gradient_boosted_trees": {
        "max_iter": 500,
        "learning_rate": 0.05,
        "max_leaf_nodes": 31,
        "min_samples_leaf": 20,
        "l2_regularization": 0.0,
    },
    "tuned_gradient_boosted_trees": {"n_trials": 12, "objective": "auc", "grid": {}},
    "fully_connected": {
        "width": 100,
        "depth": 4,
        "activation": "relu",
        "dropout": 0.0,
        "epochs": 30,
        "batch_size": 256,
        "learning_rate": 0.002,
        "weight_decay": 1e-4,
        "ensemble_size": 1,
        "class_balance": True,
    },
}

#: experiment field -> the config section whose entry it names.
_EXPERIMENT_REFERENCES: Mapping[str, str] = {
    "preprocessing": "preprocessing",
    "ordering": "orderings",
    "encoding": "encodings",
    "model": "models",
    "recipe": "recipes",
}


def _load_schema() -> dict[str, Any]:
    with SCHEMA_PATH.open() as handle:
        schema: dict[str, Any] = yaml.safe_load(handle)
    return schema


def _with_common_keys(
    section: str, kind_defaults: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Each kind's keys: its own (with defaults) plus the keys every kind of ``section`` takes,
    i.e. the schema's keys of an entry that no kind claims for itself (the schema fills their
    defaults)."""
    entry = _load_schema()["properties"][section]["additionalProperties"]["properties"]
    claimed = {key for defaults in kind_defaults.values() for key in defaults} | {"kind"}
    common = dict.fromkeys(key for key in entry if key not in claimed)
    return {kind: {**common, **defaults} for kind, defaults in kind_defaults.items()}


def _with_defaults(validator_class: type[Any]) -> type[Any]:
    """Extend a jsonschema validator so that ``default`` values are filled in while validating.

    This is the recipe of the jsonschema FAQ, the same behaviour as Snakemake's ``validate``.
    """
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(
        validator: Any, properties: Mapping[str, Any], instance: Any, schema: Any
    ) -> Iterator[Any]:
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema:
                    instance.setdefault(name, copy.deepcopy(subschema["default"]))
        yield from validate_properties(validator, properties, instance, schema)

    extended: type[Any] = jsonschema.validators.extend(
        validator_class, {"properties": set_defaults}
    )
    return extended


def validate_config(config: Mapping[str, Any], *, source: str = "config") -> dict[str, Any]:
    """Return a copy of ``config`` with defaults filled, or raise :class:`ConfigError`.

    The error names the offending key path, e.g. ``recipes.quick: Additional properties are
    not allowed ('learnig_rate' was unexpected)``.
    """
    resolved = copy.deepcopy(dict(config))
    validator = _with_defaults(jsonschema.Draft202012Validator)(_load_schema())
    errors = sorted(validator.iter_errors(resolved), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for error in errors:
            where = ".".join(str(part) for part in error.absolute_path) or "<top level>"
            lines.append(f"  {where}: {error.message}")
        raise ConfigError(f"{source} is invalid:\n" + "\n".join(lines))
    check_references(resolved, source=source)
    return resolved


def _resolve_kinds(
    config: dict[str, Any], section: str, defaults: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """Fill each entry's kind-specific defaults; list keys that its kind does not take."""
    problems = []
    for name, entry in config.get(section, {}).items():
        allowed = defaults[entry["kind"]]
        foreign = sorted(set(entry) - set(allowed) - {"kind"})
        if foreign:
            problems.append(
                f"{section}.{name}: {', '.join(map(repr, foreign))} do(es) not apply to kind "
                f"{entry['kind']!r} (it takes: {', '.join(sorted(allowed)) or 'nothing else'})"
            )
        for key, value in allowed.items():
            entry.setdefault(key, copy.deepcopy(value))
    return problems


def recipe_epochs(recipe: Mapping[str, Any]) -> int:
    """Epochs a resolved recipe trains: its frozen stage, all layers, and the extra cycles."""
    extra = sum(int(cycle["epochs"]) for cycle in recipe.get("extra_cycles") or ())
    return int(recipe.get("frozen_epochs") or 0) + int(recipe["epochs"]) + extra


def _slice_rates(pair: Sequence[float], kind: str) -> dict[str, float]:
    """What ``lr_slice`` (lo, hi) sets: the spread hi / lo, and for two_stage the head's peak."""
    low, high = float(pair[0]), float(pair[1])
    rates = {"lr_spread": high / low}
    if kind == "two_stage":
        rates["unfrozen_learning_rate"] = high
    return rates


def _slice_problems(config: Mapping[str, Any]) -> list[str]:
    """lo above hi, or an lr_slice beside an unfrozen_learning_rate / lr_spread that says
    otherwise (read before the kinds' defaults are filled in, which then follow the slice)."""
    problems = []
    for name, entry in config.get("recipes", {}).items():
        slices = [("lr_slice", entry.get("lr_slice"))] + [
            (f"extra_cycles[{i}].lr_slice", cycle.get("lr_slice"))
            for i, cycle in enumerate(entry.get("extra_cycles") or [])
        ]
        for key, pair in slices:
            if pair is not None and pair[0] > pair[1]:
                problems.append(f"recipes.{name}.{key}: lo {pair[0]} exceeds hi {pair[1]}")
        if entry.get("lr_slice") is None or problems:
            continue
        for key, value in _slice_rates(entry["lr_slice"], entry.get("kind", "")).items():
            given = entry.get(key)
            if given is not None and not math.isclose(float(given), value, rel_tol=1e-9):
                problems.append(
                    f"recipes.{name}: {key} {given} contradicts lr_slice {entry['lr_slice']} "
                    f"(which means {key} {value:g}); give one or the other"
                )
    return problems


def _apply_slices(config: dict[str, Any]) -> None:
    """Resolve each recipe's ``lr_slice`` into the rates the kinds' defaults had filled."""
    for entry in config.get("recipes", {}).values():
        if entry.get("lr_slice") is not None:
            entry.update(_slice_rates(entry["lr_slice"], entry["kind"]))


def _check_kinds(config: dict[str, Any]) -> list[str]:
    problems = _slice_problems(config)
    problems += _resolve_kinds(config, "encodings", ENCODING_DEFAULTS)
    problems += _resolve_kinds(config, "orderings", ORDERING_DEFAULTS)
    problems += _resolve_kinds(config, "recipes", _with_common_keys("recipes", RECIPE_DEFAULTS))
    if not problems:
        _apply_slices(config)
    problems += _resolve_kinds(
        config, "baselines", _with_common_keys("baselines", BASELINE_DEFAULTS)
    )
    for name, entry in config.get("encodings", {}).items():
        low = entry.get("min_font_size")
        if low is not None and low > entry["font_size"]:
            problems.append(
                f"encodings.{name}: min_font_size {low} > font_size {entry['font_size']}"
            )
    for name, entry in config.get("recipes", {}).items():
        if entry["kind"] == "two_stage" and entry["layer_groups"] < 2:
            problems.append(
                f"recipes.{name}: a two_stage recipe needs layer_groups >= 2 (body and head), "
                f"not {entry['layer_groups']}"
            )
    for name, entry in config.get("orderings", {}).items():
        if entry["kind"] == "fixed" and not entry["features"]:
            problems.append(f"orderings.{name}: kind 'fixed' needs a `features` list")
    for name, experiment in config.get("experiments", {}).items():
        ordering = config.get("orderings", {}).get(experiment.get("ordering"), {})
        preset = config.get("preprocessing", {}).get(experiment.get("preprocessing"), {})
        if ordering.get("kind") == "study_der" and not preset.get("data_fix"):
            problems.append(
                f"experiments.{name}: ordering {experiment['ordering']!r} (study_der) needs a "
                f"preprocessing preset with data_fix: true, not {experiment['preprocessing']!r}"
            )
    return problems


#: table field -> the config section whose entry it names.
_TABLE_REFERENCES: Mapping[str, str] = {
    "encoding": "encodings",
    "model": "models",
    "recipe": "recipes",
}


def _check_tables(config: Mapping[str, Any]) -> list[str]:
    """Problems of the small tables: dangling names, a spec that cannot be read, a recipe
    that would choose its epoch on the test rows (they are the validation subset)."""
    tables = config.get("tables") or {}
    if not tables:
        return []
    # Imported only when there are tables: supertml.tables imports scikit-learn, a cost every
    # Snakemake start would otherwise pay.
    from supertml.tables.spec import TableSpec  # noqa: PLC0415

    problems = []
    for name, table in tables.items():
        for field, section in _TABLE_REFERENCES.items():
            target = table.get(field)
            if target is not None and target not in config.get(section, {}):
                known = ", ".join(sorted(config.get(section, {}))) or "none defined"
                problems.append(f"tables.{name}.{field}: {target!r} is not in {section} ({known})")
        try:
            TableSpec.from_mapping(table.get("spec", {}), name=name)
        except ConfigError as exc:
            problems.append(f"tables.{name}.spec: {exc}")
        recipe = config.get("recipes", {}).get(table.get("recipe"), {})
        if recipe.get("monitor", "last") != "last":
            problems.append(
                f"tables.{name}.recipe: {table['recipe']!r} keeps the best epoch by "
                f"{recipe['monitor']!r}, but a table's test rows are its validation subset: "
                "use a recipe with monitor 'last'"
            )
        if recipe.get("signal_copies", 1) != 1:
            problems.append(
                f"tables.{name}.recipe: {table['recipe']!r} has signal_copies "
                f"{recipe['signal_copies']}; a table has classes, not signal: use 1"
            )
    return problems


def _check_applications(config: Mapping[str, Any]) -> list[str]:
    """Problems of ``apply``: runs that are neither an experiment nor a baseline."""
    runs = {**config.get("experiments", {}), **config.get("baselines", {})}
    known = ", ".join(sorted(runs)) or "none defined"
    return [
        f"apply.{name}.runs: {run!r} is not an experiment or a baseline ({known})"
        for name, application in (config.get("apply") or {}).items()
        for run in application.get("runs", [])
        if run not in runs
    ]


def check_references(config: Mapping[str, Any], *, source: str = "config") -> None:
    """Check names and kinds: every name an experiment or baseline uses is defined, names are
    unique, and each encoding / ordering holds only keys of its kind (whose defaults are then
    filled in, in place)."""
    problems: list[str] = []
    for name, experiment in config.get("experiments", {}).items():
        for field, section in _EXPERIMENT_REFERENCES.items():
            target = experiment.get(field)
            if target is not None and target not in config.get(section, {}):
                known = ", ".join(sorted(config.get(section, {}))) or "none defined"
                problems.append(
                    f"experiments.{name}.{field}: {target!r} is not in {section} ({known})"
                )
    for name, baseline in config.get("baselines", {}).items():
        target = baseline.get("preprocessing")
        if target is not None and target not in config.get("preprocessing", {}):
            problems.append(f"baselines.{name}.preprocessing: {target!r} is not in preprocessing")
    shared = set(config.get("experiments", {})) & set(config.get("baselines", {}))
    if shared:
        problems.append(
            f"names used both as experiment and baseline (they share result paths): "
            f"{', '.join(sorted(shared))}"
        )
    problems += _check_tables(config)
    problems += _check_applications(config)
    if not problems and isinstance(config, dict):
        problems = _check_kinds(config)
    if problems:
        raise ConfigError(f"{source} is invalid:\n" + "\n".join(f"  {p}" for p in problems))


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a YAML config file and validate it (defaults filled)."""
    config_path = Path(path)
    try:
        raw = yaml.safe_load(config_path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{config_path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{config_path}: expected a mapping at the top level")
    return validate_config(raw, source=str(config_path))
