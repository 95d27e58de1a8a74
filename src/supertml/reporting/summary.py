"""The summary table: one row per (experiment, seed) and per baseline, as CSV and Markdown."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from supertml.constants import KAGGLE_SET_SIZES, NB_TOTAL, NS_TOTAL, SUBSETS
from supertml.io import atomic_path, read_json, write_table
from supertml.minimums import small_subsets_note
from supertml.published import PAPER_CLAIM_AMS, STUDY_BEST
from supertml.reporting.records import b_reg_text, setting_values

__all__ = ["SUMMARY_COLUMNS", "collect_scores", "render_markdown", "write_summary"]

#: Columns of summary.csv, in order: identity, what was run, then the scores.
SUMMARY_COLUMNS: tuple[str, ...] = (
    "experiment",
    "kind",
    "seed",
    "encoding",
    "model",
    "recipe",
    "val_auc",
    "min_pred",
    "cut",
    "val_ams_at_cut",
    "val_ams_max",
    "val_ams_max_cut",
    "public_ams",
    "private_ams",
    "public_ams_max",
    "private_ams_max",
    "public_ams_br0",
    "private_ams_br0",
    "n_val",
    "n_public",
    "n_private",
)

#: The claim and the study's best results, for context (REFERENCE.md sections 1 and 5).
REFERENCE_LINES = (
    f"Paper's claim (Sun et al. 2019, SuperTML, arXiv 1903.06246): AMS {PAPER_CLAIM_AMS:.3f}.",
    "Reproduction study's best image result (Strong 2019/2020, SE-ResNet50, 56 px pixels, "
    f"DER-ordered, signal duplicated): public {STUDY_BEST.public:.3f} / private "
    f"{STUDY_BEST.private:.3f} on the full test set.",
)


def collect_scores(score_files: Sequence[str | Path]) -> pd.DataFrame:
    """Read score JSON files into one frame in :data:`SUMMARY_COLUMNS` order."""
    rows: list[dict[str, Any]] = []
    for path in score_files:
        record = read_json(path)
        missing = [c for c in SUMMARY_COLUMNS if c not in record]
        if missing:
            raise ValueError(f"{path}: score file lacks {', '.join(missing)}")
        rows.append({c: record[c] for c in SUMMARY_COLUMNS})
    frame = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    return frame.sort_values(["kind", "experiment", "seed"], ignore_index=True)


def _fmt(value: Any, digits: int = 3) -> str:
    if isinstance(value, float | np.floating):
        return "nan" if np.isnan(value) else f"{value:.{digits}f}"
    return str(value)


def render_markdown(
    frame: pd.DataFrame, split_summary: Mapping[str, Any], *, b_reg: Sequence[float]
) -> str:
    """A readable Markdown page: the data the numbers come from, then the table.

    ``b_reg``: the regularisation term(s) the runs were scored with (their score files).
    """
    shown = [
        "experiment",
        "kind",
        "seed",
        "encoding",
        "model",
        "val_auc",
        "cut",
        "val_ams_at_cut",
        "val_ams_max",
        "public_ams",
        "private_ams",
        "public_ams_max",
        "private_ams_max",
    ]
    splits = split_summary.get("splits", {})
    counts = ", ".join(f"{name} {splits[name]['events']}" for name in SUBSETS if name in splits)
    lines = [
        f"# AMS summary: {split_summary.get('dataset', '')}",
        "",
        f"Source file: `{split_summary.get('source', '')}`. Events per subset: {counts}.",
        "",
    ]
    if (small := small_subsets_note(split_summary)) is not None:
        lines += [f"**{small}**", ""]
    if split_summary.get("weight_scheme") == "per_class":
        lines += [
            "The file has no labelled Kaggle test rows, so a pseudo test set was carved out "
            f"(public:private = {KAGGLE_SET_SIZES['b'] // 1000}:{KAGGLE_SET_SIZES['v'] // 1000}) "
            "and weights were rescaled per subset and class to the challenge totals "
            f"(Ns = {NS_TOTAL:.2f}, Nb = {NB_TOTAL:.2f}). AMS values are on the challenge "
            "scale but come from few events, so they fluctuate strongly (above all the "
            "maxima, where a handful of background events sets b): read them as a "
            "demonstration of the pipeline, not as a measurement.",
            "",
        ]
    lines += [
        f"AMS with {b_reg_text(b_reg)} (REFERENCE.md section 3). `cut` is chosen on validation "
        "by the "
        "study's method (mean score of the top-ranked events by AMS); `public_ams` and "
        "`private_ams` are at that cut. The `*_max` columns scan the cut on the test subset "
        "itself: test-set optimisation, not a legitimate score.",
        "",
        "| " + " | ".join(shown) + " |",
        "|" + "|".join("---" for _ in shown) + "|",
    ]
    for _, row in frame.iterrows():
        lines.append("| " + " | ".join(_fmt(row[c]) for c in shown) + " |")
    lines += ["", *(f"- {line}" for line in REFERENCE_LINES), ""]
    return "\n".join(lines)


def write_summary(
    score_files: Sequence[str | Path],
    split_summary: Mapping[str, Any],
    *,
    csv_path: str | Path,
    markdown_path: str | Path,
) -> pd.DataFrame:
    """Collect the score files and write ``summary.csv`` and ``summary.md`` atomically."""
    frame = collect_scores(score_files)
    b_reg = setting_values((read_json(path) for path in score_files), "b_reg")
    write_table(csv_path, frame)
    with atomic_path(markdown_path) as tmp:
        tmp.write_text(render_markdown(frame, split_summary, b_reg=b_reg))
    return frame
