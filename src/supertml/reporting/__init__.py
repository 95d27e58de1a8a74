"""What the workflow writes for people to read, built from the per-run records.

- :mod:`~supertml.reporting.summary`: the summary table (``summary.csv``/``.md``);
- :mod:`~supertml.reporting.records`: reading the per-run JSON records;
- :mod:`~supertml.reporting.tables`: the verdict's tables (results, analyses, intervals);
- :mod:`~supertml.reporting.verdict`: the claim-vs-study-vs-this-run table and verdict line;
- :mod:`~supertml.reporting.page`: the verdict page in Markdown,
  :mod:`~supertml.reporting.html` its HTML;
- :mod:`~supertml.reporting.figures` and :mod:`~supertml.reporting.panels`: every figure
  (matplotlib; not imported here).

The published numbers they quote live in :mod:`supertml.published`.
"""

from supertml.reporting.summary import (
    SUMMARY_COLUMNS,
    collect_scores,
    render_markdown,
    write_summary,
)

__all__ = ["SUMMARY_COLUMNS", "collect_scores", "render_markdown", "write_summary"]
