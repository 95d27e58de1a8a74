"""The CNN classifier: a timm network inside a LightningModule, with the study's recipes.

Images arrive as the cache stores them, uint8 ``[N, H, W]``; turning them into normalised
three-channel floats (and augmenting them) happens here, on the device the model runs on, so
the host never ships float images (DESIGN.md "Performance shape"). On a GPU the network and its
inputs use the channels_last memory format, which bf16 convolutions run fastest in.

Recipes (REFERENCE.md section 5): the learning rates follow
:class:`supertml.training.schedule.StagedOneCycle` - a single one-cycle stage over all layers,
or the study's two stages (head and batch-norm layers only, then everything with
discriminative learning rates).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import numpy as np
import pytorch_lightning as pl
import torch
from pytorch_lightning.core.optimizer import LightningOptimizer
from sklearn.metrics import roc_auc_score
from torch import nn
from torch.nn import functional as F  # noqa: N812 - the conventional alias

from supertml.metrics import max_ams
from supertml.training.augment import intensity_jitter
from supertml.training.backbone import (
    ParameterGroup,
    PretrainedWeightsError,
    create_backbone,
    head_parameters,
    input_statistics,
    parameter_groups,
)
from supertml.training.host import EpochMean
from supertml.training.schedule import BETA2, MOMENTUMS, StagedOneCycle, discriminative_rates

__all__ = [
    "COMPILE_MODES",
    "TTA_DEFAULT_LIGHTING",
    "ImageClassifier",
    "PretrainedWeightsError",
    "compile_mode",
    "create_backbone",
    "load_classifier",
    "to_unit_interval",
]

#: fastai's default max_lighting (brightness and contrast), the test-time augmentation of
#: models trained without intensity augmentation.
TTA_DEFAULT_LIGHTING = (0.2, 0.2)


#: ``torch.compile`` modes a recipe's ``compile`` may name (``true`` is ``default``).
#: ``reduce-overhead`` replays each step's kernels as CUDA graphs: one launch instead of
#: thousands, for small-image steps that are launch-bound (issue 14); on a CPU torch.compile
#: skips the graphs and compiles as ``default``.
COMPILE_MODES: Final[tuple[str, ...]] = (
    "default",
    "reduce-overhead",
    "max-autotune",
    "max-autotune-no-cudagraphs",
)

#: The modes that record CUDA graphs.
_GRAPH_MODES: Final = frozenset({"reduce-overhead", "max-autotune"})


def compile_mode(setting: bool | str) -> str | None:
    """The ``torch.compile`` mode of a ``compile`` setting, None for none (``false``)."""
    if isinstance(setting, bool):
        return "default" if setting else None
    if setting not in COMPILE_MODES:
        raise ValueError(f"unknown compile mode {setting!r}; choose true, false or {COMPILE_MODES}")
    return setting


def to_unit_interval(images: torch.Tensor) -> torch.Tensor:
    """uint8 ``[N, H, W]`` -> float32 ``[N, 1, H, W]`` in [0, 1]."""
    return images.unsqueeze(1).float().div_(255.0)


class ImageClassifier(pl.LightningModule):
    """Softmax classifier of one-channel uint8 event images; for two classes p(signal) is the
    score.

    Trained with cross entropy, averaged with the per-event loss weights that the data module
    puts in each training batch (all ones unless the recipe asks for event weights; REFERENCE.md
    section 5: the study trained unweighted), and AdamW. Validation tracks loss, error rate
    and, for two classes, ROC AUC and the maximum validation AMS (with the event weights of the
    cache).

    ``frozen_epochs > 0`` makes the recipe two-stage: those epochs train only the head and
    batch-norm parameters (at ``learning_rate``), the rest train every layer group at rates
    spread geometrically by ``lr_spread`` up to ``unfrozen_learning_rate`` at the head.
    ``extra_cycles``: further one-cycle phases of all layers, ``(epochs, peak, spread)`` each.
    AdamW's beta1 cycles with each phase as fastai's one-cycle (0.95 -> 0.85 -> 0.95).
    """

    channel_mean: torch.Tensor  # registered buffers, declared for type checkers
    channel_std: torch.Tensor

    def __init__(
        self,
        architecture: str,
        *,
        pretrained: bool = False,
        weights_file: str | None = None,
        head: str = "output",
        dense_units: int = 512,
        num_classes: int = 2,
        learning_rate: float = 1e-3,
        weight_decay: float = 0.01,
        frozen_epochs: int = 0,
        unfrozen_learning_rate: float | None = None,
        lr_spread: float = 1.0,
        layer_groups: int = 1,
        brightness: float = 0.0,
        contrast: float = 0.0,
        tta: int = 0,
        compile: bool | str = False,
        b_reg: float = 10.0,
        extra_cycles: list[tuple[int, float, float]] | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.automatic_optimization = False  # training_step makes the whole step (why: there)
        compile_mode(compile)  # an unknown mode fails here, not at the first batch
        if frozen_epochs > 0 and layer_groups < 2:
            raise ValueError("a two-stage recipe needs at least 2 layer groups (body and head)")
        self.backbone = create_backbone(
            architecture,
            pretrained=pretrained,
            weights_file=weights_file,
            num_classes=num_classes,
            head=head,  # type: ignore[arg-type]
            dense_units=dense_units,
        )
        # The pretrained weights' own statistics (ImageNet's for the study's networks, as its
        # fastai pipeline normalised) on three identical channels.
        channel_mean, channel_std = input_statistics(self.backbone)
        mean = torch.tensor(channel_mean, dtype=torch.float32).view(1, 3, 1, 1)
        std = torch.tensor(channel_std, dtype=torch.float32).view(1, 3, 1, 1)
        self.register_buffer("channel_mean", mean, persistent=False)
        self.register_buffer("channel_std", std, persistent=False)
        self._val_outputs: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]] = []
        self._train_loss = EpochMean()
        # The compiled network is not a registered submodule: checkpoints keep the plain names.
        self._compiled: nn.Module | None = None
        self._graphs = False  # compiled with CUDA graphs
        self._schedule: StagedOneCycle | None = None  # set by configure_optimizers
        head_ids = {id(p) for p in head_parameters(self.backbone)}
        groups = parameter_groups(self.backbone, layer_groups)
        self._frozen_params = [
            p for g in groups if not g.batch_norm for p in g.params if id(p) not in head_ids
        ]

    def __setattr__(self, name: str, value: Any) -> None:
        # Lightning sets _current_fx_name around every hook it calls, dozens of times a training
        # step (46 in its automatic loop, fewer in the manual one); nn.Module's __setattr__
        # checks each value against parameters, buffers and submodules first (2.1 us against
        # 0.2 us here, bench/RESULTS.md issue 14). A string attribute ends up in __dict__
        # either way.
        if name == "_current_fx_name":
            object.__setattr__(self, name, value)
        else:
            super().__setattr__(name, value)

    # -- inputs -------------------------------------------------------------------------------

    def normalise(self, unit_images: torch.Tensor) -> torch.Tensor:
        """``[N, 1, H, W]`` in [0, 1] -> three ImageNet-normalised channels for the network."""
        x = (unit_images.expand(-1, 3, -1, -1) - self.channel_mean) / self.channel_std
        if x.device.type == "cuda":
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    def network(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of normalised images, through the compiled network when there is one."""
        net = self._compiled if self._compiled is not None else self.backbone
        logits: torch.Tensor = net(x)
        return logits

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Logits ``[N, num_classes]`` for uint8 images ``[N, H, W]``."""
        return self.network(self.normalise(to_unit_interval(images)))

    def jittered_logits(
        self, images: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Logits of intensity-augmented copies of uint8 images (training and test-time
        augmentation), with the recipe's brightness and contrast ranges."""
        x = intensity_jitter(
            to_unit_interval(images),
            brightness=self.hparams["brightness"],
            contrast=self.hparams["contrast"],
            generator=generator,
        )
        return self.network(self.normalise(x))

    def tta_probabilities(
        self, images: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Softmax probabilities ``[N, classes]`` of uint8 images, averaged over the image and
        the recipe's ``tta`` intensity-jittered copies (its brightness / contrast ranges, or
        fastai's default lighting :data:`TTA_DEFAULT_LIGHTING` when it trained without)."""
        probability = torch.softmax(self(images).float(), dim=1)
        n_copies = int(self.hparams["tta"])
        if n_copies == 0:
            return probability
        ranges = (self.hparams["brightness"], self.hparams["contrast"])
        brightness, contrast = ranges if any(ranges) else TTA_DEFAULT_LIGHTING
        for _ in range(n_copies):
            x = intensity_jitter(
                to_unit_interval(images),
                brightness=brightness,
                contrast=contrast,
                generator=generator,
            )
            probability += torch.softmax(self.network(self.normalise(x)).float(), dim=1)
        return probability / (n_copies + 1)

    def prepare_for_device(self, *, compile_network: bool | str) -> None:
        """channels_last weights on a GPU; ``torch.compile`` of the network if asked (``True``
        or one of :data:`COMPILE_MODES`)."""
        if self.device.type == "cuda":
            self.backbone.to(memory_format=torch.channels_last)
        mode = compile_mode(compile_network)
        if mode is not None and self._compiled is None:
            # Set past nn.Module.__setattr__: registered, the compiled wrapper would add a
            # second copy of every weight ("_compiled._orig_mod.*") to the checkpoints.
            object.__setattr__(self, "_compiled", torch.compile(self.backbone, mode=mode))
            self._graphs = mode in _GRAPH_MODES

    def mark_step(self) -> None:
        """Tell CUDA-graph replay that a new step begins: a graph's outputs are overwritten by
        its next replay, and without the mark torch cannot tell a new step from a forward
        pass of the same step (a no-op unless compiled with CUDA graphs)."""
        if self._graphs:
            torch.compiler.cudagraph_mark_step_begin()  # type: ignore[no-untyped-call]

    def on_fit_start(self) -> None:
        self.prepare_for_device(compile_network=self.hparams["compile"])

    # -- staged training ----------------------------------------------------------------------

    def _in_frozen_stage(self) -> bool:
        return bool(self.current_epoch < self.hparams["frozen_epochs"])

    def on_train_epoch_start(self) -> None:
        self._train_loss.reset()
        # On one device, frozen parameters skip their weight gradients altogether (faster). Under
        # DDP every parameter must keep requires_grad from the start (the reducer only syncs
        # those), so there they compute gradients that on_before_optimizer_step discards.
        if self.trainer.world_size == 1:
            frozen = self._in_frozen_stage()
            for p in self._frozen_params:
                p.requires_grad_(not frozen)

    def on_before_optimizer_step(self, optimizer: torch.optim.Optimizer) -> None:
        if self._in_frozen_stage():
            # AdamW skips parameters without gradients: no step, no decay, no moment updates.
            for p in self._frozen_params:
                p.grad = None

    def training_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> torch.Tensor:
        # The whole step here, in Lightning's manual optimisation (automatic_optimization is
        # off): the automatic loop wraps each step in closure, precision-plugin and hook
        # layers, about 1 % of a tiny CPU step more (bench/host_overhead.py --floor). The
        # order of operations is the automatic loop's - forward, zero_grad, backward,
        # on_before_optimizer_step, step, then the scheduler - so the weights are the same
        # bit for bit (tests/unit/training/test_host.py).
        self.mark_step()
        optimizer = self.optimizers()
        if isinstance(optimizer, list):  # pragma: no cover - one optimiser here
            optimizer = optimizer[0]
        self.follow_momentum_schedule(optimizer)
        loss = self.training_loss(batch)
        optimizer.zero_grad()
        self.manual_backward(loss)
        optimizer.step()  # runs on_before_optimizer_step (the frozen stage) first
        scheduler = self.lr_schedulers()
        if isinstance(scheduler, list):  # pragma: no cover - one scheduler here
            scheduler = scheduler[0]
        if scheduler is not None:
            scheduler.step()
        # Not self.log per step: Lightning's logging machinery costs more host time than a
        # small-image GPU step leaves (bench/host_overhead.py). The same epoch mean is kept
        # on the device and logged once, at the epoch's last step (on_train_batch_end).
        self._train_loss.add(loss, len(batch[1]))
        return loss

    def follow_momentum_schedule(self, optimizer: LightningOptimizer) -> None:
        """Set AdamW's beta1 for this step: fastai's one-cycle momentum follows the step count
        (so a resumed run, whose global_step is restored, continues the same cycle)."""
        if self._schedule is None:  # pragma: no cover - Lightning configures optimisers first
            return
        beta1 = self._schedule.beta1(self.trainer.global_step)
        for group in optimizer.optimizer.param_groups:
            group["betas"] = (beta1, BETA2)

    def training_loss(self, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """The loss-weighted mean cross entropy of a training batch (images, labels, loss
        weights), through the recipe's intensity augmentation if it has one."""
        images, labels, loss_weights = batch
        if self.hparams["brightness"] or self.hparams["contrast"]:
            logits = self.jittered_logits(images)
        else:
            logits = self(images)
        per_event = F.cross_entropy(logits.float(), labels, reduction="none")
        return (per_event * loss_weights).sum() / loss_weights.sum()

    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None:
        trainer = self.trainer
        stops = 0 < trainer.max_steps <= trainer.global_step  # a run bounded by steps
        if batch_idx + 1 == trainer.num_training_batches or stops:
            # batch_size=1: Lightning's own mean of one value is that value, bit for bit.
            self.log(
                "train_loss", self._train_loss.mean(), on_step=False, on_epoch=True, batch_size=1
            )

    # -- validation ---------------------------------------------------------------------------

    def on_validation_batch_start(
        self, batch: Any, batch_idx: int, dataloader_idx: int = 0
    ) -> None:
        self.mark_step()

    def validation_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> None:
        images, labels, weights = batch
        logits = self(images).float()
        loss = F.cross_entropy(logits, labels, reduction="none")
        self._val_outputs.append((loss.detach(), torch.softmax(logits, dim=1), labels, weights))

    def on_validation_epoch_end(self) -> None:
        loss, probabilities, labels, weights = (
            torch.cat([out[i] for out in self._val_outputs]).cpu() for i in range(4)
        )
        self._val_outputs.clear()
        truth = labels.numpy()
        predicted = probabilities.argmax(dim=1).numpy()
        metrics = {"val_loss": float(loss.mean()), "val_error": float(np.mean(predicted != truth))}
        if self.hparams["num_classes"] == 2:
            scores = probabilities[:, 1].numpy().astype(np.float64)
            # AUC is undefined with one class (possible in a sanity check on a tiny batch).
            two_classes = len(np.unique(truth)) == 2
            metrics["val_auc"] = float(roc_auc_score(truth, scores)) if two_classes else np.nan
            # Likewise the maximum AMS, which needs background in the selection.
            best_ams, best_cut = (
                max_ams(
                    scores, truth, weights.numpy().astype(np.float64), b_reg=self.hparams["b_reg"]
                )
                if two_classes
                else (np.nan, np.nan)
            )
            metrics |= {"val_ams_max": best_ams, "val_ams_max_cut": best_cut}
        # Under DDP every rank validates the whole split, so the values agree; syncing them
        # (a mean of equal numbers) keeps Lightning's distributed logging consistent.
        self.log_dict(metrics, sync_dist=True)

    # -- optimiser ----------------------------------------------------------------------------

    def optimizer_groups(self) -> list[ParameterGroup]:
        """The optimiser's parameter groups: per layer group, batch-norm parameters apart only
        where a frozen stage needs them apart (fewer groups, fewer optimiser kernels)."""
        groups = parameter_groups(self.backbone, self.hparams["layer_groups"])
        if self.hparams["frozen_epochs"] > 0:
            return groups
        merged: dict[int, list[nn.Parameter]] = {}
        for group in groups:
            merged.setdefault(group.layer_group, []).extend(group.params)
        return [ParameterGroup(layer, False, params) for layer, params in merged.items()]

    def schedule(self, steps_per_epoch: int, total_steps: int) -> StagedOneCycle:
        """The learning-rate schedule of ``total_steps`` optimiser steps, epochs of
        ``steps_per_epoch`` (the frozen stage is the first ``frozen_epochs`` of them)."""
        hp = self.hparams
        groups = self.optimizer_groups()
        unfrozen = hp["unfrozen_learning_rate"] or hp["learning_rate"]
        peaks = discriminative_rates(unfrozen, hp["lr_spread"], hp["layer_groups"])
        head_group = hp["layer_groups"] - 1
        frozen_steps = min(hp["frozen_epochs"] * steps_per_epoch, total_steps)
        later = []
        for epochs, peak, spread in hp["extra_cycles"] or []:
            rates = discriminative_rates(peak, spread, hp["layer_groups"])
            later.append((epochs * steps_per_epoch, [rates[g.layer_group] for g in groups]))
        unfrozen_steps = total_steps - frozen_steps - sum(steps for steps, _ in later)
        if unfrozen_steps < 1 and hp["extra_cycles"]:
            raise ValueError(
                f"{total_steps} steps leave none for the first all-layers phase before the "
                f"extra cycles of {sum(steps for steps, _ in later)} steps"
            )
        return StagedOneCycle(
            frozen_steps=frozen_steps,
            unfrozen_steps=max(unfrozen_steps, 0),
            frozen_peak=hp["learning_rate"],
            unfrozen_peaks=[peaks[g.layer_group] for g in groups],
            frozen_trainable=frozenset(
                i for i, g in enumerate(groups) if g.batch_norm or g.layer_group == head_group
            ),
            later=later,
        )

    def configure_optimizers(self) -> Any:
        groups = self.optimizer_groups()
        # lr 1.0: LambdaLR multiplies it by the schedule's value, the absolute rate. The fused
        # CUDA kernel updates all of a group's parameters in a few launches.
        optimizer = torch.optim.AdamW(
            [{"params": g.params, "lr": 1.0} for g in groups],
            betas=(MOMENTUMS[0], BETA2),
            weight_decay=self.hparams["weight_decay"],
            fused=self.device.type == "cuda",
        )
        total = max(1, int(self.trainer.estimated_stepping_batches))
        # max_epochs is -1 or None when a run is bounded by max_steps (benchmarks, range test).
        epochs = self.trainer.max_epochs
        steps_per_epoch = total // epochs if epochs and epochs > 0 else total
        self._schedule = self.schedule(max(1, steps_per_epoch), total)
        lambdas = self._schedule.lambdas(len(groups))
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambdas)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
        }


def load_classifier(checkpoint: str | Path, device: torch.device) -> ImageClassifier:
    """A trained classifier from its checkpoint, never fetching ImageNet weights again.

    The network is built directly on ``device`` (random initialisation of SENet154's 115M
    parameters takes seconds on a CPU) and the checkpoint is memory-mapped, so the optimiser
    state it also holds is never read.
    """
    state = torch.load(checkpoint, map_location=device, mmap=True, weights_only=False)
    arguments = {**state["hyper_parameters"], "pretrained": False, "weights_file": None}
    with torch.device(device):
        model = ImageClassifier(**arguments)
    model.load_state_dict(state["state_dict"])
    return model.to(device)  # also records the device on the LightningModule
