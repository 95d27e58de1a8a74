"""Logging for workflow steps: everything into the rule's log file, the error also on screen.

Snakemake deletes a job's log before it reruns the job, so the log of a killed or failed
attempt would be lost with the rerun. Each attempt's log is therefore also a hard link
``<log stem>.attempt-<start time>.log`` beside it (same file, no copy); a successful attempt
removes its link, so the links left are exactly the attempts that did not finish.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from supertml.session import record_failure

__all__ = ["attempt_logs", "logged_step"]


def _attempt_link(path: Path) -> Path | None:
    """Hard-link ``path`` as this attempt's log; None where the file system has no hard
    links (the attempt's log is then not kept past a rerun)."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    link = path.with_name(f"{path.stem}.attempt-{stamp}-{os.getpid()}{path.suffix}")
    try:
        os.link(path, link)
    except OSError:
        return None
    return link


def attempt_logs(log_path: str | Path) -> list[Path]:
    """The logs kept of earlier attempts of the job that writes ``log_path``, oldest first."""
    path = Path(log_path)
    return sorted(path.parent.glob(f"{path.stem}.attempt-*{path.suffix}"))


def _redirect_stream_handlers(
    stream_ids: set[int], target: TextIO
) -> list[tuple[logging.StreamHandler[TextIO], TextIO]]:
    """Point every logging handler that writes to one of the given streams at ``target``."""
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    moved = []
    for logger in loggers:
        for handler in getattr(logger, "handlers", []):
            if type(handler) is logging.StreamHandler and id(handler.stream) in stream_ids:
                moved.append((handler, handler.stream))
                handler.setStream(target)
    return moved


@contextlib.contextmanager
def logged_step(log_path: str | Path) -> Iterator[logging.Logger]:
    """Send stdout, stderr and the ``logging`` root logger to ``log_path`` for the block.

    A failing step leaves its full traceback in the log, prints only its one-line reason
    (e.g. "data.csv, line 12, column 'Weight': negative weight -1.0") and the log's path on
    the real stderr, records both for the workflow's closing summary
    (:func:`supertml.session.record_failure`) and exits with status 1 (``SystemExit``: no
    traceback on the terminal). The attempt's log is kept past a rerun unless it succeeds
    (module docstring).
    """
    path = Path(log_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    original, original_stdout = sys.stderr, sys.stdout
    # Lightning's DDP launcher re-runs the job's script once per further GPU (LOCAL_RANK set):
    # those processes append to the log instead of truncating the first process's output.
    append = os.environ.get("LOCAL_RANK", "0") != "0"
    with path.open("a" if append else "w") as handle:
        attempt = None if append else _attempt_link(path)
        # stdout too: Lightning's progress bar writes there, and Snakemake's own output must
        # stay readable when several jobs run at once.
        sys.stderr = sys.stdout = handle
        logging.basicConfig(
            stream=handle,
            level=logging.INFO,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            force=True,
        )
        # Libraries imported before this block (Lightning) hold handlers bound to the terminal.
        moved = _redirect_stream_handlers({id(original), id(original_stdout)}, handle)
        try:
            yield logging.getLogger("supertml")
        except Exception as exc:
            logging.getLogger("supertml").exception("step failed")
            reason = str(exc) or type(exc).__name__
            original.write(f"supertml error: {reason}\n(full traceback in {path})\n")
            record_failure(reason, path)
            raise SystemExit(1) from None
        else:
            if attempt is not None:
                attempt.unlink(missing_ok=True)
        finally:
            handle.flush()
            sys.stderr, sys.stdout = original, original_stdout
            for handler, stream in moved:
                handler.setStream(stream)
