"""Benchmark (not a test): image encoding speed, cache size and full-size memory.

Measures, in one run on the same events (the bundled real sample, data-fixed, resampled):

1. events/second of each encoding of config/higgsml.yaml through the project's encoder, against
   the study's per-event path (text: Pillow ``ImageDraw.text`` of every feature, then a PNG
   save; pixels: the block image built per event, then a PNG save);
2. bytes per event of the HDF5 cache (ImageCacheWriter, default filters) against those PNGs;
3. peak memory of encoding the full data set's 818,238 events (resampled from the sample unless
   the real file is given) into one cache, in a fresh subprocess.

Usage:  .venv/bin/python bench/encode.py [--events 2000] [--pillow-events 300]
                                          [--full-events 818238] [--full-encoding text224]
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw

from supertml.config import load_config
from supertml.data import (
    PreprocessingPreset,
    SplitConfig,
    prepare_splits,
    read_events,
    split_events,
)
from supertml.encoding import ImageCacheWriter, TextLayout, read_image_cache
from supertml.encoding.glyphs import load_font
from supertml.encoding.registry import Encoder, make_encoder

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "resources/higgsml-sample/atlas-higgs-challenge-2014-v2-sample.csv.gz"
ENCODINGS = load_config(REPO / "config/higgsml.yaml")["encodings"]


def prepared_values(n_events: int, seed: int = 0) -> tuple[dict[str, np.ndarray], list[str]]:
    """Scaled and physical feature matrices of n events resampled from the data-fixed sample."""
    splits = split_events(read_events(SAMPLE), SplitConfig())
    prepared = prepare_splits(splits, PreprocessingPreset(name="datafix", data_fix=True))
    features = list(prepared.features)
    rows = np.random.default_rng(seed).integers(0, len(prepared.scaled["train"]), n_events)
    return {
        "scaled": prepared.scaled["train"][features].to_numpy(np.float64)[rows],
        "physical": prepared.physical["train"][features].to_numpy(np.float64)[rows],
    }, features


def pillow_event_png(encoder: Encoder, event: np.ndarray) -> bytes:
    """One event the study's way: draw it with Pillow (or numpy blocks), save a PNG."""
    size = encoder.size
    if isinstance(encoder.layout, TextLayout):
        assert encoder.style is not None
        image = Image.new("L", (size, size), 0)
        draw = ImageDraw.Draw(image)
        fmt = f"{{:.{encoder.style.decimals}f}}"
        for value, (x, y), font_size in zip(
            event, encoder.layout.positions, encoder.layout.font_sizes, strict=True
        ):
            text = fmt.format(0.0 if np.isnan(value) else value)
            draw.text((x, y), text, fill=255, font=load_font(encoder.style.font_path, font_size))
    else:
        image = Image.fromarray(encoder.encode(event[None, :])[0])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def measure(
    name: str,
    spec: dict,
    values: dict[str, np.ndarray],
    features: list[str],
    *,
    pillow_events: int,
    workdir: Path,
) -> dict[str, float | str | int]:
    encoder = make_encoder(spec, features)
    x = values[encoder.reads]
    # Steady state, as in the workflow's chunked encode: glyph banks built and memory touched
    # by a first call; then the best of three timed calls.
    images = encoder.encode(x)
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        images = encoder.encode(x)
        timings.append(time.perf_counter() - start)
    ours = len(x) / min(timings)
    start = time.perf_counter()
    pngs = [pillow_event_png(encoder, event) for event in x[:pillow_events]]
    theirs = pillow_events / (time.perf_counter() - start)
    cache = workdir / f"{name}.h5"
    with ImageCacheWriter(
        cache, n_events=len(x), image_shape=images.shape[1:], encoding=spec, feature_order=features
    ) as writer:
        writer.append(
            images=images,
            label=np.zeros(len(x), np.int8),
            weight=np.ones(len(x)),
            event_id=np.arange(len(x)),
            subset=np.full(len(x), "train"),
        )
    cache_bytes = cache.stat().st_size / len(x)
    png_bytes = float(np.mean([len(p) for p in pngs]))
    return {
        "encoding": name,
        "size": encoder.size,
        "reads": encoder.reads,
        "ours_ev_s": ours,
        "pillow_png_ev_s": theirs,
        "speed_ratio": ours / theirs,
        "cache_bytes_per_event": cache_bytes,
        "png_bytes_per_event": png_bytes,
        "size_ratio": cache_bytes / png_bytes,
    }


def full_size_child(encoding: str, n_events: int, output: str) -> None:
    """Encode n events of one encoding into one cache, streaming as the workflow does."""
    values, features = prepared_values(n_events, seed=1)
    encoder = make_encoder(ENCODINGS[encoding], features)
    x = values[encoder.reads]
    start = time.perf_counter()
    with ImageCacheWriter(
        output,
        n_events=n_events,
        image_shape=(encoder.size,) * 2,
        encoding=ENCODINGS[encoding],
        feature_order=features,
    ) as writer:
        for begin in range(0, n_events, 4096):
            part = slice(begin, begin + 4096)
            n = len(x[part])
            writer.append(
                images=encoder.encode(x[part]),
                label=np.zeros(n, np.int8),
                weight=np.ones(n),
                event_id=np.arange(begin, begin + n),
                subset=np.full(n, "train"),
            )
    seconds = time.perf_counter() - start
    assert len(read_image_cache(output, load_images=False)) == n_events
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "encoding": encoding,
                "events": n_events,
                "seconds": seconds,
                "peak_rss_mib": peak_mib,
                "file_mb": Path(output).stat().st_size / 1e6,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--pillow-events", type=int, default=300)
    parser.add_argument("--full-events", type=int, default=818_238)
    parser.add_argument("--full-encoding", default="text224")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        full_size_child(args.child[0], int(args.child[1]), args.child[2])
        return
    print(
        f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.node()}, "
        f"{platform.processor() or platform.machine()}, python {platform.python_version()}"
    )
    values, features = prepared_values(args.events)
    with tempfile.TemporaryDirectory() as tmp:
        rows = [
            measure(
                name, spec, values, features, pillow_events=args.pillow_events, workdir=Path(tmp)
            )
            for name, spec in ENCODINGS.items()
        ]
        print(pd.DataFrame(rows).to_string(index=False, float_format="{:.4g}".format))
        if args.full_events:
            out = Path(tmp) / "full.h5"
            child = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    args.full_encoding,
                    str(args.full_events),
                    str(out),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            print(child.stdout.strip())


if __name__ == "__main__":
    main()
