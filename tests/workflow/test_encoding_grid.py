"""Every encoding and every ordering kind of the study, through the real workflow, on the sample.

Each encoding with the table order, each ordering with the 56 px squares, and the paper's
VF with an importance ordering: encodes the validation subset of each and draws its panel.
No training. (The full product is in config/higgsml.yaml and is dry-run by test_dry_run.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from supertml.encoding import read_image_cache
from tests.workflow.helpers import run_snakemake, tiny_config

pytestmark = pytest.mark.workflow

ENCODINGS = {
    "text": {"kind": "text", "size": 224},
    "textvf": {"kind": "text", "size": 224, "font_size": 18, "min_font_size": 8},
    "rectangles": {"kind": "pixels", "layout": "rectangles", "size": 64},
    "squares": {"kind": "pixels", "layout": "squares", "size": 24},
}
ORDERINGS = {
    "table": {"kind": "table"},
    "random": {"kind": "random", "seed": 3},
    "importance": {"kind": "importance", "n_estimators": 10, "max_events": 1000},
    "studyder": {"kind": "study_der", "n_estimators": 10, "max_events": 1000},
}


def test_every_encoding_and_ordering_encodes_and_draws(tmp_path: Path) -> None:
    config = tiny_config()
    config["preprocessing"] = {"datafix": {"data_fix": True}}
    config["encodings"] = ENCODINGS
    config["orderings"] = ORDERINGS
    config["experiments"] = {}
    config["baselines"] = {"gbt": {"kind": "gradient_boosted_trees", "preprocessing": "datafix"}}
    combos = sorted(
        {(e, "table") for e in ENCODINGS}
        | {("squares", o) for o in ORDERINGS}
        | {("textvf", "importance")}
    )
    targets = [f"results/tiny/panels/datafix/{e}/{o}.png" for e, o in combos]
    run_snakemake(tmp_path, config, "--cores", "2", *targets)

    orders = {}
    for encoding, ordering in combos:
        panel = tmp_path / f"results/tiny/panels/datafix/{encoding}/{ordering}.png"
        assert panel.read_bytes().startswith(b"\x89PNG")
        cache = read_image_cache(
            tmp_path / f"results/tiny/images/datafix/{encoding}/{ordering}/val.h5"
        )
        size = ENCODINGS[encoding]["size"]
        assert cache.images is not None
        assert cache.images.shape == (961, size, size)
        assert cache.images.max() > 0
        orders[ordering] = cache.feature_order
    assert orders["table"][-1] == "PRI_jet_all_pt"  # the data-fix table order
    assert orders["random"] != orders["table"]
    assert orders["studyder"][13:16] == ["PRI_lep_px", "PRI_lep_pz", "PRI_met_px"]
    assert sorted(orders["importance"]) == sorted(orders["table"])
