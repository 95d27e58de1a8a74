"""Steps of ``workflow/rules/apply.smk``: trained runs applied to events files.

An application (config ``apply.<name>``) names an events file and runs; each run scores the
file's events with its own preprocessing (fitted on its training split), and for a CNN its own
ordering and encoding, and is then scored at its own validation cut and written as a Kaggle
submission. Nothing is refitted on the applied events.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import supertml
from supertml.applied import events as applied_events
from supertml.applied import scoring as applied_scoring
from supertml.applied import submission as applied_submission
from supertml.io import write_json, write_table
from supertml.steps.data import read_frames

__all__ = [
    "apply_baseline",
    "apply_model",
    "export_test_split",
    "prepare_applied_events",
    "read_applied_events",
    "score_applied",
    "write_submission",
]


def export_test_split(split_paths: Mapping[str, str | Path], output: str | Path) -> None:
    """Write the public and private splits as one Kaggle ``test.csv`` without labels."""
    applied_events.write_test_split(read_frames(split_paths), output)


def read_applied_events(
    source: str | Path, *, output: str | Path, summary_path: str | Path
) -> None:
    """Read and validate an events file into ``output`` (Parquet), with a summary: the file,
    its layout and the events of each subset."""
    frame = applied_events.read_applied_events(source)
    write_table(output, frame)
    counts = frame.groupby("subset").size()
    write_json(
        summary_path,
        {
            "source": str(source),
            "source_format": frame.attrs["source_format"],
            "events": len(frame),
            "subsets": {str(name): int(n) for name, n in counts.items()},
            "labelled": not frame["label"].isna().any(),
        },
    )


def prepare_applied_events(
    events_path: str | Path,
    features_path: str | Path,
    *,
    scaled_output: str | Path,
    physical_output: str | Path,
) -> None:
    """Prepare applied events with a preset's fitted data-fix and scaler (its
    ``features.json``): the scaled and the physical tables, as ``prepare_features`` writes."""
    record = json.loads(Path(features_path).read_text())
    prepared = applied_events.prepare_applied_events(
        pd.read_parquet(events_path), record, record_path=features_path
    )
    write_table(scaled_output, prepared.scaled)
    write_table(physical_output, prepared.physical)


def apply_model(
    checkpoint: str | Path,
    values_path: str | Path,
    *,
    ordering_path: str | Path,
    features_path: str | Path,
    encoding: Mapping[str, Any],
    output: str | Path,
    threads: int,
) -> None:
    """Score prepared applied events with a CNN run: encoded with its encoding and ordering."""
    from supertml.applied.cnn import score_events  # noqa: PLC0415 (torch)
    from supertml.encoding.registry import make_encoder  # noqa: PLC0415
    from supertml.orderings import read_ordering  # noqa: PLC0415
    from supertml.steps.data import read_features  # noqa: PLC0415

    frame = pd.read_parquet(values_path)
    order = read_ordering(ordering_path, read_features(features_path))
    scores = score_events(
        checkpoint,
        frame[order].to_numpy(np.float64),
        make_encoder(encoding, order),
        threads=threads,
    )
    write_table(output, applied_scoring.applied_predictions(frame, scores))


def apply_baseline(
    model_path: str | Path, values_path: str | Path, *, output: str | Path, threads: int
) -> None:
    """Score prepared applied events with a saved baseline model."""
    from threadpoolctl import threadpool_limits  # noqa: PLC0415 (scikit-learn's)

    from supertml.baselines.models import load_baseline_model  # noqa: PLC0415

    _, model = load_baseline_model(model_path)
    frame = pd.read_parquet(values_path)
    with threadpool_limits(limits=threads):
        scores = model.score(frame)
    write_table(output, applied_scoring.applied_predictions(frame, scores))


def _applied(predictions_path: str | Path) -> pd.DataFrame:
    frame = pd.read_parquet(predictions_path)
    applied_scoring.validate_applied_predictions(frame, predictions_path)
    return frame


def score_applied(
    predictions_path: str | Path,
    run_scores_path: str | Path,
    *,
    identity: Mapping[str, Any],
    application: Mapping[str, Any],
    output: str | Path,
) -> None:
    """Score applied predictions at the run's validation cut (from its scores JSON)."""
    run_scores = json.loads(Path(run_scores_path).read_text())
    scores = applied_scoring.score_applied(_applied(predictions_path), run_scores)
    write_json(
        output,
        {
            **identity,
            **scores,
            "application": dict(application),
            "run_scores": str(run_scores_path),
            "predictions": str(predictions_path),
            "supertml_version": supertml.__version__,
        },
    )


def write_submission(
    predictions_path: str | Path, run_scores_path: str | Path, *, output: str | Path
) -> None:
    """The run's Kaggle submission of the applied events Kaggle grades (all of a file without
    test events), Class at its validation cut."""
    frame = _applied(predictions_path)
    frame = frame[applied_submission.graded_events(frame["subset"])]
    cut = float(json.loads(Path(run_scores_path).read_text())["cut"])
    submission = applied_submission.submission_frame(frame["event_id"], frame["score"], cut)
    applied_submission.write_submission(output, submission, event_ids=frame["event_id"])
