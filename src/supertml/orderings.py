"""Feature orderings: the order in which an event's features are placed in its image."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from supertml.constants import FEATURES
from supertml.io import write_json

__all__ = ["read_ordering", "resolve_ordering", "write_ordering"]


def resolve_ordering(spec: Mapping[str, Any]) -> list[str]:
    """Return the feature list of an ordering entry of the config.

    ``{"kind": "table"}`` is the 30 features in the order of the challenge files.
    """
    kind = spec.get("kind")
    if kind == "table":
        return list(FEATURES)
    raise ValueError(f"unknown ordering kind {kind!r}")


def write_ordering(path: str | Path, name: str, spec: Mapping[str, Any]) -> list[str]:
    """Resolve an ordering and save it as JSON ``{"name", "spec", "features"}``."""
    features = resolve_ordering(spec)
    write_json(path, {"name": name, "spec": dict(spec), "features": features})
    return features


def read_ordering(path: str | Path) -> list[str]:
    """Read a saved ordering and check it is a permutation of the 30 challenge features."""
    features = json.loads(Path(path).read_text())["features"]
    if sorted(features) != sorted(FEATURES):
        raise ValueError(f"{path}: not a permutation of the 30 challenge features")
    return list(features)
