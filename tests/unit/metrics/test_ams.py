"""Tests of supertml.metrics.ams against the challenge's check value and the formula."""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

import numpy as np
import pytest

from supertml.metrics.ams import DEFAULT_B_REG, ams


def _ams_exact(s: float, b: float, b_reg: float) -> float:
    """The challenge formula written out independently in 50-digit decimal arithmetic.

    A float64 ``math.log(1 + x)`` reference would itself be off by ~1e-13 relative for
    s << b (the rounding of 1 + x), so the reference carries more digits than the code.
    """
    with localcontext() as ctx:
        ctx.prec = 50
        sd, bd, rd = Decimal(s), Decimal(b), Decimal(b_reg)
        return float((2 * ((sd + bd + rd) * (1 + sd / (bd + rd)).ln() - sd)).sqrt())


def test_official_check_value() -> None:
    # Official starting kit, TMVA submission, public leaderboard (REFERENCE.md section 3).
    value = ams(217.039443378, 4379.2523956)
    assert isinstance(value, float)
    assert value == pytest.approx(3.24953916678, abs=1e-9)


def test_default_b_reg_is_challenge_value() -> None:
    assert DEFAULT_B_REG == 10.0
    assert ams(50.0, 300.0) == ams(50.0, 300.0, 10.0)
    assert ams(50.0, 300.0) != ams(50.0, 300.0, 0.0)


def test_zero_signal_is_zero() -> None:
    assert ams(0.0, 123.4) == 0.0
    assert ams(0.0, 0.0, 0.0) == 0.0


def test_tiny_signal_is_finite_and_non_negative() -> None:
    # Cancellation territory: the radicand may round below zero and must be clipped, not NaN.
    values = ams(np.array([1e-12, 1e-9, 1e-6]), 1e6)
    assert np.all(np.isfinite(values))
    assert np.all(values >= 0.0)
    # Leading order AMS ~ s / sqrt(b) once rounding is no longer dominant.
    assert values[2] == pytest.approx(1e-6 / math.sqrt(1e6 + 10.0), rel=1e-3)


def test_no_background_without_regularisation_is_infinite() -> None:
    assert ams(5.0, 0.0, 0.0) == math.inf


def test_monotone_in_signal() -> None:
    s = np.linspace(0.0, 500.0, 1001)
    values = ams(s, 4000.0)
    assert np.all(np.diff(values) > 0.0)


def test_decreasing_in_background() -> None:
    b = np.linspace(0.0, 5000.0, 501)
    values = ams(100.0, b)
    assert np.all(np.diff(values) < 0.0)


def test_array_matches_scalar() -> None:
    rng = np.random.default_rng(7)
    s = rng.uniform(0.0, 700.0, size=50)
    b = rng.uniform(0.0, 5e4, size=50)
    values = ams(s, b)
    assert isinstance(values, np.ndarray)
    assert values.shape == (50,)
    expected = [ams(float(si), float(bi)) for si, bi in zip(s, b, strict=True)]
    np.testing.assert_allclose(values, expected, rtol=0.0, atol=0.0)


def test_broadcasts_scalar_with_array() -> None:
    b = np.array([10.0, 100.0, 1000.0])
    values = ams(20.0, b)
    np.testing.assert_allclose(values, [ams(20.0, float(x)) for x in b], rtol=1e-15)


@pytest.mark.parametrize(("s", "b"), [(1.0, 5.0), (217.039443378, 4379.2523956), (50.0, 1e5)])
def test_zero_regularisation_matches_formula(s: float, b: float) -> None:
    assert ams(s, b, 0.0) == pytest.approx(_ams_exact(s, b, 0.0), rel=1e-12)


@pytest.mark.parametrize(("s", "b", "b_reg"), [(3.0, 7.0, 10.0), (691.99, 410999.85, 10.0)])
def test_matches_formula(s: float, b: float, b_reg: float) -> None:
    assert ams(s, b, b_reg) == pytest.approx(_ams_exact(s, b, b_reg), rel=1e-12)


@pytest.mark.parametrize(
    ("s", "b", "b_reg", "match"),
    [
        (-1.0, 10.0, 10.0, "signal"),
        (1.0, -10.0, 10.0, "background"),
        (1.0, 10.0, -1.0, "b_reg"),
        (math.nan, 10.0, 10.0, "signal"),
        (1.0, math.inf, 10.0, "background"),
        (1.0, 10.0, math.nan, "b_reg"),
    ],
)
def test_rejects_invalid(s: float, b: float, b_reg: float, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ams(s, b, b_reg)


def test_rejects_negative_inside_array() -> None:
    with pytest.raises(ValueError, match="signal"):
        ams(np.array([1.0, -0.5]), 10.0)
