"""Steps of ``workflow/rules/images.smk``: feature orderings, image caches, example panels."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from supertml.encoding import ImageCacheWriter, read_image_cache
from supertml.encoding.registry import make_encoder
from supertml.orderings import read_ordering, write_ordering
from supertml.steps.data import read_features

__all__ = ["encode_images", "order_features", "plot_panel"]


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


def encode_images(
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
    from supertml.reporting.panels import plot_example_panel  # noqa: PLC0415 (matplotlib)

    order = read_image_cache(cache_path, load_images=False).feature_order
    plot_example_panel(cache_path, make_encoder(encoding, order).boxes(), output, title=title)
