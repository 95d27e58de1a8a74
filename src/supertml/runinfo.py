"""What produced a run's numbers: library versions, CUDA, the device, the commit, the host.

Every training run (CNN or baseline) records :func:`run_provenance` beside its results
(``train_config.json`` / ``baseline_info.json``), and the verdict page lists it per run, so a
number can be traced to the code and environment that made it long after the run.

Library versions are read from the installed distributions' metadata (nothing is imported for
it); CUDA, cuDNN and the device are asked of torch only when the caller has imported it already
(a baseline job never pays torch's import for its record).
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, Final

__all__ = ["LIBRARIES", "NOT_A_CHECKOUT", "repository_commit", "run_provenance"]

#: The distributions whose versions shape a run's numbers, by the names pip knows them.
LIBRARIES: Final[tuple[str, ...]] = (
    "torch",
    "torchvision",
    "pytorch-lightning",
    "timm",
    "numpy",
    "scipy",
    "pandas",
    "scikit-learn",
    "h5py",
    "pillow",
    "snakemake",
    "supertml",
)

#: What the commit field says when the code does not run from a git checkout.
NOT_A_CHECKOUT: Final[str] = "not a git checkout"


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def repository_commit(path: Path | None = None) -> str:
    """The git commit the code at ``path`` (default: this package's source) runs from, with
    ``+dirty`` when tracked files differ from it; :data:`NOT_A_CHECKOUT` otherwise."""
    where = Path(__file__).resolve().parent if path is None else path

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(where), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if done.returncode != 0:
            raise OSError(done.stderr.strip())
        return done.stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return NOT_A_CHECKOUT
    return commit + ("+dirty" if dirty else "")


def _accelerator() -> dict[str, Any]:
    """CUDA, cuDNN and the device, from torch if the caller imported it."""
    torch = sys.modules.get("torch")
    if torch is None:
        return {"cuda": None, "cudnn": None, "device": f"CPU ({platform.machine()})"}
    cuda = torch.cuda.is_available()
    return {
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if cuda else None,
        "device": torch.cuda.get_device_name(0) if cuda else f"CPU ({platform.machine()})",
    }


def run_provenance() -> dict[str, Any]:
    """What produced a run: versions of :data:`LIBRARIES` and Python, CUDA, cuDNN and the
    device, the repository commit, the host and the SLURM job id (None outside SLURM)."""
    return {
        "libraries": {name: _version(name) for name in LIBRARIES},
        "python": platform.python_version(),
        **_accelerator(),
        "commit": repository_commit(),
        "host": socket.gethostname(),
        "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
    }
