"""Baseline kinds by name: how a config entry becomes settings and a fitted, scored baseline.

The one place that knows every baseline kind, as :mod:`supertml.encoding.registry` knows every
encoding: the workflow step looks the kind up here, so adding a kind means adding it here (and
to the config schema, whose kinds a test compares with :data:`BASELINE_KINDS`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from supertml.baselines.gbt import GbtSettings, fit_gbt
from supertml.baselines.mlp import MlpSettings, fit_mlp
from supertml.baselines.models import BaselineFit
from supertml.baselines.tuning import GbtTuningSettings, fit_tuned_gbt

__all__ = ["BASELINE_KINDS", "BaselineKind", "fit_baseline"]

Frames = Mapping[str, pd.DataFrame]


@dataclass(frozen=True)
class BaselineKind:
    """``settings(fields, seed)`` builds the kind's settings from its config keys;
    ``fit(settings, frames, features, threads)`` fits on ``train``, scores the rest and
    returns the fitted model with them."""

    settings: Callable[[dict[str, Any], int], Any]
    fit: Callable[[Any, Frames, Sequence[str], int], BaselineFit]


def _gbt_settings(fields: dict[str, Any], seed: int) -> GbtSettings:
    return GbtSettings(seed=seed, **fields)


def _gbt_fit(
    settings: GbtSettings, frames: Frames, features: Sequence[str], threads: int
) -> BaselineFit:
    return fit_gbt(settings, frames, features)  # scikit-learn's own thread default


def _tuned_settings(fields: dict[str, Any], seed: int) -> GbtTuningSettings:
    # The search grid is a nested config entry; the settings take its axes as fields.
    grid = fields.pop("grid")
    return GbtTuningSettings(seed=seed, **fields, **grid)


def _tuned_fit(
    settings: GbtTuningSettings, frames: Frames, features: Sequence[str], threads: int
) -> BaselineFit:
    return fit_tuned_gbt(settings, frames, features, threads=threads)


def _mlp_settings(fields: dict[str, Any], seed: int) -> MlpSettings:
    return MlpSettings(seed=seed, **fields)


def _mlp_fit(
    settings: MlpSettings, frames: Frames, features: Sequence[str], threads: int
) -> BaselineFit:
    return fit_mlp(settings, frames, features, threads=threads)


#: Every baseline kind a config may name (``baselines.<name>.kind``).
BASELINE_KINDS: Mapping[str, BaselineKind] = {
    "gradient_boosted_trees": BaselineKind(_gbt_settings, _gbt_fit),
    "tuned_gradient_boosted_trees": BaselineKind(_tuned_settings, _tuned_fit),
    "fully_connected": BaselineKind(_mlp_settings, _mlp_fit),
}


def fit_baseline(
    kind: str,
    fields: Mapping[str, Any],
    frames: Frames,
    features: Sequence[str],
    *,
    seed: int,
    threads: int = 1,
) -> BaselineFit:
    """Fit the baseline ``kind`` with its config ``fields`` (every key but ``kind`` and
    ``preprocessing``): its predictions, what it recorded about itself, and its model."""
    if kind not in BASELINE_KINDS:
        raise ValueError(f"unknown baseline kind {kind!r}; choose one of {sorted(BASELINE_KINDS)}")
    entry = BASELINE_KINDS[kind]
    return entry.fit(entry.settings(dict(fields), seed), frames, features, threads)
