"""What a run records about what produced it (supertml.runinfo)."""

from __future__ import annotations

import importlib.metadata
import subprocess
from pathlib import Path

import pytest

from supertml.runinfo import LIBRARIES, NOT_A_CHECKOUT, repository_commit, run_provenance


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=True)  # fmt: skip
    return done.stdout.strip()


def test_the_commit_of_a_checkout_and_whether_it_is_dirty(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "a.txt").write_text("one")
    _git(repo, "add", "a.txt")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "one")
    head = _git(repo, "rev-parse", "HEAD")
    assert repository_commit(repo) == head
    (repo / "untracked.txt").write_text("not part of the commit's files")
    assert repository_commit(repo) == head  # untracked files do not make it dirty
    (repo / "a.txt").write_text("two")
    assert repository_commit(repo) == head + "+dirty"
    assert repository_commit(tmp_path / "elsewhere") == NOT_A_CHECKOUT


def test_a_run_records_libraries_device_host_and_slurm_job(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLURM_JOB_ID", "4242")
    record = run_provenance()
    assert list(record["libraries"]) == list(LIBRARIES)
    for name in ("torch", "pytorch-lightning", "timm", "numpy", "scikit-learn", "h5py",
                 "pillow", "snakemake"):  # fmt: skip
        assert record["libraries"][name] == importlib.metadata.version(name)
    assert record["slurm_job_id"] == "4242"
    assert record["host"]
    assert record["device"]
    assert isinstance(record["commit"], str)
    monkeypatch.delenv("SLURM_JOB_ID")
    assert run_provenance()["slurm_job_id"] is None


def test_a_missing_library_is_said_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("supertml.runinfo.LIBRARIES", ("no-such-distribution-here",))
    assert run_provenance()["libraries"] == {"no-such-distribution-here": "not installed"}
