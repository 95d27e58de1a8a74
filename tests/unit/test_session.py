"""Locks a killed run left behind: removed when its run is provably gone, explained otherwise."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from supertml.session import (
    STATE_DIR,
    Session,
    end_session,
    failure_summary,
    record_failure,
    slurm_run_id,
    stale_locks,
    start_session,
)


def dead_pid() -> int:
    """The pid of a process that has ended (and was reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def leave_locks(workdir: Path) -> Path:
    locks = workdir / ".snakemake" / "locks"
    locks.mkdir(parents=True)
    (locks / "0.input.lock").write_text("results/x/splits/train.parquet\n")
    (locks / "0.output.lock").write_text("results/x/summary.csv\n")
    return locks


def record(workdir: Path, **fields: object) -> Session:
    session = Session(
        **({"host": socket.gethostname(), "pid": dead_pid(), "started": time.time(),
            "process_start": None, "slurm_run": None} | fields)  # type: ignore[arg-type]
    )  # fmt: skip
    directory = workdir / STATE_DIR / "sessions"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{session.host}-{session.pid}.json").write_text(
        json.dumps(dataclasses.asdict(session))
    )
    return session


def test_no_locks_no_note(tmp_path: Path) -> None:
    assert stale_locks(tmp_path) is None


def test_locks_of_a_dead_run_on_this_host_are_removed(tmp_path: Path) -> None:
    locks = leave_locks(tmp_path)
    gone = record(tmp_path)
    note = stale_locks(tmp_path)
    assert note is not None
    assert note.startswith(f"supertml: removed the locks left by Snakemake {gone.pid} on ")
    assert "which no longer runs" in note
    assert not locks.exists()
    assert not list((tmp_path / STATE_DIR / "sessions").glob("*.json"))


def test_a_reused_pid_does_not_count_as_the_run(tmp_path: Path) -> None:
    # Our own pid, but a different process start time: the pid was reused, the run is gone.
    locks = leave_locks(tmp_path)
    record(tmp_path, pid=os.getpid(), process_start="1")
    assert "removed the locks" in (stale_locks(tmp_path) or "")
    assert not locks.exists()


def test_locks_of_a_live_run_are_kept_and_explained(tmp_path: Path) -> None:
    locks = leave_locks(tmp_path)
    record(tmp_path, pid=os.getpid(), process_start=None)
    note = stale_locks(tmp_path)
    assert note is not None
    assert f"is held: Snakemake {os.getpid()} on" in note
    assert "is still running: wait for it, or stop it first" in note
    assert locks.is_dir()


def test_locks_of_a_run_on_another_host_are_explained(tmp_path: Path) -> None:
    leave_locks(tmp_path)
    record(tmp_path, host="login2.cluster")
    note = stale_locks(tmp_path) or ""
    assert "on login2.cluster" in note
    assert "another host" in note
    assert "`snakemake --unlock`" in note


def test_locks_nobody_recorded_are_explained(tmp_path: Path) -> None:
    locks = leave_locks(tmp_path)
    note = stale_locks(tmp_path) or ""
    assert "holds locks that no recorded run took" in note
    assert "`snakemake --unlock`" in note
    assert locks.is_dir()


def fake_squeue(directory: Path, job_ids: str) -> None:
    directory.mkdir()
    script = directory / "squeue"
    script.write_text(f"#!/bin/sh\nprintf '{job_ids}'\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_a_dead_slurm_run_with_jobs_in_the_queue_keeps_its_locks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locks = leave_locks(tmp_path)
    record(tmp_path, slurm_run="c0ffee")
    fake_squeue(tmp_path / "bin", "101\\n102\\n")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    note = stale_locks(tmp_path) or ""
    assert "2 of its SLURM jobs are queued or running (`squeue --name c0ffee`)" in note
    assert "scancel --name c0ffee" in note
    assert locks.is_dir()


def test_a_dead_slurm_run_with_an_empty_queue_is_unlocked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locks = leave_locks(tmp_path)
    record(tmp_path, slurm_run="c0ffee")
    fake_squeue(tmp_path / "bin", "")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    assert "removed the locks" in (stale_locks(tmp_path) or "")
    assert not locks.exists()


def test_a_dead_slurm_run_without_squeue_is_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    leave_locks(tmp_path)
    record(tmp_path, slurm_run="c0ffee")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert "`squeue` cannot say whether its SLURM jobs" in (stale_locks(tmp_path) or "")


def test_start_and_end_of_a_session(tmp_path: Path) -> None:
    session = start_session(tmp_path, slurm_run="abc")
    assert session.pid == os.getpid()
    (path,) = (tmp_path / STATE_DIR / "sessions").glob("*.json")
    assert json.loads(path.read_text())["slurm_run"] == "abc"
    leave_locks(tmp_path)
    assert "still running" in (stale_locks(tmp_path) or "")  # this very process
    end_session(tmp_path)
    assert not path.exists()


def test_slurm_run_id_reads_the_running_executor() -> None:
    executor = SimpleNamespace(run_uuid="4b1d")
    assert slurm_run_id(SimpleNamespace(scheduler=SimpleNamespace(_executor=executor))) == "4b1d"
    assert slurm_run_id(SimpleNamespace(scheduler=SimpleNamespace(_executor=object()))) is None
    assert slurm_run_id(SimpleNamespace()) is None


def test_failure_summary_lists_this_runs_failures_last(tmp_path: Path) -> None:
    (tmp_path / ".snakemake").mkdir()
    record_failure("old.csv: from a run before", Path("logs/a.log"), workdir=tmp_path)
    time.sleep(1.2)
    start_session(tmp_path)
    record_failure("events.csv, line 42: negative weight", Path("logs/b.log"), workdir=tmp_path)
    summary = failure_summary(tmp_path)
    assert summary.splitlines() == [
        "supertml: 1 step failed:",
        "  events.csv, line 42: negative weight",
        "    (full traceback in logs/b.log)",
        "Fix the cause and rerun the same command: finished jobs are not rerun.",
    ]
    assert "without a step's own error" in failure_summary(tmp_path)  # each is shown once
    end_session(tmp_path)


def test_record_failure_outside_a_workflow_does_nothing(tmp_path: Path) -> None:
    record_failure("x", Path("y.log"), workdir=tmp_path)
    assert not (tmp_path / STATE_DIR).exists()
