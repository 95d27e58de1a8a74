"""Image caches as Lightning data: whole splits held as uint8 tensors, batches cut by index.

Each split is loaded once, as uint8, onto the device the trainer runs on (DESIGN.md
"Performance shape": on a GPU the host never feeds batches; 250k events at 224 px are 12.5 GB).
A batch is then one tensor indexing of those arrays by a batch of event indices - no per-event
collation. The shuffle of epoch ``k`` depends only on ``(seed, k)``, so a run resumed from a
checkpoint sees the same batches as one that never stopped.

Recipe options that change what an epoch is (REFERENCE.md section 5):

- ``signal_copies``: each signal event appears that many times per training epoch (the study's
  run 8 duplicated signal once, ``signal_copies=2``), balancing the classes without weights;
- ``loss_weights``: the per-event weights of the training loss (see :func:`loss_weights`);
- ``holdout_fraction``: that share of the training cache is held out to monitor training
  (validation loss, error, kept epoch) instead of the validation cache, and not trained on:
  fastai's ``valid_pct=0.2``, so the study's CNNs trained on 160k of the 200k events
  (:func:`holdout_split`). The validation cache then serves only the cut and the scores.

On several devices (DDP), each rank takes every ``world_size``-th batch of the same shuffle.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
from numpy.typing import NDArray
from torch.utils.data import DataLoader, Dataset, Sampler, TensorDataset

from supertml.encoding import ImageCache, read_image_cache
from supertml.seeding import derived_seed
from supertml.training.host import on_device

__all__ = [
    "LOSS_WEIGHTS",
    "EpochShuffledBatches",
    "ImageCacheDataModule",
    "IndexedTensors",
    "cache_to_dataset",
    "epoch_seed",
    "holdout_split",
    "loss_weights",
    "training_index",
]

#: Loss-weight schemes of :func:`loss_weights`.
LOSS_WEIGHTS = ("none", "event", "event_balanced")

Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


def epoch_seed(seed: int, epoch: int) -> int:
    """A 63-bit torch seed derived from ``(seed, epoch)`` alone (see supertml.seeding)."""
    return derived_seed(seed, epoch, bits=63)


def loss_weights(
    labels: NDArray[np.integer[Any]], weights: NDArray[np.floating[Any]], scheme: str
) -> NDArray[np.float32]:
    """Per-event weights of the training loss, float32 with mean 1 over the events given.

    - ``none``: all 1 - the study's unweighted training;
    - ``event``: the physics event weights, rescaled to mean 1; background then dominates
      the loss as it dominates the data set's cross section (Ns/Nb ~ 0.0017);
    - ``event_balanced``: the event weights rescaled within each class so that both classes
      carry the same total (the usual choice for weighted HEP classifiers, e.g. LUMIN).
    """
    if scheme not in LOSS_WEIGHTS:
        raise ValueError(f"unknown loss_weights {scheme!r}; choose one of {LOSS_WEIGHTS}")
    if scheme == "none":
        return np.ones(len(labels), dtype=np.float32)
    w = np.array(weights, dtype=np.float64)
    if scheme == "event_balanced":
        for cls in np.unique(labels):
            members = labels == cls
            w[members] /= w[members].sum()
    scaled: NDArray[np.float32] = (w * len(w) / w.sum()).astype(np.float32)
    return scaled


#: The derived-seed stream of the holdout draw (supertml.seeding), apart from the shuffles'.
HOLDOUT_STREAM = 1_000_003


def holdout_split(
    n: int, fraction: float, seed: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """``(trained, held_out)`` event indices, sorted: a seeded random ``fraction`` of ``n``
    events held out (fastai's ``split_by_rand_pct``), the rest trained on."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"holdout_fraction must be in (0, 1), got {fraction}")
    n_held = round(fraction * n)
    if not 0 < n_held < n:
        raise ValueError(f"holdout_fraction {fraction} of {n} events leaves an empty side")
    order = np.random.default_rng(derived_seed(seed, HOLDOUT_STREAM)).permutation(n)
    return np.sort(order[n_held:]), np.sort(order[:n_held])


def _subset(cache: ImageCache, rows: NDArray[np.int64], weight_factor: float) -> ImageCache:
    """The events ``rows`` of a cache, weights scaled by ``weight_factor``."""
    if cache.images is None:
        raise ValueError("the cache was read without its images")
    return replace(
        cache,
        images=cache.images[rows],
        label=cache.label[rows],
        weight=cache.weight[rows] * weight_factor,
        event_id=cache.event_id[rows],
        subset=cache.subset[rows],
    )


def training_index(labels: NDArray[np.integer[Any]], signal_copies: int) -> torch.Tensor:
    """Event indices of one training epoch: every event, signal events ``signal_copies``
    times (an epoch then has ``n + (signal_copies - 1) * n_signal`` entries)."""
    if signal_copies < 1:
        raise ValueError(f"signal_copies must be >= 1, got {signal_copies}")
    extra = np.tile(np.flatnonzero(labels == 1), signal_copies - 1)
    return torch.from_numpy(np.concatenate([np.arange(len(labels)), extra]))


def cache_to_dataset(
    cache: ImageCache, third: NDArray[np.floating[Any]] | None = None
) -> TensorDataset:
    """(images uint8 [N,H,W], labels int64 [N], weights float32 [N]) as one dataset.

    ``third`` replaces the cache's event weights as the third tensor (the training loss
    weights). Images stay uint8 - four times less memory than floats; the model converts on
    the device.
    """
    weights = cache.weight if third is None else third
    return TensorDataset(
        torch.from_numpy(cache.images),
        torch.from_numpy(cache.label.astype("int64")),
        torch.from_numpy(np.asarray(weights, dtype=np.float32)),
    )


class IndexedTensors(Dataset[Batch]):
    """A split as three tensors on one device; ``dataset[indices]`` is a whole batch.

    Used with ``DataLoader(batch_size=None, sampler=<yields index tensors>)`` so that the
    DataLoader neither collates nor copies: the batch is one gather on the data's device.
    """

    def __init__(self, data: TensorDataset, device: torch.device) -> None:
        images, labels, weights = data.tensors
        self.device = device
        self.images = images.to(device)
        self.labels = labels.to(device)
        self.weights = weights.to(device)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, indices: torch.Tensor) -> Batch:
        return self.images[indices], self.labels[indices], self.weights[indices]


class EpochShuffledBatches(Sampler[torch.Tensor]):
    """Batches of event indices: shuffled per epoch from ``(seed, epoch)``, or in order.

    Lightning calls :meth:`set_epoch` before each training epoch (as for a distributed
    sampler); the permutation is then drawn on the CPU (bit-identical everywhere) and moved to
    ``device`` once per epoch, so each batch is a slice of a device tensor.

    ``drop_last``: a final batch of one event would break batch normalisation, and uneven tiny
    batches add noise; at most ``batch_size - 1`` events per epoch are skipped, a different few
    each epoch because of the shuffle.

    ``index``: the dataset indices an epoch draws from (default ``arange(n)``; repeated
    entries are drawn as often as they appear). ``rank`` / ``world_size``: this process takes
    batches ``rank, rank + world_size, ...`` of the epoch, every rank the same number.
    """

    def __init__(
        self,
        n: int,
        batch_size: int,
        *,
        shuffle: bool,
        seed: int = 0,
        drop_last: bool = False,
        device: torch.device | None = None,
        index: torch.Tensor | None = None,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        if index is not None:
            n = len(index)
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} outside world_size {world_size}")
        self.index = index
        self.rank = rank
        self.world_size = world_size
        self.n = n
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.drop_last = drop_last and n > batch_size
        self.device = device or torch.device("cpu")
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Select the shuffle of ``epoch`` (called by Lightning's fit loop)."""
        self.epoch = epoch

    def __len__(self) -> int:
        n_batches = self.n // self.batch_size if self.drop_last else -(-self.n // self.batch_size)
        return n_batches // self.world_size

    def __iter__(self) -> Iterator[torch.Tensor]:
        if self.shuffle:
            generator = torch.Generator().manual_seed(epoch_seed(self.seed, self.epoch))
            order = torch.randperm(self.n, generator=generator)
        else:
            order = torch.arange(self.n)
        if self.index is not None:
            order = self.index[order]
        order = order.to(self.device)
        for i in range(len(self)):
            start = (i * self.world_size + self.rank) * self.batch_size
            yield order[start : start + self.batch_size]


class ImageCacheDataModule(pl.LightningDataModule):
    """Train and validation splits from their HDF5 caches, resident on the trainer's device.

    ``device``: where the splits live; by default the device of the attached trainer (the
    GPU when it trains on one), else the CPU. ``signal_copies``, ``loss_weights`` and
    ``holdout_fraction``: see the module docstring. The training batches carry the loss weights
    as their third tensor, the validation (monitoring) batches the event weights (for the AMS).
    """

    def __init__(
        self,
        train_cache: str | Path,
        val_cache: str | Path,
        batch_size: int,
        seed: int,
        *,
        device: torch.device | str | None = None,
        signal_copies: int = 1,
        loss_weights: str = "none",
        holdout_fraction: float = 0.0,
    ):
        super().__init__()
        self.holdout_fraction = holdout_fraction
        if loss_weights not in LOSS_WEIGHTS:
            raise ValueError(f"unknown loss_weights {loss_weights!r}; choose one of {LOSS_WEIGHTS}")
        if signal_copies < 1:
            raise ValueError(f"signal_copies must be >= 1, got {signal_copies}")
        self.signal_copies = signal_copies
        self.loss_weights = loss_weights
        self.train_cache = Path(train_cache)
        self.val_cache = Path(val_cache)
        self.batch_size = batch_size
        self.seed = seed
        self.device = torch.device(device) if device is not None else None
        self._train: IndexedTensors | None = None
        self._val: IndexedTensors | None = None
        self._train_index: torch.Tensor | None = None

    def _target_device(self) -> torch.device:
        if self.device is not None:
            return self.device
        trainer = self.trainer
        return trainer.strategy.root_device if trainer is not None else torch.device("cpu")

    def setup(self, stage: str) -> None:
        if self._train is None:
            device = self._target_device()
            train = read_image_cache(self.train_cache)
            if self.holdout_fraction > 0.0:
                kept, held = holdout_split(len(train.label), self.holdout_fraction, self.seed)
                # Each part's weights keep the cache's luminosity (REFERENCE.md section 3,
                # weight factor), so the monitor's AMS reads like the validation one.
                monitor = _subset(train, held, len(train.label) / len(held))
                train = _subset(train, kept, len(train.label) / len(kept))
            else:
                monitor = read_image_cache(self.val_cache)
            weights = loss_weights(train.label, train.weight, self.loss_weights)
            self._train = IndexedTensors(cache_to_dataset(train, weights), device)
            self._train_index = training_index(train.label, self.signal_copies)
            self._val = IndexedTensors(cache_to_dataset(monitor), device)

    def transfer_batch_to_device(
        self, batch: Any, device: torch.device, dataloader_idx: int
    ) -> Any:
        # The batches are cut on the training device already: skip Lightning's recursive copy
        # (a no-op that costs host time every step, bench/host_overhead.py) when they are.
        if on_device(batch, device):
            return batch
        return super().transfer_batch_to_device(batch, device, dataloader_idx)

    def train_dataloader(self) -> DataLoader[Batch]:
        assert self._train is not None, "setup() first"
        batches = EpochShuffledBatches(
            len(self._train),
            self.batch_size,
            shuffle=True,
            seed=self.seed,
            drop_last=True,
            device=self._train.device,
            index=self._train_index,
            rank=self.trainer.global_rank if self.trainer is not None else 0,
            world_size=self.trainer.world_size if self.trainer is not None else 1,
        )
        return DataLoader(self._train, batch_size=None, sampler=batches)

    def val_dataloader(self) -> DataLoader[Batch]:
        assert self._val is not None, "setup() first"
        batches = EpochShuffledBatches(
            len(self._val), max(self.batch_size, 256), shuffle=False, device=self._val.device
        )
        return DataLoader(self._val, batch_size=None, sampler=batches)
