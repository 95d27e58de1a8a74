"""Tables and reports built from score files."""

from supertml.reporting.summary import (
    SUMMARY_COLUMNS,
    collect_scores,
    render_markdown,
    write_summary,
)

__all__ = ["SUMMARY_COLUMNS", "collect_scores", "render_markdown", "write_summary"]
