"""One AMS across training seeds: mean, sample standard deviation, standard error."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from supertml.io import JsonValue

__all__ = ["SeedSummary", "summarise_seeds"]


@dataclass(frozen=True)
class SeedSummary:
    """One quantity across training seeds.

    ``std`` is the sample std (ddof=1) and ``sem = std / sqrt(n)`` its standard error of the mean;
    both are None for a single seed, where no spread can be estimated.
    """

    values: tuple[float, ...]
    n: int
    mean: float
    std: float | None
    sem: float | None

    def to_dict(self) -> dict[str, JsonValue]:
        """JSON-ready dict."""
        return {
            "values": list(self.values),
            "n": self.n,
            "mean": self.mean,
            "std": self.std,
            "std_ddof": 1,
            "sem": self.sem,
        }


def summarise_seeds(values: Sequence[float]) -> SeedSummary:
    """Mean, sample std (ddof=1), n and standard error of one AMS over training seeds.

    Raises
    ------
    ValueError
        If ``values`` is empty or holds a non-finite value.
    """
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"summarise_seeds needs a non-empty list of values, got {values!r}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"summarise_seeds: values must be finite, got {arr.tolist()}")
    n = int(arr.size)
    std = float(np.std(arr, ddof=1)) if n > 1 else None
    return SeedSummary(
        values=tuple(float(v) for v in arr),
        n=n,
        mean=float(np.mean(arr)),
        std=std,
        sem=std / math.sqrt(n) if std is not None else None,
    )
