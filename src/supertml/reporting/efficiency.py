"""Weighted ROC curves and AMS against signal efficiency, every run on one figure (HEP style).

A selection is "score >= c", as everywhere (:mod:`supertml.metrics.cut`). Its signal
efficiency is the selected share of the subset's signal weight, its background efficiency the
selected share of the background weight; the background rejection drawn is 1 / background
efficiency, on a log axis, as HEP taggers are shown. The AUC in the legend is the weighted area
under (background efficiency, signal efficiency). Styling: mplhep's ATLAS style (fonts shipped
with mplhep-data), without an experiment label - these are not ATLAS results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import mplhep
import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.figure import Figure
from numpy.typing import NDArray

from supertml.io import atomic_path
from supertml.metrics import ams_curve
from supertml.metrics.cut import choosable_ams

__all__ = ["EfficiencyCurve", "efficiency_curve", "plot_efficiency"]

FloatArray = NDArray[np.float64]
_DPI: Final[int] = 110
#: Line styles cycled with the colours, so runs stay apart in grey print too.
_STYLES: Final[tuple[str, ...]] = ("-", "--", "-.", ":")
#: Okabe and Ito's colour-blind-safe palette without its yellow, which mplhep's ATLAS cycle
#: has fourth and which vanished on white in the report (seen in headless chromium).
_COLOURS: Final[tuple[str, ...]] = (
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000", "#56B4E9", "#E69F00",
)  # fmt: skip


def _line(i: int) -> tuple[str, str]:
    """Colour and style of the ``i``-th run's line (the pair repeats after 28 runs)."""
    return _COLOURS[i % len(_COLOURS)], _STYLES[i % len(_STYLES)]


@dataclass(frozen=True, eq=False)
class EfficiencyCurve:
    """Per distinct score c (descending), the efficiencies of "score >= c" and its AMS (NaN
    where the selection holds no background: never a cut, so not drawn)."""

    signal_efficiency: FloatArray
    background_efficiency: FloatArray
    ams: FloatArray

    @property
    def auc(self) -> float:
        """Weighted area under (background efficiency, signal efficiency), from (0, 0)."""
        x = np.concatenate([[0.0], self.background_efficiency])
        y = np.concatenate([[0.0], self.signal_efficiency])
        return float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2.0))


def efficiency_curve(frame: pd.DataFrame, *, b_reg: float) -> EfficiencyCurve:
    """The curve of one subset's predictions (``score``, ``label``, ``weight`` columns)."""
    curve = ams_curve(frame["score"], frame["label"], frame["weight"], b_reg=b_reg)
    if curve.signal[-1] <= 0.0 or curve.background[-1] <= 0.0:
        raise ValueError("efficiencies need signal and background weight in the subset")
    return EfficiencyCurve(
        signal_efficiency=curve.signal / curve.signal[-1],
        background_efficiency=curve.background / curve.background[-1],
        ams=choosable_ams(curve.ams, curve.background, fill=np.nan),
    )


def plot_efficiency(
    frames: Sequence[pd.DataFrame],
    labels: Sequence[str],
    *,
    subset: str,
    b_reg: float,
    title: str,
    roc_output: str | Path,
    ams_output: str | Path,
) -> None:
    """Two figures of the runs' ``subset`` events: ROC (background rejection against signal
    efficiency, AUC in the legend) and AMS against signal efficiency."""
    curves = [efficiency_curve(f[f["subset"] == subset], b_reg=b_reg) for f in frames]
    with rc_context(mplhep.style.ATLAS):
        roc = Figure(figsize=(7.5, 6.0))
        ax = roc.subplots()
        for i, (curve, label) in enumerate(zip(curves, labels, strict=True)):
            keep = curve.background_efficiency > 0.0
            ax.plot(curve.signal_efficiency[keep], 1.0 / curve.background_efficiency[keep],
                    color=_line(i)[0], linestyle=_line(i)[1],
                    label=f"{label} (AUC {curve.auc:.3f})")  # fmt: skip
        ax.set_yscale("log")
        ax.set_xlim(0.0, 1.0)
        ax.set_ylim(bottom=1.0)
        # One size for both axis titles: the style's large x title dwarfed the y one.
        ax.set_xlabel("signal efficiency", fontsize="medium")
        ax.set_ylabel("background rejection", fontsize="medium")
        ax.set_title(f"{title}: ROC, {subset} events, weighted", fontsize="medium")
        ax.legend(fontsize="small")
        _save(roc, roc_output)
        figure = Figure(figsize=(7.5, 6.0))
        ax = figure.subplots()
        for i, (curve, label) in enumerate(zip(curves, labels, strict=True)):
            colour, style = _line(i)
            ax.plot(curve.signal_efficiency, curve.ams, color=colour, linestyle=style, label=label)
        ax.set_xlim(0.0, 1.0)
        ax.set_ylim(bottom=0.0)
        ax.set_xlabel("signal efficiency", fontsize="medium")
        ax.set_ylabel(f"AMS (b_r = {b_reg:g})", fontsize="medium")
        ax.set_title(f"{title}: AMS of 'score >= c', {subset} events", fontsize="medium")
        ax.legend(fontsize="small")
        _save(figure, ams_output)


def _save(figure: Figure, output: str | Path) -> None:
    figure.tight_layout()
    with atomic_path(output) as tmp:
        figure.savefig(tmp, format="png", dpi=_DPI)
