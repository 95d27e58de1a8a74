"""Image caches as Lightning data: whole splits held as uint8 tensors, batches cut by index.

Each split is loaded once, as uint8, onto the device the trainer runs on (DESIGN.md
"Performance shape": on a GPU the host never feeds batches; 250k events at 224 px are 12.5 GB).
A batch is then one tensor indexing of those arrays by a batch of event indices - no per-event
collation. The shuffle of epoch ``k`` depends only on ``(seed, k)``, so a run resumed from a
checkpoint sees the same batches as one that never stopped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, Dataset, Sampler, TensorDataset

from supertml.encoding import ImageCache, read_image_cache

__all__ = [
    "EpochShuffledBatches",
    "ImageCacheDataModule",
    "IndexedTensors",
    "cache_to_dataset",
    "epoch_seed",
]

Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


def epoch_seed(seed: int, epoch: int) -> int:
    """A 63-bit seed derived from ``(seed, epoch)`` alone (numpy SeedSequence mixing)."""
    return int(np.random.SeedSequence([seed, epoch]).generate_state(2, np.uint64)[0] >> 1)


def cache_to_dataset(cache: ImageCache) -> TensorDataset:
    """(images uint8 [N,H,W], labels int64 [N], weights float32 [N]) as one dataset.

    Images stay uint8 - four times less memory than floats; the model converts on the device.
    """
    return TensorDataset(
        torch.from_numpy(cache.images),
        torch.from_numpy(cache.label.astype("int64")),
        torch.from_numpy(cache.weight.astype("float32")),
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
    ) -> None:
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
        return self.n // self.batch_size if self.drop_last else -(-self.n // self.batch_size)

    def __iter__(self) -> Iterator[torch.Tensor]:
        if self.shuffle:
            generator = torch.Generator().manual_seed(epoch_seed(self.seed, self.epoch))
            order = torch.randperm(self.n, generator=generator)
        else:
            order = torch.arange(self.n)
        order = order.to(self.device)
        for i in range(len(self)):
            yield order[i * self.batch_size : (i + 1) * self.batch_size]


class ImageCacheDataModule(pl.LightningDataModule):
    """Train and validation splits from their HDF5 caches, resident on the trainer's device.

    ``device``: where the splits live; by default the device of the attached trainer (the
    GPU when it trains on one), else the CPU.
    """

    def __init__(
        self,
        train_cache: str | Path,
        val_cache: str | Path,
        batch_size: int,
        seed: int,
        *,
        device: torch.device | str | None = None,
    ):
        super().__init__()
        self.train_cache = Path(train_cache)
        self.val_cache = Path(val_cache)
        self.batch_size = batch_size
        self.seed = seed
        self.device = torch.device(device) if device is not None else None
        self._train: IndexedTensors | None = None
        self._val: IndexedTensors | None = None

    def _target_device(self) -> torch.device:
        if self.device is not None:
            return self.device
        trainer = self.trainer
        return trainer.strategy.root_device if trainer is not None else torch.device("cpu")

    def setup(self, stage: str) -> None:
        if self._train is None:
            device = self._target_device()
            self._train = IndexedTensors(
                cache_to_dataset(read_image_cache(self.train_cache)), device
            )
            self._val = IndexedTensors(cache_to_dataset(read_image_cache(self.val_cache)), device)

    def train_dataloader(self) -> DataLoader[Batch]:
        assert self._train is not None, "setup() first"
        batches = EpochShuffledBatches(
            len(self._train),
            self.batch_size,
            shuffle=True,
            seed=self.seed,
            drop_last=True,
            device=self._train.device,
        )
        return DataLoader(self._train, batch_size=None, sampler=batches)

    def val_dataloader(self) -> DataLoader[Batch]:
        assert self._val is not None, "setup() first"
        batches = EpochShuffledBatches(
            len(self._val), max(self.batch_size, 256), shuffle=False, device=self._val.device
        )
        return DataLoader(self._val, batch_size=None, sampler=batches)
