"""Preprocessing presets: the optional HEP data-fix, then standard scaling fitted on train only.

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
from supertml.data.hep import DATA_FIX_FEATURES, apply_data_fix
from supertml.data.splits import Splits
from supertml.errors import ConfigError

__all__ = [
    "UNSCALED_FEATURES",
    "PreparedSplits",
    "PreprocessingPreset",
    "StandardScaler",
    "defined_mean_std",
    "fit_standard_scaler",
    "model_matrix",
    "physical_frame",
    "prepare_splits",
    "require_columns",
]

#: Categorical features left as they are: ``PRI_jet_num`` counts jets (0..3); the pixel encoding
#: scales it by 255/max itself (REFERENCE.md section 5).
UNSCALED_FEATURES: Final[frozenset[str]] = frozenset({"PRI_jet_num"})


@dataclass(frozen=True)
class StandardScaler:
    """Per-feature ``(x - mean) / std``, fitted on training rows; the one scaler of the project.

    :meth:`transform` scales the HiggsML features of a frame, where -999.0 marks undefined
    values (they become NaN); :meth:`scale_columns` scales a small table's columns, where
    missing values are NaN already (they stay NaN).
    """

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
        require_columns(frame, self.features)
        raw = frame.loc[:, list(self.features)].to_numpy(dtype=np.float64)
        if np.isnan(raw).any():
            # Raw tables write undefined as -999.0, never NaN: NaN means already transformed.
            raise ValueError("StandardScaler.transform: input has NaN values; scaled twice?")
        undefined = raw == MISSING_VALUE
        scaled = self._scale(raw)
        scaled[undefined] = np.nan
        out = frame.copy()
        out[list(self.features)] = scaled
        return out

    def scale_columns(self, frame: pd.DataFrame) -> npt.NDArray[np.float64]:
        """Scaled values ``float64 [N, F]`` of ``frame``'s columns in :attr:`features` order;
        NaN (missing) stays NaN."""
        absent = [name for name in self.features if name not in frame.columns]
        if absent:
            raise ValueError(f"StandardScaler.scale_columns: frame lacks columns {absent}")
        values = frame.loc[:, list(self.features)].to_numpy(dtype=np.float64, na_value=np.nan)
        return self._scale(values)

    def _scale(self, values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        scaled: npt.NDArray[np.float64] = (values - np.asarray(self.mean)) / np.asarray(self.std)
        return scaled


def defined_mean_std(
    raw: npt.NDArray[np.float64], defined: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per-column mean and population standard deviation (ddof=0) over the ``defined`` entries
    of ``raw [N, F]``.

    A column that is constant, or never defined, gets std 1 (and mean 0 if never defined):
    dividing by zero would give inf/NaN, whereas std 1 leaves it constant (0 after centring),
    i.e. carrying no information, which is what it carries in the training data.
    """
    count = defined.sum(axis=0)
    seen = np.maximum(count, 1)  # a never-defined column gets mean 0 and std 1
    mean = np.where(defined, raw, 0.0).sum(axis=0) / seen
    variance = (np.where(defined, raw - mean, 0.0) ** 2).sum(axis=0) / seen
    # Test constancy exactly (max == min) instead of std == 0: rounding leaves a tiny nonzero
    # std for a constant column, and dividing by it would blow up noise.
    highest = np.where(defined, raw, -np.inf).max(axis=0, initial=-np.inf)
    lowest = np.where(defined, raw, np.inf).min(axis=0, initial=np.inf)
    std = np.where((count == 0) | (highest == lowest), 1.0, np.sqrt(variance))
    return mean, std


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
    require_columns(train, names)
    raw = train.loc[:, list(names)].to_numpy(dtype=np.float64)
    if not np.isfinite(raw).all():
        raise ValueError(
            "fit_standard_scaler: training features hold NaN or infinite values; expected raw "
            "features with -999.0 for undefined values"
        )
    mean, std = defined_mean_std(raw, raw != MISSING_VALUE)
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
    require_columns(frame, features)
    values = frame.loc[:, list(features)].to_numpy(dtype=np.float64)
    if (values == MISSING_VALUE).any():
        raise ValueError("model_matrix: frame holds -999.0 values; pass a transformed frame")
    matrix: npt.NDArray[np.float32] = np.nan_to_num(values, nan=0.0).astype(np.float32)
    return matrix


def physical_frame(frame: pd.DataFrame, features: Sequence[str]) -> pd.DataFrame:
    """A copy of a raw frame with -999.0 (undefined) turned into NaN in ``features``.

    The values stay physical (GeV, radians, counts): the text encoding prints them, and NaN
    marks "undefined" the same way in physical and scaled tables.
    """
    require_columns(frame, features)
    names = list(features)
    raw = frame.loc[:, names].to_numpy(dtype=np.float64)
    out = frame.copy()
    out[names] = np.where(raw == MISSING_VALUE, np.nan, raw)
    return out


@dataclass(frozen=True)
class PreprocessingPreset:
    """A named preprocessing recipe (config section ``preprocessing``).

    ``scaling``: only ``"standard"`` so far. ``data_fix``: apply the study's HEP preprocessing
    (``supertml.data.hep.apply_data_fix``, REFERENCE.md section 5) before scaling.
    """

    name: str
    scaling: Literal["standard"] = "standard"
    data_fix: bool = False


@dataclass(frozen=True, eq=False)
class PreparedSplits:
    """The four splits after preprocessing, keyed like ``SUBSETS``.

    ``scaled``: features standardised with the training statistics, NaN where undefined (what
    models and the pixel encoding read). ``physical``: the same events and columns before
    scaling (after the data-fix when the preset asks for it), NaN where undefined (what the
    text encoding prints). ``features``: the 30 feature names in use, in table order
    (``FEATURES``, or ``DATA_FIX_FEATURES`` after the data-fix). ``PRI_jet_num`` is never scaled.
    """

    scaled: dict[str, pd.DataFrame]
    physical: dict[str, pd.DataFrame]
    scaler: StandardScaler
    features: tuple[str, ...]


def prepare_splits(splits: Splits, preset: PreprocessingPreset) -> PreparedSplits:
    """Apply the preset's data-fix (if any), fit the scaler on ``train``, transform all splits.

    The data-fix changes the feature values and names (px/py/pz replace pt/eta/phi), so it runs
    on all four splits BEFORE the scaler is fitted, and the scaler is fitted on the names it
    returns: the study fitted its input pipeline on the processed training data
    (GilesStrong/SuperTML_HiggsML_Test, ``modules/data_import.py``, ``run_data_import``:
    ``import_data`` -> ``fit_input_pipe(data['train'], ...)``). Save ``scaler.to_dict()`` so the
    scaling of every prepared table can be traced.
    """
    if preset.scaling != "standard":
        raise ConfigError(
            f"preprocessing preset {preset.name!r}: unknown scaling {preset.scaling!r}"
        )
    frames = dict(splits.frames)
    features: tuple[str, ...] = FEATURES
    if preset.data_fix:
        frames = {name: apply_data_fix(frames[name]) for name in SUBSETS}
        features = DATA_FIX_FEATURES
    scaler = fit_standard_scaler(frames["train"], features)
    return PreparedSplits(
        scaled={name: scaler.transform(frames[name]) for name in SUBSETS},
        physical={name: physical_frame(frames[name], features) for name in SUBSETS},
        scaler=scaler,
        features=features,
    )


def require_columns(frame: pd.DataFrame, names: Sequence[str]) -> None:
    """Raise ``ValueError`` naming the columns of ``names`` that ``frame`` lacks."""
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks columns {missing}")
