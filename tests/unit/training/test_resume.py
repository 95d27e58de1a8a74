"""A training job killed part way resumes from its last epoch checkpoint to the same result."""

from __future__ import annotations

import csv
import json
import logging
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
import pytorch_lightning as pl
import torch

from supertml.training import TrainSettings, predict_caches, train_classifier
from supertml.training.data import EpochShuffledBatches
from supertml.training.train import _resumable_checkpoint, run_fingerprint

SETTINGS = TrainSettings(
    architecture="test_resnet", epochs=3, batch_size=32, learning_rate=0.01, seed=5
)
KILLED = 17

# Trains in a child process that dies (no cleanup, like SIGKILL or a preempted job) right after
# the first optimiser step of the second epoch: epoch 0 is checkpointed, epoch 1 is lost.
CHILD = f"""
import os, sys
import pytorch_lightning as pl
from supertml.training import TrainSettings, train_classifier

class Die(pl.Callback):
    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if trainer.current_epoch == 1:
            os._exit({KILLED})

train_classifier(
    TrainSettings(**{SETTINGS.__dict__!r}),
    train_cache=sys.argv[1], val_cache=sys.argv[2], out_dir=sys.argv[3], callbacks=[Die()],
)
"""


class EpochsRun(pl.Callback):
    def __init__(self) -> None:
        self.epochs: list[int] = []

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.epochs.append(trainer.current_epoch)


def scored(caches: dict[str, Path]) -> dict[str, Path]:
    return {k: caches[k] for k in ("val", "public", "private")}


def read_metrics(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def uninterrupted(
    caches: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, pd.DataFrame]:
    out = tmp_path_factory.mktemp("uninterrupted")
    checkpoint = train_classifier(
        SETTINGS, train_cache=caches["train"], val_cache=caches["val"], out_dir=out
    )
    return out, predict_caches(checkpoint, scored(caches))


def test_killed_run_resumes_to_the_uninterrupted_result(
    caches: dict[str, Path],
    uninterrupted: tuple[Path, pd.DataFrame],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(caches["train"]), str(caches["val"]), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        check=False,
    )
    assert child.returncode == KILLED, child.stderr[-3000:]
    assert (tmp_path / "checkpoints" / "last.ckpt").is_file()
    assert not (tmp_path / "model.ckpt").exists()
    assert [r["epoch"] for r in read_metrics(tmp_path / "metrics.csv")] == ["0"]
    # Snakemake deletes the declared outputs of a failed job: the rows must come back from
    # the checkpoint.
    (tmp_path / "metrics.csv").unlink()

    epochs_run = EpochsRun()
    with caplog.at_level(logging.INFO, logger="supertml.training.train"):
        checkpoint = train_classifier(
            SETTINGS,
            train_cache=caches["train"],
            val_cache=caches["val"],
            out_dir=tmp_path,
            callbacks=[epochs_run],
        )
    assert "resuming from" in caplog.text
    assert epochs_run.epochs == [1, 2]  # epoch 0 is not trained again
    resumed = predict_caches(checkpoint, scored(caches))

    reference_dir, reference = uninterrupted
    # Exactly equal: on CPU every kernel is deterministic, and the shuffle and the random
    # state of each epoch depend only on (seed, epoch), not on what ran before in the process.
    pd.testing.assert_frame_equal(resumed, reference)
    assert read_metrics(tmp_path / "metrics.csv") == read_metrics(reference_dir / "metrics.csv")
    assert [r["epoch"] for r in read_metrics(tmp_path / "metrics.csv")] == ["0", "1", "2"]
    assert not (tmp_path / "checkpoints").exists()


class FailAtTheEnd(pl.Callback):
    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        raise RuntimeError("job killed after its last epoch")


def test_run_that_died_after_its_last_epoch_only_writes_its_outputs(
    caches: dict[str, Path], uninterrupted: tuple[Path, pd.DataFrame], tmp_path: Path
) -> None:
    def train(callbacks: list[pl.Callback]) -> Path:
        return train_classifier(
            SETTINGS,
            train_cache=caches["train"],
            val_cache=caches["val"],
            out_dir=tmp_path,
            callbacks=callbacks,
        )

    with pytest.raises(RuntimeError, match="after its last epoch"):
        train([FailAtTheEnd()])
    (tmp_path / "metrics.csv").unlink()
    epochs_run = EpochsRun()
    checkpoint = train([epochs_run])
    assert epochs_run.epochs == []
    reference_dir, reference = uninterrupted
    assert read_metrics(tmp_path / "metrics.csv") == read_metrics(reference_dir / "metrics.csv")
    pd.testing.assert_frame_equal(predict_caches(checkpoint, scored(caches)), reference)


def test_checkpoint_of_another_run_is_discarded(
    caches: dict[str, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    directory = tmp_path / "checkpoints"
    ours = run_fingerprint(SETTINGS, caches["train"], caches["val"])
    theirs = run_fingerprint(replace(SETTINGS, seed=6), caches["train"], caches["val"])
    directory.mkdir()
    (directory / "fingerprint.json").write_text(json.dumps(theirs))
    with zipfile.ZipFile(directory / "last.ckpt", "w") as archive:
        archive.writestr("data.pkl", b"stale")

    with caplog.at_level(logging.WARNING, logger="supertml.training.train"):
        assert _resumable_checkpoint(directory, ours) is None
    assert "different settings or inputs" in caplog.text
    assert not (directory / "last.ckpt").exists()
    assert json.loads((directory / "fingerprint.json").read_text())["hash"] == ours["hash"]

    # Same fingerprint: resumed; same fingerprint but a truncated file: discarded.
    with zipfile.ZipFile(directory / "last.ckpt", "w") as archive:
        archive.writestr("data.pkl", b"ours")
    assert _resumable_checkpoint(directory, ours) == directory / "last.ckpt"
    (directory / "last.ckpt").write_bytes((directory / "last.ckpt").read_bytes()[:20])
    assert _resumable_checkpoint(directory, ours) is None
    assert "incomplete" in caplog.text


def test_fingerprint_follows_settings_and_inputs(caches: dict[str, Path]) -> None:
    base = run_fingerprint(SETTINGS, caches["train"], caches["val"])["hash"]
    assert run_fingerprint(SETTINGS, caches["train"], caches["val"])["hash"] == base
    assert run_fingerprint(replace(SETTINGS, epochs=4), caches["train"], caches["val"])["hash"] != (
        base
    )
    assert run_fingerprint(SETTINGS, caches["public"], caches["val"])["hash"] != base


def test_epoch_shuffle_depends_only_on_seed_and_epoch() -> None:
    first = EpochShuffledBatches(10, 4, shuffle=True, seed=1, drop_last=True)
    fresh = EpochShuffledBatches(10, 4, shuffle=True, seed=1, drop_last=True)
    epochs = []
    for epoch in range(3):
        first.set_epoch(epoch)
        epochs.append(torch.cat(list(first)))
    fresh.set_epoch(2)  # as a resumed process would, without running epochs 0 and 1
    assert torch.equal(torch.cat(list(fresh)), epochs[2])
    assert not torch.equal(epochs[0], epochs[1])
    assert len(first) == 2
    assert all(len(set(e.tolist())) == 8 for e in epochs)


def test_unshuffled_batches_keep_order_and_the_last_partial_batch() -> None:
    batches = list(EpochShuffledBatches(10, 4, shuffle=False))
    assert [b.tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_a_cache_rebuilt_at_the_same_path_is_another_input(
    caches: dict[str, Path], tmp_path: Path
) -> None:
    # Rebuilt in place with the same size (an encoding edit that keeps the shape): its new
    # modification time alone must tell the checkpoint of the old images from one of the new.
    train = tmp_path / "train.h5"
    shutil.copyfile(caches["train"], train)
    before = run_fingerprint(SETTINGS, train, caches["val"])["hash"]
    size = train.stat().st_size
    train.write_bytes(train.read_bytes())  # same bytes, same size, a new write
    os.utime(train, ns=(train.stat().st_atime_ns, train.stat().st_mtime_ns + 1_000_000))
    assert train.stat().st_size == size
    assert run_fingerprint(SETTINGS, train, caches["val"])["hash"] != before
