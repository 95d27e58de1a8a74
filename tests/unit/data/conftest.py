"""Shared helpers of the data tests: the bundled real sample and small CSV files built from it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from supertml.data.reader import EventTable, read_events

SAMPLE = Path("/work/shared/data/higgsml-sample/atlas-higgs-challenge-2014-v2-sample.csv")


def _sample_path() -> Path:
    # The sample lives outside the repository on this machine; tests that need it skip elsewhere.
    if not SAMPLE.is_file():
        pytest.skip(f"real sample not found at {SAMPLE}")
    return SAMPLE


@pytest.fixture(scope="session")
def sample_path() -> Path:
    """Path of the real 8,004-event Open Data sample."""
    return _sample_path()


@pytest.fixture(scope="session")
def sample_table() -> EventTable:
    """The real sample, read once per session (tests must not modify its frame)."""
    return read_events(_sample_path())


@pytest.fixture(scope="session")
def sample_lines() -> list[str]:
    """Header and the first 10 data lines of the real sample, without line endings."""
    with _sample_path().open() as handle:
        return [next(handle).rstrip("\r\n") for _ in range(11)]


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """Write lines to ``tmp_path/name`` joined by ``newline`` (with a final newline)."""

    def write(lines: Sequence[str], name: str = "events.csv", newline: str = "\n") -> Path:
        path = tmp_path / name
        path.write_bytes("".join(line + newline for line in lines).encode())
        return path

    return write
