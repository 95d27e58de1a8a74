"""Exceptions that tell a user which file is wrong and why."""

from __future__ import annotations

from pathlib import Path

__all__ = ["REBUILD_CACHE", "ConfigError", "DataValidationError", "ImageCacheError"]


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


#: What to do about a broken image cache: it is derived data, rebuilt from its inputs.
REBUILD_CACHE = (
    "delete this file and rerun the same command (the workflow rebuilds it with encode_images)"
)


class ImageCacheError(ValueError):
    """An HDF5 image cache is missing, truncated, incomplete or inconsistent.

    The message names the file, the problem and the remedy (by default: delete and rebuild).
    """

    def __init__(self, path: str | Path, problem: str, *, remedy: str = REBUILD_CACHE) -> None:
        self.path = Path(path)
        self.problem = problem
        self.remedy = remedy
        super().__init__(f"{self.path}: {problem}" + (f"; {remedy}" if remedy else ""))


class ConfigError(ValueError):
    """The workflow configuration is invalid (unknown key, dangling reference, bad value)."""
