"""Standard scaling of the challenge features, fitted on the training split only.

REFERENCE.md section 5: "Standardise with statistics of the training split; missing values become
0 after standardisation." Undefined values (-999.0) are kept as NaN in the prepared tables so
that encoders can tell "undefined" from "equal to the training mean" (the pixel encoding draws
undefined as black); ``model_matrix`` turns them into 0 for models that take numbers only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from supertml.constants import FEATURES, MISSING_VALUE, SUBSETS
from supertml.data.splits import Splits
from supertml.errors import ConfigError

__all__ = [
    "UNSCALED_FEATURES",
    "PreprocessingPreset",
    "StandardScaler",
    "fit_standard_scaler",
    "model_matrix",
    "prepare_splits",
]

#: Categorical features left as they are: ``PRI_jet_num`` counts jets (0..3); the pixel encoding
#: scales it by 255/max itself (REFERENCE.md section 5).
UNSCALED_FEATURES: Final[frozenset[str]] = frozenset({"PRI_jet_num"})


@dataclass(frozen=True)
class StandardScaler:
    """Per-feature ``(x - mean) / std`` with -999.0 (undefined) mapped to NaN."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]

    def __post_init__(self) -> None:
        if not len(self.features) == len(self.mean) == len(self.std):
            raise ValueError(
                f"StandardScaler: {len(self.features)} features but {len(self.mean)} means "
                f"and {len(self.std)} standard deviations"
            )
        if not all(np.isfinite(self.std)) or min(self.std, default=1.0) <= 0.0:
            raise ValueError("StandardScaler: standard deviations must be finite and positive")

    def to_dict(self) -> dict[str, list[str] | list[float]]:
        """A JSON-serialisable form; ``from_dict`` restores an equal scaler."""
        return {"features": list(self.features), "mean": list(self.mean), "std": list(self.std)}

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> StandardScaler:
        """Rebuild a scaler from ``to_dict`` output (e.g. read back from JSON)."""
        return cls(
            features=tuple(str(name) for name in payload["features"]),
            mean=tuple(float(value) for value in payload["mean"]),
            std=tuple(float(value) for value in payload["std"]),
        )

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A copy of ``frame`` with each scaled feature standardised and -999.0 turned into NaN.

        Other columns (ids, labels, weights, unscaled features) are copied unchanged.
        """
        _require_columns(frame, self.features)
        raw = frame.loc[:, list(self.features)].to_numpy(dtype=np.float64)
        if np.isnan(raw).any():
            # Raw tables write undefined as -999.0, never NaN: NaN means already transformed.
            raise ValueError("StandardScaler.transform: input has NaN values; scaled twice?")
        undefined = raw == MISSING_VALUE
        scaled = (raw - np.asarray(self.mean)) / np.asarray(self.std)
        scaled[undefined] = np.nan
        out = frame.copy()
        out[list(self.features)] = scaled
        return out


def fit_standard_scaler(train: pd.DataFrame, features: Sequence[str]) -> StandardScaler:
    """Fit mean and population standard deviation (ddof=0) of each feature on defined values.

    Pass the training split only: statistics from validation or test events would leak into the
    inputs of those events (REFERENCE.md section 5, "statistics of the training split"). Values
    equal to -999.0 are undefined and excluded. Features in ``UNSCALED_FEATURES`` are skipped.

    A feature that is constant, or never defined, gets std 1: dividing by zero would give
    inf/NaN, whereas std 1 leaves it constant (0 after centring), i.e. carrying no information,
    which is what it carries in the training data.
    """
    names = tuple(name for name in features if name not in UNSCALED_FEATURES)
    _require_columns(train, names)
    raw = train.loc[:, list(names)].to_numpy(dtype=np.float64)
    if not np.isfinite(raw).all():
        raise ValueError(
            "fit_standard_scaler: training features hold NaN or infinite values; expected raw "
            "features with -999.0 for undefined values"
        )
    defined = raw != MISSING_VALUE
    count = defined.sum(axis=0)
    seen = np.maximum(count, 1)  # a never-defined feature gets mean 0 and std 1
    values = np.where(defined, raw, 0.0)
    mean = values.sum(axis=0) / seen
    variance = (np.where(defined, raw - mean, 0.0) ** 2).sum(axis=0) / seen
    std = np.sqrt(variance)
    # Test constancy exactly (max == min) instead of std == 0: rounding leaves a tiny nonzero
    # std for a constant column, and dividing by it would blow up noise.
    highest = np.where(defined, raw, -np.inf).max(axis=0, initial=-np.inf)
    lowest = np.where(defined, raw, np.inf).min(axis=0, initial=np.inf)
    std = np.where((count == 0) | (highest == lowest), 1.0, std)
    return StandardScaler(
        features=names,
        mean=tuple(float(value) for value in mean),
        std=tuple(float(value) for value in std),
    )


def model_matrix(frame: pd.DataFrame, features: Sequence[str]) -> npt.NDArray[np.float32]:
    """The features of a prepared frame as float32 [N, F], with NaN (undefined) set to 0.

    REFERENCE.md section 5: "missing values become 0 after standardisation". Expects the output
    of ``StandardScaler.transform``; a raw frame (with -999.0) is refused.
    """
    _require_columns(frame, features)
    values = frame.loc[:, list(features)].to_numpy(dtype=np.float64)
    if (values == MISSING_VALUE).any():
        raise ValueError("model_matrix: frame holds -999.0 values; pass a transformed frame")
    matrix: npt.NDArray[np.float32] = np.nan_to_num(values, nan=0.0).astype(np.float32)
    return matrix


@dataclass(frozen=True)
class PreprocessingPreset:
    """A named preprocessing recipe; ``scaling`` is the only choice so far."""

    name: str
    scaling: Literal["standard"] = "standard"


def prepare_splits(
    splits: Splits, preset: PreprocessingPreset
) -> tuple[dict[str, pd.DataFrame], StandardScaler]:
    """Fit the scaler on ``train`` and transform all four splits with it.

    Returns the prepared frames keyed like ``splits.frames`` and the fitted scaler (save it with
    ``to_dict`` so the scaling of every prepared table can be traced).
    """
    if preset.scaling != "standard":
        raise ConfigError(
            f"preprocessing preset {preset.name!r}: unknown scaling {preset.scaling!r}"
        )
    frames = dict(splits.frames)
    # Seam for the HEP "data-fix" (REFERENCE.md section 5: phi rotation, flips, Cartesian
    # momenta). It changes the feature values, so it must run here, on all four splits, BEFORE
    # the scaler is fitted (and fit on the feature names it returns: px/py/pz replace
    # pt/eta/phi). It is a later issue and deliberately not implemented yet.
    scaler = fit_standard_scaler(frames["train"], FEATURES)
    return {name: scaler.transform(frames[name]) for name in SUBSETS}, scaler


def _require_columns(frame: pd.DataFrame, names: Sequence[str]) -> None:
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks columns {missing}")
