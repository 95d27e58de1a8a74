"""Messy CSV tables written to tmp_path: the quirks of UCI's Adult in a few lines each."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

# Adult's layout in miniature: no header, a space after each comma, '?' and empty cells for
# missing values, a trailing blank line. Line numbers (1-based) are noted for the tests.
ADULT_TRAIN = [
    "39, State-gov, 77516, 40, <=50K",  # line 1
    "50, Self-emp, 83311, 13, <=50K",  # line 2
    "38, Private, 215646, ?, <=50K",  # line 3: hours missing ('?')
    "53, Private, 234721, 40, >50K",  # line 4
    "28, ?, 338409, 40, >50K",  # line 5: workclass missing
    " 37 ,Private,  , 40 , >50K ",  # line 6: fnlwgt empty, stray whitespace
    "",
]
# The test file: a stray first line, labels spelled with a trailing '.', a category the
# training file lacks (Local-gov).
ADULT_TEST = [
    "|1x3 Cross validator",  # line 1
    "25, Private, 226802, 40, <=50K.",  # line 2
    "38, Local-gov, 89814, 50, >50K.",  # line 3
    "28, Self-emp, 336951, 40, >50K.",  # line 4
    "",
]
ADULT_COLUMNS = ["age", "workclass", "fnlwgt", "hours", "income"]


WriteLines = Callable[[str, Sequence[str]], Path]


@pytest.fixture
def write_lines(tmp_path: Path) -> WriteLines:
    """Write lines (joined with newlines) to a file named ``name`` under tmp_path."""

    def write(name: str, lines: Sequence[str]) -> Path:
        path = tmp_path / name
        path.write_text("\n".join(lines), encoding="utf-8")
        return path

    return write


@pytest.fixture
def adult_like(write_lines: WriteLines) -> dict[str, Any]:
    """A config entry for the Adult-like train/test files."""
    return {
        "source": "csv",
        "path": str(write_lines("adult.data", ADULT_TRAIN)),
        "test_path": str(write_lines("adult.test", ADULT_TEST)),
        "header": False,
        "columns": ADULT_COLUMNS,
        "test_skip_rows": 1,
        "target": "income",
        "categorical": ["workclass"],
        "label_map": {"<=50K.": "<=50K", ">50K.": ">50K"},
    }
