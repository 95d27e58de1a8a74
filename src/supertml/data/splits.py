"""Split a challenge table into train / validation / public test / private test.

Two schemes (REFERENCE.md sections 2 and 3, DESIGN.md "Prepare"):

- ``set_fraction`` - the Open Data file with its Kaggle sets: ``t`` is split into train and
  validation (stratified, seeded: the study's 200k / 50k, seed 1337), ``b`` is the public and
  ``v`` the private test set, ``u`` is dropped. Public and private keep ``KaggleWeight``; train
  and validation weights are scaled by the study's weight factor (events in ``t`` / events in
  the subset), so their AMS is on the scale of the full set (validation: x5).
- ``per_class`` - a file with training events only (the bundled sample, Kaggle
  ``training.csv``): a pseudo test set is carved out and split public/private in the Kaggle
  ratio 100k : 450k, the rest gives train and validation. The weights of every split are then
  rescaled per class so that signal sums to ``NS_TOTAL`` and background to ``NB_TOTAL``, as in
  each Kaggle set: only then is an AMS on the challenge's scale. A plain factor would not do,
  because the sample's class balance (about 50/50) is not the challenge's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.model_selection import train_test_split

from supertml.constants import FEATURES, NB_TOTAL, NS_TOTAL, SUBSETS
from supertml.data.reader import EventTable
from supertml.errors import ConfigError, DataValidationError

__all__ = ["SPLIT_COLUMNS", "SplitConfig", "Splits", "WeightScheme", "split_events"]

WeightScheme = Literal["set_fraction", "per_class"]
Stratify = Literal["label", "label_and_jet_num"]

#: Columns of every split frame, in order.
SPLIT_COLUMNS: Final[tuple[str, ...]] = ("event_id", *FEATURES, "label", "weight", "subset")

_WEIGHT_NOTES: Final[dict[str, str]] = {
    "set_fraction": (
        "Kaggle sets of the Open Data file: public = b, private = v with their KaggleWeight; "
        "train/val weights = KaggleWeight x (events in t / events in the split)."
    ),
    "per_class": (
        "Pseudo test set carved from training events only; in every split the weights were "
        "rescaled per class to the challenge totals (signal NS_TOTAL, background NB_TOTAL), "
        "so AMS values are on the challenge's scale but come from far fewer events."
    ),
}


@dataclass(frozen=True)
class SplitConfig:
    """How to split the events.

    ``validation_fraction``: share of the training events held out for validation (the study:
    50k of 250k). ``seed``: random state of every split (the study: 1337).
    ``pseudo_test_fraction``: share of all events carved out as pseudo test set when the file has
    no Kaggle test sets. ``public_fraction``: public share of the (pseudo) test set, Kaggle's
    100k of 550k. ``stratify``: what each split keeps in proportion, the label or the label
    and ``PRI_jet_num`` together (the study's, through LUMIN's ``-f PRI_jet_num``).
    """

    validation_fraction: float = 0.2
    seed: int = 1337
    pseudo_test_fraction: float = 0.4
    public_fraction: float = 100_000 / 550_000
    stratify: Stratify = "label"

    def __post_init__(self) -> None:
        if self.stratify not in ("label", "label_and_jet_num"):
            raise ConfigError(
                f"SplitConfig.stratify must be 'label' or 'label_and_jet_num', got "
                f"{self.stratify!r}"
            )
        for name in ("validation_fraction", "pseudo_test_fraction", "public_fraction"):
            value = getattr(self, name)
            if not 0.0 < value < 1.0:
                raise ConfigError(f"SplitConfig.{name} must lie strictly in (0, 1), got {value}")


@dataclass(frozen=True)
class Splits:
    """The four event sets ``train``, ``val``, ``public``, ``private`` (keys of ``frames``).

    Each frame has the columns of ``SPLIT_COLUMNS`` and is sorted by ``event_id``.
    ``config`` is the configuration that made them (None when built by hand).
    """

    frames: dict[str, pd.DataFrame]
    weight_scheme: WeightScheme
    config: SplitConfig | None = None

    def summary(self) -> dict[str, Any]:
        """Events and weight sums per split and class, the scheme and the seed (JSON-ready)."""
        per_split: dict[str, dict[str, int | float]] = {}
        for name in SUBSETS:
            frame = self.frames[name]
            signal = frame["label"].to_numpy() == 1
            weight = frame["weight"].to_numpy(dtype=np.float64)
            per_split[name] = {
                "events": len(frame),
                "signal": int(signal.sum()),
                "background": int((~signal).sum()),
                "signal_weight": float(weight[signal].sum()),
                "background_weight": float(weight[~signal].sum()),
            }
        return {
            "weight_scheme": self.weight_scheme,
            "weight_note": _WEIGHT_NOTES[self.weight_scheme],
            "seed": None if self.config is None else self.config.seed,
            "config": None if self.config is None else asdict(self.config),
            "splits": per_split,
        }


def split_events(table: EventTable, config: SplitConfig) -> Splits:
    """Split a labelled event table into train, validation, public and private test sets.

    The scheme follows from the Kaggle sets present (module docstring): Open Data with ``b`` and
    ``v`` rows gives ``set_fraction`` weights, training events only give ``per_class``
    weights. All splits are stratified on ``config.stratify`` (the label, or the label and
    ``PRI_jet_num``) and seeded with ``config.seed`` (scikit-learn ``train_test_split``), so the
    same file and config give the same splits.

    Raises
    ------
    DataValidationError
        Naming ``table.path``: Kaggle ``test.csv`` (no labels, cannot be scored); an Open Data
        file with only one of the ``b``/``v`` sets, or without ``t`` events; a split that would
        hold no signal or no background event.
    """
    if table.source_format == "kaggle_test":
        raise DataValidationError(
            table.path,
            "Kaggle test.csv has no labels or weights: it cannot be split and scored; use the "
            "Open Data file or Kaggle training.csv",
        )
    frame = table.frame
    kaggle_set = frame["kaggle_set"].to_numpy(dtype=object)
    training = _training_rows(table, kaggle_set)
    strata = _strata(frame, config.stratify)
    scheme: WeightScheme
    if (kaggle_set == "b").any():
        scheme = "set_fraction"
        rows = {
            **_stratified(table, training, strata, config.validation_fraction, config.seed),
            "public": np.flatnonzero(kaggle_set == "b"),
            "private": np.flatnonzero(kaggle_set == "v"),
        }
    else:
        scheme = "per_class"
        rows = _pseudo_test_rows(table, training, strata, config)

    frames = {}
    for name in SUBSETS:
        subset = _subset_frame(frame, rows[name], name)
        _require_both_classes(table, subset, name)
        frames[name] = subset
    if scheme == "set_fraction":
        for name in ("train", "val"):
            # REFERENCE.md section 3, "weight factor": scale to the full t set.
            frames[name]["weight"] *= training.size / len(frames[name])
    else:
        for subset in frames.values():
            _rescale_per_class(subset)
    return Splits(frames=frames, weight_scheme=scheme, config=config)


def _strata(frame: pd.DataFrame, stratify: Stratify) -> npt.NDArray[np.int64]:
    """Per event its stratum: the label (0/1), or label x PRI_jet_num as 4 * label + jets
    (0-3 jets: eight strata)."""
    labels: npt.NDArray[np.int64] = frame["label"].to_numpy(dtype=np.int64)
    if stratify == "label":
        return labels
    jets = np.clip(np.round(frame["PRI_jet_num"].to_numpy(dtype=np.float64)), 0, 3)
    strata: npt.NDArray[np.int64] = 4 * labels + jets.astype(np.int64)
    return strata


def _training_rows(table: EventTable, kaggle_set: npt.NDArray[np.object_]) -> npt.NDArray[np.intp]:
    """The rows of Kaggle's training set, once the test sets are known to be both or neither."""
    has_public = bool((kaggle_set == "b").any())
    has_private = bool((kaggle_set == "v").any())
    if has_public != has_private:
        present, absent = ("b", "v") if has_public else ("v", "b")
        raise DataValidationError(
            table.path,
            f"KaggleSet {present!r} (test events) is present but {absent!r} is not: "
            "both Kaggle test sets are needed",
            column="KaggleSet",
        )
    training = np.flatnonzero(kaggle_set == "t")
    if training.size == 0:
        raise DataValidationError(
            table.path, "no training events (KaggleSet 't')", column="KaggleSet"
        )
    labels = table.frame["label"].to_numpy()[training]
    for value, code, name in ((0, "b", "background"), (1, "s", "signal")):
        if not (labels == value).any():
            raise DataValidationError(
                table.path,
                f"no `Label {code}` rows ({name}) among the training events: training and "
                "the AMS need signal and background events",
                column="Label",
            )
    return training


def _pseudo_test_rows(
    table: EventTable,
    training: npt.NDArray[np.intp],
    strata: npt.NDArray[np.generic],
    config: SplitConfig,
) -> dict[str, npt.NDArray[np.intp]]:
    """Train, val, public and private rows carved from training events alone."""
    rest, test = _split(
        table, training, strata, config.pseudo_test_fraction, seed=config.seed,
        what="pseudo test",
    )  # fmt: skip
    # The first part is public: Kaggle's 100k of the 550k test events.
    public, private = _split(
        table, test, strata, 1.0 - config.public_fraction, seed=config.seed,
        what="public/private",
    )  # fmt: skip
    return {
        **_stratified(table, rest, strata, config.validation_fraction, config.seed),
        "public": public,
        "private": private,
    }


def _split(
    table: EventTable,
    rows: npt.NDArray[np.intp],
    strata: npt.NDArray[np.generic],
    second_fraction: float,
    *,
    seed: int,
    what: str,
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Split of ``rows`` into (first, second), seeded and stratified on ``strata`` (one stratum
    per event of the table); second gets the fraction."""
    try:
        first, second = train_test_split(
            rows, test_size=second_fraction, stratify=strata[rows], random_state=seed
        )
    except ValueError as exc:
        # scikit-learn refuses when a class is too small to appear on both sides.
        n_signal = int((table.frame["label"].to_numpy()[rows] == 1).sum())
        raise DataValidationError(
            table.path,
            f"too few events for the stratified {what} split ({n_signal} signal, "
            f"{len(rows) - n_signal} background): {exc}",
        ) from exc
    return np.asarray(first, dtype=np.intp), np.asarray(second, dtype=np.intp)


def _stratified(
    table: EventTable,
    rows: npt.NDArray[np.intp],
    strata: npt.NDArray[np.generic],
    validation_fraction: float,
    seed: int,
) -> dict[str, npt.NDArray[np.intp]]:
    train, val = _split(
        table, rows, strata, validation_fraction, seed=seed, what="train/validation"
    )
    return {"train": train, "val": val}


def _subset_frame(frame: pd.DataFrame, rows: npt.NDArray[np.intp], name: str) -> pd.DataFrame:
    subset = frame.iloc[rows].loc[:, ["event_id", *FEATURES, "label", "weight"]]
    subset = subset.sort_values("event_id", kind="stable").reset_index(drop=True)
    subset["subset"] = pd.Series([name] * len(subset), dtype="str")
    return subset


def _require_both_classes(table: EventTable, subset: pd.DataFrame, name: str) -> None:
    labels = subset["label"].to_numpy()
    for code, what in ((1, "signal"), (0, "background")):
        if not (labels == code).any():
            raise DataValidationError(
                table.path, f"the {name!r} split would hold no {what} event: too few events"
            )


def _rescale_per_class(subset: pd.DataFrame) -> None:
    weight = subset["weight"].to_numpy(dtype=np.float64, copy=True)
    signal = subset["label"].to_numpy() == 1
    weight[signal] *= NS_TOTAL / weight[signal].sum()
    weight[~signal] *= NB_TOTAL / weight[~signal].sum()
    subset["weight"] = weight
