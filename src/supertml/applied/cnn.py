"""A trained CNN run scoring events it never saw: encoded as it was trained, then scored.

The events are encoded here, chunk by chunk, with the run's own encoding and feature ordering,
and scored at once: no image cache is written, because applied events are read once per run
and their caches (labels unknown, subsets outside train/val/public/private) would not be the
workflow's caches. Encoding is deterministic per event, so each image is the one the workflow's
cache holds for the same event (``tests/unit/applied``); scoring goes through the same
:func:`~supertml.training.predict.cache_probabilities` as ``predict_model``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import torch

from supertml.encoding.registry import Encoder
from supertml.training.predict import cache_probabilities, inference_model, transfer_events

__all__ = ["ENCODE_CHUNK", "encoded_images", "score_events"]

#: Events encoded per call: the encoders hold float intermediates per pixel, so a call is kept
#: to the chunk ``encode_images`` uses (4096 events at 224 px: about 200 MB).
ENCODE_CHUNK: Final[int] = 4096


def encoded_images(encoder: Encoder, values: npt.NDArray[np.float64]) -> npt.NDArray[np.uint8]:
    """``values [N, F]`` (in the encoder's feature order) as uint8 images ``[N, H, W]``."""
    images = np.empty((len(values), encoder.size, encoder.size), dtype=np.uint8)
    for start in range(0, len(values), ENCODE_CHUNK):
        images[start : start + ENCODE_CHUNK] = encoder.encode(values[start : start + ENCODE_CHUNK])
    return images


def score_events(
    checkpoint: str | Path,
    values: npt.NDArray[np.float64],
    encoder: Encoder,
    *,
    batch_size: int = 1024,
    threads: int = 1,
    tta_seed: int = 0,
) -> npt.NDArray[np.float64]:
    """p(signal) of each row of ``values`` (prepared features in the encoder's order) by the
    checkpoint's network, with its test-time augmentation.

    Images are made a host-to-device transfer at a time (about 1 GiB), so memory stays bounded
    on 550k events. Without test-time augmentation a score depends on its event alone; with it,
    the jitter drawn for an event depends on its place in the stream, as in ``predict_model``.
    """
    model = inference_model(checkpoint, threads=threads)
    if model.hparams["num_classes"] != 2:
        raise ValueError(
            f"{checkpoint}: a {model.hparams['num_classes']}-class model has no p(signal)"
        )
    generator = torch.Generator(device=model.device).manual_seed(tta_seed)
    per_transfer = transfer_events(encoder.size * encoder.size, batch_size)
    parts = [np.empty(0, dtype=np.float64)]
    for start in range(0, len(values), per_transfer):
        images = encoded_images(encoder, values[start : start + per_transfer])
        probabilities = cache_probabilities(
            model, images, batch_size=batch_size, generator=generator
        )
        parts.append(probabilities[:, 1])
    return np.concatenate(parts)
