"""Example images of a small table, one row per class."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from supertml.tables.figures import plot_class_examples


def test_one_row_of_examples_per_class(tmp_path: Path) -> None:
    images = np.zeros((5, 8, 8), dtype=np.uint8)
    output = tmp_path / "examples.png"
    plot_class_examples(images, np.array([0, 1, 1, 2, 1]), ["a", "b", "c"], output, title="t")
    with Image.open(output) as png:
        width, height = png.size
    assert height > width  # three rows of three images: taller than wide with the title
    assert not list(tmp_path.glob(".*.tmp"))


def test_images_and_labels_must_agree(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="one label each"):
        plot_class_examples(
            np.zeros((2, 8, 8), np.uint8), np.array([0]), ["a"], tmp_path / "x.png", title="t"
        )
