"""The steps of apply.smk on the sample's own test events: each run's applied scores are the
scores the workflow gave the same events, and the images and prepared values are the same."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from supertml.applied.cnn import encoded_images
from supertml.applied.submission import read_submission
from supertml.constants import FEATURES
from supertml.encoding import read_image_cache
from supertml.encoding.registry import make_encoder
from supertml.errors import DataValidationError
from supertml.orderings import read_ordering
from supertml.steps.apply import (
    apply_baseline,
    apply_model,
    export_test_split,
    prepare_applied_events,
    read_applied_events,
    score_applied,
    write_submission,
)
from supertml.steps.baselines import train_baseline
from supertml.steps.data import read_features
from supertml.steps.evaluate import score_predictions
from supertml.steps.train import predict_model, train_model
from tests.unit.steps.chain import CONFIG, run_data_and_images

TEST = ("public", "private")


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The chain, a trained CNN and baseline with their in-workflow predictions, and the
    sample's test events exported, read and prepared as an application."""
    root = tmp_path_factory.mktemp("apply")
    chain = run_data_and_images(root)
    checkpoint = train_model(
        chain["experiment"], seed=0, b_reg=10.0, train_cache=chain["caches"]["train"],
        val_cache=chain["caches"]["val"], out_dir=root / "run", threads=1,
    )  # fmt: skip
    predict_model(checkpoint, chain["scored"], output=root / "cnn.parquet", threads=1)
    train_baseline(
        CONFIG["baselines"]["gbt"], chain["prepared"], features_path=chain["features"], seed=0,
        output=root / "gbt.parquet", info_path=root / "gbt.json", model_path=root / "gbt.joblib",
    )  # fmt: skip
    export_test_split({name: chain["split"][name] for name in TEST}, root / "test.csv.gz")
    read_applied_events(
        root / "test.csv.gz", output=root / "events.parquet", summary_path=root / "events.json"
    )
    prepare_applied_events(
        root / "events.parquet", chain["features"], scaled_output=root / "scaled.parquet",
        physical_output=root / "physical.parquet",
    )  # fmt: skip
    return {**chain, "root": root, "checkpoint": checkpoint}


def _in_workflow(path: Path) -> pd.DataFrame:
    frame = pd.read_parquet(path)
    return frame[frame["subset"].isin(TEST)].set_index("event_id").sort_index()


def test_the_exported_test_split_reads_back_unlabelled_with_every_test_event(
    applied: dict[str, Any],
) -> None:
    summary = json.loads((applied["root"] / "events.json").read_text())
    sizes = [applied["summary"]["splits"][name]["events"] for name in TEST]
    assert summary["source_format"] == "kaggle_test"
    assert summary["subsets"] == {"test": sum(sizes)}
    assert summary["labelled"] is False
    events = pd.read_parquet(applied["root"] / "events.parquet").set_index("event_id")
    split = pd.concat([pd.read_parquet(applied["split"][name]) for name in TEST])
    split = split.set_index("event_id").sort_index()
    assert list(events.index) == list(split.index)
    # Written and read back bit for bit, -999.0 included.
    np.testing.assert_array_equal(events[list(FEATURES)], split[list(FEATURES)])


@pytest.mark.parametrize("kind", ["scaled", "physical"])
def test_applied_events_are_prepared_as_the_workflow_prepared_them(
    applied: dict[str, Any], kind: str
) -> None:
    ours = pd.read_parquet(applied["root"] / f"{kind}.parquet").set_index("event_id")
    paths = applied["prepared" if kind == "scaled" else "physical"]
    theirs = pd.concat([pd.read_parquet(paths[name]) for name in TEST])
    theirs = theirs.set_index("event_id").sort_index()
    features = read_features(applied["features"])
    np.testing.assert_array_equal(ours[features], theirs.loc[ours.index, features])


def test_applied_images_are_the_workflow_caches_images(applied: dict[str, Any]) -> None:
    scaled = pd.read_parquet(applied["root"] / "scaled.parquet").set_index("event_id")
    order = read_ordering(applied["ordering"], read_features(applied["features"]))
    encoder = make_encoder(applied["experiment"]["encoding"], order)
    for name in TEST:
        cache = read_image_cache(applied["caches"][name])
        ours = encoded_images(encoder, scaled.loc[cache.event_id, order].to_numpy(np.float64))
        np.testing.assert_array_equal(ours, cache.images)


def test_a_cnn_applied_to_the_test_events_gives_their_workflow_scores(
    applied: dict[str, Any],
) -> None:
    root = applied["root"]
    apply_model(
        applied["checkpoint"], root / "scaled.parquet", ordering_path=applied["ordering"],
        features_path=applied["features"], encoding=applied["experiment"]["encoding"],
        output=root / "cnn_applied.parquet", threads=1,
    )  # fmt: skip
    ours = pd.read_parquet(root / "cnn_applied.parquet").set_index("event_id")
    theirs = _in_workflow(root / "cnn.parquet")
    assert list(ours.index) == list(theirs.index)
    assert set(ours["subset"]) == {"test"}
    assert ours["label"].isna().all()
    # Same images, same network: only the batches differ (one stream, not public then
    # private), which may move float32 sums in their last bits.
    np.testing.assert_allclose(ours["score"], theirs["score"], rtol=0, atol=1e-6)


def test_a_baseline_applied_to_the_test_events_gives_their_workflow_scores_exactly(
    applied: dict[str, Any],
) -> None:
    root = applied["root"]
    apply_baseline(
        root / "gbt.joblib", root / "scaled.parquet", output=root / "gbt_applied.parquet", threads=1
    )
    ours = pd.read_parquet(root / "gbt_applied.parquet").set_index("event_id")
    theirs = _in_workflow(root / "gbt.parquet")
    np.testing.assert_array_equal(ours["score"], theirs.loc[ours.index, "score"])


def test_the_submission_selects_at_the_runs_cut_and_the_scores_say_so(
    applied: dict[str, Any],
) -> None:
    root = applied["root"]
    apply_baseline(
        root / "gbt.joblib", root / "scaled.parquet", output=root / "gbt_applied.parquet", threads=1
    )
    score_predictions(
        root / "gbt.parquet", {"top_perc": 10, "min_pred": 0.0, "b_reg": 10.0},
        identity={"experiment": "gbt"}, output=root / "gbt_scores.json",
    )  # fmt: skip
    write_submission(root / "gbt_applied.parquet", root / "gbt_scores.json", output=root / "s.csv")
    score_applied(
        root / "gbt_applied.parquet", root / "gbt_scores.json", identity={"experiment": "gbt"},
        application={"name": "own", "events": "test_split"}, output=root / "applied.json",
    )  # fmt: skip
    cut = json.loads((root / "gbt_scores.json").read_text())["cut"]
    submission = read_submission(root / "s.csv").set_index("EventId")
    scores = pd.read_parquet(root / "gbt_applied.parquet").set_index("event_id")["score"]
    assert list(submission.index) == sorted(scores.index)
    assert ((submission["Class"] == "s") == (scores.loc[submission.index] >= cut)).all()
    # Ranked by score, N the most signal-like; tied scores (10 trees tie many) by EventId.
    ranked = scores.loc[submission.sort_values("RankOrder").index]
    assert (np.diff(ranked.to_numpy()) >= 0).all()
    pairs = list(zip(ranked.index[:-1], ranked.index[1:], strict=True))
    tied = [(a, b) for a, b in pairs if ranked[a] == ranked[b]]
    assert tied
    assert all(a < b for a, b in tied)
    record = json.loads((root / "applied.json").read_text())
    assert record["cut"] == cut
    assert record["subsets"] == {
        "test": {"events": len(scores), "selected": int((scores >= cut).sum()), "labelled": False}
    }


def test_a_record_without_its_scaler_is_refused_naming_it(
    applied: dict[str, Any], tmp_path: Path
) -> None:
    record = json.loads(Path(applied["features"]).read_text())
    del record["scaler"]
    broken = tmp_path / "features.json"
    broken.write_text(json.dumps(record))
    with pytest.raises(DataValidationError, match=f"{broken}.*scaler"):
        prepare_applied_events(
            applied["root"] / "events.parquet", broken, scaled_output=tmp_path / "s.parquet",
            physical_output=tmp_path / "p.parquet",
        )  # fmt: skip
    assert not (tmp_path / "s.parquet").exists()
