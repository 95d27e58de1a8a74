"""Steps of ``workflow/rules/data.smk``: the event file, its splits, the prepared features."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from supertml.data import PreprocessingPreset, SplitConfig, Splits, prepare_splits, read_events
from supertml.data import splits as event_splits
from supertml.data.download import download_file
from supertml.io import write_json, write_table

__all__ = ["download_events", "prepare_features", "read_features", "read_frames", "split_events"]


def read_frames(paths: Mapping[str, str | Path]) -> dict[str, pd.DataFrame]:
    """Parquet tables by name (one per subset)."""
    return {name: pd.read_parquet(path) for name, path in paths.items()}


def download_events(url: str, output: str | Path, *, events: int | None) -> None:
    """Download the event file (resumable, then checked: gzip, header, ``events`` rows)."""
    download_file(url, output, expected_rows=events)


def split_events(
    source: str | Path,
    settings: Mapping[str, Any],
    *,
    dataset: str,
    outputs: Mapping[str, str | Path],
    summary_path: str | Path,
) -> None:
    """Read and validate the event file, split it, and write one Parquet file per subset."""
    table = read_events(source)
    splits = event_splits.split_events(table, SplitConfig(**settings))
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
    splits = Splits(frames=read_frames(split_paths), weight_scheme=weight_scheme)  # type: ignore[arg-type]
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
    """The feature list (table order) that :func:`prepare_features` wrote."""
    features: list[str] = json.loads(Path(features_path).read_text())["features"]
    return features
