"""config/higgsml.yaml against the study's run-by-run conditions (REFERENCE.md "Run by run")."""

from __future__ import annotations

from pathlib import Path

import pytest

from supertml.config import load_config
from supertml.grid import Grid
from supertml.published import STUDY_MIN_PRED

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def grid() -> Grid:
    return Grid(load_config(REPO / "config/higgsml.yaml"))


def test_every_study_run_cuts_with_its_notebooks_min_pred(grid: Grid) -> None:
    rows = grid.study_rows()
    assert rows, "config/higgsml.yaml names no study row"
    for name, row in rows.items():
        assert grid.scoring(name)["min_pred"] == STUDY_MIN_PRED[row], name


def test_the_challenges_b_r_scores_every_row(grid: Grid) -> None:
    assert {grid.scoring(name)["b_reg"] for name in grid.runs} == {10}
