"""One GPU per concurrent job on a workstation with several GPUs.

On a SLURM cluster each job is given its own devices (SLURM sets ``CUDA_VISIBLE_DEVICES``). A
local ``snakemake --cores 16 --resources gpu=4`` only counts: it lets four GPU jobs run at once
but tells none of them which device is theirs, so all four would train on device 0. Before a
GPU job touches CUDA, :func:`claimed_gpus` takes as many devices as the job asked for that no
other job of this user on this machine holds, by an exclusive ``flock`` on one file per device,
and narrows ``CUDA_VISIBLE_DEVICES`` to them. The kernel drops the lock when the job's process
ends, however it ends, so a killed job never leaves a device claimed.

This module must not import torch: the claim has to happen before CUDA is initialised.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import IO

__all__ = ["GPU_COUNT_ENV", "LOCK_DIR_ENV", "claimed_gpus", "local_gpus"]

log = logging.getLogger(__name__)

#: Overrides the machine's GPU count (tests on CPU machines; machines without nvidia-smi).
GPU_COUNT_ENV = "SUPERTML_GPU_COUNT"
#: Where the per-device lock files live (default: a per-user folder in the temp directory).
LOCK_DIR_ENV = "SUPERTML_GPU_LOCK_DIR"


def _machine_gpu_count() -> int:
    nvidia_smi = shutil.which("nvidia-smi")
    if nvidia_smi is None:
        return 0
    try:
        listing = subprocess.run(
            [nvidia_smi, "-L"], capture_output=True, text=True, check=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    return sum(line.startswith("GPU ") for line in listing.splitlines())


def local_gpus(environ: Mapping[str, str] = os.environ) -> list[str]:
    """The devices jobs on this machine may share out: ``CUDA_VISIBLE_DEVICES`` if the user set
    it, otherwise every GPU ``nvidia-smi -L`` lists (or ``SUPERTML_GPU_COUNT`` of them)."""
    visible = environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return [device.strip() for device in visible.split(",") if device.strip()]
    override = environ.get(GPU_COUNT_ENV)
    if override is not None:
        try:
            count = int(override)
        except ValueError:
            raise ValueError(f"{GPU_COUNT_ENV}={override!r} is not a number of GPUs") from None
    else:
        count = _machine_gpu_count()
    return [str(index) for index in range(count)]


def _lock_dir(environ: Mapping[str, str]) -> Path:
    configured = environ.get(LOCK_DIR_ENV)
    if configured:
        return Path(configured)
    return Path(tempfile.gettempdir()) / f"supertml-gpu-locks-{os.getuid()}"


def _try_claim(lock_dir: Path, devices: list[str], count: int) -> list[tuple[str, IO[bytes]]]:
    held: list[tuple[str, IO[bytes]]] = []
    for device in devices:
        handle: IO[bytes] = (lock_dir / f"gpu{device}.lock").open("ab")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        held.append((device, handle))
        if len(held) == count:
            return held
    for _, taken in held:  # not enough free: give back what was taken, try again later
        taken.close()
    return []


@contextlib.contextmanager
def claimed_gpus(
    count: int,
    *,
    environ: MutableMapping[str, str] | None = None,
    poll_seconds: float = 5.0,
) -> Iterator[list[str]]:
    """Hold ``count`` devices of this machine for the block, with ``CUDA_VISIBLE_DEVICES``
    narrowed to them; yields their ids (empty when nothing is claimed).

    Nothing is claimed inside a SLURM job (SLURM assigned the devices), in the further
    processes of a DDP job (they inherit the first one's devices), for ``count`` 0, or on a
    machine without GPUs (the job then runs on the CPU). When every device is held by other
    jobs, waits for one to be released, logging why, instead of sharing a device.
    """
    env = os.environ if environ is None else environ
    ddp_child = env.get("LOCAL_RANK", "0") != "0"
    if count <= 0 or env.get("SLURM_JOB_ID") or ddp_child or not (pool := local_gpus(env)):
        yield []
        return
    if count > len(pool):
        raise ValueError(
            f"the job asks for {count} GPUs, this machine offers {len(pool)} "
            f"(CUDA_VISIBLE_DEVICES / {GPU_COUNT_ENV} / nvidia-smi -L): lower the recipe's "
            "`devices`, or run it on a machine with more GPUs"
        )
    lock_dir = _lock_dir(env)
    lock_dir.mkdir(parents=True, exist_ok=True)
    waited = False
    while not (held := _try_claim(lock_dir, pool, count)):
        if not waited:
            log.info(
                "all %d GPUs (%s) are held by other jobs; waiting for %d to be released",
                len(pool),
                ",".join(pool),
                count,
            )
            waited = True
        time.sleep(poll_seconds)
    devices = [device for device, _ in held]
    previous = env.get("CUDA_VISIBLE_DEVICES")
    env["CUDA_VISIBLE_DEVICES"] = ",".join(devices)
    log.info("claimed GPU %s (CUDA_VISIBLE_DEVICES=%s)", ",".join(devices), ",".join(devices))
    try:
        yield devices
    finally:
        if previous is None:
            env.pop("CUDA_VISIBLE_DEVICES", None)
        else:
            env["CUDA_VISIBLE_DEVICES"] = previous
        for _, handle in held:
            handle.close()
