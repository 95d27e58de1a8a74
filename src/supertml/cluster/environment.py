"""What training does inside and outside a SLURM job.

Lightning looks for SLURM itself: inside an allocation it switches to its SLURM environment,
which takes ranks from ``srun``'s task variables, expects one task per device, and installs a
SIGUSR1 handler that requeues the job with ``scontrol requeue``; outside one, it warns whenever
``srun`` is merely installed (every cluster login node). Neither suits this workflow:

- every job is one SLURM task (Snakemake's SLURM executor submits one task and runs the rule in
  one ``srun -n1`` step), and several GPUs of one job are driven by Lightning's own subprocess
  launcher, as on a workstation;
- Snakemake owns retries: a job that is cancelled, preempted or runs out of time fails, and the
  profile's ``retries`` resubmits it, to resume from the last epoch checkpoint. A requeue behind
  Snakemake's back would run the same job twice.

So training always uses Lightning's plain environment, in a job or not, and records the SLURM
job it ran in (if any) for the run's provenance.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

from lightning_fabric.plugins.environments.lightning import LightningEnvironment

__all__ = ["SlurmJob", "cluster_environment", "current_slurm_job", "no_slurm_probe_warning"]


@dataclass(frozen=True)
class SlurmJob:
    """The SLURM job a process runs in (from the variables slurmd sets in every job)."""

    job_id: str
    partition: str | None
    node: str | None
    gpus: str | None

    def describe(self) -> str:
        """One line for the job's log."""
        parts = [f"SLURM job {self.job_id}"]
        if self.partition:
            parts.append(f"partition {self.partition}")
        if self.node:
            parts.append(f"node {self.node}")
        parts.append(f"CUDA_VISIBLE_DEVICES={self.gpus or '(not set)'}")
        return ", ".join(parts)


def current_slurm_job() -> SlurmJob | None:
    """The SLURM job this process belongs to, or None outside SLURM."""
    job_id = os.environ.get("SLURM_JOB_ID")
    if not job_id:
        return None
    return SlurmJob(
        job_id=job_id,
        partition=os.environ.get("SLURM_JOB_PARTITION"),
        node=os.environ.get("SLURMD_NODENAME"),
        gpus=os.environ.get("CUDA_VISIBLE_DEVICES"),
    )


def cluster_environment() -> LightningEnvironment:
    """The Lightning cluster environment of every Trainer here (see the module docstring).

    Passing it explicitly also keeps Lightning from probing for SLURM, which is what warns
    about an unused ``srun`` on login nodes and on machines with SLURM's client installed.
    """
    return LightningEnvironment()


@contextlib.contextmanager
def no_slurm_probe_warning() -> Iterator[None]:
    """Silence Lightning's "srun is available but not used" warning, and only that one.

    Lightning 2.6's checkpoint connector probes for SLURM on every ``fit`` started without a
    checkpoint path, whatever cluster environment the Trainer was given, to look for its own
    ``hpc_ckpt_*`` requeue checkpoints in ``default_root_dir``. The environment was chosen by
    :func:`cluster_environment` and no such checkpoint is ever written (no SLURM requeue
    handler is installed), so the probe's advice does not apply here.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r"The `srun` command is available on your system but is not used"
        )
        yield
