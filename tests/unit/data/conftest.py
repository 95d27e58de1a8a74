"""Shared helpers of the data tests: the bundled real sample and small CSV files built from it."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from supertml.data.reader import EventTable, read_events

#: The bundled real sample, as the repository ships it (gzipped).
BUNDLED = (
    Path(__file__).resolve().parents[3]
    / "resources/higgsml-sample/atlas-higgs-challenge-2014-v2-sample.csv.gz"
)
#: SHA-256 of the uncompressed sample (resources/higgsml-sample/PROVENANCE.md).
SAMPLE_SHA256 = "b8fae5e3b9cbce1d9b393584d18c9cff46f6161368b8914010e0bd31828c6d05"


@pytest.fixture(scope="session")
def sample_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real 8,004-event Open Data sample as a plain CSV file, from the repository's copy
    (its bytes checked against the provenance record)."""
    data = gzip.decompress(BUNDLED.read_bytes())
    assert hashlib.sha256(data).hexdigest() == SAMPLE_SHA256, f"{BUNDLED} is not the sample"
    path = tmp_path_factory.mktemp("sample") / "atlas-higgs-challenge-2014-v2-sample.csv"
    path.write_bytes(data)
    return path


@pytest.fixture(scope="session")
def sample_table(sample_path: Path) -> EventTable:
    """The real sample, read once per session (tests must not modify its frame)."""
    return read_events(sample_path)


@pytest.fixture(scope="session")
def sample_lines(sample_path: Path) -> list[str]:
    """Header and the first 10 data lines of the real sample, without line endings."""
    with sample_path.open() as handle:
        return [next(handle).rstrip("\r\n") for _ in range(11)]


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """Write lines to ``tmp_path/name`` joined by ``newline`` (with a final newline)."""

    def write(lines: Sequence[str], name: str = "events.csv", newline: str = "\n") -> Path:
        path = tmp_path / name
        path.write_bytes("".join(line + newline for line in lines).encode())
        return path

    return write
