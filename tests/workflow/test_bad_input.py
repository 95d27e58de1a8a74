"""A bad event file stops the workflow with a message naming the file, and leaves nothing."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from tests.workflow.helpers import SAMPLE, run_snakemake, tiny_config

pytestmark = pytest.mark.workflow


def test_negative_weight_stops_the_run_and_names_file_line_and_column(tmp_path: Path) -> None:
    with gzip.open(SAMPLE, "rt") as handle:
        lines = handle.read().splitlines()
    fields = lines[41].split(",")
    fields[-1] = "-1.5"  # KaggleWeight of the event on line 42
    lines[41] = ",".join(fields)
    broken = tmp_path / "broken.csv"
    broken.write_text("\n".join(lines) + "\n")

    result = run_snakemake(tmp_path, tiny_config(broken), "--cores", "1", check=False)

    assert result.returncode != 0
    assert f"{broken}, line 42, column 'KaggleWeight'" in result.stderr
    assert "-1.5" in result.stderr
    # No split (or anything after it) may be left behind for a later run to trust.
    assert not list((tmp_path / "results").rglob("*.parquet"))
    assert not list((tmp_path / "results").rglob("summary.json"))
