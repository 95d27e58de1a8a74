"""Tiny synthetic image caches that a small CNN can learn from in one CPU epoch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from supertml.constants import FEATURES
from supertml.encoding import write_image_cache

SIZE = 16


def make_cache(path: Path, subset: str, n: int, seed: int) -> Path:
    """Signal images are bright in the top half, background in the bottom half (plus noise)."""
    rng = np.random.default_rng(seed)
    label = (np.arange(n) % 2).astype(np.int8)
    images = rng.integers(0, 60, size=(n, SIZE, SIZE), dtype=np.uint8)
    images[label == 1, : SIZE // 2] += 150
    images[label == 0, SIZE // 2 :] += 150
    write_image_cache(
        path,
        images=images,
        label=label,
        weight=np.where(label == 1, 0.01, 1.0),
        event_id=np.arange(n, dtype=np.int64) + 1000 * seed,
        subset=np.full(n, subset),
        encoding={"kind": "synthetic", "size": SIZE},
        feature_order=list(FEATURES),
    )
    return path


@pytest.fixture(scope="module")
def caches(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("caches")
    sizes = {"train": 96, "val": 48, "public": 32, "private": 40}
    return {
        subset: make_cache(root / f"{subset}.h5", subset, n, seed)
        for seed, (subset, n) in enumerate(sizes.items())
    }
