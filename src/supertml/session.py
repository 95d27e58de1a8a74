"""One Snakemake invocation in a working directory: what a later invocation needs to know of it.

Snakemake leaves its locks (``.snakemake/locks/``) behind when it is killed (``kill -9``, a
closed terminal, a node failure), and a plain rerun then stops with a lock error until
``snakemake --unlock`` - although nothing holds the directory any more. Snakemake's locks do
not say who took them, so each run records itself here when it starts (``onstart`` in the
Snakefile): host, process id, the process's start time (against pid reuse) and, under the
SLURM executor, the executor's run id (the job name of all its jobs). A later run that finds
locks (:func:`stale_locks`) removes them itself when every recorded run is provably gone - on
this host, its process dead, and none of its SLURM jobs queued or running - and otherwise says
in one line who holds them and what to do.

Failing steps (:func:`supertml.logs.logged_step`) record their one-line reason and log path
here too (:func:`record_failure`), so that the Snakefile's ``onerror`` ends the terminal
output with them (:func:`failures_since`) instead of leaving them under Snakemake's banner.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "Session",
    "end_session",
    "failure_summary",
    "failures_since",
    "record_failure",
    "slurm_run_id",
    "stale_locks",
    "start_session",
]

#: Where this package keeps its state, beside Snakemake's own under ``.snakemake/``.
STATE_DIR = Path(".snakemake") / "supertml"
_SESSIONS = "sessions"
_FAILURES = "failures"


@dataclass(frozen=True)
class Session:
    """A Snakemake main process that holds (or held) this directory's locks."""

    host: str
    pid: int
    started: float  # seconds since the epoch
    process_start: str | None  # /proc/<pid>/stat field 22: tells a reused pid apart
    slurm_run: str | None  # the SLURM executor's run id: the job name of its jobs

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.started))
        return f"Snakemake {self.pid} on {self.host}, started {when}"


def _process_start(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 2 (the command) may hold spaces and parentheses: count from its closing one.
    return stat.rsplit(")", 1)[1].split()[19]


def _alive(session: Session) -> bool:
    """Whether the process is still running (only answerable on its own host)."""
    try:
        os.kill(session.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return session.process_start is None or _process_start(session.pid) == session.process_start


def _slurm_jobs(run: str) -> int | None:
    """Queued or running SLURM jobs named ``run``, or None if ``squeue`` cannot tell."""
    squeue = shutil.which("squeue")
    if squeue is None:
        return None
    try:
        result = subprocess.run(
            [squeue, "--noheader", "--name", run, "--format", "%i"],
            capture_output=True, text=True, timeout=30, check=True,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return len(result.stdout.split())


def _sessions_dir(workdir: Path) -> Path:
    return workdir / STATE_DIR / _SESSIONS


def _read_sessions(workdir: Path) -> dict[Path, Session]:
    sessions = {}
    for path in sorted(_sessions_dir(workdir).glob("*.json")):
        try:
            sessions[path] = Session(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            continue  # a marker cut short by the kill itself: says nothing
    return sessions


def start_session(workdir: Path, *, slurm_run: str | None = None) -> Session:
    """Record this process as the run holding ``workdir``'s locks; returns the record."""
    pid = os.getpid()
    session = Session(socket.gethostname(), pid, time.time(), _process_start(pid), slurm_run)
    directory = _sessions_dir(workdir)
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".{session.host}-{pid}.json.tmp"
    tmp.write_text(json.dumps(asdict(session)))
    tmp.replace(directory / f"{session.host}-{pid}.json")
    return session


def slurm_run_id(workflow: Any) -> str | None:
    """The SLURM executor's run id (its jobs' ``--job-name``), or None under another executor.

    Read from the running executor, which Snakemake has made by the time ``onstart`` runs; the
    executor logs the same id as "SLURM run ID".
    """
    executor = getattr(getattr(workflow, "scheduler", None), "_executor", None)
    run = getattr(executor, "run_uuid", None)
    return run if isinstance(run, str) else None


def _own_session(workdir: Path) -> Session | None:
    path = _sessions_dir(workdir) / f"{socket.gethostname()}-{os.getpid()}.json"
    try:
        return Session(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def end_session(workdir: Path) -> None:
    """Remove this process's record (at the end of a run, successful or not)."""
    path = _sessions_dir(workdir) / f"{socket.gethostname()}-{os.getpid()}.json"
    path.unlink(missing_ok=True)


def _holder_problem(session: Session, host: str) -> str | None:
    """Why ``session`` may still hold the locks, or None if it is provably gone."""
    if session.host != host:
        return (
            f"{session.describe()} (another host: this one cannot see whether it still runs); "
            "if it does not, run `snakemake --unlock` with the same arguments, then rerun"
        )
    if _alive(session):
        return f"{session.describe()} is still running: wait for it, or stop it first"
    if session.slurm_run is not None:
        jobs = _slurm_jobs(session.slurm_run)
        if jobs is None:
            return (
                f"{session.describe()} is gone, but `squeue` cannot say whether its SLURM jobs "
                f"(name {session.slurm_run}) are: once `squeue --name {session.slurm_run}` "
                "lists none, run `snakemake --unlock` with the same arguments, then rerun"
            )
        if jobs:
            return (
                f"{session.describe()} is gone, but {jobs} of its SLURM jobs are queued or "
                f"running (`squeue --name {session.slurm_run}`): wait for them or `scancel "
                f"--name {session.slurm_run}`, then rerun"
            )
    return None


def stale_locks(workdir: Path) -> str | None:
    """Handle locks left in ``workdir/.snakemake/locks``; a one-line note for the user, or None.

    Removes the locks (as ``snakemake --unlock`` does) when every recorded run is provably
    gone; otherwise says who may still hold them, and leaves them for Snakemake to refuse.
    """
    locks = workdir / ".snakemake" / "locks"
    if not any(locks.glob("*.lock")):
        return None
    sessions = _read_sessions(workdir)
    if not sessions:
        return (
            f"supertml: {locks} holds locks that no recorded run took (a Snakemake killed "
            "before its first job, or started outside this workflow): if no other Snakemake "
            "runs here, run `snakemake --unlock` with the same arguments, then rerun"
        )
    host = socket.gethostname()
    holders = [p for s in sessions.values() if (p := _holder_problem(s, host)) is not None]
    if holders:
        return f"supertml: {locks} is held: {'; '.join(holders)}"
    shutil.rmtree(locks, ignore_errors=True)
    for path in sessions:
        path.unlink(missing_ok=True)
    gone = ", ".join(session.describe() for session in sessions.values())
    return (
        f"supertml: removed the locks left by {gone}, which no longer runs; this run "
        "resumes its work"
    )


def record_failure(reason: str, log: Path, *, workdir: Path | None = None) -> None:
    """Note a failing step's reason and log for the run's ``onerror`` summary; does nothing
    outside a Snakemake working directory (no ``.snakemake/`` here)."""
    base = Path.cwd() if workdir is None else workdir
    if not (base / ".snakemake").is_dir():
        return
    directory = base / STATE_DIR / _FAILURES
    with contextlib.suppress(OSError):  # the summary is a convenience: never mask the error
        directory.mkdir(parents=True, exist_ok=True)
        name = f"{socket.gethostname()}-{os.getpid()}-{time.time_ns()}.json"
        (directory / name).write_text(json.dumps({"reason": reason, "log": str(log)}))


def failures_since(workdir: Path, started: float) -> list[dict[str, Any]]:
    """The failures recorded since ``started`` (oldest first); removes every record read."""
    directory = workdir / STATE_DIR / _FAILURES
    found = []
    for path in sorted(directory.glob("*.json"), key=lambda p: p.stat().st_mtime):
        try:
            if path.stat().st_mtime >= started - 1.0:
                found.append(json.loads(path.read_text()))
            path.unlink()
        except (OSError, ValueError):
            continue
    return found


def failure_summary(workdir: Path) -> str:
    """The closing lines of a failed run: each failing step's reason and log, or where to look
    if no step recorded one (a job killed by the system, a failure in Snakemake itself)."""
    own = _own_session(workdir)
    failures = failures_since(workdir, own.started if own is not None else 0.0)
    if not failures:
        return (
            "supertml: the run failed without a step's own error (a job killed by the system, "
            "by its time limit or by its memory limit, or Snakemake itself): see Snakemake's "
            "messages above and the job's log"
        )
    lines = [f"supertml: {len(failures)} step{'s' if len(failures) > 1 else ''} failed:"]
    for failure in failures:
        lines.append(f"  {failure['reason']}")
        lines.append(f"    (full traceback in {failure['log']})")
    lines.append("Fix the cause and rerun the same command: finished jobs are not rerun.")
    return "\n".join(lines)
