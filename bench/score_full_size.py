"""Benchmark (not a test): ``predict_caches`` over a full-size cache, e.g. 550k events at 224 px.

Encoding 550k events at 224 px takes minutes, so the cache is tiled: ``--distinct`` storage
chunks of real events (resampled from the bundled sample and pixel-encoded, as
``bench/train_end_to_end.py`` does) are written once through the project's writer, and the
full-size file repeats their compressed bytes (``write_direct_chunk``): every chunk is read and
decompressed as in a real cache, at the real compression ratio, in seconds. The checkpoint is
an untrained network of ``--model`` (scoring costs the same with random weights).

It prints one JSON line per scored transfer chunk (events so far, seconds so far), so a run
stopped by a time limit still gives a rate, then the result: wall time of ``predict_caches``
(checkpoint load, reading and decompressing, scoring), events/s, and the read-alone rate of
the first chunks (decompression in this process, nothing else), which the scoring hides when
the read-ahead works.

Usage (CPU, tiny)::

    .venv/bin/python bench/score_full_size.py --model test_resnet --size 32 --events 20000

On a GPU (issue 14: SENet154, the 550k test events, in <= 4 min)::

    python bench/score_full_size.py --model legacy_senet154 --size 224 --events 550000
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import print_result
from train_end_to_end import resampled_caches

import supertml.training.predict as predict_module
from supertml.encoding import iter_image_chunks
from supertml.training.model import ImageClassifier
from supertml.training.predict import predict_caches, transfer_events

__all__ = ["main", "tiled_cache"]


def tiled_cache(small: Path, big: Path, n: int) -> Path:
    """A cache of ``n`` events repeating ``small``'s storage chunks of images (compressed
    bytes copied as they are) and its other columns; event ids ``0 .. n-1``."""
    with h5py.File(small, "r") as source, h5py.File(big, "w") as target:
        for key, value in source.attrs.items():
            target.attrs[key] = value
        for name, dataset in source.items():
            options = {
                "chunks": dataset.chunks,
                "maxshape": (None, *dataset.shape[1:]),
                "compression": dataset.compression,
                "compression_opts": dataset.compression_opts,
                "fletcher32": dataset.fletcher32,
            }
            shape = (n, *dataset.shape[1:])
            if name != "images":
                column = np.arange(n) if name == "event_id" else np.resize(dataset[:], n)
                target.create_dataset(name, data=column.astype(dataset.dtype), **options)
                continue
            images = target.create_dataset(name, shape=shape, dtype=dataset.dtype, **options)
            rows = dataset.chunks[0]
            distinct = len(dataset) // rows
            if distinct < 1:
                raise ValueError(f"{small} holds less than one storage chunk of images")
            for index in range(math.ceil(n / rows)):
                mask, raw = dataset.id.read_direct_chunk(((index % distinct) * rows, 0, 0))
                images.id.write_direct_chunk((index * rows, 0, 0), raw, mask)
    return big


def untrained_checkpoint(model: str, path: Path) -> Path:
    """A checkpoint ``load_classifier`` reads: hyperparameters and random weights."""
    network = ImageClassifier(model)
    torch.save(
        {"hyper_parameters": dict(network.hparams), "state_dict": network.state_dict()}, path
    )
    return path


def read_rate(path: Path, events: int, chunks: int = 1) -> float:
    """Events/s of reading and decompressing the first ``chunks`` transfer chunks alone."""
    start = time.perf_counter()
    read = 0
    for i, chunk in enumerate(iter_image_chunks(path, chunk_size=events)):
        read += len(chunk)
        if i + 1 == chunks:
            break
    return read / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print the numbers and return them."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="legacy_senet154")
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--events", type=int, default=550_000)
    parser.add_argument("--distinct", type=int, default=64, help="distinct storage chunks")
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--compile-mode", default=None, help="torch.compile mode, if any")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="supertml-bench-score-") as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        rows = max(1, 4 * 1024 * 1024 // (args.size * args.size))  # the writer's chunk length
        # resampled_caches scales on its "train" split: the distinct events are that split.
        sample = resampled_caches(root, {"train": rows * args.distinct}, args.size, seed=0)
        cache = tiled_cache(sample["train"], root / "big.h5", args.events)
        build_seconds = time.perf_counter() - start
        checkpoint = untrained_checkpoint(args.model, root / "model.ckpt")
        per_chunk = transfer_events(args.size * args.size, args.batch_size)
        decompress = read_rate(cache, per_chunk)

        # One line per scored transfer chunk: a run cut by a time limit still shows its rate.
        scored = [0]
        began = [0.0]
        original = predict_module.cache_probabilities

        def timed(*a: Any, **k: Any) -> Any:
            out = original(*a, **k)
            scored[0] += len(out)
            elapsed = time.perf_counter() - began[0]
            print(json.dumps({"events_scored": scored[0], "elapsed_s": round(elapsed, 2)}))
            sys.stdout.flush()
            return out

        predict_module.cache_probabilities = timed  # type: ignore[assignment]
        began[0] = time.perf_counter()
        scores = predict_caches(
            checkpoint,
            {"private": cache},
            batch_size=args.batch_size,
            threads=args.threads,
            compile_network=args.compile_mode or False,
        )
        wall = time.perf_counter() - began[0]
        size_mb = cache.stat().st_size / 1e6

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    result = {
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "model": args.model,
        "size": args.size,
        "events": len(scores),
        "batch_size": args.batch_size,
        "compile": args.compile_mode or False,
        "cache_mb": round(size_mb, 1),
        "cache_build_s": round(build_seconds, 1),
        "read_alone_events_per_s": round(decompress, 1),
        "score_wall_s": round(wall, 2),
        "score_events_per_s": round(len(scores) / wall, 1),
    }
    print_result(result)
    return result


if __name__ == "__main__":
    main()
