"""Steps of ``workflow/rules/report.smk``: per-run figures, the data set's figures, the verdict.

Matplotlib comes in with :mod:`supertml.reporting.figures`, which only these steps import.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from supertml.constants import TEST_SUBSETS
from supertml.io import atomic_path, read_json, write_table
from supertml.metrics.scoring import read_predictions
from supertml.reporting import figures
from supertml.reporting.html import markdown_to_html
from supertml.reporting.page import comparable_with_claim, dataset_note, report_markdown
from supertml.reporting.records import read_run_records, run_key, setting_values
from supertml.reporting.summary import collect_scores
from supertml.reporting.tables import analyses_table, experiment_summaries, intervals_table
from supertml.reporting.verdict import verdict_rows

__all__ = [
    "plot_efficiency",
    "plot_fold_distributions",
    "plot_run",
    "plot_training_curves",
    "pooled_fold_values",
    "write_verdict",
]


def plot_run(
    predictions_path: str | Path,
    score_path: str | Path,
    *,
    b_reg: float,
    scores_output: str | Path,
    ams_output: str | Path,
) -> None:
    """Validation score distributions and validation AMS against the cut of one run.

    The cut marked in both figures is the validation cut of the run's score file, so the figures
    show exactly the selection the test AMS values were computed with (REFERENCE.md section 3).
    """
    frame = read_predictions(predictions_path)
    score = read_json(score_path)
    if "cut" not in score:
        raise ValueError(f"{score_path}: score file lacks the validation 'cut'")
    cut = float(score["cut"])
    run = f"{score.get('experiment', '?')}, seed {score.get('seed', '?')}"
    figures.plot_score_distributions(
        frame,
        scores_output,
        title=f"{run}: validation scores (weighted, log scale)",
        cut=cut,
        subset="val",
        source=predictions_path,
    )
    figures.plot_ams_vs_cut(
        frame,
        ams_output,
        cut=cut,
        title=f"{run}: validation AMS against the cut",
        b_reg=b_reg,
        subset="val",
        source=predictions_path,
    )


def plot_training_curves(
    labels: Sequence[str], metrics_paths: Sequence[str | Path], *, output: str | Path, title: str
) -> None:
    """Training curves of every CNN run in one figure; ``labels[i]`` names ``metrics_paths[i]``."""
    if len(labels) != len(metrics_paths):
        raise ValueError(f"{len(labels)} labels for {len(metrics_paths)} metrics files")
    figures.plot_training_curves(dict(zip(labels, metrics_paths, strict=True)), output, title=title)


def pooled_fold_values(
    analysis_paths: Sequence[str | Path],
) -> dict[str, dict[str, dict[str, list[float]]]]:
    """Per experiment, the fold AMS values of both analyses, pooled over its seeds."""
    pooled: dict[str, dict[str, dict[str, list[float]]]] = {}
    for (experiment, _), record in sorted(read_run_records(analysis_paths, "analysis").items()):
        entry = pooled.setdefault(experiment, {})
        for analysis in ("test_size", "test_optimisation"):
            if analysis not in record:
                raise ValueError(f"{record['_source']}: lacks the {analysis!r} analysis")
            for subset in TEST_SUBSETS:
                values = record[analysis][subset]["ams"]["values"]
                entry.setdefault(analysis, {}).setdefault(subset, []).extend(values)
    return pooled


def plot_fold_distributions(
    analysis_paths: Sequence[str | Path], *, output: str | Path, title: str
) -> None:
    """Per-fold AMS of both analyses of the claim, every experiment, folds pooled over seeds."""
    if not analysis_paths:
        raise ValueError("no analysis files to plot")
    figures.plot_fold_distributions(pooled_fold_values(analysis_paths), output, title=title)


def _run_provenance(path: str | Path) -> tuple[str, dict[str, Any] | None]:
    """``(<run>/seed_<seed>, provenance or None)`` of one training record."""
    record = Path(path)
    label = f"{record.parent.parent.name}/{record.parent.name}"
    provenance = read_json(record).get("provenance")
    return label, provenance


def plot_efficiency(
    prediction_paths: Sequence[str | Path],
    labels: Sequence[str],
    *,
    b_reg: float,
    title: str,
    roc_output: str | Path,
    ams_output: str | Path,
) -> None:
    """Every run's weighted ROC curve (AUC in the legend) and AMS against signal efficiency,
    on the private test events: the subset that ranked the challenge; nothing is chosen from
    these curves."""
    from supertml.reporting.efficiency import plot_efficiency as draw  # noqa: PLC0415 (mplhep)

    frames = [read_predictions(path) for path in prediction_paths]
    draw(frames, labels, subset="private", b_reg=b_reg, title=title,
         roc_output=roc_output, ams_output=ams_output)  # fmt: skip


def write_verdict(
    score_paths: Sequence[str | Path],
    analysis_paths: Sequence[str | Path],
    interval_paths: Sequence[str | Path],
    split_summary_path: str | Path,
    *,
    dataset: str,
    markdown_path: str | Path,
    html_path: str | Path,
    verdict_csv: str | Path,
    analyses_csv: str | Path,
    intervals_csv: str | Path,
    study_rows: Mapping[str, str] | None = None,
    conditions: str | None = None,
    record_paths: Sequence[str | Path] = (),
    applied_paths: Sequence[str | Path] = (),
) -> str:
    """Write the verdict page (Markdown and HTML) and its three tables as CSV; return the page.

    ``conditions``: the study's conditions beside the config's, as Markdown
    (:func:`supertml.conditions.conditions_markdown`), shown under the comparison table.
    ``record_paths``: each run's training record (``.../runs/<run>/seed_<seed>/<file>.json``),
    whose ``provenance`` the page lists per run. ``applied_paths``: the scores JSON of each
    run applied to other events (``score_applied``), listed in section 6.

    ``verdict_csv``: the claim-vs-study-vs-this-run rows
    (:func:`~supertml.reporting.verdict.verdict_rows`); ``analyses_csv`` and ``intervals_csv``:
    :func:`~supertml.reporting.tables.analyses_table` and ``intervals_table``. Every
    score file needs the analysis and interval files of the same (experiment, seed).
    """
    if not score_paths:
        raise ValueError("no score files: nothing to report")
    scores = collect_scores(score_paths)
    score_records = [read_json(path) for path in score_paths]
    analyses = read_run_records(analysis_paths, "analysis")
    intervals = read_run_records(interval_paths, "interval file")
    wanted = {run_key(r, p) for r, p in zip(score_records, score_paths, strict=True)}
    for have, what in ((analyses, "analysis"), (intervals, "interval")):
        missing = sorted(wanted - set(have))
        if missing:
            raise ValueError(f"no {what} file for run(s) {missing}")
    split_summary = read_json(split_summary_path)
    results = experiment_summaries(score_records, analyses, study_rows=study_rows)
    comparable = comparable_with_claim(dataset, split_summary)
    analysis_frame = analyses_table(analyses, intervals)
    interval_frame = intervals_table(analyses, intervals)
    page = report_markdown(
        dataset,
        results,
        analyses=analysis_frame,
        intervals=interval_frame,
        scores=scores,
        analysis_records=analyses,
        note=dataset_note(dataset, split_summary),
        b_reg=setting_values(score_records, "b_reg"),
        comparable=comparable,
        conditions=conditions,
        provenance=[_run_provenance(path) for path in record_paths],
        applied=[read_json(path) for path in applied_paths],
    )
    with atomic_path(markdown_path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    with atomic_path(html_path) as tmp:
        tmp.write_text(markdown_to_html(page, title=f"SuperTML verdict: {dataset}"),
                       encoding="utf-8")  # fmt: skip
    write_table(verdict_csv, pd.DataFrame(verdict_rows(results, comparable=comparable)))
    write_table(analyses_csv, analysis_frame)
    write_table(intervals_csv, interval_frame)
    return page
