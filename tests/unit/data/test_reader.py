"""Tests of supertml.data.reader: layouts, the real sample, and every validation error."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from supertml.constants import FEATURES, MISSING_VALUE
from supertml.data.reader import SOURCE_COLUMNS, EventTable, read_events, read_layout
from supertml.errors import DataValidationError

WriteCsv = Callable[..., Path]
LABELLED_COLUMNS = ["event_id", *FEATURES, "label", "weight", "kaggle_set"]


def set_field(lines: list[str], line: int, column: str, value: str) -> list[str]:
    """Copy of ``lines`` with ``column`` of 1-based file ``line`` replaced by ``value``."""
    header = lines[0].split(",")
    out = list(lines)
    fields = out[line - 1].split(",")
    fields[header.index(column)] = value
    out[line - 1] = ",".join(fields)
    return out


def drop_columns(lines: list[str], columns: Sequence[str]) -> list[str]:
    """Copy of ``lines`` without ``columns`` (builds the Kaggle layouts from the sample)."""
    header = lines[0].split(",")
    keep = [i for i, name in enumerate(header) if name not in columns]
    return [",".join(line.split(",")[i] for i in keep) for line in lines]


def read_error(path: Path) -> DataValidationError:
    with pytest.raises(DataValidationError) as caught:
        read_events(path)
    assert str(path) in str(caught.value)
    return caught.value


# --- the real sample ------------------------------------------------------------------------


def test_real_sample_counts_and_layout(sample_table: EventTable, sample_path: Path) -> None:
    frame = sample_table.frame
    assert sample_table.source_format == "opendata"
    assert sample_table.path == sample_path
    assert list(frame.columns) == LABELLED_COLUMNS
    assert len(frame) == 8004
    assert int((frame["label"] == 1).sum()) == 3997
    assert int((frame["label"] == 0).sum()) == 4007
    assert set(frame["kaggle_set"]) == {"t"}
    assert frame["event_id"].dtype == np.int64
    assert frame["label"].dtype == np.int8
    assert (frame[list(FEATURES)].dtypes == np.float64).all()
    assert frame["weight"].dtype == np.float64
    assert frame["event_id"].is_unique


def test_real_sample_values(sample_table: EventTable) -> None:
    first = sample_table.frame.iloc[0]
    # Line 2 of the file: EventId 100001, DER_mass_MMC 160.937, DER_deltaeta_jet_jet -999.0,
    # Label b, KaggleWeight 2.23358448717 (Weight is 0.681041906806: KaggleWeight must win).
    assert first["event_id"] == 100001
    assert first["DER_mass_MMC"] == 160.937
    assert first["DER_deltaeta_jet_jet"] == MISSING_VALUE
    assert first["label"] == 0
    assert first["weight"] == 2.23358448717
    assert (sample_table.frame[list(FEATURES)] == MISSING_VALUE).any().any()


def test_gzip_crlf_and_renamed_gzip_read_identically(
    sample_table: EventTable, sample_path: Path, tmp_path: Path
) -> None:
    text = sample_path.read_bytes()
    crlf = tmp_path / "crlf.csv"
    crlf.write_bytes(text.replace(b"\n", b"\r\n"))
    gz = tmp_path / "sample.csv.gz"
    gz.write_bytes(gzip.compress(text))
    renamed = tmp_path / "no_suffix.csv"
    renamed.write_bytes(gzip.compress(crlf.read_bytes()))
    for path in (crlf, gz, renamed):
        pd.testing.assert_frame_equal(read_events(path).frame, sample_table.frame)


# --- layouts ----------------------------------------------------------------------------------


def test_kaggle_training_layout(sample_lines: list[str], write_csv: WriteCsv) -> None:
    lines = drop_columns(sample_lines, ["KaggleSet", "KaggleWeight"])
    table = read_events(write_csv(lines))
    assert table.source_format == "kaggle_training"
    assert list(table.frame.columns) == LABELLED_COLUMNS
    # Kaggle training.csv carries only Weight; every event belongs to the training set.
    assert table.frame["weight"].iloc[0] == 0.681041906806
    assert set(table.frame["kaggle_set"]) == {"t"}


def test_kaggle_test_layout(sample_lines: list[str], write_csv: WriteCsv) -> None:
    lines = drop_columns(sample_lines, ["Weight", "Label", "KaggleSet", "KaggleWeight"])
    table = read_events(write_csv(lines))
    assert table.source_format == "kaggle_test"
    assert list(table.frame.columns) == ["event_id", *FEATURES]
    assert len(table.frame) == 10


def test_column_order_in_file_does_not_matter(sample_lines: list[str], write_csv: WriteCsv) -> None:
    rows = [line.split(",") for line in sample_lines]
    swapped = [",".join([r[-1], *r[1:-1], r[0]]) for r in rows]  # KaggleWeight first
    pd.testing.assert_frame_equal(
        read_events(write_csv(swapped, "swapped.csv")).frame,
        read_events(write_csv(sample_lines)).frame,
    )


def test_missing_column_is_named(sample_lines: list[str], write_csv: WriteCsv) -> None:
    lines = drop_columns(sample_lines, ["PRI_met"])
    error = read_error(write_csv(lines))
    assert "missing columns ['PRI_met']" in str(error)
    assert "'opendata'" in str(error)
    assert error.line == 1


def test_missing_last_opendata_column_compares_with_opendata(
    sample_lines: list[str], write_csv: WriteCsv
) -> None:
    # One column short of Open Data is as close as one column extra to Kaggle training:
    # the message must point at the missing column, not call KaggleSet unknown.
    error = read_error(write_csv(drop_columns(sample_lines, ["KaggleWeight"])))
    assert "missing columns ['KaggleWeight']" in str(error)
    assert "unknown" not in str(error)


def test_unknown_column_is_named(sample_lines: list[str], write_csv: WriteCsv) -> None:
    lines = [line + ",extra" for line in sample_lines]
    lines[0] = sample_lines[0] + ",Comment"
    error = read_error(write_csv(lines))
    assert "unknown columns ['Comment']" in str(error)


def test_duplicate_header_column(sample_lines: list[str], write_csv: WriteCsv) -> None:
    lines = [line + "," + line.split(",")[1] for line in sample_lines]
    error = read_error(write_csv(lines))
    assert "duplicate header columns ['DER_mass_MMC']" in str(error)


# --- structure --------------------------------------------------------------------------------


def test_empty_file(write_csv: WriteCsv) -> None:
    assert "empty" in str(read_error(write_csv([], "empty.csv")))


def test_header_only(sample_lines: list[str], write_csv: WriteCsv) -> None:
    assert "no events" in str(read_error(write_csv(sample_lines[:1])))


def test_header_and_blank_lines_only(sample_lines: list[str], write_csv: WriteCsv) -> None:
    assert "no events" in str(read_error(write_csv([sample_lines[0], "", ""])))


def test_trailing_blank_lines_are_tolerated(sample_lines: list[str], write_csv: WriteCsv) -> None:
    table = read_events(write_csv([*sample_lines, "", ""], newline="\r\n"))
    assert len(table.frame) == 10


def test_blank_line_inside_the_file(sample_lines: list[str], write_csv: WriteCsv) -> None:
    lines = [*sample_lines[:4], "", *sample_lines[4:]]
    error = read_error(write_csv(lines))
    assert error.line == 5
    assert "blank line" in str(error)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_row_with_too_many_fields(
    sample_lines: list[str], write_csv: WriteCsv, newline: str
) -> None:
    lines = list(sample_lines)
    lines[6] += ",1.0"
    error = read_error(write_csv(lines, newline=newline))
    assert error.line == 7
    assert "expected 35 fields, found 36" in str(error)


def test_first_row_with_too_many_fields(sample_lines: list[str], write_csv: WriteCsv) -> None:
    # pandas would take the first column as an index (or drop data with a warning) here.
    lines = list(sample_lines)
    lines[1] += ",1.0"
    error = read_error(write_csv(lines))
    assert error.line == 2
    assert "expected 35 fields, found 36" in str(error)


def test_row_with_too_few_fields(sample_lines: list[str], write_csv: WriteCsv) -> None:
    lines = list(sample_lines)
    lines[8] = lines[8].rsplit(",", 2)[0]  # drops KaggleSet and KaggleWeight of line 9
    error = read_error(write_csv(lines))
    assert error.line == 9
    assert "expected 35 fields, found 33" in str(error)


def test_corrupt_gzip(sample_lines: list[str], tmp_path: Path) -> None:
    path = tmp_path / "broken.csv.gz"
    path.write_bytes(gzip.compress("\n".join(sample_lines).encode())[:200])
    assert "cannot read" in str(read_error(path))


def test_a_byte_that_is_not_utf8_is_reported_at_its_line_not_its_buffer_position(
    sample_lines: list[str], tmp_path: Path
) -> None:
    lines = set_field(sample_lines, 7, "PRI_tau_pt", "32.6\xb5")  # a Latin-1 micro sign
    for name, data in [
        ("latin1.csv", "\n".join(lines).encode("latin-1")),
        ("latin1.csv.gz", gzip.compress("\n".join(lines).encode("latin-1"))),
    ]:
        path = tmp_path / name
        path.write_bytes(data)
        error = read_error(path)
        assert error.line == 7
        assert f"{path}, line 7: byte 0xb5 at byte" in str(error)
        assert "not UTF-8 text" in str(error)
        assert "position" not in str(error)


def test_a_byte_that_is_not_utf8_in_the_header_is_reported_at_line_1(
    sample_lines: list[str], tmp_path: Path
) -> None:
    path = tmp_path / "header.csv"
    path.write_bytes(("\n".join(sample_lines)).encode().replace(b"EventId", b"Event\xffId", 1))
    assert read_error(path).line == 1


@pytest.mark.parametrize(("delimiter", "name"), [(";", "semicolon"), ("\t", "tab")])
def test_another_delimiter_is_named_as_such(
    sample_lines: list[str], write_csv: WriteCsv, delimiter: str, name: str
) -> None:
    error = read_error(write_csv([line.replace(",", delimiter) for line in sample_lines]))
    assert error.line == 1
    assert f"splits at {delimiter!r} into the 'opendata' columns" in str(error)
    assert f"the file is {name}-separated" in str(error)
    assert "missing columns" not in str(error)


def test_read_layout_reads_the_header_alone(sample_lines: list[str], write_csv: WriteCsv) -> None:
    assert read_layout(write_csv(sample_lines)) == "opendata"
    training = drop_columns(sample_lines, ["KaggleSet", "KaggleWeight"])
    assert read_layout(write_csv(training[:1], name="header_only.csv")) == "kaggle_training"
    with pytest.raises(DataValidationError, match="semicolon-separated"):
        read_layout(write_csv([sample_lines[0].replace(",", ";")], name="semi.csv"))


# --- values -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("PRI_tau_pt", "abc", "non-numeric value 'abc'"),
        ("PRI_tau_pt", "", "undefined features must be written as -999.0"),
        ("DER_mass_MMC", "NaN", "undefined features must be written as -999.0"),
        ("PRI_met", "inf", "infinite value"),
        ("PRI_met", "-Infinity", "infinite value"),
        ("EventId", "x12", "non-numeric value 'x12'"),
        ("EventId", "100003.5", "EventId must be an integer"),
        ("EventId", "", "empty or NaN value"),
        ("KaggleWeight", "heavy", "non-numeric value 'heavy'"),
        ("KaggleWeight", "0", "weight must be positive in KaggleSet 't', got 0.0"),
        ("KaggleWeight", "-1.5", "weight must be finite and positive, got -1.5"),
        ("KaggleWeight", "inf", "weight must be finite and positive, got inf"),
        ("KaggleWeight", "nan", "empty or NaN value"),
        ("Weight", "-0.1", "weight must be finite and positive"),
        ("Label", "x", "expected 's' or 'b', got 'x'"),
        ("Label", "S", "expected 's' or 'b', got 'S'"),
        ("Label", "", "empty value"),
        ("KaggleSet", "z", "expected 't' or 'b' or 'v' or 'u', got 'z'"),
    ],
)
def test_bad_value_names_file_column_and_line(
    sample_lines: list[str], write_csv: WriteCsv, column: str, value: str, expected: str
) -> None:
    error = read_error(write_csv(set_field(sample_lines, 6, column, value)))
    assert error.column == column
    assert error.line == 6
    assert expected in str(error)
    assert f"line 6, column '{column}'" in str(error)


def test_zero_kaggle_weight_is_allowed_on_unused_rows(
    sample_lines: list[str], write_csv: WriteCsv
) -> None:
    # 'u' rows are dropped before scoring, so a zero KaggleWeight there is not an error.
    lines = set_field(set_field(sample_lines, 6, "KaggleSet", "u"), 6, "KaggleWeight", "0")
    table = read_events(write_csv(lines))
    assert table.frame.loc[4, "weight"] == 0.0
    assert table.frame.loc[4, "kaggle_set"] == "u"


def test_kaggle_training_weight_is_checked(sample_lines: list[str], write_csv: WriteCsv) -> None:
    lines = drop_columns(set_field(sample_lines, 4, "Weight", "0"), ["KaggleSet", "KaggleWeight"])
    error = read_error(write_csv(lines))
    assert (error.column, error.line) == ("Weight", 4)


def test_first_bad_row_in_reading_order(sample_lines: list[str], write_csv: WriteCsv) -> None:
    # A bad label on line 5 comes before a bad feature on line 8, although the feature column
    # lies further left.
    lines = set_field(set_field(sample_lines, 8, "DER_mass_MMC", "bad"), 5, "Label", "q")
    error = read_error(write_csv(lines))
    assert (error.column, error.line) == ("Label", 5)


def test_duplicate_event_id_names_both_lines(sample_lines: list[str], write_csv: WriteCsv) -> None:
    first_id = sample_lines[3].split(",")[0]
    error = read_error(write_csv(set_field(sample_lines, 9, "EventId", first_id)))
    assert (error.column, error.line) == ("EventId", 9)
    assert f"duplicate EventId {first_id}, first seen on line 4" in str(error)


def test_missing_value_marker_kept(sample_lines: list[str], write_csv: WriteCsv) -> None:
    table = read_events(write_csv(set_field(sample_lines, 3, "PRI_met", "-999.0")))
    assert table.frame["PRI_met"].iloc[1] == MISSING_VALUE


def test_source_columns_cover_the_layouts() -> None:
    assert len(SOURCE_COLUMNS["opendata"]) == 35
    assert len(SOURCE_COLUMNS["kaggle_training"]) == 33
    assert len(SOURCE_COLUMNS["kaggle_test"]) == 31
