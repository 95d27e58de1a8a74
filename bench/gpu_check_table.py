"""The Markdown table of a ``bench/gpu_check.sh`` run: one row per step's JSON file.

python bench/gpu_check_table.py bench/results/gpu_check_gpu_<stamp> > summary.md
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["main", "row"]

#: The figures shown per kind of step, in order (others stay in the JSON).
_FIGURES = (
    ("train_img_per_s_project", "project img/s"),
    ("train_img_per_s_bare", "bare img/s"),
    ("train_ratio_project_over_bare", "project / bare"),
    ("train_wall_s", "train wall s"),
    ("train_img_per_s_overall", "train img/s overall"),
    ("final_val_auc", "final val AUC"),
    ("events_scored", "events scored"),
    ("elapsed_s", "scoring s so far"),
    ("score_events", "events scored"),
    ("score_wall_s", "score wall s"),
    ("score_events_per_s", "score events/s"),
    ("score_img_per_s", "score img/s"),
    ("read_alone_events_per_s", "read-alone events/s"),
)


def row(result: dict[str, Any]) -> str:
    """One table row: step, status, seconds, then the figures the step reported."""
    figures = "; ".join(
        f"{label} {result[key]}" for key, label in _FIGURES if result.get(key) is not None
    )
    setup = ", ".join(
        f"{key} {result[key]}"
        for key in ("device", "model", "size", "batch_size", "compile", "precision")
        if key in result
    )
    return (
        f"| {result.get('step', '?')} | {result.get('status', '?')} | "
        f"{result.get('seconds', '-')} | {setup} | {figures or '-'} |"
    )


def main(argv: list[str] | None = None) -> None:
    """Print the table of the run in the directory given."""
    directory = Path((argv or sys.argv[1:])[0])
    lines = [
        f"# `bench/gpu_check.sh`: {directory.name}",
        "",
        "| step | status | s | setup | figures |",
        "|---|---|---|---|---|",
    ]
    for path in sorted(directory.glob("*.json")):
        lines.append(row(json.loads(path.read_text())))
    environment = directory / "environment.txt"
    if environment.exists():
        lines += ["", "Environment:", "", "```", environment.read_text().strip(), "```"]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
