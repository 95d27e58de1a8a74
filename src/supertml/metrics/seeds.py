"""One AMS across training seeds: mean, sample standard deviation, standard error, and the
interval for one more training run that the verdict compares with the claim."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from scipy import stats

from supertml.io import JsonValue

__all__ = [
    "COVERS_BOTH",
    "COVERS_SEEDS",
    "COVERS_TEST",
    "VERDICT_LEVEL",
    "RunInterval",
    "SeedSummary",
    "single_run_interval",
    "summarise_seeds",
]


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


#: What an interval's spread covers, as tables print it.
COVERS_BOTH: Final[str] = "training seeds + test sample"
COVERS_SEEDS: Final[str] = "training seeds"
COVERS_TEST: Final[str] = "test sample"

#: Level of the intervals the verdict quotes.
VERDICT_LEVEL: Final[float] = 0.95


@dataclass(frozen=True)
class RunInterval:
    """A central interval for the AMS of ONE more training run like the ones measured.

    One run, not the mean: the claim it is compared with (3.979) is a single run. ``covers``
    says which fluctuations the spread includes (:data:`COVERS_BOTH`, :data:`COVERS_SEEDS` or
    :data:`COVERS_TEST`); ``scale`` is the standard deviation of one run's AMS under the
    interval's assumptions and ``dof`` the degrees of freedom of its Student-t (inf: normal, or a
    bootstrap percentile interval).
    """

    low: float
    high: float
    level: float
    covers: str
    scale: float
    dof: float
    centre: float

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the closed interval (its edges count as inside)."""
        return self.low <= value <= self.high

    def probability_at_least(self, value: float) -> float:
        """P(one run >= value) under the interval's model: Student-t with ``dof`` around
        ``centre`` with ``scale`` (normal for inf dof)."""
        z = (value - self.centre) / self.scale
        if math.isinf(self.dof):
            return float(stats.norm.sf(z))
        return float(stats.t.sf(z, self.dof))


def single_run_interval(
    mean: float,
    *,
    seed_std: float | None,
    n_seeds: int,
    test_std: float | None = None,
    bootstrap_bounds: tuple[float, float] | None = None,
    level: float = VERDICT_LEVEL,
) -> RunInterval | None:
    """The ``level`` interval for one more training run's AMS, or None if nothing is known.

    - Several seeds (``n_seeds`` = k >= 2, sample std ``seed_std``): a Student-t prediction
      interval ``mean +- t(k-1) * seed_std * sqrt(1 + 1/k)`` (a new run scatters like the k,
      around a mean known only to ``seed_std / sqrt(k)``). With ``test_std`` (the bootstrap std
      of one run's AMS over the test sample) the two variances add, and the degrees of freedom
      follow Welch-Satterthwaite with the bootstrap's taken as infinite; the interval then
      covers both (the seeds share one test sample, so their spread does not contain its
      fluctuation).
    - One seed: the bootstrap percentile interval ``bootstrap_bounds`` at ``level`` (test sample
      only; the training-seed spread is unknown), with ``test_std`` as its scale for
      :meth:`RunInterval.probability_at_least` (normal approximation).

    Assumptions: runs independent and normally distributed about their mean; the bootstrap's
    resampling of test events stands for a new test sample of the same size.
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    quantile = (1.0 + level) / 2.0
    test_var = test_std**2 if test_std is not None and math.isfinite(test_std) else None
    if n_seeds >= 2 and seed_std is not None and math.isfinite(seed_std):
        seed_var = seed_std**2 * (1.0 + 1.0 / n_seeds)
        total = seed_var + (test_var or 0.0)
        scale = math.sqrt(total)
        dof = math.inf if seed_var == 0.0 else (n_seeds - 1) * total**2 / seed_var**2
        half = float(stats.t.ppf(quantile, dof)) * scale if scale > 0.0 else 0.0
        covers = COVERS_BOTH if test_var is not None else COVERS_SEEDS
        return RunInterval(mean - half, mean + half, level, covers, scale, dof, mean)
    if bootstrap_bounds is not None and all(math.isfinite(v) for v in bootstrap_bounds):
        low, high = bootstrap_bounds
        if test_var is not None and test_var > 0.0:
            scale = math.sqrt(test_var)
        else:  # the percentile interval's own width, read as a normal one
            scale = (high - low) / (2.0 * float(stats.norm.ppf(quantile)))
        return RunInterval(low, high, level, COVERS_TEST, scale, math.inf, mean)
    return None
