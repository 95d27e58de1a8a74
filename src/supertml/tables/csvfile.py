"""Read a messy CSV file into stripped text cells that remember their line in the file.

Python's ``csv`` module tokenises (in C) and reports the line each row ends on, so every later
error can name the 1-based line a user opens the file at, even after skipped stray lines, blank
lines or quoted fields that span lines. pandas' reader was not used because it pads short rows
with empty strings (indistinguishable from empty fields) and silently drops data when the first
row is longer than the names. The row loop only collects tokens; the tables this serves (Iris,
Wine, Adult: at most tens of thousands of rows) are read once per workflow run.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np
import numpy.typing as npt

from supertml.errors import DataValidationError

__all__ = ["RawTable", "read_raw_csv"]


@dataclass(frozen=True, eq=False)
class RawTable:
    """Text cells of a CSV file, whitespace stripped, blank lines dropped.

    ``cells[i, j]`` is column ``columns[j]`` of data row i, which sits on file line
    ``lines[i]`` (1-based, counting skipped and blank lines; a quoted field spanning lines gives
    the row's first line).
    """

    path: Path
    columns: tuple[str, ...]
    cells: npt.NDArray[np.str_]
    lines: npt.NDArray[np.int64]

    def column(self, name: str) -> npt.NDArray[np.str_]:
        """One column's cells; a ``DataValidationError`` naming the file if it is absent."""
        if name not in self.columns:
            raise DataValidationError(
                self.path, f"no column {name!r}; the columns are {list(self.columns)}"
            )
        result: npt.NDArray[np.str_] = self.cells[:, self.columns.index(name)]
        return result


def _open(path: Path) -> TextIO:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


def read_raw_csv(
    path: Path,
    *,
    columns: Sequence[str] | None,
    header: bool,
    skip_rows: int,
    sep: str,
) -> RawTable:
    """Tokenise ``path`` (plain or ``.gz``, UTF-8) into stripped cells with their line numbers.

    The first ``skip_rows`` lines are skipped as they are (a stray line may hold anything).
    With ``header`` the next row gives the column names, replaced by ``columns`` if given (the
    counts must agree). Lines that are empty or only whitespace are dropped wherever they are
    (UCI files end with one). Every other row must have one field per column.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist (the message names it).
    DataValidationError
        Naming the file and line for: undecodable text, a row with the wrong number of fields,
        no header row, duplicate or empty column names, no data rows at all.
    """
    if not path.is_file():
        raise FileNotFoundError(f"{path}: table file not found")
    rows: list[list[str]] = []
    lines: list[int] = []
    end = skip_rows  # line the previous row ended on
    try:
        with _open(path) as handle:
            for _ in range(skip_rows):
                handle.readline()
            reader = csv.reader(handle, delimiter=sep)
            for row in reader:
                if any(cell.strip() for cell in row):
                    rows.append(row)
                    lines.append(end + 1)
                end = skip_rows + reader.line_num
    except UnicodeDecodeError as exc:
        raise DataValidationError(path, f"not UTF-8 text: {exc}") from exc
    except csv.Error as exc:
        raise DataValidationError(path, f"malformed CSV: {exc}", line=end + 1) from exc
    names = _column_names(path, rows, lines, columns, header=header)
    if header:
        rows, lines = rows[1:], lines[1:]
    if not rows:
        raise DataValidationError(path, "no data rows")
    widths = np.fromiter((len(row) for row in rows), dtype=np.int64, count=len(rows))
    wrong = np.flatnonzero(widths != len(names))
    if wrong.size:
        first = int(wrong[0])
        raise DataValidationError(
            path,
            f"expected {len(names)} fields ({', '.join(names)}), found {widths[first]}"
            f" ({wrong.size} bad row(s) in all)",
            line=lines[first],
        )
    cells = np.char.strip(np.array(rows, dtype=np.str_))
    return RawTable(path=path, columns=names, cells=cells, lines=np.asarray(lines, dtype=np.int64))


def _column_names(
    path: Path,
    rows: list[list[str]],
    lines: list[int],
    columns: Sequence[str] | None,
    *,
    header: bool,
) -> tuple[str, ...]:
    if not header:
        assert columns is not None  # TableSpec guarantees it
        return tuple(columns)
    if not rows:
        raise DataValidationError(path, "no header row: the file is empty after skipped lines")
    found = tuple(cell.strip() for cell in rows[0])
    if columns is not None:
        if len(columns) != len(found):
            raise DataValidationError(
                path,
                f"the header has {len(found)} columns but {len(columns)} names were given",
                line=lines[0],
            )
        return tuple(columns)
    duplicates = sorted({name for name in found if found.count(name) > 1})
    if duplicates or "" in found:
        raise DataValidationError(
            path, f"empty or duplicate column names in the header: {list(found)}", line=lines[0]
        )
    return found
