"""Steps of ``workflow/rules/evaluate.smk``: every run's scores, and the summary table."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import supertml
from supertml.io import write_json
from supertml.metrics import scoring
from supertml.reporting import write_summary

__all__ = ["score_predictions", "summarise_scores"]


def score_predictions(
    predictions_path: str | Path,
    settings: Mapping[str, Any],
    *,
    identity: Mapping[str, Any],
    output: str | Path,
) -> None:
    """Score a predictions file (validation cut, public/private AMS) into a JSON file.

    ``identity`` (experiment, kind, seed, encoding, model, recipe) is stored with the scores
    so the summary can be built from score files alone.
    """
    frame = scoring.read_predictions(predictions_path)
    scores = scoring.score_predictions(frame, scoring.ScoreConfig(**settings))
    write_json(
        output,
        {
            **identity,
            **scores,
            "predictions": str(predictions_path),
            "supertml_version": supertml.__version__,
        },
    )


def summarise_scores(
    score_files: Sequence[str | Path],
    split_summary_path: str | Path,
    *,
    csv_path: str | Path,
    markdown_path: str | Path,
) -> None:
    """Build summary.csv and summary.md from every score file."""
    split_summary = json.loads(Path(split_summary_path).read_text())
    write_summary(score_files, split_summary, csv_path=csv_path, markdown_path=markdown_path)
