"""Atomic file output: a result either exists complete or not at all."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["JsonValue", "atomic_path", "read_json", "write_json", "write_table"]

#: A value ``json.dumps`` writes as standard JSON (NaN and inf are never produced here).
JsonValue = float | int | str | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: errno values that mean the disk refused to store more: the block failed *writing*, so the
#: message may name the target file (a read error names its own file and is left alone).
_STORAGE_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS})


#: Free bytes below which a failed write is taken for a full disk, whatever the library said
#: (torch.save raises "PytorchStreamWriter failed writing file", a RuntimeError without errno).
_FULL_DISK_BYTES = 1 << 20


def _disk_full(directory: Path) -> bool:
    try:
        return shutil.disk_usage(directory).free < _FULL_DISK_BYTES
    except OSError:
        return False


def _storage_error(target: Path, exc: BaseException) -> OSError | None:
    """An OSError naming ``target`` and the remedy, if ``exc`` is a full disk or the like
    (HDF5 reports those with errno set and a message that names no file)."""
    code = exc.errno if isinstance(exc, OSError) else None
    if code not in _STORAGE_ERRORS:
        if not isinstance(exc, Exception) or not _disk_full(target.parent):
            return None
        code = errno.ENOSPC
    where = target.parent.resolve()
    error = OSError(
        f"cannot write {target}: {os.strerror(code)} (in {where}); nothing was left "
        "half-written: free space there (or point results/ at a larger disk) and rerun the "
        "same command"
    )
    error.errno = code  # set after: OSError(code, text) would print "[Errno 28]" first
    return error


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    The temporary file lives in the same directory so the final ``os.replace`` is atomic on
    POSIX file systems. On any exception the temporary file is removed and nothing is left at
    ``path`` - a half-written result can never be mistaken for a finished one. A full disk (or
    quota, or read-only file system) is reported naming ``path``.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise (_storage_error(target, exc) or exc) from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp creates the file private (0600); give the result the permissions any other
        # new file would get, so collaborators on a shared cluster file system can read it.
        os.chmod(tmp, 0o666 & ~_current_umask())
        os.replace(tmp, target)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if (named := _storage_error(target, exc)) is not None:
            raise named from exc
        raise


def write_json(path: str | Path, payload: dict[str, Any]) -> None:
    """Write ``payload`` as indented, key-sorted JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")


def write_table(path: str | Path, frame: pd.DataFrame) -> None:
    """Write a data frame as Parquet (``.parquet``) or CSV (``.csv``), atomically."""
    target = Path(path)
    with atomic_path(target) as tmp:
        if target.suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        elif target.suffix == ".csv":
            frame.to_csv(tmp, index=False)
        else:
            raise ValueError(f"{target}: unsupported table format {target.suffix!r}")


def read_json(path: str | Path) -> dict[str, Any]:
    """The JSON object in ``path``; a missing file or bad JSON is an error naming the file."""
    try:
        record: dict[str, Any] = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: file not found") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    return record
