"""Atomic outputs: complete or absent, and readable like any other new file."""

from __future__ import annotations

import errno
import os
import shutil
import stat
from pathlib import Path

import pytest

from supertml.io import atomic_path, write_json


def test_result_has_the_usual_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_json(tmp_path / "out.json", {"a": 1})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out.json").stat().st_mode) == 0o644


def _write_half_then_fail(target: Path) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")


def test_failure_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="killed"):
        _write_half_then_fail(tmp_path / "out.txt")
    assert list(tmp_path.iterdir()) == []


def test_success_replaces_previous_result(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with atomic_path(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new"
    assert list(tmp_path.iterdir()) == [target]


def test_a_full_disk_names_the_target_and_leaves_nothing(tmp_path: Path) -> None:
    # /dev/full answers every write with the kernel's own ENOSPC, as a full disk does.
    target = tmp_path / "splits" / "train.parquet"
    with (
        pytest.raises(OSError, match="No space left") as caught,
        atomic_path(target),
        open("/dev/full", "w") as full,
    ):
        full.write("x" * 10)
    assert caught.value.errno == errno.ENOSPC
    assert f"cannot write {target}: No space left on device" in str(caught.value)
    assert "free space there" in str(caught.value)
    assert list(target.parent.iterdir()) == []


def test_a_read_error_inside_the_block_is_left_as_it_is(tmp_path: Path) -> None:
    missing = tmp_path / "input.csv"
    with pytest.raises(FileNotFoundError) as caught, atomic_path(tmp_path / "out.csv"):
        missing.read_text()
    assert str(missing) in str(caught.value)
    assert "cannot write" not in str(caught.value)


def test_any_failure_on_a_full_disk_is_reported_as_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # torch.save on a full disk raises a RuntimeError without errno: the free space decides.
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda _: usage._replace(free=4096))
    target = tmp_path / "model.ckpt"
    with pytest.raises(OSError, match=f"cannot write {target}: No space left"), atomic_path(target):
        raise RuntimeError("PytorchStreamWriter failed writing file data/0: file write failed")
