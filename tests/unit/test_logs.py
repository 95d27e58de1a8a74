"""Step logging: output goes to the log; a failure's reason also reaches the terminal."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from supertml.logs import attempt_logs, logged_step
from supertml.session import failures_since


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
    with pytest.raises(SystemExit) as exited, logged_step(log):
        raise ValueError("events.csv, line 3: bad weight")
    assert exited.value.code == 1
    assert exited.value.__cause__ is None  # nothing chained for Python to print
    err = capsys.readouterr().err
    assert err == f"supertml error: events.csv, line 3: bad weight\n(full traceback in {log})\n"
    assert "Traceback" in log.read_text()
    assert "ValueError: events.csv, line 3: bad weight" in log.read_text()
    logging.basicConfig(force=True)  # leave no handler on the closed log file behind


def test_failure_is_recorded_for_the_closing_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".snakemake").mkdir()
    monkeypatch.chdir(tmp_path)
    log = tmp_path / "logs" / "step.log"
    with pytest.raises(SystemExit), logged_step(log):
        raise OSError("cannot write results/x.parquet: No space left on device")
    logging.basicConfig(force=True)
    failures = failures_since(tmp_path, started=0.0)
    assert failures == [
        {"reason": "cannot write results/x.parquet: No space left on device", "log": str(log)}
    ]
    assert failures_since(tmp_path, started=0.0) == []  # read once


def test_a_killed_or_failed_attempt_keeps_its_log_past_the_rerun(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "train_model" / "seed_0.log"

    def first_attempt() -> None:
        with logged_step(log):
            print("epoch 1 of the first attempt")
            raise RuntimeError("node failure")

    with pytest.raises(SystemExit):
        first_attempt()
    logging.basicConfig(force=True)
    log.unlink()  # what Snakemake does before it reruns the job
    with logged_step(log):
        print("the second attempt")
    logging.basicConfig(force=True)
    kept = attempt_logs(log)
    assert len(kept) == 1
    assert "epoch 1 of the first attempt" in kept[0].read_text()
    assert "the second attempt" in log.read_text()  # the succeeded attempt keeps no link
