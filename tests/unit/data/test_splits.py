"""Tests of supertml.data.splits: sizes, stratification, weights, seeds and refusals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from supertml.constants import FEATURES, NB_TOTAL, NS_TOTAL, SUBSETS
from supertml.data.reader import EventTable
from supertml.data.splits import SPLIT_COLUMNS, SplitConfig, Splits, split_events
from supertml.errors import ConfigError, DataValidationError


def synthetic_table(
    sets: dict[str, tuple[int, int]],
    source_format: str = "opendata",
    seed: int = 0,
) -> EventTable:
    """A table with ``(n_signal, n_background)`` events per Kaggle set, random positive weights."""
    rng = np.random.default_rng(seed)
    kaggle_set = np.concatenate([[name] * (s + b) for name, (s, b) in sets.items()])
    label = np.concatenate([[1] * s + [0] * b for s, b in sets.values()]).astype(np.int8)
    n = len(label)
    frame = pd.DataFrame({"event_id": np.arange(100_000, 100_000 + n, dtype=np.int64)})
    for name in FEATURES:
        frame[name] = rng.normal(size=n)
    frame["label"] = label
    frame["weight"] = rng.uniform(0.5, 2.0, size=n)
    frame["kaggle_set"] = pd.Series(kaggle_set, dtype="str")
    # Shuffle rows: outputs must come back sorted by event_id whatever the file order.
    frame = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    return EventTable(frame=frame, source_format=source_format, path=Path("synthetic.csv"))  # type: ignore[arg-type]


OPEN_DATA_SETS = {"t": (40, 60), "b": (8, 12), "v": (12, 18), "u": (3, 7)}


@pytest.fixture(scope="module")
def sample_splits(sample_table: EventTable) -> Splits:
    return split_events(sample_table, SplitConfig())


def ids(frame: pd.DataFrame) -> set[int]:
    return set(frame["event_id"].tolist())


# --- the real sample: per_class scheme ----------------------------------------------------------


def test_sample_split_sizes(sample_splits: Splits) -> None:
    # scikit-learn rounds the held-out part up: pseudo test ceil(0.4 * 8004) = 3202, public
    # floor(3202 * 100/550) = 582, private 2620, validation ceil(0.2 * 4802) = 961, train 3841.
    sizes = {name: len(frame) for name, frame in sample_splits.frames.items()}
    assert sizes == {"train": 3841, "val": 961, "public": 582, "private": 2620}
    assert sample_splits.weight_scheme == "per_class"


def test_sample_splits_are_disjoint_and_complete(
    sample_splits: Splits, sample_table: EventTable
) -> None:
    all_ids = [i for frame in sample_splits.frames.values() for i in frame["event_id"]]
    assert len(all_ids) == len(set(all_ids))
    assert set(all_ids) == ids(sample_table.frame)


def test_sample_splits_are_stratified(sample_splits: Splits, sample_table: EventTable) -> None:
    fraction = float(sample_table.frame["label"].mean())
    for name, frame in sample_splits.frames.items():
        expected = fraction * len(frame)
        assert abs(int(frame["label"].sum()) - expected) <= 1.0, name


def test_per_class_weights_reach_challenge_totals(sample_splits: Splits) -> None:
    for name, frame in sample_splits.frames.items():
        signal = frame["label"] == 1
        assert frame.loc[signal, "weight"].sum() == pytest.approx(NS_TOTAL, rel=1e-9), name
        assert frame.loc[~signal, "weight"].sum() == pytest.approx(NB_TOTAL, rel=1e-9), name


def test_per_class_rescaling_keeps_weight_ratios(
    sample_splits: Splits, sample_table: EventTable
) -> None:
    # Within a split and class, weights are scaled by one common factor.
    original = sample_table.frame.set_index("event_id")["weight"]
    for frame in sample_splits.frames.values():
        for label in (0, 1):
            part = frame[frame["label"] == label]
            ratio = part["weight"].to_numpy() / original.loc[part["event_id"]].to_numpy()
            np.testing.assert_allclose(ratio, ratio[0], rtol=1e-12)


def test_split_frames_layout(sample_splits: Splits) -> None:
    assert list(sample_splits.frames) == list(SUBSETS)
    for name, frame in sample_splits.frames.items():
        assert tuple(frame.columns) == SPLIT_COLUMNS
        assert set(frame["subset"]) == {name}
        assert frame["event_id"].is_monotonic_increasing
        assert list(frame.index) == list(range(len(frame)))


def test_summary_is_json_and_consistent(sample_splits: Splits) -> None:
    summary = json.loads(json.dumps(sample_splits.summary()))
    assert summary["weight_scheme"] == "per_class"
    assert summary["seed"] == 1337
    train = summary["splits"]["train"]
    frame = sample_splits.frames["train"]
    assert train["events"] == len(frame) == train["signal"] + train["background"]
    assert train["signal"] == int(frame["label"].sum())
    assert train["signal_weight"] == pytest.approx(NS_TOTAL, rel=1e-9)
    assert summary["splits"]["private"]["background_weight"] == pytest.approx(NB_TOTAL, rel=1e-9)


def test_split_does_not_modify_the_table(sample_table: EventTable) -> None:
    before = sample_table.frame["weight"].to_numpy().copy()
    split_events(sample_table, SplitConfig(seed=5))
    np.testing.assert_array_equal(sample_table.frame["weight"].to_numpy(), before)


def test_seed_reproducibility_and_sensitivity(sample_table: EventTable) -> None:
    first = split_events(sample_table, SplitConfig(seed=7))
    again = split_events(sample_table, SplitConfig(seed=7))
    other = split_events(sample_table, SplitConfig(seed=8))
    for name in SUBSETS:
        pd.testing.assert_frame_equal(first.frames[name], again.frames[name])
    assert ids(first.frames["val"]) != ids(other.frames["val"])
    assert ids(first.frames["public"]) != ids(other.frames["public"])


# --- Open Data with Kaggle test sets: set_fraction scheme ----------------------------------------


def test_set_fraction_weights_and_sets() -> None:
    table = synthetic_table(OPEN_DATA_SETS)
    splits = split_events(table, SplitConfig(validation_fraction=0.2))
    frame = table.frame.set_index("event_id")
    by_set = {name: set(frame.index[frame["kaggle_set"] == name]) for name in "tbvu"}
    assert splits.weight_scheme == "set_fraction"
    assert ids(splits.frames["public"]) == by_set["b"]
    assert ids(splits.frames["private"]) == by_set["v"]
    assert ids(splits.frames["train"]) | ids(splits.frames["val"]) == by_set["t"]
    assert len(splits.frames["val"]) == 20
    n_t = len(by_set["t"])
    for name in SUBSETS:
        split = splits.frames[name]
        original = frame.loc[split["event_id"], "weight"].to_numpy()
        # REFERENCE.md section 3 weight factor: events in t / events in the subset (val: x5).
        factor = n_t / len(split) if name in ("train", "val") else 1.0
        np.testing.assert_allclose(split["weight"].to_numpy(), original * factor, rtol=1e-12)
    np.testing.assert_allclose(
        splits.frames["val"]["weight"].to_numpy(),
        frame.loc[splits.frames["val"]["event_id"], "weight"].to_numpy() * 5.0,
        rtol=1e-12,
    )


def test_set_fraction_train_val_is_stratified() -> None:
    splits = split_events(synthetic_table(OPEN_DATA_SETS), SplitConfig())
    assert int(splits.frames["val"]["label"].sum()) == 8  # 40 % signal of 20 events


def test_opendata_without_test_sets_uses_per_class() -> None:
    # Only t (and u, which is dropped) present: pseudo test set, per-class weights.
    table = synthetic_table({"t": (100, 150), "u": (5, 5)})
    splits = split_events(table, SplitConfig())
    assert splits.weight_scheme == "per_class"
    assert sum(len(f) for f in splits.frames.values()) == 250


# --- refusals ------------------------------------------------------------------------------------


def test_kaggle_test_is_refused() -> None:
    table = synthetic_table({"t": (10, 10)})
    test_table = EventTable(
        frame=table.frame[["event_id", *FEATURES]], source_format="kaggle_test", path=Path("t.csv")
    )
    with pytest.raises(DataValidationError, match=r"t\.csv: .*no labels"):
        split_events(test_table, SplitConfig())


@pytest.mark.parametrize("present", ["b", "v"])
def test_only_one_kaggle_test_set_is_refused(present: str) -> None:
    table = synthetic_table({"t": (40, 60), present: (5, 5)})
    with pytest.raises(DataValidationError, match=r"synthetic\.csv.*both Kaggle test sets"):
        split_events(table, SplitConfig())


def test_no_training_events_is_refused() -> None:
    table = synthetic_table({"b": (5, 5), "v": (5, 5)})
    with pytest.raises(DataValidationError, match="no training events"):
        split_events(table, SplitConfig())


def test_too_few_events_is_refused() -> None:
    table = synthetic_table({"t": (3, 200)})
    with pytest.raises(
        DataValidationError,
        match=r"synthetic\.csv: too few events .*public/private split \(1 signal",
    ):
        split_events(table, SplitConfig())


@pytest.mark.parametrize(("signal", "background", "missing"), [(50, 0, "b"), (0, 50, "s")])
def test_a_file_with_one_class_is_told_which_label_it_lacks(
    signal: int, background: int, missing: str
) -> None:
    table = synthetic_table({"t": (signal, background)})
    with pytest.raises(DataValidationError) as caught:
        split_events(table, SplitConfig())
    assert f"synthetic.csv, column 'Label': no `Label {missing}` rows" in str(caught.value)
    assert "too few" not in str(caught.value)


def test_split_without_background_is_refused() -> None:
    # Public holds the signal-only b set: it cannot be scored.
    table = synthetic_table({"t": (40, 60), "b": (5, 0), "v": (5, 5)})
    with pytest.raises(DataValidationError, match="'public' split would hold no background"):
        split_events(table, SplitConfig())


@pytest.mark.parametrize(
    "field", ["validation_fraction", "pseudo_test_fraction", "public_fraction"]
)
@pytest.mark.parametrize("value", [0.0, 1.0, -0.1])
def test_config_fractions_must_lie_in_open_interval(field: str, value: float) -> None:
    with pytest.raises(ConfigError, match=field):
        SplitConfig(**{field: value})  # type: ignore[arg-type]


def _strata_counts(frame: pd.DataFrame) -> dict[tuple[int, int], int]:
    jets = frame["PRI_jet_num"].round().astype(int)
    return {key: int(n) for key, n in frame.groupby([frame["label"], jets]).size().items()}


def test_the_studys_split_keeps_label_and_jet_number_in_proportion() -> None:
    # 2,000 t events; jet numbers drawn unevenly and differently per class.
    sets = {"t": (800, 1200), "b": (40, 60), "v": (60, 90)}
    table = synthetic_table(sets, seed=5)
    rng = np.random.default_rng(1)
    probabilities = np.where(table.frame["label"].to_numpy()[:, None] == 1,
                             [0.1, 0.2, 0.3, 0.4], [0.5, 0.3, 0.15, 0.05])  # fmt: skip
    table.frame["PRI_jet_num"] = [float(rng.choice(4, p=p)) for p in probabilities]
    training = table.frame[table.frame["kaggle_set"] == "t"]
    whole = _strata_counts(training)
    strat = split_events(table, SplitConfig(stratify="label_and_jet_num"))
    val = _strata_counts(strat.frames["val"])
    assert len(whole) == 8
    # scikit-learn's stratified split: each of the 8 strata within one event of 20 %.
    for key, n in whole.items():
        assert abs(val[key] - 0.2 * n) <= 1, (key, val[key], n)
    # On the label alone the jet strata drift further (the same seed, another split).
    plain = _strata_counts(split_events(table, SplitConfig()).frames["val"])
    assert max(abs(plain[key] - 0.2 * n) for key, n in whole.items()) > 1
    assert ids(strat.frames["val"]) != ids(split_events(table, SplitConfig()).frames["val"])


def test_an_unknown_stratification_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"SplitConfig\.stratify must be .label. or"):
        SplitConfig(stratify="jets")  # type: ignore[arg-type]
