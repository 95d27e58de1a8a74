"""Benchmark (not a test): a whole training job, timed end to end, and a whole test-set scoring.

1. ``train``: ``supertml.training.train_classifier`` - the function the workflow's
   ``train_model`` rule calls - on ``--train-events`` training and ``--val-events`` validation
   events resampled (with replacement) from the bundled real sample, pixel-encoded with the
   project's encoder at ``--size`` px; the recipe is the study's two-stage one
   (``--frozen-epochs`` + ``--epochs``, three layer groups, lr spread 100). Timed from the call
   to its return: loading the caches onto the device, model creation, every epoch's
   validation and checkpoints included. Cache building is timed separately.
2. ``score``: ``supertml.training.predict_caches`` (the ``predict_model`` rule's function) on
   ``--score-events`` events of the same kind with the trained checkpoint, HDF5 read included.

The ImageNet weights cannot be fetched on an offline GPU node, so the backbone starts from
random weights (``pretrained=False``); the arithmetic per step is the same.

Usage (CPU, tiny)::

    .venv/bin/python bench/train_end_to_end.py --model test_resnet --train-events 2000 \\
        --val-events 500 --score-events 1000 --frozen-epochs 1 --epochs 1 --batch-size 64

On a GPU (issue 4's targets: SE-ResNet50 at 56 px, 4+4 epochs of 200k events in <= 2 min)::

    python bench/train_end_to_end.py --model legacy_seresnet50 --size 56 --batch-size 512
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from synthetic import print_result  # beside this script (on sys.path)

from supertml.constants import FEATURES
from supertml.data import read_events
from supertml.data.preprocess import fit_standard_scaler
from supertml.encoding import write_image_cache
from supertml.encoding.registry import make_encoder
from supertml.training import TrainSettings, predict_caches, train_classifier
from supertml.training.model import COMPILE_MODES

__all__ = ["main"]

SAMPLE = (
    Path(__file__).parents[1]
    / "resources/higgsml-sample/atlas-higgs-challenge-2014-v2-sample.csv.gz"
)


def resampled_caches(
    out: Path, sizes: dict[str, int], image_size: int, seed: int
) -> dict[str, Path]:
    """Caches of events drawn with replacement from the bundled sample, scaled on 'train'."""
    events = read_events(SAMPLE).frame
    rng = np.random.default_rng(seed)
    frames = {
        name: events.iloc[rng.integers(0, len(events), n)].reset_index(drop=True)
        for name, n in sizes.items()
    }
    scaler = fit_standard_scaler(frames["train"], FEATURES)
    encoder = make_encoder(
        {"kind": "pixels", "size": image_size, "layout": "squares"}, list(FEATURES)
    )
    paths = {}
    for name, frame in frames.items():
        scaled: pd.DataFrame = scaler.transform(frame)
        paths[name] = out / f"{name}.h5"
        write_image_cache(
            paths[name],
            images=encoder.encode(scaled[list(FEATURES)].to_numpy(np.float64)),
            label=frame["label"].to_numpy(np.int8),
            weight=frame["weight"].to_numpy(np.float64),
            event_id=np.arange(len(frame), dtype=np.int64),
            subset=np.full(len(frame), name),
            encoding={"kind": "pixels", "size": image_size, "layout": "squares"},
            feature_order=list(FEATURES),
        )
    return paths


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print the numbers and return them."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="legacy_seresnet50")
    parser.add_argument("--size", type=int, default=56)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--train-events", type=int, default=200_000)
    parser.add_argument("--val-events", type=int, default=50_000)
    parser.add_argument("--score-events", type=int, default=100_000)
    parser.add_argument("--frozen-epochs", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--compile", action="store_true", help="torch.compile the network")
    parser.add_argument(
        "--compile-mode", choices=COMPILE_MODES, help="torch.compile mode (implies --compile)"
    )
    parser.add_argument(
        "--score-batch-size", type=int, default=1024, help="batch size of predict_caches"
    )
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="supertml-bench-e2e-") as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        sizes = {"train": args.train_events, "val": args.val_events, "public": args.score_events}
        caches = resampled_caches(root, sizes, args.size, seed=0)
        cache_seconds = time.perf_counter() - start

        settings = TrainSettings(
            architecture=args.model,
            frozen_epochs=args.frozen_epochs,
            epochs=args.epochs,
            batch_size=args.batch_size,
            learning_rate=args.learning_rate,
            layer_groups=3,
            lr_spread=100.0,
            compile=args.compile_mode or args.compile,
        )
        start = time.perf_counter()
        checkpoint = train_classifier(
            settings,
            train_cache=caches["train"],
            val_cache=caches["val"],
            out_dir=root / "run",
            threads=args.threads,
        )
        train_seconds = time.perf_counter() - start
        metrics = pd.read_csv(root / "run" / "metrics.csv")

        start = time.perf_counter()
        scores = predict_caches(
            checkpoint,
            {"public": caches["public"]},
            batch_size=args.score_batch_size,
            threads=args.threads,
            compile_network=args.compile_mode or args.compile,
        )
        score_seconds = time.perf_counter() - start

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    epochs = args.frozen_epochs + args.epochs
    result = {
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "model": args.model,
        "size": args.size,
        "batch_size": args.batch_size,
        "epochs": f"{args.frozen_epochs}+{args.epochs}",
        "train_events": args.train_events,
        "val_events": args.val_events,
        "compile": args.compile_mode or args.compile,
        "cache_build_s": round(cache_seconds, 1),
        "train_wall_s": round(train_seconds, 1),
        "train_img_per_s_overall": round(epochs * args.train_events / train_seconds, 1),
        "final_val_auc": round(float(metrics["val_auc"].iloc[-1]), 4),
        "score_events": len(scores),
        "score_wall_s": round(score_seconds, 2),
        "score_img_per_s": round(len(scores) / score_seconds, 1),
    }
    print_result(result)
    return result


if __name__ == "__main__":
    main()
