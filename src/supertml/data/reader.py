"""Read and validate the ATLAS Higgs ML challenge CSV files.

One topic, hence one module of about 500 lines: every check of the three layouts and the
error messages that point at a file's line and column.

Three layouts are recognised from the header (REFERENCE.md section 2):

- ``opendata``: CERN Open Data record 328, ``atlas-higgs-challenge-2014-v2.csv``
  (``EventId``, 30 features, ``Weight``, ``Label``, ``KaggleSet``, ``KaggleWeight``);
- ``kaggle_training``: Kaggle ``training.csv`` (``EventId``, 30 features, ``Weight``, ``Label``);
- ``kaggle_test``: Kaggle ``test.csv`` (``EventId``, 30 features; no labels, no weights).

Every check is vectorised over whole columns: pandas parses the file once, numpy finds the first
bad row of a failing column. Only when a value is missing do we re-read raw lines (an error path)
to tell a short row from an empty field.
"""

from __future__ import annotations

import csv
import gzip
import re
import warnings
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, NoReturn, TextIO

import numpy as np
import numpy.typing as npt
import pandas as pd

from supertml.constants import FEATURES
from supertml.errors import DataValidationError

__all__ = [
    "KAGGLE_SET_CODES",
    "LABEL_CODES",
    "SOURCE_COLUMNS",
    "EventTable",
    "read_events",
    "read_layout",
]

SourceFormat = Literal["opendata", "kaggle_training", "kaggle_test"]

#: Columns of each recognised file layout, in file order.
SOURCE_COLUMNS: Final[dict[SourceFormat, tuple[str, ...]]] = {
    "opendata": ("EventId", *FEATURES, "Weight", "Label", "KaggleSet", "KaggleWeight"),
    "kaggle_training": ("EventId", *FEATURES, "Weight", "Label"),
    "kaggle_test": ("EventId", *FEATURES),
}

#: Integer code of each label: signal 1, background 0.
LABEL_CODES: Final[dict[str, int]] = {"s": 1, "b": 0}

#: Kaggle sets of the Open Data file: training, public and private leaderboard, unused.
KAGGLE_SET_CODES: Final[tuple[str, ...]] = ("t", "b", "v", "u")

_TEXT_COLUMNS: Final[frozenset[str]] = frozenset({"Label", "KaggleSet"})
_WEIGHT_COLUMNS: Final[frozenset[str]] = frozenset({"Weight", "KaggleWeight"})
# Data row i (0-based) sits on file line i + 2: line 1 is the header, and blank lines are kept
# as rows (skip_blank_lines=False) so that this mapping holds.
_FIRST_DATA_LINE: Final[int] = 2
_GZIP_MAGIC: Final[bytes] = b"\x1f\x8b"
_PARSER_ERROR = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


@dataclass(frozen=True)
class EventTable:
    """A validated challenge table in the project's column layout.

    ``frame`` columns, in order: ``event_id`` (int64), the 30 ``FEATURES`` (float64, undefined
    values kept as -999.0), then for labelled files ``label`` (int8, 1 signal / 0 background),
    ``weight`` (float64) and ``kaggle_set`` (str). ``path`` is the file it was read from.
    """

    frame: pd.DataFrame
    source_format: SourceFormat
    path: Path


@dataclass(frozen=True)
class _Problem:
    row: int
    column: str
    message: str
    # A missing value may really be a row with too few fields: pandas pads those with NaN.
    missing: bool = False


def read_events(path: str | Path) -> EventTable:
    """Read a HiggsML challenge CSV (plain or gzip, LF or CRLF) and validate it.

    The layout is detected from the header. For the Open Data file ``weight`` is
    ``KaggleWeight``, which is normalised within each Kaggle set (REFERENCE.md section 2); for
    Kaggle ``training.csv`` it is ``Weight`` and ``kaggle_set`` is ``"t"`` throughout.

    Raises
    ------
    DataValidationError
        Naming the file, the column and the first bad row (1-based line, header = line 1) for: an
        empty or header-only file, an unknown layout (missing or unknown columns), rows with the
        wrong number of fields, non-numeric ids/features/weights, empty, NaN or infinite
        features (undefined must be written -999.0), non-finite or non-positive weights, labels
        other than ``s``/``b``, Kaggle sets other than ``t``/``b``/``v``/``u``, duplicate EventIds.
    FileNotFoundError
        If ``path`` does not exist.
    """
    source = Path(path)
    compression: Literal["gzip"] | None = "gzip" if _is_gzip(source) else None
    fmt = _detect_format(source, _read_header(source, compression))
    raw = _parse(source, compression)
    raw = _drop_trailing_blank_rows(raw)
    if raw.empty:
        raise DataValidationError(source, "no events: the file has a header but no data rows")

    columns: dict[str, npt.NDArray[np.generic]] = {}
    problems: list[_Problem] = []
    for name in SOURCE_COLUMNS[fmt]:
        values, problem = _CHECKS[_check_kind(name)](raw[name], name)
        columns[name] = values
        if problem is not None:
            problems.append(problem)
    if fmt == "opendata" and not problems:
        problem = _check_used_kaggle_weight(columns["KaggleWeight"], columns["KaggleSet"])
        if problem is not None:
            problems.append(problem)
    if problems:
        # Report the first bad row in reading order; on one row, the layout's first column.
        order = {name: i for i, name in enumerate(SOURCE_COLUMNS[fmt])}
        first = min(problems, key=lambda p: (p.row, order[p.column]))
        _raise_problem(source, compression, first)

    event_id = columns["EventId"].astype(np.int64)
    _check_unique(source, event_id)
    return EventTable(frame=_event_frame(fmt, event_id, columns), source_format=fmt, path=source)


def read_layout(path: str | Path) -> SourceFormat:
    """The layout of an event file from its header alone (milliseconds), with the errors of
    :func:`read_events` for the header: empty file, duplicate or unknown columns, another
    delimiter, bytes that are not UTF-8 in the header."""
    source = Path(path)
    compression: Literal["gzip"] | None = "gzip" if _is_gzip(source) else None
    return _detect_format(source, _read_header(source, compression))


def _event_frame(
    fmt: SourceFormat,
    event_id: npt.NDArray[np.int64],
    columns: dict[str, npt.NDArray[np.generic]],
) -> pd.DataFrame:
    """The validated columns renamed and ordered as ``EventTable.frame`` documents."""
    out: dict[str, npt.NDArray[np.generic] | pd.Series] = {"event_id": event_id}
    for name in FEATURES:
        out[name] = columns[name]
    if fmt != "kaggle_test":
        out["label"] = columns["Label"]
        if fmt == "opendata":
            # KaggleWeight, not Weight: it is normalised within each Kaggle set, as the
            # challenge scored (REFERENCE.md section 2).
            out["weight"] = columns["KaggleWeight"]
            out["kaggle_set"] = pd.Series(columns["KaggleSet"], dtype="str")
        else:
            out["weight"] = columns["Weight"]
            out["kaggle_set"] = pd.Series(np.full(len(event_id), "t", dtype=object), dtype="str")
    return pd.DataFrame(out)


def _is_gzip(path: Path) -> bool:
    # Sniff the magic bytes rather than trust the suffix: a renamed file must still read.
    with path.open("rb") as handle:
        return handle.read(2) == _GZIP_MAGIC


def _first_undecodable(path: Path) -> tuple[int, int, int] | None:
    """(line, byte column, byte) of the first byte that is not UTF-8, both 1-based; an error
    path: pandas' decode error counts bytes within its read buffer, not lines."""
    opener = gzip.open if _is_gzip(path) else open
    with opener(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return number, exc.start + 1, raw[exc.start]
    return None


@contextmanager
def _unreadable_as(path: Path) -> Iterator[None]:
    """Turn decompression and decoding failures into a validation error naming the file (and,
    for a byte that is not UTF-8, its line)."""
    try:
        yield
    except UnicodeDecodeError as exc:
        found = _first_undecodable(path)
        if found is None:
            raise DataValidationError(path, f"cannot read as UTF-8 text: {exc}") from exc
        line, column, byte = found
        raise DataValidationError(
            path,
            f"byte 0x{byte:02x} at byte {column} of the line is not UTF-8 text (the challenge "
            "files are plain ASCII): the file was edited or saved in another encoding; "
            "re-export it as UTF-8 or take a fresh copy",
            line=line,
        ) from exc
    except (OSError, EOFError, zlib.error) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise DataValidationError(path, f"cannot read as a CSV text file: {exc}") from exc


@contextmanager
def _open_text(path: Path, compression: Literal["gzip"] | None) -> Iterator[TextIO]:
    # newline="" lets the csv module see CRLF and count physical lines as pandas does.
    if compression == "gzip":
        with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as handle:
            yield handle
    else:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            yield handle


def _read_header(path: Path, compression: Literal["gzip"] | None) -> list[str]:
    with _unreadable_as(path), _open_text(path, compression) as handle:
        header = next(csv.reader(handle), None)
    if not header or header == [""]:
        raise DataValidationError(path, "the file is empty (no header line)", line=1)
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise DataValidationError(path, f"duplicate header columns {duplicated}", line=1)
    return header


def _delimiter_problem(header: list[str]) -> str | None:
    """If the header is one field that another delimiter would split into a known layout's
    columns (a spreadsheet's ';' export, a tab-separated copy), say so."""
    if len(header) != 1:
        return None
    for delimiter, name in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe"), (" ", "space")):
        fields = {field.strip() for field in header[0].split(delimiter)}
        for fmt, expected in SOURCE_COLUMNS.items():
            if fields == set(expected):
                return (
                    f"the header is one field that splits at {delimiter!r} into the "
                    f"{fmt!r} columns: the file is {name}-separated, and the challenge files "
                    "are comma-separated; export it with ',' as the delimiter (and '.' as "
                    "the decimal mark)"
                )
    return None


def _detect_format(path: Path, header: list[str]) -> SourceFormat:
    present = set(header)
    for fmt, expected in SOURCE_COLUMNS.items():
        if present == set(expected):
            return fmt
    if (delimiter := _delimiter_problem(header)) is not None:
        raise DataValidationError(path, delimiter, line=1)

    def distance(fmt: SourceFormat) -> tuple[int, int]:
        expected = set(SOURCE_COLUMNS[fmt])
        # Fewest differences first; on a tie the richer layout, so a file lacking one Open
        # Data column is told it misses that column rather than that it has an extra one.
        return (len(expected ^ present), -len(expected & present))

    closest = min(SOURCE_COLUMNS, key=distance)
    expected = SOURCE_COLUMNS[closest]
    missing = [name for name in expected if name not in present]
    unknown = [name for name in header if name not in set(expected)]
    parts = []
    if missing:
        parts.append(f"missing columns {missing}")
    if unknown:
        parts.append(f"unknown columns {unknown}")
    raise DataValidationError(
        path,
        f"header matches no known layout; closest is {closest!r}: " + "; ".join(parts),
        line=1,
    )


def _parse(path: Path, compression: Literal["gzip"] | None) -> pd.DataFrame:
    with warnings.catch_warnings(), _unreadable_as(path):
        # pandas only *warns* when the first data row has more fields than the header (and then
        # drops data): make that an error like every other malformed row.
        warnings.simplefilter("error", pd.errors.ParserWarning)
        try:
            return pd.read_csv(
                path,
                compression=compression,
                dtype=dict.fromkeys(_TEXT_COLUMNS, str),
                skip_blank_lines=False,
                index_col=False,
                # One pass over the whole file: column types are inferred once, so a stray
                # string does not produce a mixed-type column (and a DtypeWarning).
                low_memory=False,
            )
        except pd.errors.ParserError as exc:
            match = _PARSER_ERROR.search(str(exc))
            if match is None:
                raise DataValidationError(path, f"malformed CSV: {exc}") from exc
            expected, line, seen = (int(group) for group in match.groups())
            raise DataValidationError(
                path, f"malformed CSV row: expected {expected} fields, found {seen}", line=line
            ) from exc
        except pd.errors.ParserWarning as exc:
            line, seen, expected = _first_bad_field_count(path, compression, None)
            raise DataValidationError(
                path, f"malformed CSV row: expected {expected} fields, found {seen}", line=line
            ) from exc


def _drop_trailing_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    # Blank lines at the end of a file are harmless; inside the file they are reported.
    end = len(frame)
    while end > 0 and bool(frame.iloc[end - 1].isna().all()):
        end -= 1
    return frame.iloc[:end]


def _first_bad_field_count(
    path: Path, compression: Literal["gzip"] | None, last_line: int | None
) -> tuple[int, int, int]:
    """Line number, field count and expected count of the first row with a wrong field count.

    Error path only: this walks raw lines in Python. Returns line -1 if none up to last_line.
    """
    with _unreadable_as(path), _open_text(path, compression) as handle:
        reader = csv.reader(handle)
        expected = len(next(reader))
        for fields in reader:
            if len(fields) != expected:
                return reader.line_num, len(fields), expected
            if last_line is not None and reader.line_num >= last_line:
                break
    return -1, expected, expected


def _raise_problem(path: Path, compression: Literal["gzip"] | None, problem: _Problem) -> NoReturn:
    line = problem.row + _FIRST_DATA_LINE
    if problem.missing:
        bad_line, seen, expected = _first_bad_field_count(path, compression, line)
        if bad_line != -1:
            what = "blank line" if seen == 0 else "malformed CSV row"
            raise DataValidationError(
                path, f"{what}: expected {expected} fields, found {seen}", line=bad_line
            )
    raise DataValidationError(path, problem.message, column=problem.column, line=line)


def _check_kind(name: str) -> str:
    if name == "EventId":
        return "id"
    if name in _WEIGHT_COLUMNS:
        return "weight"
    return name if name in _TEXT_COLUMNS else "feature"


def _as_float(
    series: pd.Series, name: str
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_], _Problem | None]:
    """Float values, a 'bad so far' mask and the first missing/non-numeric problem."""
    missing = series.isna().to_numpy()
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        non_numeric = np.zeros(len(series), dtype=bool)
    else:
        coerced = pd.to_numeric(series.astype(object), errors="coerce")
        values = coerced.to_numpy(dtype=np.float64, na_value=np.nan)
        non_numeric = np.isnan(values) & ~missing
    problem = None
    bad = missing | non_numeric
    if bad.any():
        row = int(np.argmax(bad))
        if missing[row]:
            problem = _Problem(row, name, "empty or NaN value", missing=True)
        else:
            problem = _Problem(row, name, f"non-numeric value {series.iloc[row]!r}")
    return values, bad, problem


def _first(problem: _Problem | None, candidate: _Problem | None) -> _Problem | None:
    if problem is None:
        return candidate
    if candidate is None:
        return problem
    return problem if problem.row <= candidate.row else candidate


def _check_feature(series: pd.Series, name: str) -> tuple[npt.NDArray[np.generic], _Problem | None]:
    values, bad, problem = _as_float(series, name)
    if problem is not None and problem.missing:
        problem = _Problem(
            problem.row,
            name,
            "empty or NaN value: undefined features must be written as -999.0",
            missing=True,
        )
    infinite = np.isinf(values) & ~bad
    if infinite.any():
        row = int(np.argmax(infinite))
        problem = _first(problem, _Problem(row, name, f"infinite value {float(values[row])!r}"))
    return values, problem


def _check_weight(series: pd.Series, name: str) -> tuple[npt.NDArray[np.generic], _Problem | None]:
    values, bad, problem = _as_float(series, name)
    # KaggleWeight may be 0 on the unused 'u' rows (they are dropped before any scoring);
    # _check_used_kaggle_weight demands > 0 on every row that is used.
    smallest_allowed = (values >= 0) if name == "KaggleWeight" else (values > 0)
    with np.errstate(invalid="ignore"):
        invalid = ~(np.isfinite(values) & smallest_allowed) & ~bad
    if invalid.any():
        row = int(np.argmax(invalid))
        message = f"weight must be finite and positive, got {float(values[row])!r}"
        problem = _first(problem, _Problem(row, name, message))
    return values, problem


def _check_used_kaggle_weight(
    kaggle_weight: npt.NDArray[np.generic], kaggle_set: npt.NDArray[np.generic]
) -> _Problem | None:
    zero_and_used = (kaggle_weight == 0) & (kaggle_set != "u")
    if not zero_and_used.any():
        return None
    row = int(np.argmax(zero_and_used))
    return _Problem(
        row, "KaggleWeight", f"weight must be positive in KaggleSet {kaggle_set[row]!r}, got 0.0"
    )


def _check_id(series: pd.Series, name: str) -> tuple[npt.NDArray[np.generic], _Problem | None]:
    values, bad, problem = _as_float(series, name)
    with np.errstate(invalid="ignore"):
        invalid = ~(np.isfinite(values) & (values == np.round(values))) & ~bad
    if invalid.any():
        row = int(np.argmax(invalid))
        message = f"EventId must be an integer, got {series.iloc[row]!r}"
        problem = _first(problem, _Problem(row, name, message))
    if problem is None and pd.api.types.is_integer_dtype(series):
        # Keep exact integers: a float round trip is only exact below 2**53.
        return series.to_numpy(dtype=np.int64), None
    return values, problem


def _check_codes(
    series: pd.Series, name: str, allowed: tuple[str, ...]
) -> tuple[npt.NDArray[np.generic], _Problem | None]:
    missing = series.isna().to_numpy()
    invalid = ~series.isin(allowed).to_numpy()
    problem = None
    if invalid.any():
        row = int(np.argmax(invalid))
        if missing[row]:
            problem = _Problem(row, name, "empty value", missing=True)
        else:
            shown = " or ".join(repr(code) for code in allowed)
            problem = _Problem(row, name, f"expected {shown}, got {series.iloc[row]!r}")
    return series.to_numpy(dtype=object, na_value=None), problem


def _check_label(series: pd.Series, name: str) -> tuple[npt.NDArray[np.generic], _Problem | None]:
    values, problem = _check_codes(series, name, tuple(LABEL_CODES))
    if problem is not None:
        return values, problem
    return (series == "s").to_numpy(dtype=np.int8), None


def _check_kaggle_set(
    series: pd.Series, name: str
) -> tuple[npt.NDArray[np.generic], _Problem | None]:
    return _check_codes(series, name, KAGGLE_SET_CODES)


_CHECKS: Final[
    dict[str, Callable[[pd.Series, str], tuple[npt.NDArray[np.generic], _Problem | None]]]
] = {
    "id": _check_id,
    "feature": _check_feature,
    "weight": _check_weight,
    "Label": _check_label,
    "KaggleSet": _check_kaggle_set,
}


def _check_unique(path: Path, event_id: npt.NDArray[np.int64]) -> None:
    repeated = pd.Series(event_id).duplicated(keep="first").to_numpy()
    if repeated.any():
        later = int(np.argmax(repeated))
        earlier = int(np.argmax(event_id == event_id[later]))
        raise DataValidationError(
            path,
            f"duplicate EventId {int(event_id[later])}, "
            f"first seen on line {earlier + _FIRST_DATA_LINE}",
            column="EventId",
            line=later + _FIRST_DATA_LINE,
        )
