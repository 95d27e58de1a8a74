"""Loading and checking the workflow configuration.

The JSON schema (``schemas/config.schema.yaml``) rejects unknown keys and fills defaults; this
module adds the checks a schema cannot express: names an experiment refers to must exist, and
experiment and baseline names share one namespace (both become ``{experiment}`` in paths).
Snakemake's own ``snakemake.utils.validate`` uses the same schema file in ``common.smk``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from supertml.errors import ConfigError

__all__ = ["SCHEMA_PATH", "check_references", "load_config", "validate_config"]

#: The configuration schema, shipped inside the package so library and workflow share it.
SCHEMA_PATH: Path = Path(str(files("supertml") / "schemas" / "config.schema.yaml"))

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


def check_references(config: Mapping[str, Any], *, source: str = "config") -> None:
    """Check that every name an experiment or baseline uses is defined, and names are unique."""
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
