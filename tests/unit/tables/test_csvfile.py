"""read_raw_csv: stripped cells, and the 1-based file line of every row."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from supertml.errors import DataValidationError
from supertml.tables.csvfile import read_raw_csv

from .conftest import ADULT_COLUMNS, ADULT_TEST, ADULT_TRAIN, WriteLines


def test_no_header_whitespace_and_blank_lines(write_lines: WriteLines) -> None:
    path = write_lines("adult.data", ADULT_TRAIN)
    raw = read_raw_csv(path, columns=ADULT_COLUMNS, header=False, skip_rows=0, sep=",")
    assert raw.columns == tuple(ADULT_COLUMNS)
    assert raw.cells.shape == (6, 5)
    np.testing.assert_array_equal(raw.lines, [1, 2, 3, 4, 5, 6])
    np.testing.assert_array_equal(raw.cells[5], ["37", "Private", "", "40", ">50K"])
    np.testing.assert_array_equal(raw.column("hours"), ["40", "13", "?", "40", "40", "40"])


def test_stray_line_header_and_lines_after_blank_and_quoted_rows(write_lines: WriteLines) -> None:
    path = write_lines(
        "t.csv",
        [
            "exported by some tool, 2019",  # 1: stray
            " x , label ",  # 2: header
            "1.5, a",  # 3
            "   ",  # 4: whitespace only
            "",  # 5
            '"2,5", "b"',  # 6
            '"3\n.5", c',  # 7-8: a quoted field spanning two lines
            "4, d",  # 9
        ],
    )
    raw = read_raw_csv(path, columns=None, header=True, skip_rows=1, sep=",")
    assert raw.columns == ("x", "label")
    np.testing.assert_array_equal(raw.lines, [3, 6, 7, 9])
    np.testing.assert_array_equal(raw.column("x"), ["1.5", "2,5", "3\n.5", "4"])


def test_given_names_replace_the_header(write_lines: WriteLines) -> None:
    path = write_lines("t.csv", ["A,B", "1,2"])
    raw = read_raw_csv(path, columns=["a", "b"], header=True, skip_rows=0, sep=",")
    assert raw.columns == ("a", "b")
    np.testing.assert_array_equal(raw.lines, [2])


def test_gzip_and_other_separator(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("x\ty\n1\t2\n")
    raw = read_raw_csv(path, columns=None, header=True, skip_rows=0, sep="\t")
    np.testing.assert_array_equal(raw.cells, [["1", "2"]])


def test_wrong_field_count_names_the_line(write_lines: WriteLines) -> None:
    lines = [*ADULT_TEST[:3], "28, Self-emp, 336951, >50K.", "29, Private, 1, 40, >50K., 9"]
    path = write_lines("adult.test", lines)
    with pytest.raises(
        DataValidationError, match=r"expected 5 fields .* found 4 \(2 bad row\(s\) in all\)"
    ) as info:
        read_raw_csv(path, columns=ADULT_COLUMNS, header=False, skip_rows=1, sep=",")
    assert (info.value.path, info.value.line) == (path, 4)
    assert "line 4" in str(info.value)


def test_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "absent.csv"
    with pytest.raises(FileNotFoundError, match=r"absent\.csv: table file not found"):
        read_raw_csv(path, columns=None, header=True, skip_rows=0, sep=",")


def test_absent_column_is_named(write_lines: WriteLines) -> None:
    raw = read_raw_csv(
        write_lines("t.csv", ["a,b", "1,2"]), columns=None, header=True, skip_rows=0, sep=","
    )
    with pytest.raises(DataValidationError, match=r"t\.csv: no column 'c'; the columns are"):
        raw.column("c")


@pytest.mark.parametrize(
    ("lines", "columns", "message"),
    [
        (["", "  "], None, "no header row"),
        (["a,b"], None, "no data rows"),
        (["a,a", "1,2"], None, "empty or duplicate column names"),
        (["a,,c", "1,2,3"], None, "empty or duplicate column names"),
        (["a,b", "1,2"], ["x", "y", "z"], "the header has 2 columns but 3 names"),
    ],
)
def test_bad_files(
    write_lines: WriteLines, lines: list[str], columns: list[str] | None, message: str
) -> None:
    path = write_lines("bad.csv", lines)
    with pytest.raises(DataValidationError, match=message) as info:
        read_raw_csv(path, columns=columns, header=True, skip_rows=0, sep=",")
    assert info.value.path == path


def test_undecodable_text(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("a,b\ncaf\u00e9,1\n".encode("latin-1"))
    with pytest.raises(DataValidationError, match="not UTF-8 text"):
        read_raw_csv(path, columns=None, header=True, skip_rows=0, sep=",")
