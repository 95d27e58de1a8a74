"""Score cached events with a trained checkpoint, in the predictions contract.

Test-time augmentation (the recipe's ``tta``, stored in the checkpoint): the score is the mean
of p(signal) over the image itself and ``tta`` intensity-jittered copies (the recipe's
brightness / contrast ranges, or fastai's default lighting of 0.2 / 0.2 when it trained
without), drawn from a generator seeded by ``tta_seed``, so scores are reproducible.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import torch

from supertml.encoding import iter_image_chunks, read_image_cache
from supertml.metrics import predictions_frame
from supertml.training.model import ImageClassifier, load_classifier
from supertml.training.prefetch import read_ahead

__all__ = [
    "CHUNK_BYTES",
    "cache_probabilities",
    "inference_model",
    "predict_caches",
    "transfer_events",
]

#: Bytes of uint8 images moved to the device at a time when scoring.
CHUNK_BYTES = 1 << 30


def inference_model(
    checkpoint: str | Path, *, threads: int = 1, compile_network: bool | str = False
) -> ImageClassifier:
    """A trained classifier ready to score: on the GPU when there is one, in eval mode,
    channels_last there, compiled if asked."""
    torch.set_num_threads(threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = load_classifier(checkpoint, device)
    model.eval()
    model.prepare_for_device(compile_network=compile_network)
    return model


def transfer_events(image_pixels: int, batch_size: int) -> int:
    """Events per host-to-device transfer: about :data:`CHUNK_BYTES`, whole batches."""
    return max(batch_size, CHUNK_BYTES // max(1, image_pixels) // batch_size * batch_size)


@torch.inference_mode()
def cache_probabilities(
    model: ImageClassifier,
    images: npt.NDArray[np.uint8],
    *,
    batch_size: int,
    generator: torch.Generator,
) -> npt.NDArray[np.float64]:
    """Class probabilities ``[N, classes]`` of uint8 images ``[N, H, W]`` held on the host,
    with the model's test-time augmentation, in batches of ``batch_size``.

    The images go to the device in chunks of about :data:`CHUNK_BYTES` (few, large transfers)
    and the probabilities stay there until the end: no host synchronisation per batch.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    n_classes = int(model.hparams["num_classes"])
    if len(images) == 0:
        return np.empty((0, n_classes), dtype=np.float64)
    host = torch.from_numpy(images)
    per_chunk = transfer_events(host[0].numel(), batch_size)
    autocast = torch.autocast(
        model.device.type, dtype=torch.bfloat16, enabled=model.device.type == "cuda"
    )
    parts = []
    for first in range(0, len(host), per_chunk):
        chunk = host[first : first + per_chunk].to(model.device)
        for start in range(0, len(chunk), batch_size):
            model.mark_step()
            with autocast:
                parts.append(model.tta_probabilities(chunk[start : start + batch_size], generator))
    probabilities: npt.NDArray[np.float64] = torch.cat(parts).double().cpu().numpy()
    return probabilities


def predict_caches(
    checkpoint: str | Path,
    caches: Mapping[str, str | Path],
    *,
    batch_size: int = 1024,
    threads: int = 1,
    compile_network: bool | str = False,
    tta_seed: int = 0,
) -> pd.DataFrame:
    """Return one row per event of the given caches: event_id, subset, label, weight, score.

    ``caches`` maps subset name to HDF5 cache; the subset column is taken from the mapping's
    key so that a cache of one split can be scored as whichever subset the caller means.
    Weights are passed through unchanged (already scaled by the split step).
    ``compile_network``: ``torch.compile`` the network first, ``True`` or a mode of
    :data:`supertml.training.model.COMPILE_MODES` (pays off for large test sets on a GPU).
    """
    model = inference_model(checkpoint, threads=threads, compile_network=compile_network)
    if model.hparams["num_classes"] != 2:
        raise ValueError(
            f"{checkpoint}: a {model.hparams['num_classes']}-class model has no p(signal)"
        )
    generator = torch.Generator(device=model.device).manual_seed(tta_seed)
    frames = []
    for subset, path in caches.items():
        # Streamed from disk a transfer's worth at a time: the host holds about two CHUNK_BYTES
        # of images, not the whole cache (450k private events at 224 px are 22.6 GB). The
        # chunks are whole transfers of cache_probabilities, so batches, and with them the
        # test-time-augmentation draws, are those of scoring the cache in one piece. A
        # thread reads and decompresses the next chunk while the device scores this one.
        cache = read_image_cache(path, load_images=False)
        per_chunk = transfer_events(cache.image_shape[0] * cache.image_shape[1], batch_size)
        parts = []
        for chunk in read_ahead(iter_image_chunks(path, chunk_size=per_chunk)):
            parts.append(
                cache_probabilities(model, chunk.images, batch_size=batch_size, generator=generator)
            )
            # Let go of this chunk before asking for the next: read_ahead then holds one more,
            # not two (the rehearsal's 600k events at 56 px peaked at 3.7 GB holding two
            # without read-ahead, bench/RESULTS.md).
            del chunk
        n_classes = int(model.hparams["num_classes"])
        probabilities = np.concatenate(parts) if parts else np.empty((0, n_classes))
        frames.append(
            predictions_frame(
                subset,
                event_id=cache.event_id,
                label=cache.label,
                weight=cache.weight,
                score=probabilities[:, 1],
            )
        )
    return pd.concat(frames, ignore_index=True)
