"""The study's training recipes end to end on tiny caches, on CPU (REFERENCE.md section 5).

Two-stage training (frozen body, then all layers at discriminative rates), the learning-rate
range test, signal duplication with loss weights, intensity augmentation with test-time
augmentation, the dense head, choosing the saved epoch by a validation metric, and resuming a
killed two-stage run.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import pytorch_lightning as pl
import timm
import torch
from torch import nn

from supertml.encoding.cache import ImageChunk
from supertml.metrics import validate_predictions
from supertml.training import TrainSettings, predict_caches, train_classifier
from supertml.training import predict as predict_module

BASE = TrainSettings(architecture="test_resnet", epochs=2, batch_size=32, learning_rate=0.01)

# The study's recipe in miniature: one frozen epoch, then two of all layers in three layer
# groups whose peak rates span a factor 10 up to the head's.
TWO_STAGE = replace(
    BASE,
    frozen_epochs=1,
    epochs=2,
    unfrozen_learning_rate=0.005,
    layer_groups=3,
    lr_spread=10.0,
    seed=11,
)

State = dict[str, torch.Tensor]


class Snapshots(pl.Callback):
    """Records the model state before training and after every epoch, which parameters
    required gradients, and per training batch the optimiser groups' rates and the batch's
    composition. Observes only: a run with it trains exactly as one without."""

    def __init__(self) -> None:
        self.initial: State = {}
        self.after_epoch: dict[int, State] = {}
        self.requires_grad_after_epoch: dict[int, dict[str, bool]] = {}
        self.requires_grad_at_end: dict[str, bool] = {}
        self.parameter_names: list[str] = []
        self.group_names: list[list[str]] = []
        # (epoch, learning rate of each optimiser group, events, signal events) per batch.
        self.batches: list[tuple[int, list[float], int, int]] = []

    @staticmethod
    def _state(module: pl.LightningModule) -> State:
        return {k: v.detach().clone() for k, v in module.state_dict().items()}

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.initial = self._state(pl_module)
        names = {id(p): n for n, p in pl_module.named_parameters()}
        self.parameter_names = list(names.values())
        self.group_names = [
            [names[id(p)] for p in group["params"]] for group in trainer.optimizers[0].param_groups
        ]

    def on_train_batch_start(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        rates = [float(group["lr"]) for group in trainer.optimizers[0].param_groups]
        labels = batch[1]
        self.batches.append((trainer.current_epoch, rates, len(labels), int(labels.sum())))

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        epoch = trainer.current_epoch
        self.after_epoch[epoch] = self._state(pl_module)
        self.requires_grad_after_epoch[epoch] = {
            n: p.requires_grad for n, p in pl_module.named_parameters()
        }

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.requires_grad_at_end = {n: p.requires_grad for n, p in pl_module.named_parameters()}


def train(
    settings: TrainSettings,
    caches: dict[str, Path],
    out: Path,
    callbacks: list[pl.Callback] | None = None,
) -> Path:
    return train_classifier(
        settings,
        train_cache=caches["train"],
        val_cache=caches["val"],
        out_dir=out,
        callbacks=callbacks or [],
    )


def scored(caches: dict[str, Path]) -> dict[str, Path]:
    return {k: caches[k] for k in ("val", "public", "private")}


def read_metrics(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


def checkpoint_state(path: Path) -> State:
    state: State = torch.load(path, map_location="cpu", weights_only=False)["state_dict"]
    return state


def assert_same_state(first: State, second: State) -> None:
    assert first.keys() == second.keys()
    different = [k for k in first if not torch.equal(first[k], second[k])]
    assert not different, f"tensors differ: {different[:5]}"


def parameter_roles(snapshots: Snapshots) -> tuple[list[str], list[str], list[str]]:
    """Names of (frozen body, batch-norm, head) parameters of test_resnet with its output head,
    found from timm's module types, independently of the code under test that groups them."""
    network = timm.create_model("test_resnet", pretrained=False)
    batch_norm = [
        f"backbone.{module_name}.{name}"
        for module_name, module in network.named_modules()
        if isinstance(module, nn.BatchNorm2d)
        for name, _ in module.named_parameters(recurse=False)
    ]
    # A ResNet's only linear layer is its classifier.
    (classifier,) = [name for name, m in network.named_modules() if isinstance(m, nn.Linear)]
    head = [f"backbone.{classifier}.{name}" for name in ("weight", "bias")]
    roles = set(batch_norm) | set(head)
    assert roles <= set(snapshots.parameter_names)
    body = [n for n in snapshots.parameter_names if n not in roles]
    return body, batch_norm, head


# -- two-stage training -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_stage(
    caches: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Snapshots]:
    out = tmp_path_factory.mktemp("two_stage")
    snapshots = Snapshots()
    train(TWO_STAGE, caches, out, [snapshots])
    return out, snapshots


def test_frozen_stage_trains_only_head_and_batch_norm(
    two_stage: tuple[Path, Snapshots],
) -> None:
    _, snapshots = two_stage
    body, batch_norm, head = parameter_roles(snapshots)
    assert body
    assert len(head) == 2
    before, after = snapshots.initial, snapshots.after_epoch[0]
    # Bit-identical: no step, no weight decay, no Adam moment touched the frozen body.
    moved = [n for n in body if not torch.equal(before[n], after[n])]
    assert not moved, f"frozen parameters changed in the frozen stage: {moved}"
    unmoved = [n for n in batch_norm + head if torch.equal(before[n], after[n])]
    assert not unmoved, f"head / batch-norm parameters did not train: {unmoved}"
    requires_grad = snapshots.requires_grad_after_epoch[0]
    assert not any(requires_grad[n] for n in body)
    assert all(requires_grad[n] for n in batch_norm + head)


def test_second_stage_trains_every_layer(two_stage: tuple[Path, Snapshots]) -> None:
    out, snapshots = two_stage
    body, _, _ = parameter_roles(snapshots)
    frozen_end, unfrozen_end = snapshots.after_epoch[0], snapshots.after_epoch[1]
    unmoved = [n for n in body if torch.equal(frozen_end[n], unfrozen_end[n])]
    assert not unmoved, f"body parameters did not train after unfreezing: {unmoved}"
    assert all(snapshots.requires_grad_at_end.values())
    assert set(snapshots.requires_grad_at_end) == set(snapshots.parameter_names)
    rows = read_metrics(out / "metrics.csv")
    assert [r["stage"] for r in rows] == ["frozen", "all_layers", "all_layers"]
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2]
    assert_same_state(checkpoint_state(out / "model.ckpt"), snapshots.after_epoch[2])


def test_stage_learning_rates(two_stage: tuple[Path, Snapshots]) -> None:
    _, snapshots = two_stage
    body, batch_norm, head = parameter_roles(snapshots)
    groups = snapshots.group_names

    def group_of(name: str) -> int:
        return next(i for i, names in enumerate(groups) if name in names)

    rates = np.array([r for _, r, _, _ in snapshots.batches])
    epochs = np.array([e for e, _, _, _ in snapshots.batches])
    frozen, unfrozen = rates[epochs == 0], rates[epochs > 0]
    assert len(frozen) == 3  # 96 events in batches of 32
    assert len(unfrozen) == 6
    frozen_groups = {group_of(n) for n in body}
    trainable = {group_of(n) for n in batch_norm + head}
    assert not frozen_groups & trainable  # batch norm never shares a group with frozen weights
    for g in range(len(groups)):
        if g in frozen_groups:
            assert np.all(frozen[:, g] == 0)
        else:
            # One-cycle in the frozen stage, peaking at learning_rate.
            assert frozen[:, g].max() == pytest.approx(TWO_STAGE.learning_rate, rel=1e-12)
        assert np.all(unfrozen[:, g] > 0)
    # Discriminative peaks: the first convolution at unfrozen / spread, the head at unfrozen.
    peak = TWO_STAGE.unfrozen_learning_rate
    assert peak is not None
    assert unfrozen[:, group_of(head[0])].max() == pytest.approx(peak, rel=1e-12)
    assert unfrozen[:, group_of(body[0])].max() == pytest.approx(peak / 10, rel=1e-12)
    peaks = sorted({round(float(p), 15) for p in unfrozen.max(axis=0)})
    assert peaks == pytest.approx([peak / 10, peak / np.sqrt(10), peak], rel=1e-9)


class JobKilledError(Exception):
    pass


class KillInSecondEpoch(pl.Callback):
    """Dies after the first optimiser step of epoch 1: the frozen epoch 0 is checkpointed, the
    step taken in the unfrozen stage is lost."""

    def on_train_batch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        if trainer.current_epoch == 1:
            raise JobKilledError


def test_killed_two_stage_run_resumes_across_the_stage_boundary(
    caches: dict[str, Path], two_stage: tuple[Path, Snapshots], tmp_path: Path
) -> None:
    with pytest.raises(JobKilledError):
        train(TWO_STAGE, caches, tmp_path, [KillInSecondEpoch()])
    assert (tmp_path / "checkpoints" / "last.ckpt").is_file()
    assert not (tmp_path / "model.ckpt").exists()
    assert [r["stage"] for r in read_metrics(tmp_path / "metrics.csv")] == ["frozen"]

    resumed = Snapshots()
    train(TWO_STAGE, caches, tmp_path, [resumed])
    assert sorted(resumed.after_epoch) == [1, 2]  # the frozen epoch is not trained again
    reference_dir, reference = two_stage
    # The resumed process unfreezes the body as the uninterrupted one did ...
    assert resumed.requires_grad_after_epoch[1] == reference.requires_grad_after_epoch[1]
    assert [b[1] for b in resumed.batches] == [b[1] for b in reference.batches[3:]]
    # ... and ends bit for bit where it ended (CPU kernels are deterministic; each epoch's
    # shuffle and random state depend on the seed and the epoch only).
    assert_same_state(
        checkpoint_state(tmp_path / "model.ckpt"), checkpoint_state(reference_dir / "model.ckpt")
    )
    assert read_metrics(tmp_path / "metrics.csv") == read_metrics(reference_dir / "metrics.csv")
    assert not (tmp_path / "checkpoints").exists()


# -- learning-rate range test -------------------------------------------------------------------


def test_range_test_suggestion_is_the_learning_rate_used(
    caches: dict[str, Path], tmp_path: Path
) -> None:
    # Batches of 4: one epoch (24 batches) holds the whole range test of 20 steps.
    settings = replace(
        BASE,
        frozen_epochs=1,
        epochs=1,
        layer_groups=2,
        batch_size=4,
        lr_find=True,
        lr_find_steps=20,
        seed=12,
    )
    snapshots = Snapshots()
    train(settings, caches, tmp_path, [snapshots])
    found = json.loads((tmp_path / "lr_find.json").read_text())
    assert (found["min_lr"], found["max_lr"]) == (1e-7, 1.0)
    assert 1 < len(found["lrs"]) <= 20
    assert len(found["lrs"]) == len(found["losses"])
    assert found["lrs"] == sorted(found["lrs"])
    assert found["min_lr"] <= found["suggestion"] <= found["max_lr"]
    assert found["suggestion"] in found["lrs"]
    with (tmp_path / "lr_find.csv").open() as handle:
        curve = list(csv.DictReader(handle))
    assert [float(r["lr"]) for r in curve] == found["lrs"]
    assert [float(r["loss"]) for r in curve] == found["losses"]
    assert (tmp_path / "lr_find.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    config = json.loads((tmp_path / "train_config.json").read_text())
    assert config["learning_rate_used"] == found["suggestion"]
    assert config["learning_rate_used"] != settings.learning_rate
    assert config["settings"]["learning_rate"] == settings.learning_rate
    # Recorded and also used: the frozen stage's one-cycle peaks at the suggestion.
    frozen = np.array([r for e, r, _, _ in snapshots.batches if e == 0])
    assert frozen.max() == pytest.approx(found["suggestion"], rel=1e-12)


def test_range_test_runs_its_steps_on_a_training_set_shorter_than_them(
    caches: dict[str, Path], tmp_path: Path
) -> None:
    # 96 events in batches of 32: 3 batches an epoch, fewer than the 20 steps asked for (as
    # on the bundled sample: ~40 batches of 128 against the default 100 steps).
    settings = replace(BASE, epochs=1, lr_find=True, lr_find_steps=20, seed=12)
    try:
        train(settings, caches, tmp_path)
    except RuntimeError as exc:
        pytest.fail(
            "BUG in supertml.training.train._range_tested_settings: the range test's Trainer "
            "has max_epochs=1, so Lightning's lr_find stops at the end of the first epoch "
            "(here after 3 of 20 steps) and gives no suggestion; it needs max_epochs=-1 with "
            f"max_steps=lr_find_steps. Error raised: {exc}"
        )
    found = json.loads((tmp_path / "lr_find.json").read_text())
    assert len(found["lrs"]) > 11  # Lightning's suggestion skips the first 10 and the last


# -- class balancing ----------------------------------------------------------------------------


def test_signal_copies_with_balanced_loss_weights(caches: dict[str, Path], tmp_path: Path) -> None:
    settings = replace(BASE, signal_copies=2, loss_weights="event_balanced", seed=13)
    snapshots = Snapshots()
    checkpoint = train(settings, caches, tmp_path, [snapshots])
    predictions = predict_caches(checkpoint, scored(caches))
    validate_predictions(predictions, checkpoint)
    # 96 events + 48 signal copies = 144 entries, 4 full batches of 32 each epoch; signal is
    # 2/3 of the epoch instead of 1/2 (at least 96 - 16 of the 128 drawn, drop_last aside).
    for epoch in (0, 1):
        batches = [b for b in snapshots.batches if b[0] == epoch]
        assert [b[2] for b in batches] == [32] * 4
        assert sum(b[3] for b in batches) >= 80


# -- augmentation -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def augmented(caches: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings = replace(BASE, brightness=0.2, contrast=0.2, tta=2, seed=14)
    return train(settings, caches, tmp_path_factory.mktemp("augmented"))


def test_test_time_augmentation_is_valid_and_reproducible(
    augmented: Path, caches: dict[str, Path]
) -> None:
    first = predict_caches(augmented, scored(caches))
    validate_predictions(first, augmented)
    assert first["score"].between(0, 1).all()
    pd.testing.assert_frame_equal(predict_caches(augmented, scored(caches)), first)
    other_seed = predict_caches(augmented, scored(caches), tta_seed=1)
    assert not np.array_equal(other_seed["score"], first["score"])


def test_scoring_streamed_in_chunks_equals_scoring_in_one_piece(
    augmented: Path, caches: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = predict_caches(augmented, scored(caches), batch_size=8)
    # 16 x 16 images: transfers of 16 events (two batches), several per cache.
    monkeypatch.setattr(predict_module, "CHUNK_BYTES", 16 * 16 * 16)
    reads: list[int] = []
    original = predict_module.iter_image_chunks

    def counted(path: str | Path, chunk_size: int = 8192) -> Iterator[ImageChunk]:
        for chunk in original(path, chunk_size):
            reads.append(len(chunk))
            yield chunk

    monkeypatch.setattr(predict_module, "iter_image_chunks", counted)
    streamed = predict_caches(augmented, scored(caches), batch_size=8)
    assert max(reads) == 16
    assert sum(reads) == len(whole)
    pd.testing.assert_frame_equal(streamed, whole, check_exact=True)


def test_test_time_augmentation_changes_the_scores(
    augmented: Path, caches: dict[str, Path], tmp_path: Path
) -> None:
    # The same weights without TTA: the checkpoint with its tta hyperparameter set to 0.
    state = torch.load(augmented, map_location="cpu", weights_only=False)
    assert state["hyper_parameters"]["tta"] == 2
    state["hyper_parameters"]["tta"] = 0
    plain_checkpoint = tmp_path / "no_tta.ckpt"
    torch.save(state, plain_checkpoint)
    with_tta = predict_caches(augmented, scored(caches))
    plain = predict_caches(plain_checkpoint, scored(caches))
    pd.testing.assert_frame_equal(
        with_tta.drop(columns="score"), plain.drop(columns="score"), check_exact=True
    )
    assert not np.allclose(with_tta["score"], plain["score"])
    # The TTA score is the mean over the image and 2 jittered copies, each a probability.
    jittered_sum = 3 * with_tta["score"] - plain["score"]
    assert jittered_sum.between(-1e-9, 2 + 1e-9).all()


def test_train_time_augmentation_changes_training(
    augmented: Path, caches: dict[str, Path], tmp_path: Path
) -> None:
    unaugmented = replace(BASE, tta=2, seed=14)
    checkpoint = train(unaugmented, caches, tmp_path)
    first, second = checkpoint_state(augmented), checkpoint_state(checkpoint)
    assert first.keys() == second.keys()
    assert not all(torch.equal(first[k], second[k]) for k in first)


# -- dense head ---------------------------------------------------------------------------------


def test_dense_head_recipe_trains_and_predicts(caches: dict[str, Path], tmp_path: Path) -> None:
    settings = replace(
        BASE, head="dense", dense_units=16, frozen_epochs=1, epochs=1, layer_groups=2, seed=15
    )
    checkpoint = train(settings, caches, tmp_path)
    state = checkpoint_state(checkpoint)
    assert state["backbone.head.2.weight"].shape == (16, 192)  # Linear(2 x 96 pooled, 16)
    assert state["backbone.head.6.weight"].shape == (2, 16)
    predictions = predict_caches(checkpoint, scored(caches))
    validate_predictions(predictions, checkpoint)
    assert predictions["score"].between(0, 1).all()
    assert [r["stage"] for r in read_metrics(tmp_path / "metrics.csv")] == [
        "frozen",
        "all_layers",
    ]


# -- choosing the saved epoch -------------------------------------------------------------------


def test_monitor_saves_the_best_epoch(caches: dict[str, Path], tmp_path: Path) -> None:
    # A learning rate this high makes the validation loss blow up after epoch 0 (seeded, so
    # always): the best epoch is not the last, which "last" would have kept.
    settings = replace(BASE, epochs=3, learning_rate=0.05, seed=7, monitor="val_loss")
    snapshots = Snapshots()
    checkpoint = train(settings, caches, tmp_path, [snapshots])
    losses = [float(r["val_loss"]) for r in read_metrics(tmp_path / "metrics.csv")]
    assert len(losses) == 3
    best = int(np.argmin(losses))
    assert best != 2, f"precondition: the best epoch must not be the last ({losses})"
    config = json.loads((tmp_path / "train_config.json").read_text())
    assert config["selected_by"] == "val_loss"
    assert config["selected_epoch"] == best
    assert config["selected_value"] == pytest.approx(losses[best], rel=1e-6)
    assert_same_state(checkpoint_state(checkpoint), snapshots.after_epoch[best])
    assert not all(
        torch.equal(v, snapshots.after_epoch[2][k]) for k, v in checkpoint_state(checkpoint).items()
    )


# -- the study's recipes as its notebooks ran them ----------------------------------------------


class OptimiserTrace(pl.Callback):
    """Per optimiser step, as the step is taken: the epoch, every group's rate and beta1."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, list[float], list[float]]] = []

    def on_before_optimizer_step(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, optimizer: Any
    ) -> None:
        groups = optimizer.param_groups
        self.rows.append((
            trainer.current_epoch,
            [float(g["lr"]) for g in groups],
            [float(g["betas"][0]) for g in groups],
        ))  # fmt: skip


def test_a_notebook_recipe_slices_rates_cycles_beta1_and_adds_a_cycle(
    caches: dict[str, Path], tmp_path: Path
) -> None:
    # Run 8's shape: a frozen epoch, one epoch at slice(1e-4, 1e-2), one more at
    # slice(1e-5, 1e-3), 20 % of the training events held out to monitor as fastai did:
    # 77 of the 96 events in batches of 32 are 2 steps an epoch (the rest dropped).
    settings = replace(
        BASE, frozen_epochs=1, epochs=1, layer_groups=3, lr_slice=(1e-4, 1e-2),
        extra_cycles=({"epochs": 1, "lr_slice": [1e-5, 1e-3]},), holdout_fraction=0.2, seed=3,
    )  # fmt: skip
    trace = OptimiserTrace()
    train(settings, caches, tmp_path / "run", [trace])
    assert [epoch for epoch, _, _ in trace.rows] == [0, 0, 1, 1, 2, 2]
    rates = np.array([r for _, r, _ in trace.rows])
    betas = np.array([b for _, _, b in trace.rows])
    # Within each epoch (one one-cycle phase), the step after warm-up holds the peaks: three
    # layer groups at lo, sqrt(lo hi), hi - fastai's slice.
    for epoch, (low, high) in ((1, (1e-4, 1e-2)), (2, (1e-5, 1e-3))):
        peaks = sorted({round(float(v), 15) for v in rates[2 * epoch + 1]})
        assert peaks == pytest.approx([low, np.sqrt(low * high), high], rel=1e-9)
    # beta1 starts each phase at 0.95 and is lowest (0.85) with the rate at its peak.
    assert np.all(betas[[0, 2, 4]] == 0.95)
    assert np.all(betas[[1, 3, 5]] == pytest.approx(0.85, rel=1e-12))
    record = json.loads((tmp_path / "run/train_config.json").read_text())
    assert record["settings"]["extra_cycles"] == [{"epochs": 1, "lr_slice": [1e-5, 1e-3]}]
