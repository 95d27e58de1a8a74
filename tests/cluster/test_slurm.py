"""The tiny workflow through the shipped SLURM profile on a real single-node SLURM cluster.

Done as the README's cluster section tells a user: from the repository's root (a copy of it),
edit the site lines of ``slurm/config.yaml``, then ``snakemake --profile slurm --configfile
...``. While it runs, the training job is cancelled with ``scancel`` after its first epoch, as
a preemption would stop it; the profile's retry resubmits it, it resumes from its checkpoint
and the run ends with exactly the scores of an uninterrupted run (CPU, seeded). SLURM's own
accounting (``sacct``) then says where every job ran and what it was given.

Installs Debian's SLURM packages when missing and needs root for that and for the daemons;
where they cannot be installed the tests fail (they never skip).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from supertml.cluster import requests
from tests.cluster.slurm_cluster import ACCOUNT, SlurmCluster, start_cluster
from tests.workflow.helpers import REPO, run_snakemake, tiny_config

pytestmark = [pytest.mark.workflow, pytest.mark.slurm]

CONFIG = "config/slurm_tiny.yaml"
GPU_RULES = {"train_model", "predict_model"}
#: Fast status checks for a test run (the plugin's default waits 40 s before the first).
POLLING = ("--slurm-init-seconds-before-status-checks", "2")
SACCT_FIELDS = ("JobID", "State", "Partition", "AllocTRES", "Comment", "SubmitLine")
#: Epochs of the tests' training: about 2 s each here, so that several remain to be resumed
#: after the first one's checkpoint appears and the job is cancelled.
EPOCHS = 5


def slurm_config() -> dict[str, Any]:
    """The tests' tiny workflow, with a training long enough to be stopped part way."""
    config = tiny_config()
    config["dataset"]["name"] = "slurmtiny"
    config["encodings"] = {"pixels24": {"kind": "pixels", "layout": "squares", "size": 24}}
    config["recipes"] = {"several": {"epochs": EPOCHS, "batch_size": 32, "learning_rate": 0.005}}
    config["experiments"] = {
        "pixels24_tiny": {"encoding": "pixels24", "model": "tiny", "recipe": "several"}
    }
    return config


def checkout(destination: Path) -> Path:
    """A copy of the repository's files (tracked and new, not ignored), as a user's clone."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


def edit_site_settings(profile: Path) -> None:
    """What the README asks of a user: uncomment the account line of the site settings (the
    test cluster's partitions are called cpu and gpu, as the profile's defaults)."""
    text = profile.read_text()
    edited, count = re.subn(
        r"^  # slurm_account: my_account\b.*$", f"  slurm_account: {ACCOUNT}", text, flags=re.M
    )
    assert count == 1, f"{profile} no longer has the commented slurm_account line to edit"
    profile.write_text(edited)


@dataclass
class Canceller:
    """Cancels the first training job once its first epoch checkpoint is on disk."""

    cluster: SlurmCluster
    run_dir: Path
    cancelled: dict[str, Any] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def watch(self) -> None:
        checkpoint = self.run_dir / "checkpoints" / "last.ckpt"
        while not self.stop.is_set() and not self.cancelled:
            if checkpoint.exists() and not (self.run_dir / "model.ckpt").exists():
                running = [
                    job
                    for job in self.cluster.jobs()
                    if job["comment"].startswith("rule_train_model") and job["state"] == "RUNNING"
                ]
                if running:
                    subprocess.run(["scancel", running[0]["id"]], check=True)
                    epochs = pd.read_csv(self.run_dir / "metrics.csv")["epoch"].tolist()
                    self.cancelled.update(job=running[0]["id"], epochs_done=epochs)
            time.sleep(0.2)


@dataclass
class ClusterRun:
    result: subprocess.CompletedProcess[str]
    root: Path
    cancelled: dict[str, Any]
    jobs: list[dict[str, str]]
    cluster_logs: str


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlurmCluster]:
    running = start_cluster(tmp_path_factory.mktemp("slurm"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def cluster_run(cluster: SlurmCluster, tmp_path_factory: pytest.TempPathFactory) -> ClusterRun:
    root = checkout(tmp_path_factory.mktemp("clone"))
    edit_site_settings(root / "slurm" / "config.yaml")
    (root / CONFIG).write_text(yaml.safe_dump(slurm_config()))
    canceller = Canceller(cluster, root / "results/slurmtiny/runs/pixels24_tiny/seed_0")
    watcher = threading.Thread(target=canceller.watch, daemon=True)
    watcher.start()
    command = [sys.executable, "-m", "snakemake", "--profile", "slurm", "--configfile", CONFIG]
    try:
        result = subprocess.run(
            [*command, *POLLING],
            cwd=root, capture_output=True, text=True, timeout=1500, check=False,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )  # fmt: skip
    finally:
        canceller.stop.set()
        watcher.join()
    logs = "\n".join(f"--- {d}\n{cluster.log(d)[-3000:]}" for d in ("slurmctld", "slurmd"))
    jobs = cluster.sacct(SACCT_FIELDS)
    # What SLURM recorded, kept beside the run for whoever reads a failure (or RESULTS.md).
    (root / "sacct.json").write_text(json.dumps({"cancelled": canceller.cancelled, "jobs": jobs}))
    return ClusterRun(result, root, canceller.cancelled, jobs, logs)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same workflow run locally, never stopped: the scores to reproduce."""
    workdir = tmp_path_factory.mktemp("local")
    run_snakemake(workdir, slurm_config(), "--cores", "2")
    return workdir / "results/slurmtiny"


def submitted(job: dict[str, str], option: str) -> int:
    """The number given to an sbatch option in a job's submit line."""
    match = re.search(rf"(?:^| ){re.escape(option)}[ =](\d+)", job["SubmitLine"])
    assert match, f"no {option} in {job['SubmitLine']}"
    return int(match[1])


def rule_of(job: dict[str, str]) -> str:
    """The rule of a job from the comment the executor gives it ('rule_<name>_wildcards_...')."""
    return job["Comment"].removeprefix("rule_").split("_wildcards_")[0]


def test_the_workflow_runs_to_the_end_through_the_profile(cluster_run: ClusterRun) -> None:
    result = cluster_run.result
    assert result.returncode == 0, (
        f"snakemake --profile slurm failed ({result.returncode}):\n{result.stdout[-5000:]}\n"
        f"{result.stderr[-10000:]}\n{cluster_run.cluster_logs}"
    )
    results = cluster_run.root / "results/slurmtiny"
    summary = pd.read_csv(results / "summary.csv")
    assert sorted(summary["experiment"]) == ["gbt", "pixels24_tiny"]
    assert (results / "verdict.md").is_file()
    # The account was given: the executor did not have to guess it.
    assert "No SLURM account given" not in result.stderr


def test_gpu_rules_ran_on_the_gpu_partition_with_a_gpu_and_the_rest_did_not(
    cluster_run: ClusterRun,
) -> None:
    jobs = cluster_run.jobs
    rules = {rule_of(job) for job in jobs}
    assert rules >= GPU_RULES | {"split_events", "encode_images", "train_baseline"}
    assert "download_events" not in rules  # a local rule (none in this config anyway)
    for job in jobs:
        gpu_allocated = "gres/gpu=1" in job["AllocTRES"]
        if rule_of(job) in GPU_RULES:
            assert (job["Partition"], gpu_allocated) == ("gpu", True), job
            assert "--gpus=1" in job["SubmitLine"], job
        else:
            assert (job["Partition"], gpu_allocated) == ("cpu", False), job
            assert "--gpus" not in job["SubmitLine"], job
        assert f"-A {ACCOUNT}" in job["SubmitLine"], job


def test_a_cancelled_training_is_retried_and_resumes_from_its_checkpoint(
    cluster_run: ClusterRun,
) -> None:
    cancelled = cluster_run.cancelled
    assert cancelled, "the training job was never seen running with a checkpoint to cancel"
    assert cancelled["epochs_done"]
    assert max(cancelled["epochs_done"]) < EPOCHS - 1  # stopped part way: epochs were to come
    trainings = [job for job in cluster_run.jobs if rule_of(job) == "train_model"]
    states = {job["JobID"]: job["State"] for job in trainings}
    assert states.pop(cancelled["job"]).startswith("CANCELLED"), states
    assert list(states.values()) == ["COMPLETED"], states  # the retry
    results = cluster_run.root / "results/slurmtiny"
    # What each attempt asked for: the workflow's own sizing, then twice the time and half
    # again the memory for the retry.
    first = next(job for job in trainings if job["JobID"] == cancelled["job"])
    retry = next(job for job in trainings if job["JobID"] != cancelled["job"])
    images = results / "images/standard/pixels24/table"
    asked = [requests.training_memory_mb(images / "train.h5", images / "val.h5", a) for a in (1, 2)]
    assert [submitted(job, "--mem") for job in (first, retry)] == asked
    assert submitted(retry, "-t") == 2 * submitted(first, "-t")
    log = (results / "logs/train_model/pixels24_tiny/seed_0.log").read_text()
    assert "resuming from" in log
    metrics = pd.read_csv(results / "runs/pixels24_tiny/seed_0/metrics.csv")
    assert metrics["epoch"].tolist() == list(range(EPOCHS))


@pytest.mark.parametrize("experiment", ["pixels24_tiny", "gbt"])
def test_scores_equal_those_of_an_uninterrupted_local_run(
    cluster_run: ClusterRun, uninterrupted: Path, experiment: str
) -> None:
    results = cluster_run.root / "results/slurmtiny"
    scores = json.loads((results / f"scores/{experiment}/seed_0.json").read_text())
    reference = json.loads((uninterrupted / f"scores/{experiment}/seed_0.json").read_text())
    assert scores == reference
    predictions = pd.read_parquet(results / f"runs/{experiment}/seed_0/predictions.parquet")
    expected = pd.read_parquet(uninterrupted / f"runs/{experiment}/seed_0/predictions.parquet")
    pd.testing.assert_frame_equal(predictions, expected, check_exact=True)
