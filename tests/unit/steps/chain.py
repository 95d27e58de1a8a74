"""The HiggsML steps chained on the bundled real sample, once per test session: what the steps'
tests read (each step's outputs are the next one's inputs, as in the workflow)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from supertml.config import validate_config
from supertml.constants import SCORED_SUBSETS, SUBSETS
from supertml.grid import Grid
from supertml.steps.data import prepare_features, split_events
from supertml.steps.images import encode_images, order_features

SAMPLE = (
    Path(__file__).resolve().parents[3]
    / "resources/higgsml-sample/atlas-higgs-challenge-2014-v2-sample.csv.gz"
)

CONFIG: dict[str, Any] = validate_config(
    {
        "dataset": {"name": "steps", "path": str(SAMPLE)},
        "encodings": {"pixels12": {"kind": "pixels", "layout": "squares", "size": 12}},
        "models": {"tiny": {"architecture": "test_resnet"}},
        "recipes": {"quick": {"epochs": 1, "batch_size": 256, "learning_rate": 0.005}},
        "experiments": {"tiny": {"encoding": "pixels12", "model": "tiny", "recipe": "quick"}},
        "baselines": {"gbt": {"kind": "gradient_boosted_trees", "max_iter": 10}},
    }
)


def run_data_and_images(root: Path) -> dict[str, Any]:
    """split_events, prepare_features, order_features and encode_images into ``root``."""
    split = {subset: root / f"splits/{subset}.parquet" for subset in SUBSETS}
    split_events(
        SAMPLE, CONFIG["split"], dataset="steps", outputs=split,
        summary_path=root / "splits/summary.json",
    )  # fmt: skip
    summary = json.loads((root / "splits/summary.json").read_text())
    prepared = {subset: root / f"prepared/{subset}.parquet" for subset in SUBSETS}
    physical = {subset: root / f"prepared/physical/{subset}.parquet" for subset in SUBSETS}
    prepare_features(
        split, CONFIG["preprocessing"]["standard"], preset_name="standard",
        weight_scheme=summary["weight_scheme"], scaled_outputs=prepared,
        physical_outputs=physical, features_path=root / "prepared/features.json",
    )  # fmt: skip
    ordering = root / "orderings/table.json"
    order_features(
        CONFIG["orderings"]["table"], name="table", train_path=prepared["train"],
        features_path=root / "prepared/features.json", output=ordering,
    )  # fmt: skip
    caches = {}
    for subset in SUBSETS:
        caches[subset] = root / f"images/{subset}.h5"
        encode_images(
            prepared[subset], ordering, root / "prepared/features.json",
            CONFIG["encodings"]["pixels12"], output=caches[subset],
            provenance={"preprocessing": "standard"},
        )  # fmt: skip
    return {
        "summary": summary,
        "split": split,
        "prepared": prepared,
        "physical": physical,
        "features": root / "prepared/features.json",
        "ordering": ordering,
        "caches": caches,
        "scored": {subset: caches[subset] for subset in SCORED_SUBSETS},
        "experiment": Grid(CONFIG).experiment("tiny"),
    }
