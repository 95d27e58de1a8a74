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
import pandas as pd
import torch

from supertml.encoding import read_image_cache
from supertml.metrics import predictions_frame
from supertml.training.model import load_classifier

__all__ = ["predict_caches"]

#: Bytes of uint8 images moved to the device at a time when scoring.
CHUNK_BYTES = 1 << 30


@torch.inference_mode()
def predict_caches(
    checkpoint: str | Path,
    caches: Mapping[str, str | Path],
    *,
    batch_size: int = 1024,
    threads: int = 1,
    compile_network: bool = False,
    tta_seed: int = 0,
) -> pd.DataFrame:
    """Return one row per event of the given caches: event_id, subset, label, weight, score.

    ``caches`` maps subset name to HDF5 cache; the subset column is taken from the mapping's
    key so that a cache of one split can be scored as whichever subset the caller means.
    Weights are passed through unchanged (already scaled by the split step).
    ``compile_network``: ``torch.compile`` the network first (pays off for large test sets on
    a GPU).
    """
    torch.set_num_threads(threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = load_classifier(checkpoint, device)
    model.eval()
    model.prepare_for_device(compile_network=compile_network)
    if model.hparams["num_classes"] != 2:
        raise ValueError(
            f"{checkpoint}: a {model.hparams['num_classes']}-class model has no p(signal)"
        )
    generator = torch.Generator(device=device).manual_seed(tta_seed)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")
    frames = []
    for subset, path in caches.items():
        cache = read_image_cache(path)
        images = torch.from_numpy(cache.images)
        # Copy to the device in chunks of about CHUNK_BYTES (few, large transfers) and keep
        # the scores there until the end: no host synchronisation per batch.
        per_chunk = max(
            batch_size, CHUNK_BYTES // max(1, images[0].numel()) // batch_size * batch_size
        )
        parts = []
        for first in range(0, len(cache), per_chunk):
            chunk = images[first : first + per_chunk].to(device)
            for start in range(0, len(chunk), batch_size):
                with autocast:
                    parts.append(
                        model.tta_probabilities(chunk[start : start + batch_size], generator)[:, 1]
                    )
        scores = torch.cat(parts).double().cpu().numpy() if parts else np.empty(0)
        frames.append(
            predictions_frame(
                subset,
                event_id=cache.event_id,
                label=cache.label,
                weight=cache.weight,
                score=scores,
            )
        )
    return pd.concat(frames, ignore_index=True)
