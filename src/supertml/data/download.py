"""Fetching the full Open Data file: resumable, checked before use, clear when offline.

The download runs on the head node (a Snakemake ``localrules`` entry: compute nodes of many
clusters have no internet). Bytes go to ``<file>.part`` beside the destination; a dropped
connection is retried from where it stopped (an HTTP ``Range`` request), and so is a rerun of
the rule after a kill, because Snakemake deletes only the declared output, never the
``.part`` file. The destination appears only once the archive is whole and holds the columns
and the number of rows the config expects, so no half-downloaded or wrong file ever reaches
the reader.
"""

from __future__ import annotations

import gzip
import http.client
import logging
import os
import time
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from supertml.data.reader import SOURCE_COLUMNS

__all__ = [
    "OPENDATA_URL",
    "DownloadError",
    "FileCheck",
    "check_event_file",
    "download_file",
    "partial_path",
]

log = logging.getLogger(__name__)

#: CERN Open Data record 328 (DOI 10.7483/OPENDATA.ATLAS.ZBP2.M5T8), the full 818,238 events.
OPENDATA_URL = "https://opendata.cern.ch/record/328/files/atlas-higgs-challenge-2014-v2.csv.gz"

_CHUNK = 1 << 20


class DownloadError(RuntimeError):
    """A download failed or fetched a wrong file; the message says how to place it by hand."""


@dataclass(frozen=True)
class FileCheck:
    """What :func:`check_event_file` found: the layout recognised from the header and rows."""

    source_format: str
    rows: int


def partial_path(destination: str | Path) -> Path:
    """Where the bytes of an unfinished download of ``destination`` are kept."""
    target = Path(destination)
    return target.with_name(target.name + ".part")


def _by_hand(url: str, target: Path) -> str:
    return (
        f"Without internet, fetch {url} on another machine and copy it to {target} "
        "(or point dataset.path in the config at your copy); the workflow then skips "
        "the download."
    )


def _open_text(path: Path) -> BinaryIO | gzip.GzipFile:
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    if gzipped:
        return gzip.GzipFile(path, "rb")
    return path.open("rb")


def check_event_file(path: str | Path, *, expected_rows: int | None = None) -> FileCheck:
    """Read ``path`` through once: gzip integrity (CRC and length), a recognised challenge
    header, and ``expected_rows`` data rows when given. Raises ``ValueError`` naming the problem.

    Counting newlines of the decompressed stream costs about 2 s for the full 818,238-event
    file; parsing it is the reader's job, later.
    """
    source = Path(path)
    try:
        with _open_text(source) as stream:
            header = stream.readline().decode("utf-8", errors="replace").strip()
            newlines = 0
            last = b"\n"
            while block := stream.read(1 << 24):
                newlines += block.count(b"\n")
                last = block[-1:]
    except (EOFError, OSError, zlib.error) as exc:
        raise ValueError(f"{source}: the archive is damaged or truncated ({exc})") from exc
    columns = tuple(name.strip() for name in header.split(","))
    layout = next((name for name, cols in SOURCE_COLUMNS.items() if cols == columns), None)
    if layout is None:
        raise ValueError(
            f"{source}: the header is not one of the challenge layouts "
            f"(expected the {len(SOURCE_COLUMNS['opendata'])} Open Data columns "
            f"{', '.join(SOURCE_COLUMNS['opendata'][:2])}, ..., KaggleWeight; "
            f"found {len(columns)} columns starting {header[:60]!r})"
        )
    rows = newlines + (last != b"\n")
    if expected_rows is not None and rows != expected_rows:
        raise ValueError(f"{source}: {rows:,} data rows, expected {expected_rows:,}")
    return FileCheck(source_format=layout, rows=rows)


def _fetch_once(url: str, part: Path, *, timeout: float) -> None:
    """Append the bytes of ``url`` after what ``part`` holds; a finished file returns quietly."""
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "supertml-download"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()  # the error carries the open response
        if exc.code == 416 and have:
            # Range not satisfiable: everything is here already (the check decides).
            return
        raise
    with response:
        status = response.status
        if have and status != 206:
            log.info("server ignored the resume request (HTTP %d): starting over", status)
            have = 0
        total = response.headers.get("Content-Length")
        expected_end = have + int(total) if total is not None else None
        with part.open("ab" if have else "wb") as out:
            while chunk := response.read(_CHUNK):
                out.write(chunk)
    size = part.stat().st_size
    if expected_end is not None and size < expected_end:
        raise http.client.IncompleteRead(b"", expected_end - size)


def download_file(
    url: str,
    destination: str | Path,
    *,
    expected_rows: int | None = None,
    timeout: float = 60.0,
    attempts: int = 5,
    backoff: float = 2.0,
) -> Path:
    """Download ``url`` to ``destination``, resuming a partial download, then check it.

    A connection that drops mid-file is retried up to ``attempts`` times, each attempt asking
    the server for the missing bytes only. A failure to reach the server at all (no internet,
    no DNS) is not retried: it fails at once with the URL and the path to place the file by
    hand. The finished file must pass :func:`check_event_file`; a damaged one is deleted (it
    cannot be resumed into a good one) and the error says so.

    No checksum is published beside the Open Data record, so the header, the row count and
    gzip's own CRC are the content checks; the reader validates every value afterwards.
    """
    target = Path(destination)
    target.parent.mkdir(parents=True, exist_ok=True)
    part = partial_path(target)
    if part.exists():
        log.info("resuming %s from byte %d", url, part.stat().st_size)
    for attempt in range(1, attempts + 1):
        before = part.stat().st_size if part.exists() else 0
        try:
            _fetch_once(url, part, timeout=timeout)
            break
        except urllib.error.HTTPError as exc:
            raise DownloadError(
                f"could not download {url} to {target}: HTTP {exc.code} {exc.reason}\n"
                + _by_hand(url, target)
            ) from exc
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            got = (part.stat().st_size if part.exists() else 0) - before
            reached = not isinstance(exc, urllib.error.URLError) or got > 0
            if not reached or attempt == attempts:
                tried = f" after {attempt} attempts" if reached else ""
                kept = part.stat().st_size if part.exists() else 0
                resume = (
                    f"{kept:,} bytes are kept in {part}; rerunning resumes from there.\n"
                    if kept
                    else ""
                )
                raise DownloadError(
                    f"could not download {url} to {target}{tried}: {exc}\n"
                    + resume
                    + _by_hand(url, target)
                ) from exc
            log.warning(
                "download of %s stopped after %d bytes (%s); resuming (attempt %d of %d)",
                url,
                part.stat().st_size,
                exc,
                attempt + 1,
                attempts,
            )
            time.sleep(backoff * attempt)
    try:
        found = check_event_file(part, expected_rows=expected_rows)
    except ValueError as exc:
        part.unlink(missing_ok=True)
        raise DownloadError(
            f"downloaded {url}, but the file is not usable: {exc}\n"
            f"The partial file was deleted; rerun to download it again. " + _by_hand(url, target)
        ) from exc
    log.info("%s: %s layout, %d rows", target, found.source_format, found.rows)
    os.replace(part, target)
    return target
