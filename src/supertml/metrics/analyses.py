"""All the study's analyses of the 3.979 claim on one prediction table (REFERENCE.md section 4).

:func:`analyse_predictions` bundles, at the validation cut chosen exactly as
:func:`~supertml.metrics.scoring.score_predictions` chooses it:

- the test-size hypothesis and test-set optimisation (:mod:`supertml.metrics.folds`);
- the double-luminosity check (:mod:`supertml.metrics.luminosity`);
- bootstrap intervals of the val, public and private AMS (:mod:`supertml.metrics.bootstrap`).

Input is a prediction table in the contract of :mod:`supertml.metrics.scoring` (public and private
weights each already normalised to the challenge totals Ns, Nb). Results are JSON-ready dicts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from supertml.constants import SCORED_SUBSETS
from supertml.io import JsonValue
from supertml.metrics.bootstrap import DEFAULT_LEVELS, bootstrap_ams
from supertml.metrics.checks import check_cut, check_int, check_levels
from supertml.metrics.cut import choose_cut
from supertml.metrics.events import SubsetEvents, subset_events
from supertml.metrics.folds import fold_analysis
from supertml.metrics.luminosity import double_luminosity
from supertml.metrics.scoring import IN_MEMORY, ScoreConfig
from supertml.seeding import derived_seed

__all__ = ["analyse_predictions"]


def _subset_bootstraps(
    subsets: Mapping[str, SubsetEvents],
    cut: float,
    *,
    b_reg: float,
    n_resamples: int,
    levels: Sequence[float],
    seed: int,
) -> dict[str, JsonValue]:
    """Bootstrap intervals of the val, public and private AMS at ``cut``, one reproducible seed
    stream per subset (streams 0-2 of ``seed``)."""
    return {
        name: bootstrap_ams(
            subsets[name].scores,
            subsets[name].labels,
            subsets[name].weights,
            cut,
            b_reg=b_reg,
            n_resamples=n_resamples,
            levels=levels,
            seed=derived_seed(seed, stream),
        ).to_dict()
        for stream, name in enumerate(SCORED_SUBSETS)
    }


def analyse_predictions(
    frame: pd.DataFrame,
    config: ScoreConfig,
    *,
    n_folds: int = 10,
    seed: int = 0,
    n_bootstrap: int = 1000,
    fixed_cut: float = 0.5,
    levels: Sequence[float] = DEFAULT_LEVELS,
    source: str | Path = IN_MEMORY,
) -> dict[str, JsonValue]:
    """All section-4 analyses of one prediction table, as one JSON-ready dict.

    The validation cut is chosen exactly as in
    :func:`~supertml.metrics.scoring.score_predictions` (``choose_cut`` on ``val`` with
    ``config``). Keys: ``settings``, ``n_events``, ``validation_cut``, ``test_size``
    (:func:`analyse_test_size` at that cut), ``test_size_at_max_cut`` (the same folds at the
    validation max-AMS cut, as the study ran it), ``test_optimisation``
    (:func:`analyse_test_optimisation`), ``double_luminosity`` (at the validation cut and at
    ``fixed_cut``, the study's 0.5) and ``bootstrap`` (``val``, ``public``, ``private`` at the
    validation cut; resampling seeded by ``seed``, one stream per subset).

    Raises
    ------
    DataValidationError
        If ``frame`` breaks the prediction contract (named as ``source``).
    ValueError
        On bad ``n_folds``, ``seed``, ``n_bootstrap``, ``fixed_cut`` or ``levels`` (checked before
        any work), or if no validation event has score >= ``config.min_pred``.
    """
    n_bootstrap = check_int("n_bootstrap", n_bootstrap, 2)
    n_folds = check_int("n_folds", n_folds, 2)
    seed = check_int("seed", seed, 0, 2**32 - 1)
    fixed_cut = check_cut("fixed_cut", fixed_cut)
    levels = check_levels(levels)
    subsets = subset_events(frame, source)
    val = subsets["val"]
    choice = choose_cut(
        val.scores,
        val.labels,
        val.weights,
        top_perc=config.top_perc,
        min_pred=config.min_pred,
        b_reg=config.b_reg,
    )
    b_reg = config.b_reg
    # Folds first: their argument errors (too many folds for a subset) come before the costlier
    # bootstrap.
    test_size = fold_analysis(subsets, cut=choice.cut, b_reg=b_reg, n_folds=n_folds, seed=seed)
    # The study ran its test-size analysis at the validation max-AMS cut (0.8131 for run 6),
    # not at the mean cut it scored with (REFERENCE.md section 5, "Test-size analysis").
    at_max_cut = fold_analysis(
        subsets, cut=choice.ams_max_cut, b_reg=b_reg, n_folds=n_folds, seed=seed
    )
    optimised = fold_analysis(subsets, cut=None, b_reg=b_reg, n_folds=n_folds, seed=seed)
    bootstrap = _subset_bootstraps(
        subsets, choice.cut, b_reg=b_reg, n_resamples=n_bootstrap, levels=levels, seed=seed
    )
    return {
        "settings": {
            "top_perc": float(config.top_perc),
            "min_pred": float(config.min_pred),
            "b_reg": float(b_reg),
            "n_folds": n_folds,
            "seed": seed,
            "n_bootstrap": n_bootstrap,
            "fixed_cut": fixed_cut,
        },
        "n_events": {name: part.size for name, part in subsets.items()},
        "validation_cut": {
            "cut": choice.cut,
            "val_ams_at_cut": choice.ams_at_cut,
            "val_ams_max": choice.ams_max,
            "val_ams_max_cut": choice.ams_max_cut,
            "n_top": choice.n_top,
        },
        "test_size": test_size.to_dict(),
        "test_size_at_max_cut": at_max_cut.to_dict(),
        "test_optimisation": optimised.to_dict(),
        "double_luminosity": double_luminosity(
            subsets, {"validation": choice.cut, "fixed": fixed_cut}, b_reg
        ).to_dict(),
        "bootstrap": bootstrap,
    }
