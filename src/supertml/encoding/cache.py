"""HDF5 image cache: one file per (encoding, ordering, split) (DESIGN.md, "Encode").

Layout of a cache file (``FORMAT_VERSION`` 1):

- datasets, all of length N along the first axis, chunked along events and compressed:
  ``images`` uint8 [N, H, W] (one channel; colour is added on the device), ``label`` int8 [N]
  (1 signal, 0 background), ``weight`` float64 [N], ``event_id`` int64 [N], ``subset``
  fixed-length ASCII [N] (one of ``train``, ``val``, ``public``, ``private``);
- file attributes: ``format_version``, ``encoding`` (JSON object), ``feature_order`` (JSON
  list), ``supertml_version``, ``h5py_version``, ``numpy_version``, ``created_utc``, the
  caller's extra attributes, and last ``complete = True``.

A file is written under a temporary name and renamed only once closed, so ``path`` either holds
a complete cache or nothing. ``complete`` guards the cases the rename cannot (a file copied or
synced half-way): a reader refuses any file without it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import numpy.typing as npt

import supertml
from supertml.constants import SUBSETS
from supertml.errors import ImageCacheError
from supertml.io import atomic_path

__all__ = [
    "FORMAT_VERSION",
    "ImageCache",
    "read_image_cache",
    "write_image_cache",
]

#: Version of the file layout above; bump it when a reader of the old layout would misread.
FORMAT_VERSION = 1

_DATASETS = ("images", "label", "weight", "event_id", "subset")
_RESERVED_ATTRS = frozenset(
    {
        "format_version",
        "encoding",
        "feature_order",
        "supertml_version",
        "h5py_version",
        "numpy_version",
        "created_utc",
        "complete",
    }
)
# Fixed width for every file, so caches of different splits have identical dtypes.
_SUBSET_DTYPE = np.dtype(f"S{max(len(s) for s in SUBSETS)}")
# gzip is in every HDF5 build, so any h5py or HDF5 tool can read the cache without plugins
# (unlike lzf, blosc or zstd); level 4 is near the knee of speed versus ratio, and the blocky
# pixel images compress well at any level. shuffle does nothing for the 1-byte images but
# groups the bytes of the float64 weights and int64 ids, which then compress better.
# fletcher32 makes a corrupted chunk fail loudly on read instead of returning wrong pixels.
_FILTERS: dict[str, Any] = {
    "compression": "gzip",
    "compression_opts": 4,
    "shuffle": True,
    "fletcher32": True,
}
# About 4 MiB of images per chunk (1,337 events at 56 px, 83 at 224 px): large enough that
# reading a whole split costs few chunk look-ups, small enough for a sub-range read to be cheap.
_IMAGE_CHUNK_BYTES = 4 * 1024 * 1024
_VECTOR_CHUNK_EVENTS = 65536


@dataclass(frozen=True, eq=False)  # eq=False: == on numpy array fields would be ambiguous
class ImageCache:
    """The contents of one cache file.

    ``images`` is None when read with ``load_images=False``; ``image_shape`` is (H, W) either
    way. ``subset`` holds decoded ``str`` values. ``attrs`` holds every file attribute as a
    plain Python value (JSON attributes still as their strings).
    """

    images: npt.NDArray[np.uint8] | None
    label: npt.NDArray[np.int8]
    weight: npt.NDArray[np.float64]
    event_id: npt.NDArray[np.int64]
    subset: npt.NDArray[np.str_]
    encoding: dict[str, Any]
    feature_order: list[str]
    attrs: dict[str, Any]
    image_shape: tuple[int, int]

    def __len__(self) -> int:
        return int(self.label.shape[0])


def _bad(path: Path, problem: str) -> ValueError:
    return ValueError(f"{path}: {problem}")


def _validated_arrays(
    path: Path,
    *,
    images: npt.ArrayLike,
    label: npt.ArrayLike,
    weight: npt.ArrayLike,
    event_id: npt.ArrayLike,
    subset: npt.ArrayLike,
) -> dict[str, np.ndarray[Any, Any]]:
    img = np.asarray(images)
    if img.dtype != np.uint8 or img.ndim != 3:
        raise _bad(path, f"images must be uint8 [N, H, W], got {img.dtype} of shape {img.shape}")
    if 0 in img.shape[1:]:
        raise _bad(path, f"images must have positive height and width, got shape {img.shape}")
    n_events = img.shape[0]

    vectors = {"label": np.asarray(label), "weight": np.asarray(weight)}
    vectors["event_id"] = np.asarray(event_id)
    vectors["subset"] = np.asarray(subset)
    for name, arr in vectors.items():
        if arr.shape != (n_events,):
            raise _bad(
                path, f"{name} must have shape ({n_events},) to match images, got {arr.shape}"
            )

    lab = vectors["label"]
    if lab.dtype.kind not in "biu" or not np.isin(lab, (0, 1)).all():
        raise _bad(path, f"label must be integers 0 (background) or 1 (signal), got {lab.dtype}")
    wgt = vectors["weight"]
    if wgt.dtype.kind != "f":
        raise _bad(path, f"weight must be floats, got {wgt.dtype}")
    if not np.isfinite(wgt).all():
        raise _bad(path, f"weight has {int((~np.isfinite(wgt)).sum())} non-finite values")
    eid = vectors["event_id"]
    if eid.dtype.kind not in "iu" or (eid.dtype.kind == "u" and eid.size and eid.max() > 2**63 - 1):
        raise _bad(path, f"event_id must be integers that fit int64, got {eid.dtype}")
    sub = vectors["subset"]
    # Object arrays are what pandas string columns give from .to_numpy().
    if sub.dtype.kind not in "SUO" and sub.size:
        raise _bad(path, f"subset must be strings, got {sub.dtype}")
    sub_str = sub.astype(str)
    unknown = sorted(set(np.unique(sub_str).tolist()) - set(SUBSETS))
    if unknown:
        raise _bad(path, f"subset has unknown values {unknown}; allowed: {list(SUBSETS)}")

    return {
        "images": img,
        "label": lab.astype(np.int8),
        "weight": wgt.astype(np.float64),
        "event_id": eid.astype(np.int64),
        "subset": sub_str.astype(_SUBSET_DTYPE),
    }


def _file_attributes(
    path: Path,
    encoding: Mapping[str, Any],
    feature_order: Sequence[str],
    extra_attrs: Mapping[str, str | int | float] | None,
) -> dict[str, str | int | float]:
    try:
        encoding_json = json.dumps(dict(encoding), sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise _bad(path, f"encoding config is not JSON-serialisable: {exc}") from exc
    order = list(feature_order)
    if not order or not all(isinstance(name, str) for name in order):
        raise _bad(path, "feature_order must be a non-empty sequence of feature names")
    if len(set(order)) != len(order):
        raise _bad(path, "feature_order has duplicate names")

    attrs: dict[str, str | int | float] = {
        "format_version": FORMAT_VERSION,
        "encoding": encoding_json,
        "feature_order": json.dumps(order),
        "supertml_version": supertml.__version__,
        "h5py_version": h5py.__version__,
        "numpy_version": np.__version__,
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    for key, value in (extra_attrs or {}).items():
        if key in _RESERVED_ATTRS:
            raise _bad(path, f"extra attribute {key!r} would overwrite a reserved attribute")
        if not isinstance(value, str | int | float):
            raise _bad(path, f"extra attribute {key!r} must be str, int or float, got {value!r}")
        attrs[key] = value
    return attrs


def _write_datasets(handle: h5py.File, arrays: Mapping[str, np.ndarray[Any, Any]]) -> None:
    images = arrays["images"]
    n_events, height, width = images.shape
    image_chunk = max(1, min(n_events, _IMAGE_CHUNK_BYTES // (height * width)))
    vector_chunk = max(1, min(n_events, _VECTOR_CHUNK_EVENTS))
    for name in _DATASETS:
        data = arrays[name]
        # An unlimited event axis lets a chunk be longer than the data, which N = 0 needs.
        chunks = (image_chunk, height, width) if name == "images" else (vector_chunk,)
        handle.create_dataset(
            name, data=data, chunks=chunks, maxshape=(None, *data.shape[1:]), **_FILTERS
        )


def _write_attributes(handle: h5py.File, attrs: Mapping[str, str | int | float]) -> None:
    for key, value in attrs.items():
        handle.attrs[key] = value


def write_image_cache(
    path: str | Path,
    *,
    images: npt.ArrayLike,
    label: npt.ArrayLike,
    weight: npt.ArrayLike,
    event_id: npt.ArrayLike,
    subset: npt.ArrayLike,
    encoding: Mapping[str, Any],
    feature_order: Sequence[str],
    extra_attrs: Mapping[str, str | int | float] | None = None,
) -> None:
    """Write one image cache atomically.

    ``images`` must be uint8 [N, H, W]; ``label`` integers in {0, 1}; ``weight`` finite floats;
    ``event_id`` integers; ``subset`` strings from ``supertml.constants.SUBSETS``; all of
    length N. Everything is validated before a byte is written.

    Raises
    ------
    ValueError
        Naming ``path`` and the problem, for a wrong shape, dtype, length or value, an encoding
        that is not JSON-serialisable, or an extra attribute that clashes with a reserved one.
    """
    target = Path(path)
    arrays = _validated_arrays(
        target, images=images, label=label, weight=weight, event_id=event_id, subset=subset
    )
    attrs = _file_attributes(target, encoding, feature_order, extra_attrs)
    with atomic_path(target) as tmp, h5py.File(tmp, "w") as handle:
        _write_datasets(handle, arrays)
        _write_attributes(handle, attrs)
        # Written last: its presence certifies that everything before it was written.
        handle.attrs["complete"] = True


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _load_json(path: Path, attrs: Mapping[str, Any], key: str) -> Any:
    raw = attrs.get(key)
    if not isinstance(raw, str):
        raise ImageCacheError(path, f"attribute {key!r} is missing or not a JSON string")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ImageCacheError(path, f"attribute {key!r} is not valid JSON: {exc}") from exc


def _check_datasets(path: Path, handle: h5py.File) -> dict[str, h5py.Dataset]:
    datasets: dict[str, h5py.Dataset] = {}
    for name in _DATASETS:
        obj = handle.get(name)
        if not isinstance(obj, h5py.Dataset):
            raise ImageCacheError(path, f"required dataset {name!r} is missing")
        datasets[name] = obj
    expected = {
        "images": (np.dtype(np.uint8), 3),
        "label": (np.dtype(np.int8), 1),
        "weight": (np.dtype(np.float64), 1),
        "event_id": (np.dtype(np.int64), 1),
    }
    for name, (dtype, ndim) in expected.items():
        ds = datasets[name]
        if ds.dtype != dtype or ds.ndim != ndim:
            raise ImageCacheError(
                path,
                f"dataset {name!r} should be {dtype} with {ndim} dimension(s), "
                f"found {ds.dtype} with shape {ds.shape}",
            )
    if datasets["subset"].dtype.kind != "S" or datasets["subset"].ndim != 1:
        raise ImageCacheError(
            path,
            f"dataset 'subset' should hold fixed-length strings, found {datasets['subset'].dtype}",
        )
    lengths = {name: ds.shape[0] for name, ds in datasets.items()}
    if len(set(lengths.values())) != 1:
        raise ImageCacheError(path, f"datasets differ in length: {lengths}")
    return datasets


def _read(path: Path, handle: h5py.File, load_images: bool) -> ImageCache:
    attrs = {key: _plain(value) for key, value in handle.attrs.items()}
    if attrs.get("complete") is not True:
        raise ImageCacheError(
            path, "no 'complete' attribute: the write was interrupted; delete the file and rerun"
        )
    version = attrs.get("format_version")
    if version != FORMAT_VERSION:
        raise ImageCacheError(
            path, f"unknown format_version {version!r}; this supertml reads {FORMAT_VERSION}"
        )
    encoding = _load_json(path, attrs, "encoding")
    if not isinstance(encoding, dict):
        raise ImageCacheError(path, "attribute 'encoding' is not a JSON object")
    feature_order = _load_json(path, attrs, "feature_order")
    if not isinstance(feature_order, list) or not all(isinstance(f, str) for f in feature_order):
        raise ImageCacheError(path, "attribute 'feature_order' is not a JSON list of names")

    datasets = _check_datasets(path, handle)
    label = np.asarray(datasets["label"][()])
    if not np.isin(label, (0, 1)).all():
        raise ImageCacheError(path, "dataset 'label' holds values other than 0 and 1")
    subset = np.asarray(datasets["subset"][()]).astype(str)
    unknown = sorted(set(np.unique(subset).tolist()) - set(SUBSETS))
    if unknown:
        raise ImageCacheError(path, f"dataset 'subset' holds unknown values {unknown}")
    images_ds = datasets["images"]
    return ImageCache(
        images=np.asarray(images_ds[()]) if load_images else None,
        label=label,
        weight=np.asarray(datasets["weight"][()]),
        event_id=np.asarray(datasets["event_id"][()]),
        subset=subset,
        encoding=encoding,
        feature_order=feature_order,
        attrs=attrs,
        image_shape=(int(images_ds.shape[1]), int(images_ds.shape[2])),
    )


def read_image_cache(path: str | Path, *, load_images: bool = True) -> ImageCache:
    """Read and check one image cache written by :func:`write_image_cache`.

    With ``load_images=False`` the images stay on disk (``ImageCache.images`` is None), for
    callers that need only labels, weights and ids.

    Raises
    ------
    ImageCacheError
        Naming the file, when it is missing, not HDF5, truncated or corrupt, lacks the
        ``complete`` attribute (an interrupted write), lacks a dataset, has datasets of
        different lengths or wrong dtypes, or has an unknown ``format_version``.
    """
    source = Path(path)
    if not source.is_file():
        raise ImageCacheError(source, "image cache not found; run the encode step first")
    try:
        with h5py.File(source, "r") as handle:
            return _read(source, handle, load_images)
    except OSError as exc:
        raise ImageCacheError(
            source, f"cannot read as HDF5 (not an HDF5 file, truncated or corrupt): {exc}"
        ) from exc
