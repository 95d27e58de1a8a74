"""Report figures: score distributions, AMS against the cut, per-fold AMS, training curves.

Every function draws with matplotlib's object API (no pyplot state; PNG output goes through the
Agg renderer) and writes one PNG atomically, so a failed plot never leaves a partial file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from numpy.typing import NDArray

from supertml.errors import DataValidationError
from supertml.io import atomic_path
from supertml.metrics import DEFAULT_B_REG, ams_at_cut
from supertml.metrics import ams_curve as _metrics_ams_curve
from supertml.published import KAGGLE_WINNER_PRIVATE_AMS, PAPER_CLAIM_AMS

__all__ = [
    "ams_curve",
    "plot_ams_vs_cut",
    "plot_fold_distributions",
    "plot_score_distributions",
    "plot_training_curves",
]

_IN_MEMORY: Final[str] = "<predictions in memory>"
#: Colours shared by all figures, so signal/background and public/private read alike everywhere.
_SIGNAL, _BACKGROUND = "tab:red", "tab:blue"
_PUBLIC, _PRIVATE = "tab:green", "tab:purple"
_DPI: Final[int] = 110
#: Analyses and subsets of a per-fold analysis record (REFERENCE.md section 4).
_ANALYSES: Final[dict[str, str]] = {
    "test_size": "Test-size hypothesis: AMS per fold at the validation cut",
    "test_optimisation": "Test-set optimisation: highest AMS per fold (not a legitimate score)",
}
_FOLD_SUBSETS: Final[tuple[str, ...]] = ("public", "private")
#: Columns of metrics.csv that the training-curve figure draws.
_CURVE_COLUMNS: Final[tuple[str, ...]] = (
    "epoch",
    "train_loss",
    "val_loss",
    "val_auc",
    "val_ams_max",
)


def _save(fig: Figure, output: str | Path) -> None:
    with atomic_path(output) as tmp:
        fig.savefig(tmp, format="png", dpi=_DPI)


def _subset_rows(frame: pd.DataFrame, subset: str, source: str | Path) -> pd.DataFrame:
    """The rows of one subset, checking the columns the figures need."""
    missing = [c for c in ("subset", "label", "weight", "score") if c not in frame.columns]
    if missing:
        raise DataValidationError(
            source, f"missing column(s) {missing} needed for the figure", column=missing[0]
        )
    part = frame[frame["subset"] == subset]
    if part.empty:
        present = sorted({str(v) for v in frame["subset"].unique()})
        raise DataValidationError(
            source, f"no rows for subset {subset!r} (subsets present: {present})", column="subset"
        )
    return part


def ams_curve(
    frame_subset: pd.DataFrame, b_reg: float = DEFAULT_B_REG
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """AMS of the selection "score >= c" for every distinct score c of one subset.

    ``frame_subset`` holds the rows of ONE subset (columns ``label``, ``weight``, ``score``;
    weights already on the challenge scale): adding subsets together would add their weight sums
    and inflate the AMS, the study's double-luminosity effect (REFERENCE.md section 4), so a
    ``subset`` column with several values is refused. Computed by
    :func:`supertml.metrics.ams_curve` (one sort and cumulative sums, REFERENCE.md section 3).

    Returns
    -------
    tuple of numpy.ndarray
        ``(cuts, ams)``, cuts in descending order.
    """
    if "subset" in frame_subset.columns and frame_subset["subset"].nunique() > 1:
        found = sorted({str(v) for v in frame_subset["subset"].unique()})
        raise ValueError(f"ams_curve needs the rows of one subset, got subsets {found}")
    curve = _metrics_ams_curve(
        frame_subset["score"].to_numpy(dtype=np.float64),
        frame_subset["label"].to_numpy(dtype=np.int64),
        frame_subset["weight"].to_numpy(dtype=np.float64),
        b_reg=b_reg,
    )
    return curve.cuts, curve.ams


def plot_score_distributions(
    frame: pd.DataFrame,
    output: str | Path,
    *,
    title: str,
    cut: float | None = None,
    subset: str = "val",
    bins: int = 50,
    source: str | Path = _IN_MEMORY,
) -> None:
    """Weighted score histograms of signal and background in one subset of a prediction table.

    Two panels, both with a log y axis: left, each class normalised to unit area (shapes: how
    well the score separates); right, absolute weighted events on the challenge scale (what the
    cut actually selects: the signal is about 0.17 % of the weight). A vertical line marks
    ``cut`` when given. ``source`` names the table in error messages.

    Raises
    ------
    DataValidationError
        If columns are missing, ``subset`` has no rows, or it lacks one of the classes.
    """
    part = _subset_rows(frame, subset, source)
    score = part["score"].to_numpy(dtype=np.float64)
    weight = part["weight"].to_numpy(dtype=np.float64)
    is_signal = part["label"].to_numpy() == 1
    if is_signal.all() or not is_signal.any():
        raise DataValidationError(
            source, f"subset {subset!r} holds only one class; need signal and background",
            column="label",
        )  # fmt: skip
    low, high = float(score.min()), float(score.max())
    if low == high:
        low, high = low - 0.5, high + 0.5
    edges = np.linspace(low, high, bins + 1)
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    axes = fig.subplots(1, 2)
    panels = ((axes[0], True, "normalised per class (unit area)", "density"),
              (axes[1], False, "absolute weighted events (challenge scale)",
               "sum of weights per bin"))  # fmt: skip
    for ax, density, panel_title, ylabel in panels:
        for mask, name, colour in ((is_signal, "signal", _SIGNAL),
                                   (~is_signal, "background", _BACKGROUND)):  # fmt: skip
            label = f"{name} ({int(mask.sum())} events, sum w = {weight[mask].sum():.4g})"
            ax.hist(score[mask], bins=edges, weights=weight[mask], density=density,
                    histtype="step", linewidth=1.6, color=colour, label=label)  # fmt: skip
        if cut is not None:
            ax.axvline(cut, color="black", linestyle="--", linewidth=1.2,
                       label=f"cut = {cut:.4f}")  # fmt: skip
        ax.set_yscale("log")
        ax.set_xlabel("classifier score p(signal)")
        ax.set_ylabel(ylabel)
        ax.set_title(f"{panel_title}, subset '{subset}'", fontsize=10)
    # One legend under both panels: inside an axis it would hide the histogram tails.
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), fontsize=9)
    fig.suptitle(title, fontsize=12)
    _save(fig, output)


def plot_ams_vs_cut(
    frame: pd.DataFrame,
    output: str | Path,
    *,
    cut: float,
    title: str,
    b_reg: float = DEFAULT_B_REG,
    subset: str = "val",
    source: str | Path = _IN_MEMORY,
) -> None:
    """AMS of "score >= c" against the cut c on one subset, with the chosen cut and the maximum.

    The curve is :func:`ams_curve`; the chosen cut's AMS comes from
    :func:`supertml.metrics.ams_at_cut`, so both markers agree with the scoring step exactly
    (REFERENCE.md section 3). The maximum is the single best cut, which the study's cut choice
    deliberately does not take (the mean score of the top 10 % generalises better).
    """
    part = _subset_rows(frame, subset, source)
    cuts, values = ams_curve(part, b_reg)
    best = int(np.argmax(values))
    at_cut = ams_at_cut(part["score"].to_numpy(dtype=np.float64),
                        part["label"].to_numpy(dtype=np.int64),
                        part["weight"].to_numpy(dtype=np.float64), cut, b_reg=b_reg)  # fmt: skip
    fig = Figure(figsize=(7.5, 4.8), layout="constrained")
    ax = fig.subplots()
    ax.plot(cuts, values, color="tab:gray", linewidth=1.2, label=f"AMS, subset '{subset}'")
    ax.axvline(cut, color="black", linestyle="--", linewidth=1.0)
    ax.plot([cut], [at_cut], "o", color="tab:orange", markersize=8,
            label=f"chosen cut {cut:.4f}: AMS {at_cut:.3f}")  # fmt: skip
    ax.plot([cuts[best]], [values[best]], "*", color="tab:red", markersize=13,
            label=f"maximum {values[best]:.3f} at cut {cuts[best]:.4f}")  # fmt: skip
    ax.set_xlabel("cut c on the classifier score (events with score >= c are selected)")
    ax.set_ylabel(f"AMS (b_r = {b_reg:g})")
    ax.set_ylim(bottom=0.0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9, loc="best")
    ax.set_title(title, fontsize=11)
    _save(fig, output)


def _fold_values(
    analyses: Mapping[str, Mapping[str, Mapping[str, Sequence[float]]]],
) -> dict[str, dict[str, dict[str, NDArray[np.float64]]]]:
    """Check the per-fold records and turn them into arrays."""
    if not analyses:
        raise ValueError("no experiments to plot: analyses is empty")
    out: dict[str, dict[str, dict[str, NDArray[np.float64]]]] = {}
    for name, record in analyses.items():
        out[name] = {}
        for analysis in _ANALYSES:
            if analysis not in record:
                raise ValueError(f"experiment {name!r}: analysis {analysis!r} is missing")
            out[name][analysis] = {}
            for sub in _FOLD_SUBSETS:
                if sub not in record[analysis]:
                    raise ValueError(f"experiment {name!r}, {analysis}: subset {sub!r} missing")
                values = np.asarray(record[analysis][sub], dtype=np.float64)
                if values.ndim != 1 or values.size == 0 or not np.all(np.isfinite(values)):
                    raise ValueError(
                        f"experiment {name!r}, {analysis}, {sub}: need a non-empty list of "
                        f"finite AMS values, got {record[analysis][sub]!r}"
                    )
                out[name][analysis][sub] = values
    return out


def _reference_lines(ax: Axes) -> None:
    ax.axhline(PAPER_CLAIM_AMS, color="black", linestyle="--", linewidth=1.1)
    ax.axhline(KAGGLE_WINNER_PRIVATE_AMS, color="tab:gray", linestyle=":", linewidth=1.3)


def plot_fold_distributions(
    analyses: Mapping[str, Mapping[str, Mapping[str, Sequence[float]]]],
    output: str | Path,
    *,
    title: str,
) -> None:
    """Per-fold public and private AMS of the two analyses of the claim, per experiment.

    ``analyses`` maps an experiment name to ``{"test_size": {"public": [...], "private":
    [...]}, "test_optimisation": {...}}`` (one value per test fold; REFERENCE.md section 4).
    Left panel: AMS at the validation cut in each fold (test-size hypothesis); right panel: the
    highest AMS reached by scanning the cut in each fold (test-set optimisation). Each subset is
    a box (quartiles, whiskers at 1.5 IQR) with every fold drawn as a point; dashed and dotted
    lines mark the paper's claim (3.979) and the Kaggle winner (3.806 private).

    Raises
    ------
    ValueError
        If an experiment lacks an analysis or subset, or holds no or non-finite values.
    """
    values = _fold_values(analyses)
    names = list(values)
    width = max(9.0, 1.6 * len(names) * 2 + 2.0)
    fig = Figure(figsize=(width, 4.8), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    for ax, (analysis, panel_title) in zip(axes, _ANALYSES.items(), strict=True):
        for offset, sub, colour in ((-0.2, "public", _PUBLIC), (0.2, "private", _PRIVATE)):
            data = [values[name][analysis][sub] for name in names]
            positions = np.arange(len(names), dtype=np.float64) + offset
            ax.boxplot(data, positions=positions, widths=0.32, patch_artist=True,
                       showfliers=False, medianprops={"color": "black"},
                       boxprops={"facecolor": colour, "alpha": 0.35})  # fmt: skip
            for pos, folds in zip(positions, data, strict=True):
                # Evenly spread, not random, so the figure is identical on every run.
                spread = np.linspace(-0.09, 0.09, folds.size) if folds.size > 1 else np.zeros(1)
                ax.plot(pos + spread, folds, "o", color=colour, markersize=3.5, alpha=0.9)
        _reference_lines(ax)
        ax.set_xticks(np.arange(len(names)), names, rotation=20 if len(names) > 3 else 0)
        ax.set_xlim(-0.6, len(names) - 0.4)
        ax.set_title(panel_title, fontsize=10)
        ax.set_xlabel("experiment")
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("AMS per test fold")
    handles = [
        Patch(facecolor=_PUBLIC, alpha=0.5, label="public (b) subset"),
        Patch(facecolor=_PRIVATE, alpha=0.5, label="private (v) subset"),
        Line2D([], [], color="black", linestyle="--",
               label=f"paper's claim {PAPER_CLAIM_AMS:.3f}"),
        Line2D([], [], color="tab:gray", linestyle=":",
               label=f"Kaggle winner {KAGGLE_WINNER_PRIVATE_AMS:.3f} (private)"),
    ]  # fmt: skip
    axes[1].legend(handles=handles, fontsize=8, loc="best")
    fig.suptitle(title, fontsize=12)
    _save(fig, output)


def _read_metrics(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: metrics file not found")
    frame = pd.read_csv(path)
    missing = [c for c in _CURVE_COLUMNS if c not in frame.columns]
    if missing:
        raise DataValidationError(
            path, f"missing column(s) {missing} of a training metrics file", column=missing[0]
        )
    if frame.empty:
        raise DataValidationError(path, "no epochs recorded (header only)")
    return frame


def _epoch_axis(frame: pd.DataFrame) -> NDArray[np.float64]:
    """Epochs as written, or a running count when they restart (a per-stage epoch counter)."""
    epoch: NDArray[np.float64] = frame["epoch"].to_numpy(dtype=np.float64)
    if epoch.size > 1 and not np.all(np.diff(epoch) > 0):
        return np.arange(epoch.size, dtype=np.float64)
    return epoch


def plot_training_curves(
    metrics_csvs: Mapping[str, str | Path], output: str | Path, *, title: str
) -> None:
    """Loss, validation AUC and validation maximum AMS against epoch, one line colour per run.

    ``metrics_csvs`` maps a run label (e.g. ``"exp/seed_0"``) to its ``metrics.csv`` (columns
    ``epoch``, ``train_loss``, ``val_loss``, ``val_auc``, ``val_ams_max``; others ignored).
    Train loss is solid and validation loss dashed. If a ``stage`` column is present, a dotted
    vertical line in the run's colour marks each change of stage (frozen -> unfrozen), and
    epochs that restart per stage are replaced by a running count.

    Raises
    ------
    FileNotFoundError
        If a metrics file does not exist.
    DataValidationError
        If a file lacks a needed column or holds no epochs.
    """
    if not metrics_csvs:
        raise ValueError("no runs to plot: metrics_csvs is empty")
    fig = Figure(figsize=(13, 4.6), layout="constrained")
    loss_ax, auc_ax, ams_ax = fig.subplots(1, 3)
    colours = [f"C{i % 10}" for i in range(len(metrics_csvs))]
    any_stage = False
    for (label, path), colour in zip(metrics_csvs.items(), colours, strict=True):
        frame = _read_metrics(Path(path))
        x = _epoch_axis(frame)
        loss_ax.plot(x, frame["train_loss"], "-o", color=colour, markersize=3,
                     label=f"{label} train")  # fmt: skip
        loss_ax.plot(x, frame["val_loss"], "--s", color=colour, markersize=3,
                     label=f"{label} val")  # fmt: skip
        auc_ax.plot(x, frame["val_auc"], "-o", color=colour, markersize=3, label=label)
        ams_ax.plot(x, frame["val_ams_max"], "-o", color=colour, markersize=3, label=label)
        if "stage" in frame.columns:
            stage = frame["stage"].astype(str).to_numpy()
            for change in np.flatnonzero(stage[1:] != stage[:-1]) + 1:
                any_stage = True
                for ax in (loss_ax, auc_ax, ams_ax):
                    ax.axvline((x[change - 1] + x[change]) / 2, color=colour, linestyle=":",
                               linewidth=1.0)  # fmt: skip
    panels = ((loss_ax, "loss (cross-entropy)", "loss: train solid, validation dashed"),
              (auc_ax, "validation ROC AUC", "validation AUC (unweighted)"),
              (ams_ax, "validation AMS, best cut", "validation maximum AMS"))  # fmt: skip
    for ax, ylabel, panel_title in panels:
        ax.set_xlabel("epoch" + (" (dotted: stage change)" if any_stage else ""))
        ax.set_ylabel(ylabel)
        ax.set_title(panel_title, fontsize=10)
        ax.grid(alpha=0.3)
    loss_ax.legend(fontsize=7, loc="best")
    ams_ax.legend(fontsize=7, loc="best")
    fig.suptitle(title, fontsize=12)
    _save(fig, output)
