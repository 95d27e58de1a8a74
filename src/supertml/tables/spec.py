"""What a small classification table is and how to read it: the ``TableSpec`` of a config entry.

The paper's small data sets (REFERENCE.md section 5, "Small data sets": Iris, Wine, Adult) come
either bundled with scikit-learn (``source: iris`` / ``wine``, offline) or as CSV files
(``source: csv``). Real CSV tables are messy (Adult: no header row, spaces after commas, ``?``
for missing values, a stray first line in the test file, labels spelled ``>50K.`` in the test
file but ``>50K`` in the training file); every such quirk is a key of the spec, and a spec that
cannot be honoured is a ``ConfigError`` naming the table and the key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Final, Literal, get_args

from supertml.errors import ConfigError

__all__ = ["DEFAULT_MISSING_VALUES", "TableSource", "TableSpec"]

TableSource = Literal["iris", "wine", "csv"]

#: Cell texts read as a missing value (after stripping whitespace): UCI's ``?`` and empty cells.
DEFAULT_MISSING_VALUES: Final[tuple[str, ...]] = ("?", "")

# Keys that describe a CSV file; a scikit-learn source refuses them rather than ignore them.
_CSV_ONLY: Final[tuple[str, ...]] = (
    "path",
    "test_path",
    "columns",
    "skip_rows",
    "test_skip_rows",
    "target",
    "categorical",
    "drop",
    "label_map",
)


@dataclass(frozen=True)
class TableSpec:
    """How to load one classification table (a config entry ``tables.<name>``).

    Attributes
    ----------
    name
        The table's name in the config and in output paths.
    source
        ``"iris"`` or ``"wine"`` (scikit-learn's bundled copies) or ``"csv"``.
    path, test_path
        The CSV file, and optionally a separate test file with the same columns. Without
        ``test_path`` a stratified, seeded ``test_fraction`` of ``path`` is the test set.
    columns
        Column names, in file order. Required when ``header`` is false; with a header row they
        replace the header's names (same count).
    header
        Whether the first line after the skipped lines holds the column names.
    skip_rows, test_skip_rows
        Lines to skip at the top of ``path`` / ``test_path`` before the header or the data
        (Adult's test file starts with ``|1x3 Cross validator``); ``test_skip_rows=None``
        means the same as ``skip_rows``.
    sep
        Field separator (one character).
    target
        The column holding the class label.
    categorical
        Columns holding categories rather than numbers.
    drop
        Columns not used as features (row ids, leaky columns).
    missing_values
        Cell texts, after stripping whitespace, that mean "missing".
    label_map
        Other spellings of a label -> the canonical label, applied to both files
        (``{">50K.": ">50K", "<=50K.": "<=50K"}`` for Adult's test file).
    test_fraction
        Share of rows held out as the test set when there is no ``test_path``.
    seed
        Seed of that split (and of nothing else).
    """

    name: str
    source: TableSource
    path: Path | None = None
    test_path: Path | None = None
    columns: tuple[str, ...] | None = None
    header: bool = True
    skip_rows: int = 0
    test_skip_rows: int | None = None
    sep: str = ","
    target: str | None = None
    categorical: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    missing_values: tuple[str, ...] = DEFAULT_MISSING_VALUES
    label_map: Mapping[str, str] = field(default_factory=dict)
    test_fraction: float = 0.2
    seed: int = 0

    def __post_init__(self) -> None:
        where = f"table {self.name!r}"
        if self.source not in get_args(TableSource):
            raise ConfigError(
                f"{where}: source must be one of {list(get_args(TableSource))}, got {self.source!r}"
            )
        if not 0.0 < self.test_fraction < 1.0:
            raise ConfigError(
                f"{where}: test_fraction must lie strictly in (0, 1), got {self.test_fraction}"
            )
        if self.skip_rows < 0 or (self.test_skip_rows is not None and self.test_skip_rows < 0):
            raise ConfigError(f"{where}: skip_rows and test_skip_rows must be >= 0")
        if len(self.sep) != 1:
            raise ConfigError(f"{where}: sep must be one character, got {self.sep!r}")
        if self.source != "csv":
            self._check_sklearn_source(where)
            return
        if self.path is None:
            raise ConfigError(f"{where}: source 'csv' needs a path")
        if self.target is None:
            raise ConfigError(f"{where}: source 'csv' needs a target column")
        if not self.header and self.columns is None:
            raise ConfigError(f"{where}: header is false, so columns (the names) must be given")
        if self.columns is not None:
            duplicates = sorted({c for c in self.columns if self.columns.count(c) > 1})
            if duplicates:
                raise ConfigError(f"{where}: duplicate column names {duplicates}")
            named = {self.target, *self.categorical, *self.drop}
            unknown = sorted(c for c in named if c not in self.columns)
            if unknown:
                raise ConfigError(
                    f"{where}: target/categorical/drop name columns {unknown} that are not in "
                    f"columns {list(self.columns)}"
                )
        if self.target in self.categorical or self.target in self.drop:
            raise ConfigError(f"{where}: the target {self.target!r} cannot be categorical/dropped")
        both = sorted(set(self.categorical) & set(self.drop))
        if both:
            raise ConfigError(f"{where}: columns {both} are both categorical and dropped")

    def _check_sklearn_source(self, where: str) -> None:
        defaults = {f.name: f.default for f in fields(self) if f.name in _CSV_ONLY}
        defaults["label_map"] = {}
        given = sorted(key for key in _CSV_ONLY if getattr(self, key) != defaults[key])
        if given:
            raise ConfigError(
                f"{where}: keys {given} only apply to source 'csv', not {self.source!r}"
            )

    @property
    def test_skip(self) -> int:
        """Lines skipped at the top of the test file."""
        return self.skip_rows if self.test_skip_rows is None else self.test_skip_rows

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any], *, name: str | None = None) -> TableSpec:
        """Build a spec from a config entry, rejecting unknown keys and wrong types by name.

        ``name`` fills ``name`` when the entry is keyed by it in the config
        (``tables: {adult: {...}}``); an entry's own ``name`` must then agree.

        >>> TableSpec.from_mapping({"source": "iris"}, name="iris").test_fraction
        0.2
        """
        label = name if name is not None else mapping.get("name", "?")
        where = f"table {label!r}"
        known = [f.name for f in fields(cls)]
        unknown = sorted(str(key) for key in mapping if key not in known)
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {unknown}; known keys are {known}")
        values = dict(mapping)
        if name is not None:
            if "name" in values and values["name"] != name:
                raise ConfigError(f"{where}: entry says name {values['name']!r}")
            values["name"] = name
        for key in ("name", "source"):
            if key not in values:
                raise ConfigError(f"{where}: missing required key {key!r}")
        return cls(**{key: _convert(where, key, value) for key, value in values.items()})


def _convert(where: str, key: str, value: Any) -> Any:
    """Check one config value's type and turn it into the dataclass field's type."""
    return _CONVERTERS[key](where, key, value)


def _string(where: str, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: {key} must be a string, got {value!r}")
    return value


def _optional_path(where: str, key: str, value: Any) -> Path | None:
    return None if value is None else Path(_string(where, key, value))


def _strings(where: str, key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ConfigError(f"{where}: {key} must be a list of strings, got {value!r}")
    if not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{where}: {key} must be a list of strings, got {value!r}")
    return tuple(value)


def _optional_strings(where: str, key: str, value: Any) -> tuple[str, ...] | None:
    return None if value is None else _strings(where, key, value)


def _boolean(where: str, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: {key} must be true or false, got {value!r}")
    return value


def _integer(where: str, key: str, value: Any) -> int:
    # bool is an int subclass; `skip_rows: true` is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where}: {key} must be an integer, got {value!r}")
    return value


def _optional_integer(where: str, key: str, value: Any) -> int | None:
    return None if value is None else _integer(where, key, value)


def _number(where: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: {key} must be a number, got {value!r}")
    return float(value)


def _label_map(where: str, key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ConfigError(
            f"{where}: {key} must map spellings (strings) to labels (strings), got {value!r}"
        )
    return dict(value)


_CONVERTERS: Final[Mapping[str, Callable[[str, str, Any], Any]]] = {
    "name": _string,
    "source": _string,
    "path": _optional_path,
    "test_path": _optional_path,
    "columns": _optional_strings,
    "header": _boolean,
    "skip_rows": _integer,
    "test_skip_rows": _optional_integer,
    "sep": _string,
    "target": _string,
    "categorical": _strings,
    "drop": _strings,
    "missing_values": _strings,
    "label_map": _label_map,
    "test_fraction": _number,
    "seed": _integer,
}
