"""One function per workflow rule: what a rule script calls, and all the job it does.

Each function reads its inputs, calls the topic modules and writes its outputs atomically, so
the rule scripts stay thin adapters and every step can be run and tested without Snakemake.

Training and baseline modules are imported inside the functions that use them: importing
torch, Lightning and timm costs about 7 s per job, which every data and encoding job would
otherwise pay.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import supertml
from supertml.data import (
    PreprocessingPreset,
    SplitConfig,
    Splits,
    prepare_splits,
    read_events,
    split_events,
)
from supertml.encoding import ImageCacheWriter, read_image_cache
from supertml.encoding.registry import make_encoder
from supertml.io import write_json, write_table
from supertml.metrics import ScoreConfig, analyse_predictions, read_predictions, score_predictions
from supertml.orderings import read_ordering, write_ordering
from supertml.reporting import write_summary
from supertml.reporting.panels import plot_example_panel

__all__ = [
    "SCORED_SUBSETS",
    "analyse_run",
    "encode_split",
    "order_features",
    "plot_panel",
    "predict_experiment",
    "prepare_features",
    "read_features",
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
    scaled_outputs: Mapping[str, str | Path],
    physical_outputs: Mapping[str, str | Path],
    features_path: str | Path,
) -> None:
    """Fit the preprocessing on the training split, apply it to every split, write them.

    Writes the scaled features (what pixel encodings and baselines read), the physical values
    (what text encodings print) and a JSON with the feature list and the fitted scaler.
    """
    splits = Splits(frames=_read_frames(split_paths), weight_scheme=weight_scheme)  # type: ignore[arg-type]
    prepared = prepare_splits(splits, PreprocessingPreset(name=preset_name, **preset))
    for name, path in scaled_outputs.items():
        write_table(path, prepared.scaled[name])
    for name, path in physical_outputs.items():
        write_table(path, prepared.physical[name])
    write_json(
        features_path,
        {
            "preset": preset_name,
            **dict(preset),
            "features": list(prepared.features),
            "scaler": prepared.scaler.to_dict(),
        },
    )


def read_features(features_path: str | Path) -> list[str]:
    """The feature list (table order) of a preprocessing preset's output."""
    features: list[str] = json.loads(Path(features_path).read_text())["features"]
    return features


def order_features(
    spec: Mapping[str, Any],
    *,
    name: str,
    train_path: str | Path,
    features_path: str | Path,
    output: str | Path,
) -> None:
    """Resolve a named ordering on the prepared training split and save its feature list."""
    write_ordering(
        output, name, spec, read_features(features_path), train=pd.read_parquet(train_path)
    )


def encode_split(
    values_path: str | Path,
    ordering_path: str | Path,
    features_path: str | Path,
    encoding: Mapping[str, Any],
    *,
    output: str | Path,
    provenance: Mapping[str, str | int | float],
    chunk_size: int = 4096,
) -> None:
    """Encode one prepared split in the ordering's feature order, chunk by chunk, into its cache.

    ``values_path`` holds scaled values for pixel encodings and physical values for text ones
    (the workflow picks the file); only one chunk of images is in memory at a time (4096
    events at 224 px: about 200 MB), so the full 818k-event data set encodes in bounded memory.
    """
    frame = pd.read_parquet(values_path)
    order = read_ordering(ordering_path, read_features(features_path))
    encoder = make_encoder(encoding, order)
    values = frame[order].to_numpy(np.float64)
    columns = {
        "label": frame["label"].to_numpy(np.int8),
        "weight": frame["weight"].to_numpy(np.float64),
        "event_id": frame["event_id"].to_numpy(np.int64),
        "subset": frame["subset"].to_numpy(str),
    }
    with ImageCacheWriter(
        output,
        n_events=len(frame),
        image_shape=(encoder.size, encoder.size),
        encoding=encoding,
        feature_order=order,
        extra_attrs={**provenance, "values": encoder.reads},
    ) as writer:
        for start in range(0, len(frame), chunk_size):
            part = slice(start, start + chunk_size)
            writer.append(
                images=encoder.encode(values[part]),
                **{name: column[part] for name, column in columns.items()},
            )


def plot_panel(
    cache_path: str | Path, encoding: Mapping[str, Any], *, output: str | Path, title: str
) -> None:
    """Draw example signal and background images of a cache beside its feature map."""
    order = read_image_cache(cache_path, load_images=False).feature_order
    plot_example_panel(cache_path, make_encoder(encoding, order).boxes(), output, title=title)


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
    from supertml.training import TrainSettings, train_classifier  # noqa: PLC0415 (module doc)

    model, recipe = experiment["model"], experiment["recipe"]
    settings = TrainSettings(
        **dict(model),
        **{key: value for key, value in recipe.items() if key != "kind"},
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
    from supertml.training import predict_caches  # noqa: PLC0415 (module docstring)

    write_table(output, predict_caches(checkpoint, caches, threads=threads))


def run_baseline(
    baseline: Mapping[str, Any],
    prepared_paths: Mapping[str, str | Path],
    *,
    features_path: str | Path,
    seed: int,
    output: str | Path,
    info_path: str | Path,
    threads: int = 1,
) -> None:
    """Fit a tabular baseline on the prepared training split and score the other subsets."""
    from supertml import baselines  # noqa: PLC0415 (module docstring)

    kind = baseline["kind"]
    fields = {k: v for k, v in baseline.items() if k not in ("kind", "preprocessing")}
    frames = _read_frames(prepared_paths)
    features = read_features(features_path)
    if kind == "gradient_boosted_trees":
        predictions, info = baselines.fit_predict_gbt(
            baselines.GbtSettings(seed=seed, **fields), frames, features
        )
    elif kind == "tuned_gradient_boosted_trees":
        grid = fields.pop("grid")
        settings = baselines.GbtTuningSettings(seed=seed, **fields, **grid)
        predictions, info = baselines.fit_predict_tuned_gbt(
            settings, frames, features, threads=threads
        )
    elif kind == "fully_connected":
        predictions, info = baselines.fit_predict_mlp(
            baselines.MlpSettings(seed=seed, **fields), frames, features, threads=threads
        )
    else:
        raise ValueError(f"unknown baseline kind {kind!r}")
    write_table(output, predictions)
    write_json(info_path, {"kind": kind, **info})


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


def analyse_run(
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
    result = analyse_predictions(
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
