"""Example-image panels: what the network sees, next to where each feature is drawn."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from supertml.encoding import read_image_cache
from supertml.io import atomic_path

__all__ = ["Box", "plot_example_panel"]

#: A feature's pixel box in the image: (row0, row1, col0, col1), half-open.
Box = tuple[int, int, int, int]


def _pick(labels: np.ndarray, label: int, count: int, rng: np.random.Generator) -> np.ndarray:
    rows = np.flatnonzero(labels == label)
    return np.sort(rng.choice(rows, size=min(count, rows.size), replace=False))


def plot_example_panel(
    cache_path: str | Path,
    boxes: Sequence[Box],
    output: str | Path,
    *,
    title: str,
    per_class: int = 4,
    seed: int = 0,
) -> None:
    """Draw ``per_class`` signal and background images of a cache and a feature map.

    The first column is the map: the image area with every feature's name written in its box,
    so a reader can tell which block or number is which. Events are drawn at random (seeded)
    from the cache; pixels are shown unsmoothed on a grey scale from 0 (black) to 255.
    """
    cache = read_image_cache(cache_path)
    assert cache.images is not None
    if len(boxes) != len(cache.feature_order):
        raise ValueError(
            f"{cache_path}: {len(boxes)} feature boxes for the {len(cache.feature_order)} "
            "features of the cache"
        )
    rng = np.random.default_rng(seed)
    rows = {"signal": _pick(cache.label, 1, per_class, rng),
            "background": _pick(cache.label, 0, per_class, rng)}  # fmt: skip
    height, width = cache.images.shape[1:]
    ncols = per_class + 1
    # The object API, not pyplot: no global figure state, no display backend needed.
    fig = Figure(figsize=(2.6 * ncols, 5.8), layout="constrained")
    axes = fig.subplots(2, ncols, squeeze=False)
    for r, (name, picked) in enumerate(rows.items()):
        feature_map = axes[r][0]
        feature_map.imshow(np.zeros((height, width)), cmap="gray", vmin=0, vmax=255)
        for feature, (row0, row1, col0, col1) in zip(cache.feature_order, boxes, strict=True):
            feature_map.add_patch(
                Rectangle((col0 - 0.5, row0 - 0.5), col1 - col0, row1 - row0,
                              fill=False, edgecolor="tab:orange", linewidth=0.4)
            )  # fmt: skip
            short = feature.removeprefix("DER_").removeprefix("PRI_")
            # Names run along tall, narrow boxes (the study's 224 px rectangles).
            upright = (col1 - col0) < (row1 - row0) / 2
            feature_map.text((col0 + col1) / 2 - 0.5, (row0 + row1) / 2 - 0.5, short,
                             ha="center", va="center", fontsize=3.2, color="white",
                             rotation=90 if upright else 0)  # fmt: skip
        feature_map.set_title("feature map", fontsize=8)
        for c in range(1, ncols):
            ax = axes[r][c]
            if c - 1 < picked.size:
                event = picked[c - 1]
                ax.imshow(cache.images[event], cmap="gray", vmin=0, vmax=255,
                          interpolation="nearest")  # fmt: skip
                ax.set_title(f"{name} #{int(cache.event_id[event])}", fontsize=8)
        for ax in axes[r]:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.suptitle(title, fontsize=10)
    with atomic_path(output) as tmp:
        fig.savefig(tmp, format="png", dpi=200)
