"""Exceptions that tell a user which file is wrong and why."""

from __future__ import annotations

from pathlib import Path

__all__ = ["ConfigError", "DataValidationError", "ImageCacheError"]


class DataValidationError(ValueError):
    """An input table failed validation.

    The message names the file, and where known the column and the first bad row (1-based line
    number in the file, counting the header as line 1), so the user can open the file there.
    """

    def __init__(
        self,
        path: str | Path,
        problem: str,
        *,
        column: str | None = None,
        line: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.problem = problem
        self.column = column
        self.line = line
        where = [str(self.path)]
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {problem}")


class ImageCacheError(ValueError):
    """An HDF5 image cache is missing, truncated, incomplete or inconsistent."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class ConfigError(ValueError):
    """The workflow configuration is invalid (unknown key, dangling reference, bad value)."""
