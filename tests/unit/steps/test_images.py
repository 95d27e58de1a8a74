"""The steps of images.smk: orderings, image caches and example panels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from supertml.constants import FEATURES, SUBSETS
from supertml.encoding import read_image_cache
from supertml.encoding.registry import make_encoder
from supertml.steps.images import encode_images, plot_panel
from tests.unit.steps.chain import CONFIG, run_data_and_images


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_data_and_images(tmp_path_factory.mktemp("chain"))


def test_order_features_saves_the_table_order(chain: dict[str, Any]) -> None:
    saved = json.loads(Path(chain["ordering"]).read_text())
    assert saved["features"] == list(FEATURES)
    assert saved["name"] == "table"


def test_encode_images_writes_each_subset_as_the_encoder_draws_it(chain: dict[str, Any]) -> None:
    for subset in SUBSETS:
        cache = read_image_cache(chain["caches"][subset])
        frame = pd.read_parquet(chain["prepared"][subset])
        assert cache.images is not None
        assert cache.images.shape == (len(frame), 12, 12)
        assert cache.attrs["preprocessing"] == "standard"
        np.testing.assert_array_equal(cache.event_id, frame["event_id"].to_numpy())
    encoder = make_encoder(CONFIG["encodings"]["pixels12"], list(FEATURES))
    frame = pd.read_parquet(chain["prepared"]["val"])
    whole = encoder.encode(frame[list(FEATURES)].to_numpy(np.float64))
    np.testing.assert_array_equal(read_image_cache(chain["caches"]["val"]).images, whole)


def test_encode_images_in_small_chunks_gives_the_same_cache(
    chain: dict[str, Any], tmp_path: Path
) -> None:
    chunked = tmp_path / "val.h5"
    encode_images(
        chain["prepared"]["val"], chain["ordering"], chain["features"],
        CONFIG["encodings"]["pixels12"], output=chunked, provenance={}, chunk_size=97,
    )  # fmt: skip
    first, second = read_image_cache(chain["caches"]["val"]), read_image_cache(chunked)
    assert first.images is not None
    assert second.images is not None
    assert len(first) > 97 * 3
    np.testing.assert_array_equal(first.images, second.images)
    np.testing.assert_array_equal(first.label, second.label)


def test_plot_panel_draws_a_figure(chain: dict[str, Any], tmp_path: Path) -> None:
    output = tmp_path / "panel.png"
    plot_panel(chain["caches"]["val"], CONFIG["encodings"]["pixels12"], output=output, title="t")
    assert output.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
