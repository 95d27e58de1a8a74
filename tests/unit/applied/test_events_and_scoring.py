"""Applied events read from every challenge layout, and scored at a run's cut."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from supertml.applied.events import read_applied_events
from supertml.applied.scoring import (
    applied_predictions,
    score_applied,
    validate_applied_predictions,
)
from supertml.errors import DataValidationError
from supertml.metrics import ams_at_cut

SAMPLE = (
    Path(__file__).resolve().parents[3]
    / "resources/higgsml-sample/atlas-higgs-challenge-2014-v2-sample.csv.gz"
)


def _open_data_with_test_sets(tmp_path: Path) -> Path:
    """The sample with its events dealt into Kaggle sets t, b, v and u."""
    frame = pd.read_csv(SAMPLE)
    frame["KaggleSet"] = np.array(["t", "b", "v", "u"])[np.arange(len(frame)) % 4]
    frame.loc[frame["KaggleSet"] == "u", "KaggleWeight"] = 0.0
    path = tmp_path / "opendata.csv.gz"
    frame.to_csv(path, index=False, compression="gzip")
    return path


def test_open_data_events_keep_labels_kaggle_weights_and_get_subsets(tmp_path: Path) -> None:
    raw = pd.read_csv(SAMPLE)
    events = read_applied_events(_open_data_with_test_sets(tmp_path))
    assert events.attrs["source_format"] == "opendata"
    assert events["subset"].value_counts().to_dict() == {
        name: len(raw) // 4 + (i < len(raw) % 4)
        for i, name in enumerate(["training", "public", "private", "unused"])
    }
    assert list(events["label"]) == list((raw["Label"] == "s").astype(int))
    used = events["subset"] != "unused"
    np.testing.assert_array_equal(events.loc[used, "weight"], raw.loc[used, "KaggleWeight"])


def test_a_kaggle_test_file_is_one_unlabelled_subset(tmp_path: Path) -> None:
    raw = pd.read_csv(SAMPLE).iloc[:, :31]
    path = tmp_path / "test.csv"
    raw.to_csv(path, index=False)
    events = read_applied_events(path)
    assert events.attrs["source_format"] == "kaggle_test"
    assert set(events["subset"]) == {"test"}
    assert events["label"].isna().all()
    assert events["weight"].isna().all()


def test_a_bad_events_file_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "test.csv.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("EventId,DER_mass_MMC\n1,2\n")
    with pytest.raises(DataValidationError, match=str(path)):
        read_applied_events(path)


def _events(subset: str, labelled: bool, n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(len(subset))
    label = rng.integers(0, 2, n)
    return pd.DataFrame(
        {
            "event_id": np.arange(n) + 1000 * len(subset),
            "subset": subset,
            "label": pd.array(label if labelled else [pd.NA] * n, dtype="Int8"),
            "weight": rng.uniform(0.1, 2.0, n) if labelled else np.full(n, np.nan),
        }
    )


def test_applied_scores_are_the_ams_at_the_runs_cut_per_subset() -> None:
    events = pd.concat([_events("public", True), _events("test", False)], ignore_index=True)
    score = np.random.default_rng(1).uniform(0, 1, len(events))
    frame = applied_predictions(events, score)
    validate_applied_predictions(frame, "mem")
    result = score_applied(frame, {"cut": 0.7, "b_reg": 10.0})
    public = frame[frame["subset"] == "public"]
    expected = ams_at_cut(public["score"], public["label"].to_numpy(int), public["weight"], 0.7)
    assert result["subsets"]["public"]["ams"] == expected
    assert result["subsets"]["public"]["selected"] == int((public["score"] >= 0.7).sum())
    assert result["subsets"]["test"] == {
        "events": 200, "selected": int((score[200:] >= 0.7).sum()), "labelled": False
    }  # fmt: skip


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.assign(subset="val"), "unknown subset"),
        (lambda f: f.assign(score=np.nan), "score must be finite"),
        (lambda f: f.assign(event_id=1), "duplicated event_id"),
        (lambda f: f.assign(weight=-1.0), "weight must be finite and non-negative"),
        (lambda f: f.drop(columns="weight"), "missing column"),
    ],
)
def test_bad_applied_predictions_are_refused(change, message: str) -> None:  # type: ignore[no-untyped-def]
    frame = applied_predictions(_events("public", True), np.full(200, 0.5))
    with pytest.raises(DataValidationError, match=f"p.parquet.*{message}"):
        validate_applied_predictions(change(frame), "p.parquet")


def test_a_subset_mixing_labelled_and_unlabelled_events_is_refused() -> None:
    frame = applied_predictions(
        pd.concat([_events("test", True), _events("test", False)], ignore_index=True).assign(
            event_id=np.arange(400)
        ),
        np.full(400, 0.5),
    )
    with pytest.raises(DataValidationError, match="mix labelled and unlabelled"):
        validate_applied_predictions(frame, "p.parquet")
