"""Example-image panels: signal and background events beside the feature map."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from supertml.constants import FEATURES
from supertml.encoding import write_image_cache
from supertml.encoding.registry import make_encoder
from supertml.reporting import panels


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    n = 20
    rng = np.random.default_rng(0)
    label = (np.arange(n) % 4 == 0).astype(np.int8)  # 5 signal, 15 background
    path = tmp_path / "val.h5"
    write_image_cache(
        path,
        images=rng.integers(0, 256, size=(n, 56, 56), dtype=np.uint8),
        label=label,
        weight=np.ones(n),
        event_id=np.arange(n, dtype=np.int64) + 100,
        subset=np.full(n, "val"),
        encoding={"kind": "pixels", "size": 56},
        feature_order=list(FEATURES),
    )
    return path


def test_events_are_drawn_from_their_class_without_repeats() -> None:
    labels = np.array([1, 0, 0, 1, 0, 1, 0, 0])
    rng = np.random.default_rng(3)
    picked = panels._pick(labels, 1, 2, rng)
    assert set(picked) <= {0, 3, 5}
    assert len(set(picked)) == 2
    assert list(picked) == sorted(picked)
    assert list(panels._pick(labels, 1, 10, rng)) == [0, 3, 5]  # fewer than asked: all


def test_the_panel_is_written_and_the_same_for_the_same_seed(cache: Path, tmp_path: Path) -> None:
    boxes = make_encoder(
        {"kind": "pixels", "layout": "squares", "size": 56}, list(FEATURES)
    ).boxes()
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    panels.plot_example_panel(cache, boxes, first, title="t", per_class=4)
    panels.plot_example_panel(cache, boxes, second, title="t", per_class=4)
    assert first.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert first.read_bytes() == second.read_bytes()
    # A box per feature, or the map would mislabel them.
    with pytest.raises(ValueError, match="29 feature boxes for the 30 features"):
        panels.plot_example_panel(cache, boxes[:-1], tmp_path / "c.png", title="t")
    assert not (tmp_path / "c.png").exists()
