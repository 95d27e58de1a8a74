"""Image caches as Lightning data: whole splits held in memory as uint8 tensors."""

from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, TensorDataset

from supertml.encoding import ImageCache, read_image_cache

__all__ = ["ImageCacheDataModule", "cache_to_dataset"]


def cache_to_dataset(cache: ImageCache) -> TensorDataset:
    """(images uint8 [N,H,W], labels int64 [N], weights float32 [N]) as one dataset.

    Images stay uint8 - four times less memory than floats; the model converts on the device.
    """
    return TensorDataset(
        torch.from_numpy(cache.images),
        torch.from_numpy(cache.label.astype("int64")),
        torch.from_numpy(cache.weight.astype("float32")),
    )


class ImageCacheDataModule(pl.LightningDataModule):
    """Train and validation splits from their HDF5 caches, shuffled by a seeded generator."""

    def __init__(self, train_cache: str | Path, val_cache: str | Path, batch_size: int, seed: int):
        super().__init__()
        self.train_cache = Path(train_cache)
        self.val_cache = Path(val_cache)
        self.batch_size = batch_size
        self.seed = seed
        self._train: TensorDataset | None = None
        self._val: TensorDataset | None = None

    def setup(self, stage: str) -> None:
        if self._train is None:
            self._train = cache_to_dataset(read_image_cache(self.train_cache))
            self._val = cache_to_dataset(read_image_cache(self.val_cache))

    def train_dataloader(self) -> DataLoader[tuple[torch.Tensor, ...]]:
        assert self._train is not None, "setup() first"
        generator = torch.Generator().manual_seed(self.seed)
        # drop_last: a final batch of one event would break batch normalisation, and uneven
        # tiny batches add noise; at most batch_size - 1 events per epoch are skipped, a
        # different few each epoch because of the shuffle.
        return DataLoader(
            self._train,
            batch_size=self.batch_size,
            shuffle=True,
            generator=generator,
            drop_last=len(self._train) > self.batch_size,
        )

    def val_dataloader(self) -> DataLoader[tuple[torch.Tensor, ...]]:
        assert self._val is not None, "setup() first"
        return DataLoader(self._val, batch_size=max(self.batch_size, 256), shuffle=False)
