"""Tests of supertml.encoding.cache: round trip, compression, atomic write, damaged files."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

import supertml
from supertml.encoding import cache
from supertml.encoding.cache import FORMAT_VERSION, read_image_cache, write_image_cache
from supertml.errors import ImageCacheError

ENCODING = {"kind": "pixels", "size": 16, "layout": "squares", "n_cols": 6}
ORDER = ["DER_mass_MMC", "PRI_jet_num", "PRI_tau_pt"]


def _payload(n: int = 40, size: int = 16, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    return {
        "images": rng.integers(0, 256, size=(n, size, size), dtype=np.uint8),
        "label": rng.integers(0, 2, size=n),
        "weight": rng.random(n) + 0.1,
        "event_id": np.arange(100_000, 100_000 + n),
        "subset": np.array(
            ["train", "val", "public", "private"] * (n // 4) + ["val"] * (n % 4), dtype=str
        ),
        "encoding": ENCODING,
        "feature_order": ORDER,
    }


def _write(path: Path, **overrides: Any) -> dict[str, Any]:
    payload = _payload() | overrides
    write_image_cache(path, **payload)
    return payload


def test_round_trip_of_all_fields_and_attributes(tmp_path: Path) -> None:
    path = tmp_path / "train.h5"
    payload = _write(path, extra_attrs={"dataset": "sample", "seed": 1337, "scale": 0.5})
    got = read_image_cache(path)

    assert got.images is not None
    np.testing.assert_array_equal(got.images, payload["images"])
    np.testing.assert_array_equal(got.label, payload["label"])
    np.testing.assert_array_equal(got.weight, payload["weight"])
    np.testing.assert_array_equal(got.event_id, payload["event_id"])
    assert got.subset.tolist() == payload["subset"].tolist()
    assert got.label.dtype == np.dtype(np.int8)
    assert got.weight.dtype == np.dtype(np.float64)
    assert got.event_id.dtype == np.dtype(np.int64)
    assert got.images.dtype == np.uint8
    assert got.image_shape == (16, 16)
    assert len(got) == 40
    assert got.encoding == ENCODING
    assert got.feature_order == ORDER

    attrs = got.attrs
    assert attrs["format_version"] == FORMAT_VERSION
    assert attrs["complete"] is True
    assert json.loads(attrs["encoding"]) == ENCODING
    assert attrs["supertml_version"] == supertml.__version__
    assert attrs["h5py_version"] == h5py.__version__
    assert attrs["numpy_version"] == np.__version__
    assert datetime.fromisoformat(attrs["created_utc"]).utcoffset() is not None
    assert (attrs["dataset"], attrs["seed"], attrs["scale"]) == ("sample", 1337, 0.5)


def test_read_without_images(tmp_path: Path) -> None:
    path = tmp_path / "val.h5"
    _write(path)
    got = read_image_cache(path, load_images=False)
    assert got.images is None
    assert got.image_shape == (16, 16)
    assert len(got) == 40


def test_zero_events_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "empty.h5"
    _write(path, **_payload(n=0))
    got = read_image_cache(path)
    assert got.images is not None
    assert got.images.shape == (0, 16, 16)
    assert len(got) == 0


def test_datasets_are_chunked_and_compressed(tmp_path: Path) -> None:
    path = tmp_path / "c.h5"
    _write(path)
    with h5py.File(path, "r") as handle:
        for name in ("images", "label", "weight", "event_id", "subset"):
            assert handle[name].compression == "gzip", name
            assert handle[name].shuffle, name
        assert handle["images"].chunks == (40, 16, 16)
        assert handle["subset"].dtype.kind == "S"


def test_blocky_images_shrink_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "blocky.h5"
    images = np.repeat(np.arange(40, dtype=np.uint8), 16 * 16).reshape(40, 16, 16)
    _write(path, images=images)
    with h5py.File(path, "r") as handle:
        # Bytes actually stored for the dataset, without the file's fixed overhead.
        assert handle["images"].id.get_storage_size() < images.nbytes / 10


def test_exception_during_write_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*_: object) -> None:
        raise RuntimeError("injected")

    monkeypatch.setattr(cache, "_write_attributes", fail)
    with pytest.raises(RuntimeError, match="injected"):
        _write(tmp_path / "x.h5")
    assert list(tmp_path.iterdir()) == []


def test_failed_rewrite_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "x.h5"
    _write(path)
    before = path.read_bytes()

    def fail(*_: object) -> None:
        raise RuntimeError("injected")

    monkeypatch.setattr(cache, "_write_datasets", fail)
    with pytest.raises(RuntimeError, match="injected"):
        _write(path, images=np.zeros((40, 16, 16), dtype=np.uint8))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["x.h5"]


def test_truncated_file(tmp_path: Path) -> None:
    path = tmp_path / "cut.h5"
    _write(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageCacheError, match="cannot read as HDF5") as info:
        read_image_cache(path)
    assert str(path) in str(info.value)


def test_not_hdf5(tmp_path: Path) -> None:
    path = tmp_path / "text.h5"
    path.write_text("EventId,DER_mass_MMC\n1,2\n")
    with pytest.raises(ImageCacheError, match="cannot read as HDF5"):
        read_image_cache(path)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.h5"
    with pytest.raises(ImageCacheError, match="not found") as info:
        read_image_cache(path)
    assert info.value.path == path


def _damage(path: Path, action: str) -> None:
    with h5py.File(path, "a") as handle:
        if action == "no_complete":
            del handle.attrs["complete"]
        elif action == "no_weight":
            del handle["weight"]
        elif action == "short_label":
            del handle["label"]
            handle.create_dataset("label", data=np.zeros(39, dtype=np.int8))
        elif action == "float32_weight":
            del handle["weight"]
            handle.create_dataset("weight", data=np.ones(40, dtype=np.float32))
        elif action == "future_version":
            handle.attrs["format_version"] = FORMAT_VERSION + 1
        elif action == "bad_label":
            handle["label"][0] = 2
        elif action == "bad_subset":
            handle["subset"][0] = b"test"
        elif action == "bad_json":
            handle.attrs["encoding"] = "{not json"


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("no_complete", "no 'complete' attribute"),
        ("no_weight", "dataset 'weight' is missing"),
        ("short_label", "differ in length"),
        ("float32_weight", "'weight' should be float64"),
        ("future_version", "unknown format_version 2"),
        ("bad_label", "other than 0 and 1"),
        ("bad_subset", "unknown values \\['test'\\]"),
        ("bad_json", "'encoding' is not valid JSON"),
    ],
)
def test_damaged_file(tmp_path: Path, action: str, message: str) -> None:
    path = tmp_path / "damaged.h5"
    _write(path)
    _damage(path, action)
    with pytest.raises(ImageCacheError, match=message) as info:
        read_image_cache(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"images": np.zeros((40, 16, 16), dtype=np.float32)}, "images must be uint8"),
        ({"images": np.zeros((40, 256), dtype=np.uint8)}, "images must be uint8"),
        ({"label": np.full(40, 2)}, "label must be integers 0"),
        ({"label": np.zeros(39, dtype=int)}, "label must have shape \\(40,\\)"),
        ({"weight": np.full(40, np.nan)}, "40 non-finite"),
        ({"weight": np.ones(40, dtype=int)}, "weight must be floats"),
        ({"event_id": np.zeros(40)}, "event_id must be integers"),
        ({"subset": np.array(["test"] * 40)}, "unknown values \\['test'\\]"),
        ({"encoding": {"size": object()}}, "not JSON-serialisable"),
        ({"feature_order": ["a", "a"]}, "duplicate"),
        ({"extra_attrs": {"complete": 1}}, "reserved"),
        ({"extra_attrs": {"x": [1, 2]}}, "must be str, int or float"),
    ],
)
def test_write_rejects_bad_input(tmp_path: Path, overrides: dict[str, Any], message: str) -> None:
    path = tmp_path / "bad.h5"
    with pytest.raises(ValueError, match=message) as info:
        _write(path, **overrides)
    assert str(path) in str(info.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "subset",
    [np.array([b"public"] * 40), np.array(["public"] * 40, dtype=object)],
    ids=["bytes", "object"],
)
def test_subset_accepts_bytes_and_object_strings(tmp_path: Path, subset: np.ndarray) -> None:
    path = tmp_path / "b.h5"
    _write(path, subset=subset)
    assert set(read_image_cache(path).subset.tolist()) == {"public"}
