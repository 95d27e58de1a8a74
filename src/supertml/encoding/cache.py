"""HDF5 image cache: one file per (encoding, ordering, split) (DESIGN.md, "Encode").

One topic, hence one module of about 700 lines: the cache format - its writer, its reader,
its checks and its chunked reading - has to change in one place or not at all.

Layout of a cache file (``FORMAT_VERSION`` 1):

- datasets, all of length N along the first axis, chunked along events and compressed:
  ``images`` uint8 [N, H, W] (one channel; colour is added on the device), ``label`` int8 [N]
  (1 signal, 0 background; for a multi-class table the class code 0 .. num_classes - 1),
  ``weight`` float64 [N], ``event_id`` int64 [N], ``subset`` fixed-length ASCII [N] (one of
  ``train``, ``val``, ``public``, ``private``);
- file attributes: ``format_version``, ``encoding`` (JSON object), ``feature_order`` (JSON
  list), ``supertml_version``, ``h5py_version``, ``numpy_version``, ``created_utc``,
  ``num_classes`` (only when it is not 2: a file without it is binary, as every HiggsML cache),
  the caller's extra attributes, and last ``complete = True``.

A file is written under a temporary name and renamed only once closed, so ``path`` either holds
a complete cache or nothing. ``complete`` guards the cases the rename cannot (a file copied or
synced half-way): a reader refuses any file without it.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
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
    "ImageCacheWriter",
    "ImageChunk",
    "check_image_cache",
    "iter_image_chunks",
    "read_image_cache",
    "write_image_cache",
]

#: Version of the file layout above; bump it when a reader of the old layout would misread.
#: (``num_classes`` needed no bump: a reader without it refuses labels above 1, it never
#: misreads them.)
FORMAT_VERSION = 1

#: Classes of a cache that does not say: 0 background, 1 signal (HiggsML).
BINARY_CLASSES = 2
#: Most classes a cache can hold: labels are int8.
MAX_CLASSES = 127

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
        "num_classes",
        "complete",
    }
)
# Fixed width for every file, so caches of different splits have identical dtypes.
_SUBSET_DTYPE = np.dtype(f"S{max(len(s) for s in SUBSETS)}")
# Chosen by measurement (bench/cache_layout.py, 2026-11-27 05:51 UTC, 2-core VM, no GPU;
# bench/RESULTS.md): gzip level 4, no shuffle. Bytes per event on disk / write events/s,
# realistic images, chunks of 256 events:
#   224 px rectangles: none 50,953 / 6,137; lzf 2,159 / 6,366; gzip1 883 / 6,619;
#                      gzip4 350 / 3,007; gzip6 268 / 2,785
#   56 px squares:     none 3,370 / 134,717; lzf 199 / 61,520; gzip1 140 / 60,947;
#                      gzip4 88 / 31,830; gzip6 85 / 25,626
# gzip4 is 2.5x smaller than gzip1 (the 818k-event challenge at 224 px: about 290 MB rather
# than 720 MB, or 41 GB raw) for 2.2x slower writing at 224 px (818k events: about 4.5 min
# instead of 2, once per encoding, against hours of training); gzip6 saves a further 23 % at
# 224 px but writes 20 % slower at 56 px. Sequential reads ran at 4,000 to 7,500 events/s at
# 224 px and 150,000 at 56 px for every gzip level, far above what a CNN consumes. shuffle
# is off: it cannot help 1-byte pixels and made files 2 to 4 bytes per event larger. gzip
# (not lzf, blosc, zstd) is in every HDF5 build, so any h5py or HDF5 tool reads the cache
# without plugins. fletcher32 makes a corrupted chunk fail loudly on read instead of returning
# wrong pixels.
_FILTERS: dict[str, Any] = {
    "compression": "gzip",
    "compression_opts": 4,
    "fletcher32": True,
}
# About 4 MiB of images per chunk (83 events at 224 px, 1,337 at 56 px). Measured in the same
# run (gzip4, write / sequential read events/s): at 224 px chunks of 64 events (3.2 MB)
# 3,385 / 6,006, of 256 (12.8 MB) 3,007 / 5,671, of 1,024 (51 MB) 2,714 / 4,168; at 56 px
# chunks of 64 to 1,024 events (0.2 to 3.2 MB) were within noise of each other. Batches of
# 256 random events read at 200 to 300 events/s at 224 px whatever the chunk length (h5py's
# point selections dominate), which is why training loads whole splits into memory.
_IMAGE_CHUNK_BYTES = 4 * 1024 * 1024
#: The remedy for a cache that is not there.
_MISSING = "run the workflow (encode_images writes it)"
_VECTOR_CHUNK_EVENTS = 65536


@dataclass(frozen=True, eq=False)  # eq=False: == on numpy array fields would be ambiguous
class ImageCache:
    """The contents of one cache file.

    ``images`` is None when read with ``load_images=False``; ``image_shape`` is (H, W) either
    way. ``subset`` holds decoded ``str`` values. ``attrs`` holds every file attribute as a
    plain Python value (JSON attributes still as their strings). ``num_classes``: 2 (signal
    and background) unless the file says otherwise (a multi-class table).
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
    num_classes: int = BINARY_CLASSES

    def __len__(self) -> int:
        return int(self.label.shape[0])


def _bad(path: Path, problem: str) -> ValueError:
    return ValueError(f"{path}: {problem}")


def _checked_num_classes(path: Path, num_classes: int) -> int:
    if isinstance(num_classes, bool) or not isinstance(num_classes, int):
        raise _bad(path, f"num_classes must be an integer, got {num_classes!r}")
    if not BINARY_CLASSES <= num_classes <= MAX_CLASSES:
        raise _bad(
            path, f"num_classes must be in {BINARY_CLASSES}..{MAX_CLASSES}, got {num_classes}"
        )
    return num_classes


def _label_problem(num_classes: int) -> str:
    if num_classes == BINARY_CLASSES:
        return "label must be integers 0 (background) or 1 (signal)"
    return f"label must be integer class codes 0..{num_classes - 1}"


def _validated_arrays(
    path: Path,
    *,
    images: npt.ArrayLike,
    label: npt.ArrayLike,
    weight: npt.ArrayLike,
    event_id: npt.ArrayLike,
    subset: npt.ArrayLike,
    num_classes: int = BINARY_CLASSES,
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
    if lab.dtype.kind not in "biu" or not np.isin(lab, np.arange(num_classes)).all():
        raise _bad(path, f"{_label_problem(num_classes)}, got {lab.dtype}")
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


def _write_attributes(handle: h5py.File, attrs: Mapping[str, str | int | float]) -> None:
    for key, value in attrs.items():
        handle.attrs[key] = value


def _image_chunk_events(height: int, width: int) -> int:
    return max(1, _IMAGE_CHUNK_BYTES // (height * width))


class ImageCacheWriter:
    """Write one image cache chunk by chunk, atomically (the layout in the module docstring).

    Use as a context manager: declare ``n_events`` and ``image_shape`` up front, then
    :meth:`append` consecutive slices (or :meth:`write` a slice at an explicit ``start``) until
    all ``n_events`` are written. Only then, on a clean exit from the ``with`` block, is
    ``complete`` set, the file closed and renamed onto ``path``. An exception inside the block,
    or fewer events written than declared, removes the temporary file and leaves ``path``
    untouched (absent, or the previous complete cache). A process killed outright (SIGKILL,
    out of memory) leaves at most a hidden ``.{name}.*.tmp`` file beside ``path``, which no
    reader accepts: it lacks ``complete``.

    Memory stays bounded by the slices the caller passes plus HDF5's chunk cache (a few
    compressed chunks per dataset), whatever ``n_events`` is.

    Examples
    --------
    >>> with ImageCacheWriter("val.h5", n_events=n, image_shape=(56, 56), encoding=enc,
    ...                       feature_order=order) as writer:          # doctest: +SKIP
    ...     for start in range(0, n, 8192):
    ...         part = slice(start, start + 8192)
    ...         writer.append(images=encode_pixels(x[part], order, layout), label=y[part],
    ...                       weight=w[part], event_id=ids[part], subset=subsets[part])
    """

    def __init__(
        self,
        path: str | Path,
        *,
        n_events: int,
        image_shape: tuple[int, int],
        encoding: Mapping[str, Any],
        feature_order: Sequence[str],
        extra_attrs: Mapping[str, str | int | float] | None = None,
        filters: Mapping[str, Any] | None = None,
        image_chunk_events: int | None = None,
        num_classes: int = BINARY_CLASSES,
    ) -> None:
        self.path = Path(path)
        self.num_classes = _checked_num_classes(self.path, num_classes)
        if isinstance(n_events, bool) or not isinstance(n_events, int) or n_events < 0:
            raise _bad(self.path, f"n_events must be a non-negative integer, got {n_events!r}")
        height, width = (int(v) for v in image_shape)
        if height < 1 or width < 1:
            raise _bad(self.path, f"image_shape must be positive (H, W), got {image_shape}")
        if image_chunk_events is not None and image_chunk_events < 1:
            raise _bad(self.path, f"image_chunk_events must be >= 1, got {image_chunk_events}")
        self.n_events = n_events
        self.image_shape = (height, width)
        self._attrs = _file_attributes(self.path, encoding, feature_order, extra_attrs)
        if num_classes != BINARY_CLASSES:
            self._attrs["num_classes"] = num_classes
        self._filters = dict(_FILTERS if filters is None else filters)
        self._image_chunk = image_chunk_events or _image_chunk_events(height, width)
        self._written = np.zeros(n_events, dtype=bool)
        self._next = 0
        self._stack: contextlib.ExitStack | None = None
        self._handle: h5py.File | None = None

    def __enter__(self) -> ImageCacheWriter:
        if self._stack is not None:
            raise RuntimeError(f"{self.path}: ImageCacheWriter is not re-entrant")
        stack = contextlib.ExitStack()
        try:
            tmp = stack.enter_context(atomic_path(self.path))
            # Each dataset's chunk cache holds a few chunks, so a slice that ends inside a
            # chunk leaves it cached until the next slice completes it, instead of being
            # compressed, evicted, read back and recompressed (HDF5's default cache is 1 MB,
            # smaller than one 224 px chunk).
            height, width = self.image_shape
            cache_bytes = max(4 * self._image_chunk * height * width, 8 * _VECTOR_CHUNK_EVENTS * 8)
            handle = stack.enter_context(
                h5py.File(tmp, "w", rdcc_nbytes=cache_bytes, rdcc_nslots=10007)
            )
            self._create_datasets(handle)
            _write_attributes(handle, self._attrs)
        except BaseException as error:
            # Unwind with the error, so that atomic_path deletes rather than renames.
            stack.__exit__(type(error), error, error.__traceback__)
            raise
        self._stack, self._handle = stack, handle
        return self

    def _create_datasets(self, handle: h5py.File) -> None:
        n_events = self.n_events
        height, width = self.image_shape
        shapes: dict[str, tuple[tuple[int, ...], np.dtype[Any], tuple[int, ...]]] = {
            "images": (
                (n_events, height, width),
                np.dtype(np.uint8),
                (self._image_chunk, height, width),
            ),
            "label": ((n_events,), np.dtype(np.int8), (_VECTOR_CHUNK_EVENTS,)),
            "weight": ((n_events,), np.dtype(np.float64), (_VECTOR_CHUNK_EVENTS,)),
            "event_id": ((n_events,), np.dtype(np.int64), (_VECTOR_CHUNK_EVENTS,)),
            "subset": ((n_events,), _SUBSET_DTYPE, (_VECTOR_CHUNK_EVENTS,)),
        }
        for name in _DATASETS:
            shape, dtype, chunks = shapes[name]
            # An unlimited event axis lets a chunk be longer than the data, which N = 0 needs.
            handle.create_dataset(
                name,
                shape=shape,
                dtype=dtype,
                chunks=chunks,
                maxshape=(None, *shape[1:]),
                **self._filters,
            )

    def write(
        self,
        start: int,
        *,
        images: npt.ArrayLike,
        label: npt.ArrayLike,
        weight: npt.ArrayLike,
        event_id: npt.ArrayLike,
        subset: npt.ArrayLike,
    ) -> None:
        """Write events ``start .. start + len(images)``; each event may be written once.

        Arrays are validated as in :func:`write_image_cache`; ``images`` must have the
        declared ``image_shape``.
        """
        if self._handle is None:
            raise RuntimeError(f"{self.path}: write() outside the writer's `with` block")
        arrays = _validated_arrays(
            self.path,
            images=images,
            label=label,
            weight=weight,
            event_id=event_id,
            subset=subset,
            num_classes=self.num_classes,
        )
        img = arrays["images"]
        if img.shape[1:] != self.image_shape:
            raise _bad(
                self.path,
                f"images of shape {img.shape[1:]} do not match the declared {self.image_shape}",
            )
        stop = start + img.shape[0]
        if start < 0 or stop > self.n_events:
            raise _bad(
                self.path,
                f"events {start}..{stop} fall outside the declared 0..{self.n_events}",
            )
        if self._written[start:stop].any():
            raise _bad(self.path, f"events {start}..{stop} overlap events already written")
        for name in _DATASETS:
            self._handle[name][start:stop] = arrays[name]
        self._written[start:stop] = True
        self._next = stop

    def append(
        self,
        *,
        images: npt.ArrayLike,
        label: npt.ArrayLike,
        weight: npt.ArrayLike,
        event_id: npt.ArrayLike,
        subset: npt.ArrayLike,
    ) -> None:
        """Write the next events, right after the last slice written."""
        self.write(
            self._next, images=images, label=label, weight=weight, event_id=event_id, subset=subset
        )

    def _finish(self) -> None:
        assert self._handle is not None
        missing = int((~self._written).sum())
        if missing:
            first = int(np.argmin(self._written))
            raise ImageCacheError(
                self.path,
                f"only {self.n_events - missing} of the declared {self.n_events} events were "
                f"written (first missing: event {first}); the cache was not saved",
                remedy="",  # a writer used wrongly: nothing on disk to delete
            )
        # Written last: its presence certifies that everything before it was written.
        self._handle.attrs["complete"] = True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        stack, self._stack, self._handle = self._stack, None, self._handle
        assert stack is not None
        try:
            if exc_type is None:
                self._finish()
        except BaseException as error:
            # Unwinding with the error makes atomic_path delete the temporary file.
            stack.__exit__(type(error), error, error.__traceback__)
            raise
        finally:
            self._handle = None
        # Closes the file, then renames it onto path (or, with an exception, deletes it).
        stack.__exit__(exc_type, exc, tb)


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
    num_classes: int = BINARY_CLASSES,
) -> None:
    """Write one image cache atomically, all events at once (:class:`ImageCacheWriter` in one go).

    ``images`` must be uint8 [N, H, W]; ``label`` integers in {0, 1} (in 0 .. num_classes - 1
    for a multi-class table); ``weight`` finite floats;
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
        target,
        images=images,
        label=label,
        weight=weight,
        event_id=event_id,
        subset=subset,
        num_classes=_checked_num_classes(target, num_classes),
    )
    n_events, height, width = arrays["images"].shape
    with ImageCacheWriter(
        target,
        n_events=n_events,
        image_shape=(height, width),
        encoding=encoding,
        feature_order=feature_order,
        extra_attrs=extra_attrs,
        # A single write needs chunks no longer than the data, as before.
        image_chunk_events=max(1, min(n_events, _image_chunk_events(height, width))),
        num_classes=num_classes,
    ) as writer:
        writer.write(0, **arrays)


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


def _check_attributes(path: Path, attrs: Mapping[str, Any]) -> None:
    if attrs.get("complete") is not True:
        raise ImageCacheError(path, "no 'complete' attribute: its write was interrupted")
    version = attrs.get("format_version")
    if version != FORMAT_VERSION:
        raise ImageCacheError(
            path, f"unknown format_version {version!r}; this supertml reads {FORMAT_VERSION}"
        )


def _read(path: Path, handle: h5py.File, load_images: bool) -> ImageCache:
    attrs = {key: _plain(value) for key, value in handle.attrs.items()}
    _check_attributes(path, attrs)
    encoding = _load_json(path, attrs, "encoding")
    if not isinstance(encoding, dict):
        raise ImageCacheError(path, "attribute 'encoding' is not a JSON object")
    feature_order = _load_json(path, attrs, "feature_order")
    if not isinstance(feature_order, list) or not all(isinstance(f, str) for f in feature_order):
        raise ImageCacheError(path, "attribute 'feature_order' is not a JSON list of names")

    num_classes = attrs.get("num_classes", BINARY_CLASSES)
    if (
        isinstance(num_classes, bool)
        or not isinstance(num_classes, int)
        or not BINARY_CLASSES <= num_classes <= MAX_CLASSES
    ):
        raise ImageCacheError(path, f"attribute 'num_classes' is invalid: {num_classes!r}")
    datasets = _check_datasets(path, handle)
    label = np.asarray(datasets["label"][()])
    if not np.isin(label, np.arange(num_classes)).all():
        allowed = "0 and 1" if num_classes == BINARY_CLASSES else f"0..{num_classes - 1}"
        raise ImageCacheError(path, f"dataset 'label' holds values other than {allowed}")
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
        num_classes=num_classes,
    )


@contextlib.contextmanager
def _unreadable(path: Path) -> Iterator[None]:
    """HDF5's errors (a file that is not HDF5, truncated, or whose fletcher32 checksum fails
    on a chunk) as an :class:`ImageCacheError` naming the file and the remedy."""
    try:
        yield
    except OSError as exc:
        raise ImageCacheError(
            path, f"cannot read as HDF5 (not an HDF5 file, truncated or corrupt: {exc})"
        ) from exc


def check_image_cache(path: str | Path) -> ImageCacheError | None:
    """What is wrong with a cache that can be seen without reading its images (truncation,
    an interrupted write, missing datasets), in milliseconds; None if nothing. The workflow
    runs it over existing caches before any job, so a broken one stops the run before the
    jobs that read it delete their outputs (a trained ``model.ckpt``)."""
    source = Path(path)
    try:
        with _unreadable(source), h5py.File(source, "r") as handle:
            _check_attributes(source, {key: _plain(v) for key, v in handle.attrs.items()})
            _check_datasets(source, handle)
    except ImageCacheError as exc:
        return exc
    return None


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
        raise ImageCacheError(source, "image cache not found", remedy=_MISSING)
    with _unreadable(source), h5py.File(source, "r") as handle:
        return _read(source, handle, load_images)


@dataclass(frozen=True, eq=False)
class ImageChunk:
    """Events ``start .. start + len(label)`` of a cache, from :func:`iter_image_chunks`."""

    start: int
    images: npt.NDArray[np.uint8]
    label: npt.NDArray[np.int8]
    weight: npt.NDArray[np.float64]
    event_id: npt.NDArray[np.int64]
    subset: npt.NDArray[np.str_]

    def __len__(self) -> int:
        return int(self.label.shape[0])


def _read_rows(images: h5py.Dataset, start: int, stop: int) -> npt.NDArray[np.uint8]:
    """Rows ``start:stop`` of the images, read one storage chunk at a time.

    h5py holds the GIL through a whole read; in pieces of one storage chunk (about 4 MiB)
    another thread - the one feeding the GPU while this one reads ahead - gets to run between
    them. Pieces follow the storage chunks' boundaries, so each chunk is decompressed once
    (HDF5's default chunk cache of 1 MiB keeps none of them between reads).
    """
    out = np.empty((stop - start, *images.shape[1:]), dtype=images.dtype)
    step = images.chunks[0] if images.chunks else max(1, stop - start)
    first = start
    while first < stop:
        last = min((first // step + 1) * step, stop)
        images.read_direct(out, np.s_[first:last], np.s_[first - start : last - start])
        first = last
    return out


def iter_image_chunks(path: str | Path, chunk_size: int = 8192) -> Iterator[ImageChunk]:
    """Read a cache ``chunk_size`` events at a time, in order, with the checks of
    :func:`read_image_cache` done once up front; only one slice of images is in memory.

    Raises
    ------
    ImageCacheError
        As :func:`read_image_cache`.
    ValueError
        If ``chunk_size`` < 1.
    """
    source = Path(path)
    if chunk_size < 1:
        raise ValueError(f"{source}: chunk_size must be >= 1, got {chunk_size}")
    if not source.is_file():
        raise ImageCacheError(source, "image cache not found", remedy=_MISSING)
    with _unreadable(source):
        handle = h5py.File(source, "r")
    with handle, _unreadable(source):
        meta = _read(source, handle, load_images=False)
        images = handle["images"]
        for start in range(0, len(meta), chunk_size):
            stop = min(start + chunk_size, len(meta))
            yield ImageChunk(
                start=start,
                images=_read_rows(images, start, stop),
                label=meta.label[start:stop],
                weight=meta.weight[start:stop],
                event_id=meta.event_id[start:stop],
                subset=meta.subset[start:stop],
            )
