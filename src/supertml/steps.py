"""One function per workflow rule: what a rule script calls, and all the job it does.

Each function reads its inputs, calls the topic modules and writes its outputs atomically, so
the rule scripts stay thin adapters and every step can be run and tested without Snakemake.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import supertml
from supertml.baselines import GbtSettings, fit_predict_gbt
from supertml.constants import FEATURES
from supertml.data import (
    PreprocessingPreset,
    SplitConfig,
    Splits,
    prepare_splits,
    read_events,
    split_events,
)
from supertml.encoding import encode_pixels, square_layout, write_image_cache
from supertml.io import write_json, write_table
from supertml.metrics import ScoreConfig, read_predictions, score_predictions
from supertml.orderings import read_ordering
from supertml.reporting import write_summary
from supertml.training import TrainSettings, predict_caches, train_classifier

__all__ = [
    "SCORED_SUBSETS",
    "encode_split",
    "predict_experiment",
    "prepare_features",
    "run_baseline",
    "score_run",
    "split_dataset",
    "summarise_runs",
    "train_experiment",
]

#: The subsets a trained model is scored on (train is never scored).
SCORED_SUBSETS = ("val", "public", "private")


def _read_frames(paths: Mapping[str, str | Path]) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(path) for name, path in paths.items()}


def split_dataset(
    source: str | Path,
    settings: Mapping[str, Any],
    *,
    dataset: str,
    outputs: Mapping[str, str | Path],
    summary_path: str | Path,
) -> None:
    """Read and validate the event file, split it, and write one Parquet file per subset."""
    table = read_events(source)
    splits = split_events(table, SplitConfig(**settings))
    for name, path in outputs.items():
        write_table(path, splits.frames[name])
    summary = {
        "dataset": dataset,
        "source": str(source),
        "source_format": table.source_format,
        **splits.summary(),
    }
    write_json(summary_path, summary)


def prepare_features(
    split_paths: Mapping[str, str | Path],
    preset: Mapping[str, Any],
    *,
    preset_name: str,
    weight_scheme: str,
    outputs: Mapping[str, str | Path],
    scaler_path: str | Path,
) -> None:
    """Fit the preprocessing on the training split, apply it to every split, write them."""
    splits = Splits(frames=_read_frames(split_paths), weight_scheme=weight_scheme)  # type: ignore[arg-type]
    prepared, scaler = prepare_splits(splits, PreprocessingPreset(name=preset_name, **preset))
    for name, path in outputs.items():
        write_table(path, prepared[name])
    write_json(scaler_path, {"preset": preset_name, **dict(preset), "scaler": scaler.to_dict()})


def encode_split(
    prepared_path: str | Path,
    ordering_path: str | Path,
    encoding: Mapping[str, Any],
    *,
    output: str | Path,
    provenance: Mapping[str, str | int | float],
) -> None:
    """Encode one prepared split as images in the ordering's feature order; write the cache."""
    frame = pd.read_parquet(prepared_path)
    order = read_ordering(ordering_path)
    if encoding["kind"] != "pixels":
        raise ValueError(f"unknown encoding kind {encoding['kind']!r}")
    layout = square_layout(len(order), encoding["size"])
    images = encode_pixels(frame[order].to_numpy(np.float64), order, layout)
    write_image_cache(
        output,
        images=images,
        label=frame["label"].to_numpy(np.int8),
        weight=frame["weight"].to_numpy(np.float64),
        event_id=frame["event_id"].to_numpy(np.int64),
        subset=frame["subset"].to_numpy(str),
        encoding=encoding,
        feature_order=order,
        extra_attrs=provenance,
    )


def train_experiment(
    experiment: Mapping[str, Any],
    *,
    seed: int,
    b_reg: float,
    train_cache: str | Path,
    val_cache: str | Path,
    out_dir: str | Path,
    threads: int,
) -> Path:
    """Train one (experiment, seed); ``experiment`` holds the resolved model and recipe."""
    model, recipe = experiment["model"], experiment["recipe"]
    settings = TrainSettings(
        architecture=model["architecture"],
        pretrained=model["pretrained"],
        weights_file=model.get("weights_file"),
        epochs=recipe["epochs"],
        batch_size=recipe["batch_size"],
        learning_rate=recipe["learning_rate"],
        weight_decay=recipe["weight_decay"],
        seed=seed,
        b_reg=b_reg,
    )
    return train_classifier(
        settings, train_cache=train_cache, val_cache=val_cache, out_dir=out_dir, threads=threads
    )


def predict_experiment(
    checkpoint: str | Path,
    caches: Mapping[str, str | Path],
    *,
    output: str | Path,
    threads: int,
) -> None:
    """Score the val / public / private caches with a trained checkpoint."""
    write_table(output, predict_caches(checkpoint, caches, threads=threads))


def run_baseline(
    baseline: Mapping[str, Any],
    prepared_paths: Mapping[str, str | Path],
    *,
    seed: int,
    output: str | Path,
    info_path: str | Path,
) -> None:
    """Fit a tabular baseline on the prepared training split and score the other subsets."""
    if baseline["kind"] != "gradient_boosted_trees":
        raise ValueError(f"unknown baseline kind {baseline['kind']!r}")
    fields = {k: v for k, v in baseline.items() if k not in ("kind", "preprocessing")}
    predictions, info = fit_predict_gbt(
        GbtSettings(seed=seed, **fields), _read_frames(prepared_paths), FEATURES
    )
    write_table(output, predictions)
    write_json(info_path, {"kind": baseline["kind"], **info})


def score_run(
    predictions_path: str | Path,
    scoring: Mapping[str, Any],
    *,
    identity: Mapping[str, Any],
    output: str | Path,
) -> None:
    """Score a predictions file (validation cut, public/private AMS) into a JSON file.

    ``identity`` (experiment, kind, seed, encoding, model, recipe) is stored with the scores
    so the summary can be built from score files alone.
    """
    frame = read_predictions(predictions_path)
    scores = score_predictions(frame, ScoreConfig(**scoring))
    write_json(
        output,
        {
            **identity,
            **scores,
            "predictions": str(predictions_path),
            "supertml_version": supertml.__version__,
        },
    )


def summarise_runs(
    score_files: Sequence[str | Path],
    split_summary_path: str | Path,
    *,
    csv_path: str | Path,
    markdown_path: str | Path,
) -> None:
    """Build summary.csv and summary.md from every score file."""
    split_summary = json.loads(Path(split_summary_path).read_text())
    write_summary(score_files, split_summary, csv_path=csv_path, markdown_path=markdown_path)
