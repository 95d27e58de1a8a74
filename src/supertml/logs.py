"""Logging for workflow steps: everything into the rule's log file, the error also on screen."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

__all__ = ["logged_step"]


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

    A failing step leaves its full traceback in the log and prints the one-line reason
    (e.g. "data.csv, line 12, column 'Weight': negative weight -1.0") on the real stderr, so
    the user sees why without opening the log first.
    """
    path = Path(log_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    original, original_stdout = sys.stderr, sys.stdout
    # Lightning's DDP launcher re-runs the job's script once per further GPU (LOCAL_RANK set):
    # those processes append to the log instead of truncating the first process's output.
    append = os.environ.get("LOCAL_RANK", "0") != "0"
    with path.open("a" if append else "w") as handle:
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
            original.write(f"supertml error: {exc}\n(full traceback in {path})\n")
            raise
        finally:
            handle.flush()
            sys.stderr, sys.stdout = original, original_stdout
            for handler, stream in moved:
                handler.setStream(stream)
