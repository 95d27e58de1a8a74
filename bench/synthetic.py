"""What the training and scoring benchmarks share: a synthetic image cache and how a result is
printed. Only interfaces that old checkouts have too (``write_image_cache``, ``FEATURES``), so
``host_overhead.py --compare`` can run it against an earlier ``src``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from supertml.constants import FEATURES
from supertml.encoding import write_image_cache

__all__ = ["print_result", "synthetic_cache"]


def synthetic_cache(path: Path, n: int, size: int, seed: int) -> Path:
    """Noise images, signal brighter in the top half: something a CNN can learn."""
    rng = np.random.default_rng(seed)
    label = (rng.random(n) < 0.35).astype(np.int8)
    images = rng.integers(0, 100, size=(n, size, size), dtype=np.uint8)
    images[label == 1, : size // 2] += 100
    write_image_cache(
        path,
        images=images,
        label=label,
        weight=np.where(label == 1, 0.002, 1.0),
        event_id=np.arange(n, dtype=np.int64),
        subset=np.full(n, "train"),
        encoding={"kind": "synthetic", "size": size},
        feature_order=list(FEATURES),
    )
    return path


def print_result(result: dict[str, Any]) -> None:
    """One aligned ``key  value`` line per entry, then the whole as one JSON line (the line
    ``gpu_check.sh`` keeps)."""
    width = max(map(len, result))
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    print(json.dumps(result))
