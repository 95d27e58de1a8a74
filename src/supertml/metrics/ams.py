"""The Approximate Median Significance (AMS) of the ATLAS Higgs ML challenge.

Source: Adam-Bourdarios et al., "Learning to discover: the Higgs boson machine learning
challenge" (2014), eq. (7); REFERENCE.md section 3.
"""

from __future__ import annotations

from typing import Final, overload

import numpy as np
from numpy.typing import NDArray

__all__ = ["DEFAULT_B_REG", "ams"]

#: The challenge's regularisation term b_r added to the background (REFERENCE.md section 3).
DEFAULT_B_REG: Final[float] = 10.0


@overload
def ams(s: float, b: float, b_reg: float = DEFAULT_B_REG) -> float: ...


@overload
def ams(
    s: NDArray[np.floating] | NDArray[np.integer],
    b: float | NDArray[np.floating] | NDArray[np.integer],
    b_reg: float = DEFAULT_B_REG,
) -> NDArray[np.float64]: ...


@overload
def ams(
    s: float,
    b: NDArray[np.floating] | NDArray[np.integer],
    b_reg: float = DEFAULT_B_REG,
) -> NDArray[np.float64]: ...


def ams(
    s: float | NDArray[np.floating] | NDArray[np.integer],
    b: float | NDArray[np.floating] | NDArray[np.integer],
    b_reg: float = DEFAULT_B_REG,
) -> float | NDArray[np.float64]:
    """Approximate Median Significance of a selection.

    ``AMS = sqrt(2 * ((s + b + b_reg) * ln(1 + s / (b + b_reg)) - s))`` with the natural log,
    as in eq. (7) of the challenge documentation (Adam-Bourdarios et al. 2014) and
    REFERENCE.md section 3.

    Parameters
    ----------
    s, b
        Summed weights of true signal and true background events selected as signal, on the
        scale of the full set (apply any weight factor before calling). Scalars or arrays that
        broadcast together.
    b_reg
        Regularisation term ``b_r`` (the challenge uses 10).

    Returns
    -------
    float or numpy.ndarray
        A Python float when both ``s`` and ``b`` are scalars, else a float64 array of the
        broadcast shape.

    Notes
    -----
    Edge cases: ``s = 0`` gives exactly 0 (also when ``b + b_reg = 0``, where the formula is
    0/0: no selected signal means no significance). ``s > 0`` with ``b + b_reg = 0`` gives
    ``inf``.

    Raises
    ------
    ValueError
        If any ``s`` or ``b``, or ``b_reg``, is negative, NaN or infinite.
    """
    # Infinite or NaN inputs would turn into NaN below (inf * 0, inf - inf), so they are
    # rejected together with negatives rather than passed on as a silent NaN.
    if not (np.isfinite(b_reg) and b_reg >= 0.0):
        raise ValueError(f"ams: b_reg must be a finite non-negative number, got {b_reg!r}")
    s_arr = np.asarray(s, dtype=np.float64)
    b_arr = np.asarray(b, dtype=np.float64)
    if not np.all(np.isfinite(s_arr) & (s_arr >= 0.0)):
        raise ValueError("ams: signal weight sum s must be finite and non-negative")
    if not np.all(np.isfinite(b_arr) & (b_arr >= 0.0)):
        raise ValueError("ams: background weight sum b must be finite and non-negative")
    b_total = b_arr + b_reg
    with np.errstate(divide="ignore", invalid="ignore"):
        radicand = 2.0 * ((s_arr + b_total) * np.log1p(s_arr / b_total) - s_arr)
    # For s << b + b_reg the two terms cancel almost exactly (the difference is ~ s^2 / 2b), and
    # rounding can leave a radicand of order -1e-16 where the true value is a tiny positive
    # number; clipping at 0 avoids a NaN from sqrt of a rounding error.
    radicand = np.maximum(radicand, 0.0)
    result = np.sqrt(radicand)
    # s = 0 with b + b_reg = 0 is 0/0 above; the limit of no selected signal is 0 significance.
    result = np.where(s_arr == 0.0, 0.0, result)
    if result.ndim == 0:
        return float(result)
    return result.astype(np.float64, copy=False)
