"""Bootstrap intervals of the AMS values a run's analysis gives without one.

The analysis (:func:`supertml.metrics.analyses.analyse_predictions`) bootstraps the val, public
and private AMS at the validation cut; :func:`run_intervals` adds the double-luminosity values
(merged, normalised, and public / private at the study's fixed cut) and the test-scanned maxima,
so every AMS in the report carries an interval.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from supertml.constants import TEST_SUBSETS
from supertml.io import JsonValue
from supertml.metrics.bootstrap import DEFAULT_LEVELS, bootstrap_ams, bootstrap_max_ams
from supertml.metrics.scoring import subset_arrays
from supertml.seeding import derived_seed

__all__ = ["INTERVAL_STREAMS", "run_intervals"]

#: First seed stream of these intervals; the analysis's own bootstraps use streams 0-2.
INTERVAL_STREAMS: Final[int] = 100


def run_intervals(
    frame: pd.DataFrame, analysis: Mapping[str, Any], *, source: str | Path = "<analysis in memory>"
) -> dict[str, JsonValue]:
    """Bootstrap intervals of the run's AMS values that the analysis JSON gives without one.

    For every cut of the double-luminosity check (the validation cut and the fixed 0.5): the
    merged set (public + private, weights untouched: two luminosities), the normalised merged
    set (each subset scaled by its share of the test events, as
    :func:`supertml.metrics.luminosity.analyse_double_luminosity` does), and the public and
    private AMS except at the validation cut, where the analysis's ``bootstrap`` already holds
    them (same cut, same events: one interval per quantity in the report). For the
    whole public and private sets: the test-scanned maximum (:func:`bootstrap_max_ams`).
    Resamples, levels, ``b_reg`` and the seed come from the analysis's ``settings``.
    """
    settings = analysis.get("settings")
    luminosity = analysis.get("double_luminosity")
    if not isinstance(settings, Mapping) or not isinstance(luminosity, Mapping):
        raise ValueError(f"{source}: analysis lacks 'settings' or 'double_luminosity'")
    b_reg = float(settings["b_reg"])
    n_resamples = int(settings["n_bootstrap"])
    seed = int(settings["seed"])
    levels = DEFAULT_LEVELS
    public, private = (subset_arrays(frame, name) for name in TEST_SUBSETS)
    n_public, n_private = public[0].size, private[0].size
    factors = (n_public / (n_public + n_private), n_private / (n_public + n_private))
    scores = np.concatenate([public[0], private[0]])
    labels = np.concatenate([public[1], private[1]])
    merged_w = np.concatenate([public[2], private[2]])
    normal_w = np.concatenate([public[2] * factors[0], private[2] * factors[1]])
    sets = {
        "public": public,
        "private": private,
        "merged": (scores, labels, merged_w),
        "normalised": (scores, labels, normal_w),
    }
    at_cuts: dict[str, JsonValue] = {}
    stream = 0
    validation_cut = float(analysis["validation_cut"]["cut"])
    for entry in luminosity["at_cuts"]:
        cut = float(entry["cut"])
        values: dict[str, JsonValue] = {"cut": cut}
        for name, (s, y, w) in sets.items():
            if name in TEST_SUBSETS and cut == validation_cut:
                continue  # the analysis's own bootstrap is this very interval
            values[name] = bootstrap_ams(
                s, y, w, cut, b_reg=b_reg, n_resamples=n_resamples, levels=levels,
                seed=derived_seed(seed, INTERVAL_STREAMS + stream),
            ).to_dict()  # fmt: skip
            stream += 1
        at_cuts[str(entry["name"])] = values
    maxima: dict[str, JsonValue] = {}
    for name in TEST_SUBSETS:
        s, y, w = sets[name]
        maxima[name] = bootstrap_max_ams(
            s, y, w, b_reg=b_reg, n_resamples=n_resamples, levels=levels,
            seed=derived_seed(seed, INTERVAL_STREAMS + stream),
        ).to_dict()  # fmt: skip
        stream += 1
    return {
        "settings": {"b_reg": b_reg, "n_resamples": n_resamples, "seed": seed,
                     "levels": list(levels)},
        "double_luminosity": at_cuts,
        "test_optimisation": maxima,
    }  # fmt: skip
