"""Tests of supertml.encoding.cache: round trip, compression, atomic write, damaged files."""

from __future__ import annotations

import itertools
import json
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

import supertml
from supertml.encoding import cache
from supertml.encoding.cache import (
    FORMAT_VERSION,
    check_image_cache,
    iter_image_chunks,
    read_image_cache,
    write_image_cache,
)
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
            assert handle[name].compression_opts == 4, name
            assert handle[name].fletcher32, name
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

    monkeypatch.setattr(cache.ImageCacheWriter, "_create_datasets", fail)
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


def test_a_broken_cache_names_the_remedy_and_a_missing_one_how_to_make_it(tmp_path: Path) -> None:
    path = tmp_path / "cut.h5"
    _write(path)
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(ImageCacheError) as broken:
        read_image_cache(path)
    assert str(broken.value).endswith(
        "; delete this file and rerun the same command (the workflow rebuilds it with "
        "encode_images)"
    )
    with pytest.raises(ImageCacheError) as missing:
        read_image_cache(tmp_path / "absent.h5")
    assert str(missing.value).endswith("image cache not found; run the workflow (encode_images "
                                       "writes it)")  # fmt: skip


def test_a_corrupt_chunk_is_an_image_cache_error_when_streamed(tmp_path: Path) -> None:
    path = tmp_path / "flipped.h5"
    _write(path)
    with h5py.File(path, "r") as handle:
        offset = handle["images"].id.get_chunk_info(0).byte_offset
    with path.open("r+b") as handle:
        handle.seek(offset + 8)
        handle.write(b"\xff\x00\xff\x00")
    assert check_image_cache(path) is None  # the quick check does not read images
    with pytest.raises(ImageCacheError, match="cannot read as HDF5") as info:
        list(iter_image_chunks(path, chunk_size=8))
    assert "delete this file" in str(info.value)
    with pytest.raises(ImageCacheError, match="cannot read as HDF5"):
        read_image_cache(path)


def test_the_quick_check_finds_truncation_and_interrupted_writes(tmp_path: Path) -> None:
    good, cut, unfinished = tmp_path / "good.h5", tmp_path / "cut.h5", tmp_path / "unfinished.h5"
    for path in (good, cut, unfinished):
        _write(path)
    cut.write_bytes(cut.read_bytes()[:2000])
    _damage(unfinished, "no_complete")
    assert check_image_cache(good) is None
    assert "truncated" in str(check_image_cache(cut))
    assert "no 'complete' attribute" in str(check_image_cache(unfinished))


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


# --- streaming writer -----------------------------------------------------------------------

_ARRAYS = ("images", "label", "weight", "event_id", "subset")


def _writer(path: Path, n: int = 40, **overrides: Any) -> cache.ImageCacheWriter:
    kwargs: dict[str, Any] = {
        "n_events": n,
        "image_shape": (16, 16),
        "encoding": ENCODING,
        "feature_order": ORDER,
        "image_chunk_events": 8,
    }
    kwargs.update(overrides)
    return cache.ImageCacheWriter(path, **kwargs)


def _part(payload: dict[str, Any], lo: int, hi: int) -> dict[str, Any]:
    return {name: payload[name][lo:hi] for name in _ARRAYS}


def test_writer_appends_uneven_slices_and_matches_one_shot_write(tmp_path: Path) -> None:
    payload = _payload(n=40)
    with _writer(tmp_path / "stream.h5") as writer:
        for lo, hi in [(0, 3), (3, 20), (20, 21), (21, 40)]:  # boundaries off the 8-event chunks
            writer.append(**_part(payload, lo, hi))
    _write(tmp_path / "whole.h5", **payload)
    stream = read_image_cache(tmp_path / "stream.h5")
    whole = read_image_cache(tmp_path / "whole.h5")
    for name in _ARRAYS:
        np.testing.assert_array_equal(getattr(stream, name), getattr(whole, name), err_msg=name)
    assert stream.encoding == ENCODING
    with h5py.File(tmp_path / "stream.h5", "r") as handle:
        assert handle["images"].chunks == (8, 16, 16)


def test_writer_accepts_slices_in_any_order(tmp_path: Path) -> None:
    payload = _payload(n=40)
    with _writer(tmp_path / "x.h5") as writer:
        writer.write(25, **_part(payload, 25, 40))
        writer.write(0, **_part(payload, 0, 25))
    np.testing.assert_array_equal(read_image_cache(tmp_path / "x.h5").images, payload["images"])


def _stream(path: Path, slices: list[tuple[int, dict[str, Any]]], fail: bool = False) -> None:
    """Write ``(start, arrays)`` slices through one writer; raise mid-way if ``fail``."""
    with _writer(path) as writer:
        for start, arrays in slices:
            writer.write(start, **arrays)
        if fail:
            raise RuntimeError("encoder failed")


def test_writer_missing_events_leave_nothing_and_keep_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "x.h5"
    payload = _payload(n=40)
    gap = [(0, _part(payload, 0, 10)), (20, _part(payload, 20, 40))]  # 10..19 never written
    with pytest.raises(ImageCacheError, match="only 30 of the declared 40 events") as info:
        _stream(path, gap)
    assert "first missing: event 10" in str(info.value)
    assert list(tmp_path.iterdir()) == []
    _write(path)
    before = path.read_bytes()
    with pytest.raises(ImageCacheError, match="only 0 of"):
        _stream(path, [])
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["x.h5"]


def test_writer_exception_midway_leaves_nothing(tmp_path: Path) -> None:
    payload = _payload(n=40)
    with pytest.raises(RuntimeError, match="encoder failed"):
        _stream(tmp_path / "x.h5", [(0, _part(payload, 0, 20))], fail=True)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("start", "overrides", "message"),
    [
        (35, {}, "events 35..45 fall outside the declared 0..40"),
        (5, {}, "overlap events already written"),
        (20, {"images": np.zeros((10, 16, 8), dtype=np.uint8)}, "do not match"),
        (20, {"label": np.full(10, 3)}, "label must be integers 0"),
    ],
)
def test_writer_rejects_bad_slices(
    tmp_path: Path, start: int, overrides: dict[str, Any], message: str
) -> None:
    path = tmp_path / "x.h5"
    payload = _payload(n=40)
    slices = [(0, _part(payload, 0, 10)), (start, {**_part(payload, 0, 10), **overrides})]
    with pytest.raises(ValueError, match=message) as info:
        _stream(path, slices)
    assert str(path) in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_writer_rejects_bad_declarations_and_use_outside_with(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="n_events must be a non-negative integer"):
        _writer(tmp_path / "x.h5", n=-1)
    with pytest.raises(ValueError, match="image_shape must be positive"):
        _writer(tmp_path / "x.h5", image_shape=(0, 16))
    writer = _writer(tmp_path / "x.h5")
    with pytest.raises(RuntimeError, match="outside the writer's `with` block"):
        writer.append(**_part(_payload(), 0, 10))
    assert list(tmp_path.iterdir()) == []


def test_writer_zero_events(tmp_path: Path) -> None:
    with _writer(tmp_path / "empty.h5", n=0):
        pass
    got = read_image_cache(tmp_path / "empty.h5")
    assert len(got) == 0
    assert got.image_shape == (16, 16)


_KILLED_WRITER = """
import os, signal, sys
import numpy as np
from supertml.encoding.cache import ImageCacheWriter
n = 4096
rng = np.random.default_rng(0)
with ImageCacheWriter(sys.argv[1], n_events=n, image_shape=(32, 32), encoding={"kind": "pixels"},
                      feature_order=["a"], image_chunk_events=64) as writer:
    for lo in range(0, n, 1024):
        if lo == 2048:
            os.kill(os.getpid(), signal.SIGKILL)  # mid-write: half the events are on disk
        writer.append(images=rng.integers(0, 256, (1024, 32, 32), dtype=np.uint8),
                      label=np.zeros(1024, dtype=np.int8), weight=np.ones(1024),
                      event_id=np.arange(lo, lo + 1024), subset=np.full(1024, "train"))
"""


@pytest.mark.parametrize("had_old_file", [False, True])
def test_sigkill_midway_never_leaves_an_acceptable_new_file(
    tmp_path: Path, had_old_file: bool
) -> None:
    path = tmp_path / "train.h5"
    if had_old_file:
        _write(path)
    before = path.read_bytes() if had_old_file else None
    proc = subprocess.run(
        [sys.executable, "-c", _KILLED_WRITER, str(path)], capture_output=True, check=False
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    if had_old_file:
        assert path.read_bytes() == before  # the old complete cache is untouched
    else:
        assert not path.exists()
        with pytest.raises(ImageCacheError, match="not found"):
            read_image_cache(path)
    # SIGKILL cannot clean up: the temporary file stays, but no reader accepts it.
    leftovers = [p for p in tmp_path.iterdir() if p.name != "train.h5"]
    assert len(leftovers) == 1
    assert leftovers[0].name.startswith(".train.h5.")
    with pytest.raises(ImageCacheError):
        read_image_cache(leftovers[0])


# --- chunked reader -------------------------------------------------------------------------


def test_iter_image_chunks_reassembles_the_cache(tmp_path: Path) -> None:
    path = tmp_path / "x.h5"
    _write(path)
    whole = read_image_cache(path)
    chunks = list(cache.iter_image_chunks(path, chunk_size=15))
    assert [c.start for c in chunks] == [0, 15, 30]
    assert [len(c) for c in chunks] == [15, 15, 10]
    for name in _ARRAYS:
        joined = np.concatenate([getattr(c, name) for c in chunks])
        np.testing.assert_array_equal(joined, getattr(whole, name), err_msg=name)


def test_iter_image_chunks_checks_the_file_first(tmp_path: Path) -> None:
    path = tmp_path / "x.h5"
    _write(path)
    with pytest.raises(ValueError, match="chunk_size must be >= 1"):
        next(cache.iter_image_chunks(path, chunk_size=0))
    _damage(path, "no_complete")
    with pytest.raises(ImageCacheError, match="no 'complete' attribute"):
        next(cache.iter_image_chunks(path))
    with pytest.raises(ImageCacheError, match="not found"):
        next(cache.iter_image_chunks(tmp_path / "absent.h5"))
    (tmp_path / "text.h5").write_text("not hdf5")
    with pytest.raises(ImageCacheError, match="cannot read as HDF5"):
        next(cache.iter_image_chunks(tmp_path / "text.h5"))


def test_multi_class_labels_round_trip_and_are_checked_against_num_classes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "iris.h5"
    labels = np.arange(40) % 3
    _write(path, label=labels, num_classes=3)
    got = read_image_cache(path)
    assert got.num_classes == 3
    np.testing.assert_array_equal(got.label, labels)
    # A binary cache keeps its old attributes: HiggsML caches are unchanged.
    _write(tmp_path / "binary.h5")
    binary = read_image_cache(tmp_path / "binary.h5")
    assert binary.num_classes == 2
    assert "num_classes" not in binary.attrs
    with h5py.File(path, "a") as handle:
        handle["label"][0] = 3
    with pytest.raises(ImageCacheError, match=r"other than 0\.\.2"):
        read_image_cache(path)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"label": np.full(40, 3), "num_classes": 3}, r"class codes 0\.\.2"),
        ({"label": np.full(40, -1), "num_classes": 3}, r"class codes 0\.\.2"),
        ({"num_classes": 1}, r"num_classes must be in 2\.\.127"),
        ({"num_classes": 128}, r"num_classes must be in 2\.\.127"),
        ({"extra_attrs": {"num_classes": 3}}, "reserved"),
    ],
)
def test_write_rejects_labels_outside_the_classes(
    tmp_path: Path, overrides: dict[str, Any], message: str
) -> None:
    path = tmp_path / "bad.h5"
    with pytest.raises(ValueError, match=message):
        _write(path, **overrides)
    assert not path.exists()


@pytest.mark.parametrize(("start", "stop"), [(0, 40), (3, 30), (7, 14), (13, 15), (39, 40)])
def test_rows_are_read_in_pieces_along_the_storage_chunks(
    tmp_path: Path, start: int, stop: int
) -> None:
    images = np.arange(40 * 4 * 4, dtype=np.uint8).reshape(40, 4, 4)
    with h5py.File(tmp_path / "x.h5", "w") as handle:
        handle.create_dataset("images", data=images, chunks=(7, 4, 4), compression="gzip")
    pieces: list[tuple[int, int]] = []
    with h5py.File(tmp_path / "x.h5", "r") as handle:
        dataset = handle["images"]
        original = dataset.read_direct

        def record(out: Any, source: Any, dest: Any) -> None:
            pieces.append((source.start, source.stop))
            original(out, source, dest)

        dataset.read_direct = record
        rows = cache._read_rows(dataset, start, stop)
    np.testing.assert_array_equal(rows, images[start:stop])
    # Each piece lies inside one storage chunk of 7 rows, and together they cover start:stop.
    assert all(first // 7 == (last - 1) // 7 for first, last in pieces)
    assert pieces[0][0] == start
    assert pieces[-1][1] == stop
    assert all(a[1] == b[0] for a, b in itertools.pairwise(pieces))
