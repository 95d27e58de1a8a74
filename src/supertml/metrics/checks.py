"""Argument checks shared by the analyses: one message shape for every bad setting."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["check_cut", "check_int", "check_levels"]


def check_int(name: str, value: object, minimum: int, maximum: int | None = None) -> int:
    """``value`` as an int in [minimum, maximum], else a ValueError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    number = int(value)
    if number < minimum or (maximum is not None and number > maximum):
        upper = "" if maximum is None else f" and <= {maximum}"
        raise ValueError(f"{name} must be >= {minimum}{upper}, got {number}")
    return number


def check_levels(levels: Sequence[float]) -> tuple[float, ...]:
    """``levels`` as floats, each in (0, 1), else a ValueError listing them."""
    checked = tuple(float(level) for level in levels)
    if not checked or not all(0.0 < level < 1.0 for level in checked):
        raise ValueError(f"levels must be non-empty and each in (0, 1), got {list(levels)}")
    return checked


def check_cut(name: str, cut: float) -> float:
    """``cut`` as a float, else a ValueError naming the argument if it is not finite."""
    if not math.isfinite(cut):
        raise ValueError(f"{name} must be a finite number, got {cut!r}")
    return float(cut)
