"""Training inside and outside a SLURM job, with and without ``srun`` on PATH."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
import pytorch_lightning as pl
from lightning_fabric.plugins.environments import LightningEnvironment, SLURMEnvironment

from supertml.cluster.environment import current_slurm_job
from supertml.training import TrainSettings, train_classifier
from tests.unit.training.conftest import make_cache

SETTINGS = TrainSettings(architecture="test_resnet", epochs=1, batch_size=32, seed=1)

#: What slurmd and ``srun -n1`` set in a job step (the SLURM executor's jobs look like this).
SLURM_STEP = {
    "SLURM_JOB_ID": "4242",
    "SLURM_JOB_NAME": "0b7c59a4-5e0f-4c2e-9d3a-1f0e8d1c2b3a",
    "SLURM_JOB_PARTITION": "gpu",
    "SLURMD_NODENAME": "node1",
    "SLURM_NTASKS": "1",
    "SLURM_NTASKS_PER_NODE": "1",
    "SLURM_PROCID": "0",
    "SLURM_LOCALID": "0",
    "SLURM_NODEID": "0",
    "SLURM_NODELIST": "node1",
}


class _EnvironmentSpy(pl.Callback):
    def __init__(self) -> None:
        self.environment: object = None

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # A single-device strategy keeps no environment of its own; the connector chose it.
        self.environment = trainer._accelerator_connector.cluster_environment


@pytest.fixture(scope="module")
def tiny_caches(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("caches")
    return {
        "train": make_cache(root / "train.h5", "train", 64, 0),
        "val": make_cache(root / "val.h5", "val", 32, 1),
    }


@pytest.fixture
def srun_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in ``srun`` first on PATH, as on a login node or where slurm-client is installed."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    srun = bin_dir / "srun"
    srun.write_text("#!/bin/sh\nexit 1\n")
    srun.chmod(srun.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    for name in list(os.environ):
        if name.startswith("SLURM"):
            monkeypatch.delenv(name)
    return srun


def _train(caches: dict[str, Path], out: Path) -> tuple[object, dict[str, object]]:
    spy = _EnvironmentSpy()
    train_classifier(
        SETTINGS, train_cache=caches["train"], val_cache=caches["val"], out_dir=out, callbacks=[spy]
    )
    return spy.environment, json.loads((out / "train_config.json").read_text())


def test_outside_slurm_with_srun_installed_trains_without_a_warning(
    tiny_caches: dict[str, Path], srun_on_path: Path, tmp_path: Path
) -> None:
    # pytest turns every warning into an error (pyproject.toml), Lightning's srun hint included.
    environment, config = _train(tiny_caches, tmp_path / "run")
    assert type(environment) is LightningEnvironment
    assert config["slurm_job_id"] is None
    assert not list(Path.cwd().glob("hpc_ckpt_*.ckpt"))


def test_inside_a_slurm_step_trains_as_one_task_and_records_the_job(
    tiny_caches: dict[str, Path],
    srun_on_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for name, value in SLURM_STEP.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    with caplog.at_level("INFO", logger="supertml.training.train"):
        environment, config = _train(tiny_caches, tmp_path / "run")
    # Not Lightning's SLURMEnvironment: no srun task ranks, no SIGUSR1 requeue handler ...
    assert type(environment) is LightningEnvironment
    # ... which a Trainer left to itself would choose in this very environment.
    default = pl.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False)
    assert type(default._accelerator_connector.cluster_environment) is SLURMEnvironment
    assert config["slurm_job_id"] == "4242"
    assert (
        "running in SLURM job 4242, partition gpu, node node1, CUDA_VISIBLE_DEVICES=(not set)"
    ) in caplog.text


def test_without_srun_on_path_trains_the_same(
    tiny_caches: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep)
                                                if not (Path(p) / "srun").exists()))  # fmt: skip
    environment, _ = _train(tiny_caches, tmp_path / "run")
    assert type(environment) is LightningEnvironment


def test_current_slurm_job_reads_the_job_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    assert current_slurm_job() is None
    for name, value in SLURM_STEP.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    job = current_slurm_job()
    assert job is not None
    assert (job.job_id, job.partition, job.node, job.gpus) == ("4242", "gpu", "node1", "0")
    assert job.describe() == "SLURM job 4242, partition gpu, node node1, CUDA_VISIBLE_DEVICES=0"
