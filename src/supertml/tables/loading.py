"""Load a small classification table into coded train/test splits.

Every source ends in the same shape (``TabularSplits``): float64 feature frames, integer class
codes and the class names, so encoding, training and scoring have one path for Iris, Wine and
any CSV table (REFERENCE.md section 5, "Small data sets").

Decisions, each a physicist may want to know:

* **Missing values** (cells in ``spec.missing_values`` after stripping whitespace) become NaN,
  in numeric and categorical columns alike; a missing class label is an error.
* **Categorical columns** are integer-coded with the categories seen in the *training* rows,
  sorted as text (code i is ``categories[column][i]``). A test category never seen in training
  gets the dedicated code ``len(categories[column])`` ("unknown") rather than an error: Adult's
  test file has countries its training file lacks, and a model must still score those rows.
* **Classes** are the training labels (after ``label_map``), sorted as text; a test label that
  is not one of them is an error naming the test file's line. The scikit-learn data sets keep
  scikit-learn's class order and names.
* **The split** without a test file is stratified by class and seeded (``spec.seed``), like the
  study's (scikit-learn ``train_test_split``); each split keeps the file's row order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from supertml.errors import DataValidationError
from supertml.tables.csvfile import RawTable, read_raw_csv
from supertml.tables.spec import TableSpec

__all__ = ["TabularSplits", "load_table"]


@dataclass(frozen=True, eq=False)
class TabularSplits:
    """A table's train and test rows, coded for models and encoders.

    ``train`` / ``test``: float64 feature frames, columns in file order (NaN = missing;
    categorical columns hold their integer codes). ``*_labels``: int64 class codes indexing
    ``classes``. ``categories``: per categorical column, the training categories by code (the
    code one past the last means "unknown"). ``*_ids``: for CSV tables each row's 1-based line
    in its file, for the scikit-learn data sets its 0-based row index there.
    """

    name: str
    train: pd.DataFrame
    test: pd.DataFrame
    train_labels: npt.NDArray[np.int64]
    test_labels: npt.NDArray[np.int64]
    classes: tuple[str, ...]
    categories: Mapping[str, tuple[str, ...]]
    train_ids: npt.NDArray[np.int64]
    test_ids: npt.NDArray[np.int64]

    @property
    def features(self) -> tuple[str, ...]:
        """Feature column names, in file order."""
        return tuple(str(name) for name in self.train.columns)

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return len(self.classes)

    def summary(self) -> dict[str, Any]:
        """JSON-ready facts: sizes, class counts per split, features, missing cells."""
        n = self.n_classes
        return {
            "table": self.name,
            "n_train": len(self.train),
            "n_test": len(self.test),
            "classes": list(self.classes),
            "train_class_counts": np.bincount(self.train_labels, minlength=n).tolist(),
            "test_class_counts": np.bincount(self.test_labels, minlength=n).tolist(),
            "features": list(self.features),
            "categorical": {name: len(cats) for name, cats in self.categories.items()},
            "missing_train": int(self.train.isna().to_numpy().sum()),
            "missing_test": int(self.test.isna().to_numpy().sum()),
        }


def load_table(spec: TableSpec) -> TabularSplits:
    """Load the table ``spec`` describes and split it into coded train and test sets.

    Iris and Wine come from scikit-learn's bundled copies (``load_iris``, ``load_wine``: 150 x 4
    and 178 x 13, three classes each; no network). CSV tables are read as described by
    :class:`~supertml.tables.spec.TableSpec`; see the module docstring for how missing values,
    categories and labels are coded.

    Raises
    ------
    FileNotFoundError
        If a CSV file does not exist.
    DataValidationError
        Naming the file, the 1-based line and the column, for: a cell of a numeric column that
        is not a finite number, a missing class label, a test label that is not a training
        class, a column named in the spec but absent from the file, a test file whose columns
        differ, a row with the wrong number of fields, fewer than two classes, or a class too
        small to split stratified.
    """
    if spec.source in {"iris", "wine"}:
        return _load_sklearn(spec)
    return _load_csv(spec)


def _load_sklearn(spec: TableSpec) -> TabularSplits:
    # Imported here, as train_test_split below: scikit-learn costs about 2 s, which the config
    # check (it imports this package for TableSpec) would otherwise pay at every start.
    from sklearn.datasets import load_iris, load_wine  # noqa: PLC0415

    bunch = load_iris() if spec.source == "iris" else load_wine()
    values = np.asarray(bunch.data, dtype=np.float64)
    codes = np.asarray(bunch.target, dtype=np.int64)
    train_rows, test_rows = _stratified_split(codes, spec, Path(f"sklearn:{spec.source}"))
    names = [str(name) for name in bunch.feature_names]
    return TabularSplits(
        name=spec.name,
        train=pd.DataFrame(values[train_rows], columns=names),
        test=pd.DataFrame(values[test_rows], columns=names),
        train_labels=codes[train_rows],
        test_labels=codes[test_rows],
        classes=tuple(str(name) for name in bunch.target_names),
        categories={},
        train_ids=train_rows.astype(np.int64),
        test_ids=test_rows.astype(np.int64),
    )


def _load_csv(spec: TableSpec) -> TabularSplits:
    # TableSpec guarantees both for source 'csv'.
    assert spec.path is not None
    assert spec.target is not None
    raw = _read(spec, spec.path, spec.skip_rows)
    features = [c for c in raw.columns if c != spec.target and c not in spec.drop]
    for name in (spec.target, *spec.categorical, *spec.drop):
        raw.column(name)  # a named column absent from the file is an error here
    if not features:
        raise DataValidationError(raw.path, "no feature columns besides the target and drop")
    labels = _labels(raw, spec)
    classes = tuple(str(c) for c in np.unique(labels))
    _require_two_classes(raw.path, classes)
    codes = np.searchsorted(np.array(classes), labels).astype(np.int64)
    test = raw
    if spec.test_path is None:
        train_rows, test_rows = _stratified_split(codes, spec, raw.path)
        train_codes, test_codes = codes[train_rows], codes[test_rows]
    else:
        test = _read(spec, spec.test_path, spec.test_skip)
        if test.columns != raw.columns:
            raise DataValidationError(
                test.path,
                f"columns {list(test.columns)} differ from the training file's "
                f"{list(raw.columns)} ({raw.path})",
            )
        train_rows, test_rows = np.arange(len(raw.lines)), np.arange(len(test.lines))
        train_codes, test_codes = codes, _test_codes(test, spec, classes)
    columns, categories = _features(raw, train_rows, test, test_rows, features=features, spec=spec)
    return TabularSplits(
        name=spec.name,
        train=columns[0],
        test=columns[1],
        train_labels=train_codes,
        test_labels=test_codes,
        classes=classes,
        categories=categories,
        train_ids=raw.lines[train_rows],
        test_ids=test.lines[test_rows],
    )


def _read(spec: TableSpec, path: Path, skip_rows: int) -> RawTable:
    return read_raw_csv(
        path, columns=spec.columns, header=spec.header, skip_rows=skip_rows, sep=spec.sep
    )


def _labels(raw: RawTable, spec: TableSpec) -> npt.NDArray[np.str_]:
    """The target column with ``label_map`` applied; a missing label is an error."""
    assert spec.target is not None
    cells = raw.column(spec.target)
    missing = np.isin(cells, spec.missing_values)
    if missing.any():
        first = int(np.argmax(missing))
        raise DataValidationError(
            raw.path,
            f"missing class label {str(cells[first])!r} ({int(missing.sum())} row(s) in all)",
            column=spec.target,
            line=int(raw.lines[first]),
        )
    labels = cells
    for spelling, label in spec.label_map.items():
        labels = np.where(cells == spelling, label, labels)
    return labels


def _require_two_classes(path: Path, classes: tuple[str, ...]) -> None:
    if len(classes) < 2:
        raise DataValidationError(path, f"need at least two classes, found {list(classes)}")


def _test_codes(test: RawTable, spec: TableSpec, classes: tuple[str, ...]) -> npt.NDArray[np.int64]:
    labels = _labels(test, spec)
    unknown = ~np.isin(labels, classes)
    if unknown.any():
        first = int(np.argmax(unknown))
        raise DataValidationError(
            test.path,
            f"label {str(labels[first])!r} is not a class of the training file {list(classes)} "
            f"({int(unknown.sum())} row(s) in all); map other spellings with label_map",
            column=spec.target,
            line=int(test.lines[first]),
        )
    return np.searchsorted(np.array(classes), labels).astype(np.int64)


def _stratified_split(
    codes: npt.NDArray[np.int64], spec: TableSpec, path: Path
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    from sklearn.model_selection import train_test_split  # noqa: PLC0415 (see _load_sklearn)

    rows = np.arange(len(codes))
    try:
        train, test = train_test_split(
            rows, test_size=spec.test_fraction, stratify=codes, random_state=spec.seed
        )
    except ValueError as exc:  # a class with one row, or fewer test rows than classes
        raise DataValidationError(
            path, f"cannot split stratified with test_fraction={spec.test_fraction}: {exc}"
        ) from exc
    return np.sort(train), np.sort(test)


def _features(
    train: RawTable,
    train_rows: npt.NDArray[np.intp],
    test: RawTable,
    test_rows: npt.NDArray[np.intp],
    *,
    features: list[str],
    spec: TableSpec,
) -> tuple[tuple[pd.DataFrame, pd.DataFrame], dict[str, tuple[str, ...]]]:
    """Feature frames of the train and test rows (``test`` may be ``train`` itself).

    Numbers are checked over whole files first, so an error names the file's first bad line
    whichever split that row fell into; categories are fitted on the training rows only.
    """
    train_columns: dict[str, npt.NDArray[np.float64]] = {}
    test_columns: dict[str, npt.NDArray[np.float64]] = {}
    categories: dict[str, tuple[str, ...]] = {}
    missing = spec.missing_values
    for name in features:
        if name in spec.categorical:
            seen = train.column(name)[train_rows]
            cats = np.unique(seen[~np.isin(seen, missing)])
            categories[name] = tuple(str(c) for c in cats)
            train_columns[name] = _category_codes(seen, cats, missing)
            test_columns[name] = _category_codes(test.column(name)[test_rows], cats, missing)
        else:
            train_values = _numbers(train, name, missing)
            test_values = train_values if test is train else _numbers(test, name, missing)
            train_columns[name] = train_values[train_rows]
            test_columns[name] = test_values[test_rows]
    frames = (
        pd.DataFrame(train_columns, columns=features, dtype=np.float64),
        pd.DataFrame(test_columns, columns=features, dtype=np.float64),
    )
    return frames, categories


def _numbers(raw: RawTable, name: str, missing: tuple[str, ...]) -> npt.NDArray[np.float64]:
    """A numeric column as float64, NaN where missing; anything else unparseable is an error."""
    cells = raw.column(name)
    absent = np.isin(cells, missing)
    parsed = pd.to_numeric(pd.Series(cells, dtype=object), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    bad = ~absent & ~np.isfinite(parsed)
    if bad.any():
        first = int(np.argmax(bad))
        raise DataValidationError(
            raw.path,
            f"{str(cells[first])!r} is not a finite number ({int(bad.sum())} such cell(s) in this "
            f"column); declare the column categorical, or add the text to missing_values "
            f"{list(missing)} if it marks a missing value",
            column=name,
            line=int(raw.lines[first]),
        )
    result: npt.NDArray[np.float64] = np.where(absent, np.nan, parsed)
    return result


def _category_codes(
    cells: npt.NDArray[np.str_], categories: npt.NDArray[np.str_], missing: tuple[str, ...]
) -> npt.NDArray[np.float64]:
    """Code of each cell in the sorted ``categories``; ``len(categories)`` if unseen; NaN if
    missing."""
    n = len(categories)
    if n == 0:
        known = np.zeros(len(cells), dtype=bool)
        index = np.zeros(len(cells), dtype=np.intp)
    else:
        index = np.searchsorted(categories, cells)
        known = categories[np.minimum(index, n - 1)] == cells
    codes = np.where(known, index, n).astype(np.float64)
    result: npt.NDArray[np.float64] = np.where(np.isin(cells, missing), np.nan, codes)
    return result
