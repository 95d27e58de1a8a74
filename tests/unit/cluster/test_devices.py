"""GPU assignment on a workstation, tested on CPU with a pretended GPU count."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest

from supertml.cluster.devices import GPU_COUNT_ENV, LOCK_DIR_ENV, claimed_gpus, local_gpus


def _environ(tmp_path: Path, gpus: int, **extra: str) -> dict[str, str]:
    return {GPU_COUNT_ENV: str(gpus), LOCK_DIR_ENV: str(tmp_path / "locks"), **extra}


def _job(environ: dict[str, str], record: str, hold: float) -> None:
    # One "GPU job": claim a device, note when it held which, hold it, let go.
    with claimed_gpus(1, environ=environ, poll_seconds=0.05) as devices:
        start = time.monotonic()
        time.sleep(hold)
        Path(record).write_text(
            json.dumps(
                {
                    "devices": devices,
                    "visible": environ["CUDA_VISIBLE_DEVICES"],
                    "start": start,
                    "end": time.monotonic(),
                }
            )
        )


def test_the_pool_is_cuda_visible_devices_or_the_machine_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert local_gpus({"CUDA_VISIBLE_DEVICES": "2, 3"}) == ["2", "3"]
    assert local_gpus({"CUDA_VISIBLE_DEVICES": ""}) == []
    assert local_gpus({GPU_COUNT_ENV: "3"}) == ["0", "1", "2"]
    with pytest.raises(ValueError, match=f"{GPU_COUNT_ENV}='two'"):
        local_gpus({GPU_COUNT_ENV: "two"})
    monkeypatch.setenv("PATH", "/nonexistent")  # no nvidia-smi: no GPU
    assert local_gpus({}) == []


def test_concurrent_jobs_never_share_a_device(tmp_path: Path) -> None:
    environ = _environ(tmp_path, gpus=2)
    context = multiprocessing.get_context("spawn")
    records = [tmp_path / f"job{i}.json" for i in range(3)]
    jobs = [context.Process(target=_job, args=(environ, str(r), 1.0)) for r in records]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join(timeout=60)
        assert job.exitcode == 0
    held = [json.loads(r.read_text()) for r in records]
    assert all(len(h["devices"]) == 1 and h["visible"] == h["devices"][0] for h in held)
    assert {h["devices"][0] for h in held} == {"0", "1"}
    for a in held:
        for b in held:
            if a is not b and a["devices"] == b["devices"]:
                assert a["end"] <= b["start"] or b["end"] <= a["start"]  # one after the other


def test_a_killed_job_releases_its_device(tmp_path: Path) -> None:
    environ = _environ(tmp_path, gpus=1)
    context = multiprocessing.get_context("spawn")
    holder = context.Process(target=_job, args=(environ, str(tmp_path / "held.json"), 60.0))
    holder.start()
    deadline = time.monotonic() + 30
    while not (tmp_path / "locks" / "gpu0.lock").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # the file exists before the lock is taken
    assert holder.pid is not None
    os.kill(holder.pid, signal.SIGKILL)
    holder.join(timeout=30)
    start = time.monotonic()
    with claimed_gpus(1, environ=environ, poll_seconds=0.05) as devices:
        assert devices == ["0"]
    assert time.monotonic() - start < 5


def test_the_block_sees_its_devices_and_the_environment_is_restored(tmp_path: Path) -> None:
    environ = _environ(tmp_path, gpus=4, CUDA_VISIBLE_DEVICES="4,5,6,7")
    with claimed_gpus(2, environ=environ) as devices:
        assert devices == ["4", "5"]
        assert environ["CUDA_VISIBLE_DEVICES"] == "4,5"
        with claimed_gpus(2, environ=dict(environ, CUDA_VISIBLE_DEVICES="4,5,6,7")) as others:
            assert others == ["6", "7"]
    assert environ["CUDA_VISIBLE_DEVICES"] == "4,5,6,7"


@pytest.mark.parametrize(
    ("count", "extra"),
    [(0, {}), (1, {"SLURM_JOB_ID": "17"}), (1, {"LOCAL_RANK": "1"}), (1, {GPU_COUNT_ENV: "0"})],
    ids=["no-gpu-asked", "inside-slurm", "ddp-child", "cpu-machine"],
)
def test_nothing_is_claimed_where_there_is_nothing_to_share(
    tmp_path: Path, count: int, extra: dict[str, str]
) -> None:
    environ = {**_environ(tmp_path, gpus=2), **extra}
    before = dict(environ)
    with claimed_gpus(count, environ=environ) as devices:
        assert devices == []
        assert environ == before


def test_asking_for_more_gpus_than_the_machine_has_is_an_error(tmp_path: Path) -> None:
    with (
        pytest.raises(ValueError, match="asks for 3 GPUs, this machine offers 2"),
        claimed_gpus(3, environ=_environ(tmp_path, gpus=2)),
    ):
        pass
