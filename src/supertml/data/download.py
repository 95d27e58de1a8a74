"""Fetching the full Open Data file, with a clear message where there is no internet."""

from __future__ import annotations

import gzip
import shutil
import urllib.error
import urllib.request
from pathlib import Path

from supertml.io import atomic_path

__all__ = ["OPENDATA_URL", "DownloadError", "download_file"]

#: CERN Open Data record 328 (DOI 10.7483/OPENDATA.ATLAS.ZBP2.M5T8), the full 818,238 events.
OPENDATA_URL = "https://opendata.cern.ch/record/328/files/atlas-higgs-challenge-2014-v2.csv.gz"


class DownloadError(RuntimeError):
    """A download failed; the message says where to put the file by hand."""


def download_file(url: str, destination: str | Path, *, timeout: float = 60.0) -> Path:
    """Download ``url`` to ``destination`` atomically; for ``.gz`` check the archive is whole.

    No checksum is published alongside the record's file, so the reader's validation (every
    column, label, weight and KaggleSet value) is the content check that follows.
    """
    target = Path(destination)
    try:
        with atomic_path(target) as tmp:
            with urllib.request.urlopen(url, timeout=timeout) as response, tmp.open("wb") as out:
                shutil.copyfileobj(response, out, length=1 << 20)
            if target.suffix == ".gz":
                with gzip.open(tmp) as archive:
                    while archive.read(1 << 24):
                        pass
    except (urllib.error.URLError, TimeoutError, OSError, EOFError) as exc:
        raise DownloadError(
            f"could not download {url} to {target}: {exc}\n"
            f"Without internet, fetch the file on another machine and copy it to {target} "
            "(or point dataset.path in the config at your copy); the workflow then skips "
            "the download."
        ) from exc
    return target
