"""Tables and reports built from score files."""

from supertml.reporting.report import (
    BOOTSTRAP_UNC,
    SEED_UNC,
    analyses_table,
    bootstrap_max_ams,
    bootstrap_run,
    dataset_note,
    experiment_summaries,
    intervals_table,
    markdown_to_html,
    plot_fold_figure,
    plot_run_figures,
    plot_training_runs,
    report_markdown,
    run_intervals,
    write_verdict,
)
from supertml.reporting.summary import (
    SUMMARY_COLUMNS,
    collect_scores,
    render_markdown,
    write_summary,
)

__all__ = [
    "BOOTSTRAP_UNC",
    "SEED_UNC",
    "SUMMARY_COLUMNS",
    "analyses_table",
    "bootstrap_max_ams",
    "bootstrap_run",
    "collect_scores",
    "dataset_note",
    "experiment_summaries",
    "intervals_table",
    "markdown_to_html",
    "plot_fold_figure",
    "plot_run_figures",
    "plot_training_runs",
    "render_markdown",
    "report_markdown",
    "run_intervals",
    "write_summary",
    "write_verdict",
]
