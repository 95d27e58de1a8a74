"""load_table: Iris, Wine and messy CSV tables end in the same coded splits; bad input is named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from supertml.errors import DataValidationError
from supertml.tables import TableSpec, TabularSplits, load_table

from .conftest import ADULT_TEST, ADULT_TRAIN, WriteLines

NAN = np.nan


def load(entry: dict[str, Any], name: str = "t") -> TabularSplits:
    return load_table(TableSpec.from_mapping(entry, name=name))


@pytest.mark.parametrize(("source", "n_rows", "n_features"), [("iris", 150, 4), ("wine", 178, 13)])
def test_sklearn_tables(source: str, n_rows: int, n_features: int) -> None:
    splits = load({"source": source}, name=source)
    assert len(splits.train) + len(splits.test) == n_rows
    assert len(splits.test) == int(np.ceil(0.2 * n_rows))  # scikit-learn rounds the test up
    assert splits.train.shape[1] == n_features == len(splits.features)
    assert splits.n_classes == 3
    assert splits.train.dtypes.eq(np.float64).all()
    # Every row lands in exactly one split, and the split is stratified.
    ids = np.concatenate([splits.train_ids, splits.test_ids])
    np.testing.assert_array_equal(np.sort(ids), np.arange(n_rows))
    all_counts = np.bincount(np.concatenate([splits.train_labels, splits.test_labels]))
    test_counts = np.bincount(splits.test_labels, minlength=3)
    np.testing.assert_allclose(test_counts / len(splits.test), all_counts / n_rows, atol=0.03)


def test_iris_classes_and_values() -> None:
    splits = load({"source": "iris"}, name="iris")
    assert splits.classes == ("setosa", "versicolor", "virginica")
    assert splits.features[0] == "sepal length (cm)"
    frame = pd.concat([splits.train, splits.test], ignore_index=True)
    ids = np.concatenate([splits.train_ids, splits.test_ids])
    labels = np.concatenate([splits.train_labels, splits.test_labels])
    # Rows 0 and 149 of scikit-learn's Iris: (5.1, 3.5, 1.4, 0.2) setosa and
    # (5.9, 3.0, 5.1, 1.8) virginica.
    for row, values, label in [(0, [5.1, 3.5, 1.4, 0.2], 0), (149, [5.9, 3.0, 5.1, 1.8], 2)]:
        at = int(np.flatnonzero(ids == row)[0])
        np.testing.assert_array_equal(frame.iloc[at].to_numpy(), values)
        assert labels[at] == label


def test_label_map_applies_to_the_training_file_too(write_lines: WriteLines) -> None:
    path = write_lines("t.csv", ["x,y", "1,yes", "2, Yes ", "3,no", "4,yes", "5,no", "6,No"])
    entry = {
        "source": "csv",
        "path": str(path),
        "target": "y",
        "label_map": {"Yes": "yes", "No": "no"},
        "test_fraction": 0.5,
    }
    splits = load(entry)
    assert splits.classes == ("no", "yes")
    labels = np.concatenate([splits.train_labels, splits.test_labels])
    ids = np.concatenate([splits.train_ids, splits.test_ids])
    np.testing.assert_array_equal(labels[np.argsort(ids)], [1, 1, 0, 1, 0, 0])


def test_split_is_seeded() -> None:
    first = load({"source": "iris", "seed": 5})
    again = load({"source": "iris", "seed": 5})
    other = load({"source": "iris", "seed": 6})
    np.testing.assert_array_equal(first.test_ids, again.test_ids)
    assert not np.array_equal(first.test_ids, other.test_ids)


def test_messy_train_and_test_files(adult_like: dict[str, Any]) -> None:
    splits = load(adult_like, name="adult")
    assert splits.features == ("age", "workclass", "fnlwgt", "hours")
    assert splits.classes == ("<=50K", ">50K")
    np.testing.assert_array_equal(splits.train_labels, [0, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(splits.test_labels, [0, 1, 1])  # '>50K.' read as '>50K'
    np.testing.assert_array_equal(splits.train_ids, [1, 2, 3, 4, 5, 6])
    np.testing.assert_array_equal(splits.test_ids, [2, 3, 4])  # after the stray line
    assert splits.categories == {"workclass": ("Private", "Self-emp", "State-gov")}
    np.testing.assert_array_equal(
        splits.train.to_numpy(),
        [
            [39, 2, 77516, 40],
            [50, 1, 83311, 13],
            [38, 0, 215646, NAN],  # '?'
            [53, 0, 234721, 40],
            [28, NAN, 338409, 40],  # '?' in a categorical column
            [37, 0, NAN, 40],  # empty cell, whitespace around the others
        ],
    )
    # Local-gov is not a training category: the dedicated "unknown" code 3.
    np.testing.assert_array_equal(
        splits.test.to_numpy(),
        [[25, 0, 226802, 40], [38, 3, 89814, 50], [28, 1, 336951, 40]],
    )
    summary = splits.summary()
    assert (summary["missing_train"], summary["missing_test"]) == (3, 0)
    assert summary["test_class_counts"] == [1, 2]


def test_drop_and_custom_missing_marker(write_lines: WriteLines) -> None:
    path = write_lines("t.csv", ["id,x,y", "1,NA,a", "2,2.5,b", "3,3,a", "4,4,b"])
    entry = {
        "source": "csv",
        "path": str(path),
        "target": "y",
        "drop": ["id"],
        "missing_values": ["NA"],
        "test_fraction": 0.5,
    }
    splits = load(entry)
    assert splits.features == ("x",)
    values = dict(
        zip(
            np.concatenate([splits.train_ids, splits.test_ids]),
            np.concatenate([splits.train["x"], splits.test["x"]]),
            strict=True,
        )
    )
    assert np.isnan(values[2])
    assert values[3] == 2.5


def single_file(write_lines: WriteLines, n: int = 40) -> dict[str, Any]:
    rows = [f"{i}, {i % 7 * 0.5}, {'yes' if i % 4 == 0 else 'no'}" for i in range(n)]
    path = write_lines("one.csv", ["# exported 2019", "a, b, label", *rows])
    return {"source": "csv", "path": str(path), "skip_rows": 1, "target": "label", "seed": 3}


def test_single_file_split_is_stratified_seeded_and_in_file_order(
    write_lines: WriteLines,
) -> None:
    entry = single_file(write_lines)
    splits = load(entry)
    assert (len(splits.train), len(splits.test)) == (32, 8)
    assert splits.classes == ("no", "yes")
    np.testing.assert_array_equal(np.bincount(splits.test_labels), [6, 2])
    assert np.all(np.diff(splits.train_ids) > 0)
    np.testing.assert_array_equal(
        np.sort(np.concatenate([splits.train_ids, splits.test_ids])), np.arange(3, 43)
    )
    # Features travel with their row: column a is the line number minus 3.
    np.testing.assert_array_equal(splits.test["a"].to_numpy(), splits.test_ids - 3)
    np.testing.assert_array_equal(splits.test_labels, (splits.test_ids - 3) % 4 == 0)
    again = load(entry)
    np.testing.assert_array_equal(again.test_ids, splits.test_ids)
    assert not np.array_equal(load(entry | {"seed": 4}).test_ids, splits.test_ids)


def check_error(
    info: pytest.ExceptionInfo[DataValidationError],
    path: str | Path,
    line: int | None,
    column: str | None,
) -> None:
    error = info.value
    assert (error.path, error.line, error.column) == (Path(path), line, column)
    assert str(error).startswith(str(path))


def test_unparseable_number_names_file_line_and_column(
    adult_like: dict[str, Any], write_lines: WriteLines
) -> None:
    lines = list(ADULT_TRAIN)
    lines[3] = "53, Private, 234721, 4O, >50K"  # letter O in a number, line 4
    lines[4] = "28, ?, 338409, forty, >50K"
    path = write_lines("adult.data", lines)
    with pytest.raises(DataValidationError, match=r"'4O' is not a finite number \(2 such") as info:
        load(adult_like)
    check_error(info, path, 4, "hours")
    assert "line 4, column 'hours'" in str(info.value)


def test_bad_number_in_test_file(adult_like: dict[str, Any], write_lines: WriteLines) -> None:
    lines = list(ADULT_TEST)
    lines[3] = "28, Self-emp, inf, 40, >50K."
    path = write_lines("adult.test", lines)
    with pytest.raises(DataValidationError, match="'inf' is not a finite number") as info:
        load(adult_like)
    check_error(info, path, 4, "fnlwgt")


def test_first_bad_line_whichever_split(write_lines: WriteLines) -> None:
    entry = single_file(write_lines)
    lines = Path(entry["path"]).read_text().splitlines()
    lines[9] = "7, n/a, no"  # file line 10
    lines[30] = "28, n/a, yes"
    write_lines("one.csv", lines)
    with pytest.raises(DataValidationError, match="'n/a'") as info:
        load(entry)
    check_error(info, entry["path"], 10, "b")


def test_unknown_test_label_is_named(adult_like: dict[str, Any]) -> None:
    del adult_like["label_map"]
    with pytest.raises(
        DataValidationError, match=r"label '<=50K\.' is not a class .*label_map"
    ) as info:
        load(adult_like)
    check_error(info, adult_like["test_path"], 2, "income")


def test_missing_label_is_named(adult_like: dict[str, Any], write_lines: WriteLines) -> None:
    lines = list(ADULT_TRAIN)
    lines[1] = "50, Self-emp, 83311, 13, ?"
    path = write_lines("adult.data", lines)
    with pytest.raises(DataValidationError, match="missing class label '\\?'") as info:
        load(adult_like)
    check_error(info, path, 2, "income")


def test_missing_target_column_is_named(write_lines: WriteLines) -> None:
    path = write_lines("t.csv", ["x,y", "1,a", "2,b"])
    with pytest.raises(DataValidationError, match="no column 'label'; the columns are") as info:
        load({"source": "csv", "path": str(path), "target": "label"})
    check_error(info, path, None, None)


def test_missing_file_is_named(adult_like: dict[str, Any]) -> None:
    Path(adult_like["test_path"]).unlink()
    with pytest.raises(FileNotFoundError, match=r"adult\.test: table file not found"):
        load(adult_like)


def test_test_file_with_other_columns(adult_like: dict[str, Any], write_lines: WriteLines) -> None:
    path = write_lines("other.csv", ["age,workclass,fnlwgt,hrs,income", "1,a,2,3,>50K"])
    entry = adult_like | {
        "test_path": str(path),
        "header": True,
        "columns": None,
        "test_skip_rows": 0,
    }
    entry["path"] = str(
        write_lines(
            "train.csv", ["age,workclass,fnlwgt,hours,income", "1,a,2,3,>50K", "1,a,2,3,<=50K"]
        )
    )
    with pytest.raises(DataValidationError, match="differ from the training file's"):
        load(entry)


def test_one_class_and_tiny_classes(write_lines: WriteLines) -> None:
    path = write_lines("t.csv", ["x,y", "1,a", "2,a"])
    with pytest.raises(DataValidationError, match="need at least two classes"):
        load({"source": "csv", "path": str(path), "target": "y"})
    path = write_lines("t.csv", ["x,y", "1,a", "2,a", "3,a", "4,b"])
    with pytest.raises(DataValidationError, match="cannot split stratified"):
        load({"source": "csv", "path": str(path), "target": "y"})
