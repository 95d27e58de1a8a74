"""The host-work savers of the training step: same numbers as Lightning, no host syncs.

The manual training step is checked against the step of Lightning's automatic loop."""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any

import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.trainer.connectors.logger_connector.result import _ResultCollection
from torch.utils._python_dispatch import TorchDispatchMode

from supertml.cluster.environment import no_slurm_probe_warning
from supertml.training.callbacks import BestCheckpoint, EpochMetricsWriter
from supertml.training.data import ImageCacheDataModule
from supertml.training.host import EpochMean, on_device
from supertml.training.model import ImageClassifier
from supertml.training.train import TrainSettings, _trainer


def test_epoch_mean_is_lightnings_epoch_mean_bit_for_bit() -> None:
    generator = torch.Generator().manual_seed(3)
    values = torch.rand(37, generator=generator) * 3
    sizes = [16] * 36 + [5]
    lightning = _ResultCollection(training=True)
    ours = EpochMean()
    for value, n in zip(values, sizes, strict=True):
        lightning.log("training_step", "loss", value, on_step=False, on_epoch=True, batch_size=n)
        ours.add(value, n)
    expected = lightning.metrics(on_step=False)["callback"]["loss"]
    assert torch.equal(ours.mean(), expected)
    assert ours.count == sum(sizes)


def test_epoch_mean_starts_afresh_after_reset_and_is_nan_when_empty() -> None:
    mean = EpochMean()
    assert torch.isnan(mean.mean())
    mean.add(torch.tensor(5.0), 2)
    mean.reset()
    mean.add(torch.tensor(1.0), 3)
    assert mean.mean().item() == 1.0


def test_epoch_mean_reduces_half_precision_in_float32() -> None:
    mean = EpochMean()
    mean.add(torch.tensor(0.5, dtype=torch.bfloat16), 4)
    assert mean.mean().dtype == torch.float32


@pytest.mark.parametrize(
    ("batch", "expected"),
    [
        ((torch.zeros(2), torch.ones(2)), True),
        ([torch.zeros(2)], True),
        ((torch.zeros(2), "label"), False),
        ((torch.zeros(2, device="meta"),), False),
        ((), False),
        (torch.zeros(2), False),
    ],
)
def test_on_device(batch: Any, expected: bool) -> None:
    assert on_device(batch, torch.device("cpu")) is expected


#: aten ops that make the host wait for a GPU: a scalar read (.item(), float(), bool(), if on
#: a tensor) or an output whose size depends on the data.
_SYNCING_OPS = {"_local_scalar_dense", "nonzero", "masked_select", "unique", "_unique2"}


class _SyncRecorder(TorchDispatchMode):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        name = func.overloadpacket.__name__
        if name in _SYNCING_OPS:
            frames = traceback.extract_stack(limit=12)
            # The CPU optimiser reads its own step counter (optimizer._get_value), a host
            # tensor there; the fused CUDA AdamW of a GPU run keeps it on the device.
            if not any(frame.name == "_get_value" for frame in frames[-4:]):
                self.calls.append(name + "\n" + "".join(traceback.format_list(frames)))
        return func(*args, **(kwargs or {}))


class _RecordSteps(pl.Callback):
    """Records host-syncing ops from the start of batch 2 to the end of batch 5."""

    def __init__(self) -> None:
        self.recorder = _SyncRecorder()

    def on_train_batch_start(self, trainer: pl.Trainer, *args: Any) -> None:
        if trainer.global_step == 2:
            self.recorder.__enter__()

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        if trainer.global_step == 6:
            self.recorder.__exit__(None, None, None)


@pytest.mark.parametrize("frozen_epochs", [0, 1])
def test_training_steps_never_wait_for_the_device(
    caches: dict[str, Path], tmp_path: Path, frozen_epochs: int
) -> None:
    # 96 events in batches of 8: 12 steps an epoch, the recorded ones in the first.
    settings = TrainSettings(
        architecture="test_resnet",
        frozen_epochs=frozen_epochs,
        epochs=1,
        layer_groups=3 if frozen_epochs else 1,
        batch_size=8,
    )
    data = ImageCacheDataModule(caches["train"], caches["val"], settings.batch_size, 0)
    model = ImageClassifier(settings.architecture, **settings.model_arguments())
    steps = _RecordSteps()
    recorders = [
        EpochMetricsWriter(tmp_path / "metrics.csv"),
        BestCheckpoint(tmp_path / "best.ckpt", "last"),
    ]
    trainer = _trainer(settings, tmp_path / "checkpoints", recorders, [steps])
    with no_slurm_probe_warning():
        trainer.fit(model, datamodule=data)
    assert steps.recorder.calls == []


def test_batches_already_on_the_device_are_not_copied(caches: dict[str, Path]) -> None:
    data = ImageCacheDataModule(caches["train"], caches["val"], 8, 0)
    batch = (torch.zeros(2), torch.ones(2))
    assert data.transfer_batch_to_device(batch, torch.device("cpu"), 0) is batch
    moved = data.transfer_batch_to_device(batch, torch.device("meta"), 0)
    assert all(t.device.type == "meta" for t in moved)


class _AutomaticStep(ImageClassifier):
    """The training step as Lightning's automatic optimisation made it before the manual
    step (the reference the manual step must equal)."""

    def __init__(self, architecture: str, **arguments: Any) -> None:
        super().__init__(architecture, **arguments)
        self.automatic_optimization = True

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        optimizer = self.optimizers()
        assert not isinstance(optimizer, list)
        self.follow_momentum_schedule(optimizer)

    def training_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> torch.Tensor:
        loss = self.training_loss(batch)
        self._train_loss.add(loss, len(batch[1]))
        return loss


def _trained(
    model_class: type[ImageClassifier],
    settings: TrainSettings,
    caches: dict[str, Path],
    out: Path,
) -> tuple[dict[str, torch.Tensor], dict[str, Any], str]:
    pl.seed_everything(settings.seed, verbose=False)
    data = ImageCacheDataModule(
        caches["train"],
        caches["val"],
        settings.batch_size,
        settings.seed,
        loss_weights="event_balanced",
    )
    model = model_class(settings.architecture, **settings.model_arguments())
    recorders = [
        EpochMetricsWriter(out / "metrics.csv", settings.frozen_epochs),
        BestCheckpoint(out / "best.ckpt", "last"),
    ]
    trainer = _trainer(settings, out / "checkpoints", recorders, [])
    with no_slurm_probe_warning():
        trainer.fit(model, datamodule=data)
    optimizer = trainer.optimizers[0]
    return model.state_dict(), optimizer.state_dict(), (out / "metrics.csv").read_text()


@pytest.mark.parametrize(
    "recipe",
    [
        {"epochs": 2},
        {"frozen_epochs": 1, "epochs": 1, "layer_groups": 3, "lr_spread": 10.0},
        {"epochs": 1, "brightness": 0.2, "contrast": 0.1},
    ],
    ids=["one_stage", "two_stage", "jitter"],
)
def test_the_manual_step_is_lightnings_automatic_step_bit_for_bit(
    caches: dict[str, Path], tmp_path: Path, recipe: dict[str, Any]
) -> None:
    # Same weights, optimiser moments, learning rates, betas and metrics.csv as the step
    # Lightning's automatic loop makes: the order of the step's operations is the same.
    settings = TrainSettings(architecture="test_resnet", batch_size=16, **recipe)
    manual = _trained(ImageClassifier, settings, caches, tmp_path / "manual")
    automatic = _trained(_AutomaticStep, settings, caches, tmp_path / "automatic")
    assert manual[0].keys() == automatic[0].keys()
    for name, value in manual[0].items():
        assert torch.equal(value, automatic[0][name]), name
    assert manual[1]["param_groups"] == automatic[1]["param_groups"]
    for index, state in manual[1]["state"].items():
        for key, value in state.items():
            assert torch.equal(value, automatic[1]["state"][index][key]), (index, key)
    assert manual[2] == automatic[2]
