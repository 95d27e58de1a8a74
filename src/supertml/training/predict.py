"""Score cached events with a trained checkpoint, in the predictions contract."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from supertml.encoding import read_image_cache
from supertml.metrics import predictions_frame
from supertml.training.model import ImageClassifier

__all__ = ["predict_caches"]


@torch.inference_mode()
def predict_caches(
    checkpoint: str | Path,
    caches: Mapping[str, str | Path],
    *,
    batch_size: int = 1024,
    threads: int = 1,
) -> pd.DataFrame:
    """Return one row per event of the given caches: event_id, subset, label, weight, score.

    ``caches`` maps subset name to HDF5 cache; the subset column is taken from the mapping's
    key so that a cache of one split can be scored as whichever subset the caller means.
    Weights are passed through unchanged (already scaled by the split step).
    """
    torch.set_num_threads(threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    # The checkpoint holds the trained weights: never fetch ImageNet weights again here.
    model = ImageClassifier.load_from_checkpoint(
        checkpoint, map_location=device, pretrained=False, weights_file=None
    )
    model.eval()
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")
    frames = []
    for subset, path in caches.items():
        cache = read_image_cache(path)
        images = torch.from_numpy(cache.images)
        scores = np.empty(len(cache), dtype=np.float64)
        for start in range(0, len(cache), batch_size):
            batch = images[start : start + batch_size].to(device, non_blocking=True)
            with autocast:
                logits = model(batch)
            scores[start : start + batch_size] = (
                torch.softmax(logits.float(), dim=1)[:, 1].cpu().numpy()
            )
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
