"""What a training epoch is under the recipes: loss weights, signal copies, sharding by rank."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from supertml.encoding import read_image_cache
from supertml.training.data import (
    EpochShuffledBatches,
    ImageCacheDataModule,
    holdout_split,
    loss_weights,
    training_index,
)

LABELS = np.array([0, 0, 0, 1, 1, 0, 1], dtype=np.int8)
WEIGHTS = np.array([1.0, 2.0, 3.0, 0.01, 0.03, 4.0, 0.02])


def test_no_loss_weights_is_all_ones() -> None:
    w = loss_weights(LABELS, WEIGHTS, "none")
    assert w.dtype == np.float32
    np.testing.assert_array_equal(w, np.ones(7, np.float32))


def test_event_loss_weights_are_the_event_weights_at_mean_one() -> None:
    w = loss_weights(LABELS, WEIGHTS, "event")
    assert w.dtype == np.float32
    assert w.mean() == pytest.approx(1.0, rel=1e-6)
    np.testing.assert_allclose(w, WEIGHTS / WEIGHTS.mean(), rtol=1e-6)


def test_balanced_loss_weights_give_both_classes_the_same_total() -> None:
    w = loss_weights(LABELS, WEIGHTS, "event_balanced")
    assert w.mean() == pytest.approx(1.0, rel=1e-6)
    signal, background = w[LABELS == 1], w[LABELS == 0]
    assert signal.sum() == pytest.approx(background.sum(), rel=1e-6)
    # Within a class the event weights keep their proportions.
    np.testing.assert_allclose(signal / signal[0], WEIGHTS[LABELS == 1] / 0.01, rtol=1e-6)
    np.testing.assert_allclose(background / background[0], WEIGHTS[LABELS == 0], rtol=1e-6)


def test_unknown_loss_weights_scheme_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"unknown loss_weights 'balanced'; choose one of"):
        loss_weights(LABELS, WEIGHTS, "balanced")


def test_training_index_repeats_signal_events() -> None:
    index = training_index(LABELS, 3)
    assert len(index) == 7 + 2 * 3
    counts = np.bincount(index.numpy(), minlength=7)
    np.testing.assert_array_equal(counts, np.where(LABELS == 1, 3, 1))
    assert torch.equal(training_index(LABELS, 1), torch.arange(7))


def test_training_index_needs_a_copy() -> None:
    with pytest.raises(ValueError, match="signal_copies must be >= 1, got 0"):
        training_index(LABELS, 0)


def test_batches_of_an_index_draw_its_duplicates() -> None:
    index = training_index(LABELS, 2)
    batches = EpochShuffledBatches(7, 3, shuffle=True, seed=4, index=index)
    batches.set_epoch(1)
    drawn = torch.cat(list(batches))
    assert len(batches) == 4  # 10 entries in batches of 3, the last partial
    assert sorted(drawn.tolist()) == sorted(index.tolist())
    assert drawn.tolist() != index.tolist()  # shuffled


@pytest.mark.parametrize(("n", "drop_last"), [(100, True), (90, True), (100, False)])
def test_ranks_split_the_single_process_epoch(n: int, drop_last: bool) -> None:
    def epoch(rank: int, world_size: int) -> list[torch.Tensor]:
        sampler = EpochShuffledBatches(
            n, 8, shuffle=True, seed=9, drop_last=drop_last, rank=rank, world_size=world_size
        )
        sampler.set_epoch(3)
        return list(sampler)

    single = epoch(0, 1)
    first, second = epoch(0, 2), epoch(1, 2)
    k = len(first)
    assert len(second) == k  # DDP needs every rank to step the same number of times
    assert k == len(single) // 2
    assert all(len(batch) == 8 for batch in first + second)
    assert not set(torch.cat(first).tolist()) & set(torch.cat(second).tolist())
    # Rank r takes batches r, r + 2, ... of the one shuffle every process draws.
    for i in range(k):
        assert torch.equal(first[i], single[2 * i])
        assert torch.equal(second[i], single[2 * i + 1])


def test_rank_outside_the_world_is_rejected() -> None:
    with pytest.raises(ValueError, match="rank 2 outside world_size 2"):
        EpochShuffledBatches(10, 2, shuffle=True, rank=2, world_size=2)


def identify(images: torch.Tensor, cache_images: np.ndarray) -> list[int]:
    """Cache positions of a batch's images (the synthetic images are all distinct)."""
    position = {image.tobytes(): i for i, image in enumerate(cache_images)}
    assert len(position) == len(cache_images)
    return [position[image.tobytes()] for image in images.numpy()]


@pytest.mark.parametrize("scheme", ["none", "event", "event_balanced"])
def test_data_module_epoch_has_signal_copies_and_loss_weights(
    caches: dict[str, Path], scheme: str
) -> None:
    cache = read_image_cache(caches["train"])
    assert cache.images is not None
    n, n_signal = len(cache), int(cache.label.sum())
    # A batch size dividing n + n_signal, so drop_last drops nothing.
    batch_size = 16
    assert (n + n_signal) % batch_size == 0
    data = ImageCacheDataModule(
        caches["train"],
        caches["val"],
        batch_size=batch_size,
        seed=2,
        device="cpu",
        signal_copies=2,
        loss_weights=scheme,
    )
    data.setup("fit")
    loader = data.train_dataloader()
    loader.sampler.set_epoch(0)  # type: ignore[attr-defined]
    expected_weights = loss_weights(cache.label, cache.weight, scheme)
    seen: list[int] = []
    for images, labels, weights in loader:
        index = identify(images, cache.images)
        seen += index
        np.testing.assert_array_equal(labels.numpy(), cache.label[index])
        np.testing.assert_array_equal(weights.numpy(), expected_weights[index])
    assert len(seen) == n + n_signal
    np.testing.assert_array_equal(np.bincount(seen, minlength=n), np.where(cache.label == 1, 2, 1))


def test_data_module_rejects_bad_recipe_options(caches: dict[str, Path]) -> None:
    with pytest.raises(ValueError, match="unknown loss_weights"):
        ImageCacheDataModule(caches["train"], caches["val"], 16, 0, loss_weights="bad")
    with pytest.raises(ValueError, match="signal_copies must be >= 1"):
        ImageCacheDataModule(caches["train"], caches["val"], 16, 0, signal_copies=0)


def _events_of(loader: torch.utils.data.DataLoader, reference: np.ndarray) -> list[int]:
    seen: list[int] = []
    for images, _, _ in loader:
        seen += identify(images, reference)
    return seen


def test_a_holdout_monitors_training_on_events_it_never_trains_on(
    caches: dict[str, Path],
) -> None:
    # fastai's valid_pct=0.2: 96 training events -> 77 trained on, 19 held out to monitor.
    cache = read_image_cache(caches["train"])
    assert cache.images is not None
    data = ImageCacheDataModule(caches["train"], caches["val"], batch_size=7, seed=4,
                                device="cpu", holdout_fraction=0.2)  # fmt: skip
    data.setup("fit")
    loader = data.train_dataloader()
    loader.sampler.set_epoch(0)  # type: ignore[attr-defined]
    trained = set(_events_of(loader, cache.images))
    monitored = _events_of(data.val_dataloader(), cache.images)
    assert len(monitored) == 19
    assert len(set(monitored)) == 19
    assert not trained & set(monitored)
    assert len(trained) == 77  # batches of 7 divide 77: nothing dropped
    # The monitor's weights keep the cache's luminosity: scaled by 96 / 19.
    weights = torch.cat([w for _, _, w in data.val_dataloader()]).numpy()
    np.testing.assert_allclose(weights, cache.weight[sorted(monitored)] * 96 / 19, rtol=1e-6)
    # The same seed holds out the same events; another seed others.
    for first, again in zip(holdout_split(96, 0.2, 4), holdout_split(96, 0.2, 4), strict=True):
        np.testing.assert_array_equal(first, again)
    assert not np.array_equal(holdout_split(96, 0.2, 4)[1], holdout_split(96, 0.2, 5)[1])


def test_without_a_holdout_the_validation_cache_monitors(caches: dict[str, Path]) -> None:
    val = read_image_cache(caches["val"])
    data = ImageCacheDataModule(caches["train"], caches["val"], 16, 0, device="cpu")
    data.setup("fit")
    labels = torch.cat([y for _, y, _ in data.val_dataloader()]).numpy()
    np.testing.assert_array_equal(labels, val.label)


@pytest.mark.parametrize("fraction", [0.0, 1.0, 0.001])
def test_a_holdout_must_leave_both_sides(fraction: float) -> None:
    with pytest.raises(ValueError, match="holdout_fraction"):
        holdout_split(96, fraction, 0)
