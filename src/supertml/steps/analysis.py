"""Steps of ``workflow/rules/analysis.smk``: the analyses of the claim and their intervals."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import supertml
from supertml.io import read_json, write_json
from supertml.metrics import analyses
from supertml.metrics.intervals import run_intervals
from supertml.metrics.scoring import ScoreConfig, read_predictions

__all__ = ["analyse_predictions", "bootstrap_analyses"]


def analyse_predictions(
    predictions_path: str | Path,
    scoring: Mapping[str, Any],
    analysis: Mapping[str, Any],
    *,
    identity: Mapping[str, Any],
    output: str | Path,
) -> None:
    """The test-size, test-set-optimisation, double-luminosity and bootstrap analyses of one
    run's predictions (REFERENCE.md section 4) into a JSON file."""
    frame = read_predictions(predictions_path)
    result = analyses.analyse_predictions(
        frame,
        ScoreConfig(**scoring),
        n_folds=analysis["n_folds"],
        seed=analysis["fold_seed"],
        n_bootstrap=analysis["n_bootstrap"],
        fixed_cut=analysis["fixed_cut"],
        source=predictions_path,
    )
    write_json(
        output,
        {
            **identity,
            **result,
            "predictions": str(predictions_path),
            "supertml_version": supertml.__version__,
        },
    )


def bootstrap_analyses(
    predictions_path: str | Path, analysis_path: str | Path, *, output: str | Path
) -> None:
    """Write :func:`run_intervals` of one run, with the run's identity, into a JSON file."""
    analysis = read_json(analysis_path)
    frame = read_predictions(predictions_path)
    identity: dict[str, Any] = {
        key: analysis[key] for key in ("experiment", "kind", "seed") if key in analysis
    }
    write_json(
        output,
        {**identity, **run_intervals(frame, analysis, source=analysis_path),
         "analysis": str(analysis_path)},
    )  # fmt: skip
