"""Benchmark: HDF5 compression and chunking of pixel image caches (issue 3).

Encodes realistic pixel images - the bundled sample's 30 features, standard-scaled, resampled
with replacement to N events, drawn with the study's layouts (squares at 56 px, rectangles at
224 px) - and writes each through ``ImageCacheWriter`` with every candidate storage setting.
For each it reports bytes per event on disk, write events/s (slices of 4,096 events, as the
encode step writes), full sequential read events/s (``iter_image_chunks``, 8,192 at a time)
and random-batch read events/s (batches of 256 random events, sorted, as a shuffling loader
would fetch them).

Run from the repository root (about 2 to 3 minutes on 2 cores):

    .venv/bin/python bench/cache_layout.py [--events-56 20000] [--events-224 2000]

Not a test: numbers depend on the machine; record them in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from supertml.constants import FEATURES
from supertml.data import fit_standard_scaler, read_events
from supertml.encoding.cache import ImageCacheWriter, iter_image_chunks
from supertml.encoding.pixels import LayoutKind, block_layout, encode_pixels

SAMPLE = Path("resources/higgsml-sample/atlas-higgs-challenge-2014-v2-sample.csv.gz")
WRITE_SLICE = 4096
READ_CHUNK = 8192
BATCH = 256
N_BATCHES = 2

# (label, h5py filter keywords); fletcher32 as in the cache's default.
FILTERS: dict[str, dict[str, Any]] = {
    "none": {},
    "lzf": {"compression": "lzf"},
    "gzip1": {"compression": "gzip", "compression_opts": 1},
    "gzip1+shuffle": {"compression": "gzip", "compression_opts": 1, "shuffle": True},
    "gzip4": {"compression": "gzip", "compression_opts": 4},
    "gzip4+shuffle": {"compression": "gzip", "compression_opts": 4, "shuffle": True},
    "gzip6": {"compression": "gzip", "compression_opts": 6},
    "gzip6+shuffle": {"compression": "gzip", "compression_opts": 6, "shuffle": True},
}
# Every filter at 256 events per chunk; the chunk length swept for the fast candidates.
GRID = [(name, 256) for name in FILTERS] + [
    (name, chunk) for name in ("lzf", "gzip1", "gzip4") for chunk in (64, 1024)
]


def sample_events(n_events: int, seed: int) -> dict[str, np.ndarray]:
    frame = read_events(SAMPLE).frame
    scaler = fit_standard_scaler(frame, FEATURES)
    scaled = scaler.transform(frame)
    rows = np.random.default_rng(seed).integers(0, len(frame), size=n_events)
    return {
        "values": scaled[list(FEATURES)].to_numpy(np.float64)[rows],
        "label": frame["label"].to_numpy(np.int8)[rows],
        "weight": frame["weight"].to_numpy(np.float64)[rows],
        "event_id": frame["event_id"].to_numpy(np.int64)[rows],
    }


def measure(
    path: Path,
    images: np.ndarray,
    events: dict[str, np.ndarray],
    *,
    filters: dict[str, Any],
    chunk: int,
    seed: int,
) -> dict[str, float]:
    n_events = images.shape[0]
    subset = np.full(n_events, "train")
    start = time.perf_counter()
    with ImageCacheWriter(
        path,
        n_events=n_events,
        image_shape=images.shape[1:],
        encoding={"kind": "pixels"},
        feature_order=FEATURES,
        filters=filters,
        image_chunk_events=chunk,
    ) as writer:
        for lo in range(0, n_events, WRITE_SLICE):
            part = slice(lo, lo + WRITE_SLICE)
            writer.append(
                images=images[part],
                label=events["label"][part],
                weight=events["weight"][part],
                event_id=events["event_id"][part],
                subset=subset[part],
            )
    write_s = time.perf_counter() - start
    size = path.stat().st_size

    start = time.perf_counter()
    total = sum(
        int(c.images.sum(dtype=np.uint64) >= 0) * len(c)
        for c in iter_image_chunks(path, READ_CHUNK)
    )
    read_s = time.perf_counter() - start
    assert total == n_events

    rng = np.random.default_rng(seed)
    with h5py.File(path, "r") as handle:
        data = handle["images"]
        start = time.perf_counter()
        for _ in range(N_BATCHES):
            index = np.sort(rng.choice(n_events, size=BATCH, replace=False))
            data[index]
        random_s = time.perf_counter() - start
    return {
        "bytes_per_event": size / n_events,
        "write_eps": n_events / write_s,
        "read_eps": n_events / read_s,
        "random_eps": N_BATCHES * BATCH / random_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events-56", type=int, default=10000)
    parser.add_argument("--events-224", type=int, default=2048)
    args = parser.parse_args()
    print(
        f"# {time.strftime('%Y-%m-%d %H:%M %Z')} {platform.node()} {platform.processor()} "
        f"cpus={len(__import__('os').sched_getaffinity(0))} h5py={h5py.__version__} "
        f"hdf5={h5py.version.hdf5_version}"
    )
    plan: list[tuple[LayoutKind, int, int]] = [
        ("squares", 56, args.events_56),
        ("rectangles", 224, args.events_224),
    ]
    print(
        "| layout | size | events | filter | chunk (events) | bytes/event | write ev/s "
        "| seq read ev/s | random-batch read ev/s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for kind, size, n_events in plan:
            events = sample_events(n_events, seed=size)
            start = time.perf_counter()
            images = encode_pixels(events["values"], FEATURES, block_layout(kind, 30, size))
            encode_eps = n_events / (time.perf_counter() - start)
            print(
                f"| {kind} | {size} | {n_events} | (encode only) | - | {images[0].nbytes} raw "
                f"| {encode_eps:,.0f} | - | - |"
            )
            for name, chunk in GRID:
                path = Path(tmp) / f"{size}_{name}_{chunk}.h5"
                got = measure(path, images, events, filters=FILTERS[name], chunk=chunk, seed=1)
                path.unlink()
                print(
                    f"| {kind} | {size} | {n_events} | {name} | {chunk} "
                    f"| {got['bytes_per_event']:,.0f} | {got['write_eps']:,.0f} "
                    f"| {got['read_eps']:,.0f} | {got['random_eps']:,.0f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
