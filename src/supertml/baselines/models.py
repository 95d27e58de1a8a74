"""Fitted baselines: what a fit returns, and the file that keeps the model for later events.

A fitted baseline is kept (``model.joblib`` beside its predictions) so that it can score events
it never saw, a Kaggle ``test.csv`` for instance (``supertml.steps.apply``). The file is a
joblib pickle of a header (format, kind, features, the library versions that wrote it) and the
model; loading refuses a file of another format, and a file written by another scikit-learn or
torch version, because neither library promises that its pickles survive a version change
(scikit-learn's "Model persistence" guide). Load only files this workflow wrote: a pickle runs
code when it is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any, Final, Protocol

import joblib
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from supertml.errors import DataValidationError
from supertml.io import atomic_path
from supertml.metrics import predictions_frame

__all__ = [
    "MODEL_FORMAT",
    "BaselineFit",
    "BaselineModel",
    "load_baseline_model",
    "save_baseline_model",
    "score_subsets",
]

#: The header's ``format`` of a saved baseline; a change of layout gets a new number.
MODEL_FORMAT: Final[str] = "supertml-baseline-1"

#: Libraries whose pickles a saved model depends on.
_PICKLED_LIBRARIES: Final[tuple[str, ...]] = ("scikit-learn", "torch")

_SCORED_SUBSETS: Final[tuple[str, ...]] = ("val", "public", "private")


class BaselineModel(Protocol):
    """A fitted baseline: the prepared features it reads, and p(signal) of a prepared frame."""

    @property
    def features(self) -> tuple[str, ...]: ...

    def score(self, prepared: pd.DataFrame) -> NDArray[np.float64]: ...


@dataclass(frozen=True, eq=False)
class BaselineFit:
    """A fit's predictions of ``val``, ``public`` and ``private`` (the predictions contract),
    the facts it recorded, and the model that made the predictions."""

    predictions: pd.DataFrame
    info: dict[str, Any]
    model: BaselineModel


def score_subsets(model: BaselineModel, prepared: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The predictions frame of ``val``, ``public`` and ``private`` scored by ``model``."""
    frames = []
    for subset in _SCORED_SUBSETS:
        frame = prepared[subset]
        frames.append(
            predictions_frame(
                subset,
                event_id=frame["event_id"],
                label=frame["label"],
                weight=frame["weight"],
                score=model.score(frame),
            )
        )
    return pd.concat(frames, ignore_index=True)


def _library_versions() -> dict[str, str]:
    return {name: version(name) for name in _PICKLED_LIBRARIES}


def save_baseline_model(path: str | Path, kind: str, model: BaselineModel) -> None:
    """Write ``model`` of baseline ``kind`` to ``path`` (whole or not at all)."""
    header = {
        "format": MODEL_FORMAT,
        "kind": kind,
        "features": list(model.features),
        "libraries": _library_versions(),
    }
    with atomic_path(path) as partial:
        joblib.dump({"header": header, "model": model}, partial, compress=3)


def load_baseline_model(path: str | Path) -> tuple[str, BaselineModel]:
    """The kind and model saved by :func:`save_baseline_model`.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    DataValidationError
        Naming ``path``: not a saved baseline, or written by other scikit-learn / torch versions
        (rerun ``train_baseline`` with this environment).
    """
    source = Path(path)
    if not source.is_file():
        raise FileNotFoundError(f"{source}: saved baseline model not found")
    try:
        payload = joblib.load(source)
    except Exception as exc:  # any unpickling failure means "not our file"
        raise DataValidationError(source, f"not a saved baseline model ({exc})") from exc
    header = payload.get("header", {}) if isinstance(payload, dict) else {}
    if header.get("format") != MODEL_FORMAT:
        raise DataValidationError(source, f"not a saved baseline model of format {MODEL_FORMAT!r}")
    written, current = header["libraries"], _library_versions()
    changed = [
        f"{name} {written[name]} -> {current[name]}"
        for name in current
        if written.get(name) != current[name]
    ]
    if changed:
        raise DataValidationError(
            source,
            f"written by other library versions ({', '.join(changed)}); their pickles are not "
            "portable: rerun train_baseline (snakemake --forcerun train_baseline)",
        )
    return str(header["kind"]), payload["model"]
