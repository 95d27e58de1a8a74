"""Class probabilities of a trained checkpoint on a cache: prediction for multi-class tables.

:func:`supertml.training.predict.predict_caches` gives p(signal) of a two-class HiggsML model;
the paper's small tables (Iris, Wine: three classes; REFERENCE.md section 5, "Small data sets")
need every class's probability and the predicted class (the most probable one), scored by
accuracy. Test-time augmentation follows ``predict_caches``: with the recipe's ``tta`` the
probabilities are averaged over the image and ``tta`` intensity-jittered copies, drawn from a
generator seeded by ``tta_seed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import torch

from supertml.encoding import read_image_cache
from supertml.training.model import ImageClassifier
from supertml.training.predict import cache_probabilities, inference_model

__all__ = ["ClassPredictions", "class_probabilities", "predict_classes"]


@dataclass(frozen=True, eq=False)  # eq=False: == on numpy array fields would be ambiguous
class ClassPredictions:
    """Class probabilities of the events of one cache, in the cache's order.

    ``probabilities[i, k]`` is p(class k) of event i (rows sum to 1); ``label`` the true class
    codes the cache holds; ``event_id`` the cache's ids (for a table, the row in its file).
    """

    event_id: npt.NDArray[np.int64]
    label: npt.NDArray[np.int64]
    probabilities: npt.NDArray[np.float64]

    def __post_init__(self) -> None:
        n = len(self.label)
        if self.probabilities.ndim != 2 or self.probabilities.shape[0] != n:
            raise ValueError(
                f"probabilities must be [N={n}, classes], got shape {self.probabilities.shape}"
            )
        if self.event_id.shape != (n,):
            raise ValueError(f"event_id must have shape ({n},), got {self.event_id.shape}")

    @property
    def num_classes(self) -> int:
        """Classes the model tells apart."""
        return int(self.probabilities.shape[1])

    @property
    def predicted(self) -> npt.NDArray[np.int64]:
        """The most probable class of each event (the lowest code on an exact tie)."""
        predicted: npt.NDArray[np.int64] = np.argmax(self.probabilities, axis=1).astype(np.int64)
        return predicted

    def to_frame(self, class_names: Sequence[str] | None = None) -> pd.DataFrame:
        """One row per event: ``event_id``, ``label``, ``predicted`` and ``p_<class>`` columns.

        ``class_names`` name the probability columns (default: the class codes).
        """
        names = [str(k) for k in range(self.num_classes)] if class_names is None else class_names
        if len(names) != self.num_classes:
            raise ValueError(f"{len(names)} class names given for a {self.num_classes}-class model")
        frame = pd.DataFrame(
            {"event_id": self.event_id, "label": self.label, "predicted": self.predicted}
        )
        for k, name in enumerate(names):
            frame[f"p_{name}"] = self.probabilities[:, k]
        return frame


def class_probabilities(
    model: ImageClassifier, images: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Softmax probabilities ``[N, classes]`` of uint8 images ``[N, H, W]`` with the model's
    test-time augmentation (:meth:`ImageClassifier.tta_probabilities`)."""
    return model.tta_probabilities(images, generator)


@torch.inference_mode()
def predict_classes(
    checkpoint: str | Path,
    cache: str | Path,
    *,
    batch_size: int = 256,
    threads: int = 1,
    tta_seed: int = 0,
) -> ClassPredictions:
    """Class probabilities of every event of ``cache`` under the model in ``checkpoint``.

    Works for any number of classes (two included). The cache's labels must be classes of the
    model: a cache of another table is an error naming both files.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    model = inference_model(checkpoint, threads=threads)
    contents = read_image_cache(cache)
    n_classes = int(model.hparams["num_classes"])
    if contents.num_classes > n_classes:
        raise ValueError(
            f"{cache}: holds {contents.num_classes} classes but the model {checkpoint} tells "
            f"apart only {n_classes}"
        )
    assert contents.images is not None  # read with images
    generator = torch.Generator(device=model.device).manual_seed(tta_seed)
    probabilities = cache_probabilities(
        model, contents.images, batch_size=batch_size, generator=generator
    )
    return ClassPredictions(
        event_id=contents.event_id.astype(np.int64),
        label=contents.label.astype(np.int64),
        probabilities=probabilities,
    )
