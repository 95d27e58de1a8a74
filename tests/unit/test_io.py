"""Atomic outputs: complete or absent, and readable like any other new file."""

from __future__ import annotations

import os
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
