"""Step logging: output goes to the log; a failure's reason also reaches the terminal."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from supertml.logs import logged_step


def test_output_goes_to_the_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "logs" / "step.log"
    with logged_step(log) as logger:
        print("progress bar text")
        sys.stderr.write("a warning\n")
        logger.info("a message")
    text = log.read_text()
    assert "progress bar text" in text
    assert "a warning" in text
    assert "a message" in text
    assert capsys.readouterr().err == ""


def test_handlers_made_before_the_step_write_to_the_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Like Lightning's logger: a handler bound to the terminal at import time.
    library = logging.getLogger("some_library")
    handler = logging.StreamHandler(sys.stderr)
    library.addHandler(handler)
    library.propagate = False
    try:
        with logged_step(tmp_path / "step.log"):
            library.warning("from the library")
        assert "from the library" in (tmp_path / "step.log").read_text()
        assert "from the library" not in capsys.readouterr().err
        assert handler.stream is sys.stderr  # restored afterwards
    finally:
        library.removeHandler(handler)


def test_failure_prints_reason_and_keeps_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "step.log"
    with pytest.raises(ValueError, match="bad weight"), logged_step(log):
        raise ValueError("events.csv, line 3: bad weight")
    err = capsys.readouterr().err
    assert "supertml error: events.csv, line 3: bad weight" in err
    assert str(log) in err
    assert "Traceback" in log.read_text()
    logging.basicConfig(force=True)  # leave no handler on the closed log file behind
