"""Bad input and faults, as a new user meets them: each stops as early as it can be known, with
a message naming the file or config key and the remedy, and leaves nothing half-written.

The cases of issue 11's survey, one test each; "no job ran" means Snakemake never built its DAG
(the preflight stops the Snakefile itself) and no ``results/`` directory exists.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
import yaml

from supertml.logs import attempt_logs
from supertml.session import Session
from tests.workflow.helpers import REPO, SAMPLE, run_snakemake, tiny_config

pytestmark = pytest.mark.workflow

RUN = "results/tiny/runs/pixels12_tiny/seed_0"
PREDICTIONS = f"{RUN}/predictions.parquet"


def sample_lines() -> list[str]:
    with gzip.open(SAMPLE, "rt") as handle:
        return handle.read().splitlines()


def assert_no_job_ran(result: subprocess.CompletedProcess[str], workdir: Path) -> None:
    assert result.returncode != 0
    assert "Building DAG of jobs" not in result.stdout + result.stderr
    assert not (workdir / "results").exists()


def assert_ends_with_reason(stderr: str, reason: str) -> None:
    """The failing step's one-line reason and its log are the last lines; no traceback."""
    tail = stderr.strip().splitlines()[-4:]
    assert any(reason in line for line in tail), "\n".join(tail)
    assert any("full traceback in results/tiny/logs/" in line for line in tail), "\n".join(tail)
    assert "Traceback (most recent call last)" not in stderr


# -- the preflight: before any job --------------------------------------------------------------


def test_an_architecture_timm_lacks_stops_before_any_job_naming_file_and_key(
    tmp_path: Path,
) -> None:
    config = tiny_config()
    config["models"]["tiny"]["architecture"] = "resnet18x"
    result = run_snakemake(tmp_path, config, "--cores", "1", check=False)
    assert_no_job_ran(result, tmp_path)
    assert "config.yaml: models.tiny.architecture: timm" in result.stderr
    assert "has no network 'resnet18x'" in result.stderr
    assert "timm.list_models" in result.stderr  # how to find the right name


def test_a_pretrained_tag_timm_lacks_stops_before_any_job(tmp_path: Path) -> None:
    config = tiny_config()
    config["models"]["tiny"] = {"architecture": "resnet34.nope_in1k", "pretrained": True}
    result = run_snakemake(tmp_path, config, "-n", check=False)
    assert_no_job_ran(result, tmp_path)
    assert "models.tiny.architecture: timm" in result.stderr
    assert "no pretrained weights tagged 'nope_in1k' for 'resnet34'" in result.stderr


def test_unreachable_pretrained_weights_stop_a_real_run_before_its_first_job(
    tmp_path: Path,
) -> None:
    # Nothing listens on port 9 of this machine: the weights' host is unreachable, as offline.
    offline = {"HF_ENDPOINT": "http://127.0.0.1:9", "HF_HUB_OFFLINE": "0"}
    config = tiny_config()
    config["models"]["tiny"] = {"architecture": "test_resnet", "pretrained": True}
    dry = run_snakemake(tmp_path, config, "-n", env=offline)
    assert "fetch_weights" in dry.stdout  # a dry run still shows the plan
    result = run_snakemake(tmp_path, config, "--cores", "1", check=False, env=offline)
    assert result.returncode != 0
    assert "config.yaml: models.tiny.pretrained: the ImageNet weights of 'test_resnet'" in (
        result.stderr
    )
    assert "python -m supertml.training.weights test_resnet" in result.stderr
    assert not (tmp_path / "results").exists()  # not even the split ran
    assert not (tmp_path / ".snakemake" / "locks").exists()


def write_sample_rows(path: Path, per_label: dict[str, int]) -> Path:
    """The bundled sample's first events of each label, as many as ``per_label`` says."""
    header, *events = sample_lines()
    label = header.split(",").index("Label")
    kept = [line for line in events if line.split(",")[label] in per_label]
    chosen = [line for code, n in per_label.items()
              for line in [e for e in kept if e.split(",")[label] == code][:n]]  # fmt: skip
    path.write_text("\n".join([header, *chosen]) + "\n")
    return path


def test_a_file_too_small_for_its_subsets_stops_naming_file_and_minimum(tmp_path: Path) -> None:
    events = write_sample_rows(tmp_path / "forty.csv", {"s": 20, "b": 20})
    result = run_snakemake(tmp_path, tiny_config(events), "--cores", "1", check=False)
    assert_no_job_ran(result, tmp_path)
    assert f"config.yaml: dataset.path: {events} gives about" in result.stderr
    assert "fewer than the 5 every subset needs of each class" in result.stderr


def test_a_file_too_small_for_the_folds_names_analysis_n_folds(tmp_path: Path) -> None:
    events = write_sample_rows(tmp_path / "small.csv", {"s": 100, "b": 100})
    result = run_snakemake(tmp_path, tiny_config(events), "--cores", "1", check=False)
    assert_no_job_ran(result, tmp_path)
    assert "config.yaml: analysis.n_folds: the public test subset of" in result.stderr
    assert "fewer than 2 per fold of the 10 folds" in result.stderr
    assert "lower analysis.n_folds to" in result.stderr


def test_a_file_without_background_is_told_so(tmp_path: Path) -> None:
    events = write_sample_rows(tmp_path / "signal.csv", {"s": 3000})
    result = run_snakemake(tmp_path, tiny_config(events), "--cores", "1", check=False)
    assert_no_job_ran(result, tmp_path)
    assert f"{events} has no `Label b` rows (background)" in result.stderr
    assert "too few events" not in result.stderr


def test_a_semicolon_delimited_file_is_named_as_such(tmp_path: Path) -> None:
    events = tmp_path / "semicolons.csv"
    events.write_text("\n".join(line.replace(",", ";") for line in sample_lines()) + "\n")
    result = run_snakemake(tmp_path, tiny_config(events), "--cores", "1", check=False)
    assert_no_job_ran(result, tmp_path)
    assert f"{events}, line 1: the header is one field that splits at ';'" in result.stderr
    assert "semicolon-separated" in result.stderr
    assert "missing columns" not in result.stderr


def test_a_config_error_names_the_config_file(tmp_path: Path) -> None:
    config = tiny_config()
    config["recipes"]["one_epoch"]["epohcs"] = 3
    result = run_snakemake(tmp_path, config, "--cores", "1", check=False)
    assert_no_job_ran(result, tmp_path)
    assert "config.yaml is invalid:" in result.stderr
    assert "recipes.one_epoch: Additional properties are not allowed" in result.stderr
    assert "Traceback" not in result.stderr
    assert "common.smk" not in result.stderr  # the problem, not where the workflow noticed it


# -- failing jobs: reason last, nothing half-written -------------------------------------------


def test_a_byte_that_is_not_utf8_is_reported_at_its_line(tmp_path: Path) -> None:
    lines = sample_lines()
    fields = lines[1233].split(",")
    fields[3] = fields[3] + "\xe9"  # a Latin-1 byte on file line 1234
    lines[1233] = ",".join(fields)
    events = tmp_path / "latin1.csv"
    events.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    result = run_snakemake(tmp_path, tiny_config(events), "--cores", "1", check=False)
    assert result.returncode != 0
    reason = f"{events}, line 1234: byte 0xe9 at byte"
    assert_ends_with_reason(result.stderr, reason)
    assert "position 0" not in result.stderr
    assert not list((tmp_path / "results").rglob("*.parquet"))
    assert not list((tmp_path / "results").rglob("summary.json"))


def _mount_tmpfs(directory: Path, size: str) -> None:
    directory.mkdir(parents=True)
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot mount a small tmpfs here (root in a privileged machine needed): {exc}")


@pytest.mark.skip_allowed("mounting a tmpfs needs root on a machine that allows mounts")
def test_a_full_disk_names_the_file_and_leaves_nothing_half_written(tmp_path: Path) -> None:
    results = tmp_path / "results"
    _mount_tmpfs(results, "160k")  # room for the logs, not for the first split
    try:
        result = run_snakemake(tmp_path, tiny_config(), "--cores", "1", check=False)
        assert result.returncode != 0
        assert_ends_with_reason(result.stderr, "cannot write results/tiny/splits/")
        assert "No space left on device" in result.stderr
        assert not list(results.rglob("*.parquet"))
        assert not list(results.rglob("*.tmp"))
    finally:
        subprocess.run(["umount", str(results)], check=False)


# -- after a kill: one command resumes -----------------------------------------------------------


def _snakemake_command(workdir: Path, *targets: str) -> list[str]:
    return [
        sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
        "--directory", str(workdir), "--configfile", str(workdir / "config.yaml"),
        "--cores", "1", *targets,
    ]  # fmt: skip


def test_a_plain_rerun_after_kill_9_resumes_and_keeps_the_killed_attempts_log(
    tmp_path: Path,
) -> None:
    config = tiny_config()
    config["recipes"]["one_epoch"]["epochs"] = 40
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    log = tmp_path / "results/tiny/logs/train_model/pixels12_tiny/seed_0.log"
    environment = {**os.environ, "PYTHONWARNINGS": "ignore"}
    # Its own session, so the kill takes Snakemake and its job at once, as a node failure does.
    first = subprocess.Popen(
        _snakemake_command(tmp_path, f"{RUN}/model.ckpt"), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while not (log.is_file() and "Epoch 2" in log.read_text(errors="replace")):
            assert first.poll() is None, "the first run ended before it could be killed"
            assert time.monotonic() < deadline, "training did not reach its third epoch"
            time.sleep(0.5)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    assert list((tmp_path / ".snakemake" / "locks").glob("*.lock"))  # what blocked a rerun

    again = subprocess.run(
        _snakemake_command(tmp_path, f"{RUN}/model.ckpt"),
        capture_output=True, text=True, env=environment, check=False,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "supertml: removed the locks left by Snakemake" in again.stderr
    assert (tmp_path / RUN / "model.ckpt").is_file()
    assert "resuming from" in log.read_text()
    kept = attempt_logs(log)
    assert len(kept) == 1
    assert "Epoch 2" in kept[0].read_text(errors="replace")


def test_locks_of_a_run_that_still_runs_are_explained_not_removed(tmp_path: Path) -> None:
    config = tiny_config()
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    locks = tmp_path / ".snakemake" / "locks"
    locks.mkdir(parents=True)
    (locks / "0.output.lock").write_text(PREDICTIONS + "\n")  # as Snakemake writes it
    sessions = tmp_path / ".snakemake" / "supertml" / "sessions"
    sessions.mkdir(parents=True)
    # This test's own process plays the run that holds the locks.
    holder = Session(socket.gethostname(), os.getpid(), time.time(), None, None)
    (sessions / "holder.json").write_text(json.dumps(dataclasses.asdict(holder)))
    result = subprocess.run(
        _snakemake_command(tmp_path, PREDICTIONS), capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert f"is held: Snakemake {os.getpid()} on" in result.stderr
    assert "is still running: wait for it, or stop it first" in result.stderr
    assert (locks / "0.output.lock").is_file()


# -- broken image caches ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scored_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A trained and scored tiny run (no baselines, no report), to break its caches in copies."""
    workdir = tmp_path_factory.mktemp("scored")
    config: dict[str, Any] = tiny_config()
    config["baselines"] = {}
    run_snakemake(workdir, config, "--cores", "2", PREDICTIONS)
    return workdir


def _copy(run: Path, tmp_path: Path) -> Path:
    workdir = tmp_path / "run"
    shutil.copytree(run, workdir, symlinks=True)  # copy2: modification times kept
    return workdir


def test_a_truncated_cache_stops_the_rerun_before_any_job_and_keeps_the_model(
    scored_run: Path, tmp_path: Path
) -> None:
    workdir = _copy(scored_run, tmp_path)
    cache = workdir / "results/tiny/images/standard/pixels12/table/val.h5"
    data = cache.read_bytes()
    cache.write_bytes(data[: len(data) // 2])  # an interrupted copy
    checkpoint = (workdir / RUN / "model.ckpt").read_bytes()

    result = run_snakemake(workdir, workdir / "config.yaml", "--cores", "1", PREDICTIONS,
                           check=False)  # fmt: skip
    assert result.returncode != 0
    assert "supertml: broken image caches (1 problem; no job was started)" in result.stderr
    assert "results/tiny/images/standard/pixels12/table/val.h5: cannot read as HDF5" in (
        result.stderr
    )
    assert "truncated" in result.stderr
    assert "delete this file and rerun the same command" in result.stderr
    assert "Building DAG" not in result.stdout + result.stderr
    assert (workdir / RUN / "model.ckpt").read_bytes() == checkpoint

    cache.unlink()  # the remedy the message gives
    run_snakemake(workdir, workdir / "config.yaml", "--cores", "1", PREDICTIONS)
    assert (workdir / PREDICTIONS).is_file()


def test_a_corrupt_chunk_names_the_cache_and_the_remedy(scored_run: Path, tmp_path: Path) -> None:
    workdir = _copy(scored_run, tmp_path)
    cache = workdir / "results/tiny/images/standard/pixels12/table/public.h5"
    with h5py.File(cache, "r") as handle:
        offset = handle["images"].id.get_chunk_info(0).byte_offset
    with cache.open("r+b") as handle:  # flip bytes inside the first image chunk
        handle.seek(offset + 16)
        byte = handle.read(8)
        handle.seek(offset + 16)
        handle.write(bytes(np.bitwise_not(np.frombuffer(byte, dtype=np.uint8))))
    checkpoint = (workdir / RUN / "model.ckpt").read_bytes()

    result = run_snakemake(workdir, workdir / "config.yaml", "--cores", "1", PREDICTIONS,
                           check=False)  # fmt: skip
    assert result.returncode != 0
    assert_ends_with_reason(result.stderr, "public.h5: cannot read as HDF5")
    assert "delete this file and rerun the same command" in result.stderr
    assert (workdir / RUN / "model.ckpt").read_bytes() == checkpoint  # scoring reruns, not training
    assert not (workdir / PREDICTIONS).exists()
