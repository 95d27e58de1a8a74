"""Example images of a small table: what the network sees, a few rows of each class."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
from matplotlib.figure import Figure

from supertml.io import atomic_path

__all__ = ["plot_class_examples"]


def plot_class_examples(
    images: npt.NDArray[np.uint8],
    labels: npt.NDArray[np.integer],
    classes: Sequence[str],
    output: str | Path,
    *,
    title: str,
    per_class: int = 3,
) -> None:
    """One row of images per class: its first ``per_class`` rows, grey scale 0 to 255.

    The first rows (not a random draw) keep the figure identical from run to run. Pixels are
    shown unsmoothed, so a reader judges the legibility of the text the network was given.
    """
    if images.ndim != 3 or len(images) != len(labels):
        raise ValueError(
            f"images must be [N, H, W] with one label each, got {images.shape} and {len(labels)}"
        )
    fig = Figure(figsize=(1.8 * per_class, 1.9 * len(classes) + 0.4), layout="constrained")
    axes = fig.subplots(len(classes), per_class, squeeze=False)
    for code, name in enumerate(classes):
        rows = np.flatnonzero(labels == code)[:per_class]
        for column, ax in enumerate(axes[code]):
            ax.set_xticks([])
            ax.set_yticks([])
            if column < rows.size:
                ax.imshow(images[rows[column]], cmap="gray", vmin=0, vmax=255)
            else:
                ax.set_axis_off()
        axes[code][0].set_ylabel(name, fontsize=9)
    fig.suptitle(title, fontsize=10)
    with atomic_path(output) as tmp:
        fig.savefig(tmp, format="png", dpi=150)
