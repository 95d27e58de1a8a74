"""The per-run JSON records (scores, analyses, intervals) keyed by (experiment, seed)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from supertml.io import read_json

__all__ = ["Record", "b_reg_text", "read_run_records", "run_key", "setting_values"]

#: One run's JSON record as read from its file.
Record = Mapping[str, Any]


def run_key(record: Record, source: str | Path) -> tuple[str, int]:
    """``(experiment, seed)`` of a run record; an error naming ``source`` if either is missing."""
    missing = [k for k in ("experiment", "seed") if k not in record]
    if missing:
        raise ValueError(f"{source}: lacks the run identity key(s) {missing}")
    return str(record["experiment"]), int(record["seed"])


def read_run_records(
    paths: Sequence[str | Path], what: str
) -> dict[tuple[str, int], dict[str, Any]]:
    """JSON records keyed by (experiment, seed), each remembering its file as ``_source``."""
    runs: dict[tuple[str, int], dict[str, Any]] = {}
    for path in paths:
        record = read_json(path)
        key = run_key(record, path)
        if key in runs:
            raise ValueError(
                f"{path}: {what} of {key[0]} seed {key[1]} given twice "
                f"(also {runs[key]['_source']})"
            )
        runs[key] = {**record, "_source": str(path)}
    return runs


def setting_values(records: Iterable[Record], key: str) -> list[float]:
    """The distinct values of one scoring setting (``b_reg``, ``top_perc``, ``min_pred``) over
    run records, sorted: what the page says was used, read from the runs, never assumed."""
    values = {float(record[key]) for record in records if key in record}
    if not values:
        raise ValueError(f"no run record states its {key!r}")
    return sorted(values)


def b_reg_text(values: Sequence[float]) -> str:
    """``b_r = 10``, or ``b_r = 5 / 10 (by experiment)`` when runs used several."""
    shown = " / ".join(f"{value:g}" for value in values)
    return f"b_r = {shown}" + (" (by experiment)" if len(values) > 1 else "")
