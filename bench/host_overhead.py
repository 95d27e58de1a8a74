"""Benchmark (not a test): the per-step host cost the project adds over a bare PyTorch loop.

A tiny network on tiny images (timm's ``test_resnet``, 8 px, batch 8, one CPU thread), so a
step is almost all host work: Python, dispatch, Lightning's hooks, logging, the optimiser and
scheduler calls. That is the cost which makes a small-image GPU step launch-bound (issue 14:
SE-ResNet50 at 56 px, batch 512, reached 0.74 of a bare loop on an H200), measured here
without a GPU.

In one process, alternating ``--rounds`` times:

1. project: one epoch of ``train_classifier``'s own pieces - ``ImageCacheDataModule``,
   ``ImageClassifier`` and the training job's ``Trainer`` (``supertml.training.train._trainer``
   with its callbacks: epoch seeder, metrics writer, best and last checkpoints, progress bar);
   validation and the epoch-end checkpoints fall after the timed steps;
2. bare: the same timm network, batch size, AdamW and normalisation in a plain loop over a
   split already in memory, with the project's numerics settings on this device
   (deterministic algorithms on a CPU, as the training job sets them).

Each step is timed on its own (start of one batch to the start of the next), in CPU time of
this process (one torch thread: its host work; a waiting process's time does not count) and
in wall time. Per round: the median step (CPU and wall) and the lower decile of CPU time (the
step's cost while nothing else competed for the core's caches and sibling: on a shared VM
another process's load inflates even the CPU time of a step, the fastest tenth much less).
``ratio_project_over_bare`` is bare / project median CPU time per step (= project / bare
steps per second) over the rounds; ``ratio_p10`` and ``ratio_wall`` the same of the lower
deciles and of the wall times.

``--compare OLD_SRC NEW_SRC`` runs this script in a fresh process per source tree, old and new
alternately, and writes both results side by side (same machine, one after the other)::

    git archive 8aad6c8 src | tar -x -C /tmp/base
    PYTHONPATH=src .venv/bin/python bench/host_overhead.py \\
        --compare /tmp/base/src src --json bench/results/host_overhead.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytorch_lightning as pl
import timm
import torch
from synthetic import synthetic_cache  # beside this script (on sys.path)
from timm.data import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from torch.nn import functional as F  # noqa: N812 - the conventional alias

import supertml
from supertml.training.callbacks import BestCheckpoint, EpochMetricsWriter
from supertml.training.data import ImageCacheDataModule
from supertml.training.model import ImageClassifier
from supertml.training.train import TrainSettings, _trainer

__all__ = ["main"]


def _clock() -> tuple[float, float]:
    # CPU time of this process next to wall time: with one torch thread the process's CPU
    # time per step is its host work, which load from other processes on a shared machine
    # does not inflate (wall time it does).
    return time.process_time(), time.perf_counter()


class _StepClock(pl.Callback):
    """The clocks at the start of every training batch, and once more after the last."""

    def __init__(self) -> None:
        self.stamps: list[tuple[float, float]] = []

    def on_train_batch_start(self, trainer: pl.Trainer, *args: Any) -> None:
        self.stamps.append(_clock())

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        done = trainer.fit_loop.epoch_loop.batch_progress.current.ready
        if done == trainer.num_training_batches:
            self.stamps.append(_clock())


def _median_step(stamps: list[tuple[float, float]], warmup: int) -> tuple[float, float, float]:
    """Median CPU, median wall and lower-decile CPU seconds of the steps after ``warmup``.

    The lower decile is the step's cost when nothing else ran on the core's sibling or in
    its caches: on a shared 2-core VM other processes' load inflates even the CPU time of
    a step (by up to 2x, bench/RESULTS.md issue 14), the fastest tenth of steps much less.
    """
    steps = np.diff(np.asarray(stamps), axis=0)[warmup:]
    return (
        float(np.median(steps[:, 0])),
        float(np.median(steps[:, 1])),
        float(np.quantile(steps[:, 0], 0.1)),
    )


def project_step(args: argparse.Namespace, cache: Path, work: Path) -> tuple[float, float, float]:
    """Seconds per step (see _median_step) of the training job's Trainer, data and model."""

    settings = TrainSettings(architecture=args.model, epochs=1, batch_size=args.batch_size)
    pl.seed_everything(0, verbose=False)
    data = ImageCacheDataModule(cache, cache, settings.batch_size, settings.seed)
    model = ImageClassifier(settings.architecture, **settings.model_arguments())
    clock = _StepClock()
    recorders = [
        EpochMetricsWriter(work / "metrics.csv"),
        BestCheckpoint(work / "checkpoints" / "best.ckpt", settings.monitor),
    ]
    trainer = _trainer(settings, work / "checkpoints", recorders, [clock])
    trainer.limit_val_batches = 1  # validation is once per epoch, after the timed steps
    trainer.fit(model, datamodule=data)
    return _median_step(clock.stamps, args.warmup)


def bare_step(args: argparse.Namespace, n: int) -> tuple[float, float, float]:
    """Seconds per step (see _median_step) of a plain loop: same network, batch, inputs."""
    torch.manual_seed(0)
    network = timm.create_model(args.model, pretrained=False, num_classes=2)
    optimizer = torch.optim.AdamW(network.parameters(), lr=1e-3, weight_decay=0.01)
    mean = torch.tensor(IMAGENET_DEFAULT_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_DEFAULT_STD).view(1, 3, 1, 1)
    rng = np.random.default_rng(0)
    images = torch.from_numpy(rng.integers(0, 200, (n, args.size, args.size), dtype=np.uint8))
    labels = torch.from_numpy((rng.random(n) < 0.35).astype(np.int64))
    order = torch.randperm(n)
    network.train()
    stamps = []
    for step in range(n // args.batch_size):
        stamps.append(_clock())
        idx = order[step * args.batch_size : (step + 1) * args.batch_size]
        unit = images[idx].unsqueeze(1).float().div_(255.0)
        x = (unit.expand(-1, 3, -1, -1) - mean) / std
        loss = F.cross_entropy(network(x), labels[idx])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()
    stamps.append(_clock())
    return _median_step(stamps, args.warmup)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Alternate project and bare ``args.rounds`` times; medians and their ratio."""
    torch.set_num_threads(args.threads)
    n = (args.warmup + args.steps + 1) * args.batch_size
    project: list[tuple[float, float, float]] = []
    bare: list[tuple[float, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="supertml-bench-overhead-") as tmp:
        cache = synthetic_cache(Path(tmp) / "train.h5", n, args.size, seed=0)
        for round_ in range(args.rounds):
            project.append(project_step(args, cache, Path(tmp) / f"run{round_}"))
            # The project's numerics on this device: deterministic algorithms on a CPU.
            torch.use_deterministic_algorithms(not torch.cuda.is_available())
            bare.append(bare_step(args, n))
            torch.use_deterministic_algorithms(False)

    cpu_project = statistics.median(p[0] for p in project)
    cpu_bare = statistics.median(b[0] for b in bare)
    wall_project = statistics.median(p[1] for p in project)
    wall_bare = statistics.median(b[1] for b in bare)
    return {
        "supertml_src": str(Path(supertml.__file__).parents[1]),
        "model": args.model,
        "size": args.size,
        "batch_size": args.batch_size,
        "steps_per_round": args.steps,
        "rounds": args.rounds,
        "threads": args.threads,
        "project_cpu_ms_per_step": [round(p[0] * 1e3, 3) for p in project],
        "bare_cpu_ms_per_step": [round(b[0] * 1e3, 3) for b in bare],
        "ratio_per_round": [round(b[0] / p[0], 3) for p, b in zip(project, bare, strict=True)],
        "project_steps_per_cpu_s": round(1 / cpu_project, 1),
        "bare_steps_per_cpu_s": round(1 / cpu_bare, 1),
        "ratio_project_over_bare": round(cpu_bare / cpu_project, 3),
        "ratio_median_of_rounds": round(
            statistics.median(b[0] / p[0] for p, b in zip(project, bare, strict=True)), 3
        ),
        "project_wall_ms_per_step": [round(p[1] * 1e3, 3) for p in project],
        "bare_wall_ms_per_step": [round(b[1] * 1e3, 3) for b in bare],
        "ratio_wall": round(wall_bare / wall_project, 3),
        "project_cpu_ms_per_step_p10": [round(p[2] * 1e3, 3) for p in project],
        "bare_cpu_ms_per_step_p10": [round(b[2] * 1e3, 3) for b in bare],
        "ratio_p10": round(
            statistics.median(b[2] for b in bare) / statistics.median(p[2] for p in project), 3
        ),
    }


def compare(args: argparse.Namespace) -> dict[str, Any]:
    """This script under each source tree in turn (old, new, old, new, ...), fresh processes."""
    runs: dict[str, list[dict[str, Any]]] = {"old": [], "new": []}
    forwarded = [
        *("--model", args.model, "--size", str(args.size)),
        *("--batch-size", str(args.batch_size), "--steps", str(args.steps)),
        *("--warmup", str(args.warmup), "--rounds", str(args.rounds)),
        *("--threads", str(args.threads)),
    ]
    for _ in range(args.repeats):
        for name, src in (("old", args.compare[0]), ("new", args.compare[1])):
            env = {**os.environ, "PYTHONPATH": str(Path(src).resolve())}
            done = subprocess.run(
                [sys.executable, __file__, *forwarded, "--quiet"],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            # The progress bar shares stdout: the result is the last line that is a JSON object.
            line = [x for x in done.stdout.replace("\r", "\n").splitlines() if x.startswith("{")]
            runs[name].append(json.loads(line[-1]))
    summary = {
        name: {
            "ratio_per_process": [r["ratio_project_over_bare"] for r in results],
            "ratio_median": round(
                statistics.median(r["ratio_project_over_bare"] for r in results), 3
            ),
            "ratio_median_of_all_rounds": round(
                statistics.median(x for r in results for x in r["ratio_per_round"]), 3
            ),
            "ratio_wall_per_process": [r["ratio_wall"] for r in results],
            "ratio_p10_per_process": [r["ratio_p10"] for r in results],
            "project_steps_per_cpu_s_median": statistics.median(
                r["project_steps_per_cpu_s"] for r in results
            ),
            "bare_steps_per_cpu_s_median": statistics.median(
                r["bare_steps_per_cpu_s"] for r in results
            ),
        }
        for name, results in runs.items()
    }
    return {"summary": summary, "runs": runs}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark (or the comparison), print the numbers and return them."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="test_resnet", help="timm architecture")
    parser.add_argument("--size", type=int, default=8, help="image side in pixels")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--steps", type=int, default=300, help="timed steps per round")
    parser.add_argument("--warmup", type=int, default=10, help="untimed steps first")
    parser.add_argument("--rounds", type=int, default=3, help="project/bare alternations")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--compare", nargs=2, metavar=("OLD_SRC", "NEW_SRC"))
    parser.add_argument("--repeats", type=int, default=2, help="old/new alternations")
    parser.add_argument("--json", type=Path, help="also write the result here")
    parser.add_argument("--quiet", action="store_true", help="print only the JSON line")
    args = parser.parse_args(argv)

    start = time.time()
    result = compare(args) if args.compare else measure(args)
    result = {
        "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime(start)),
        "wall_s": round(time.time() - start, 1),
        "machine": f"{platform.node()} ({os.cpu_count()} cores)",
        "python": platform.python_version(),
        "torch": torch.__version__,
        "lightning": pl.__version__,
        "command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
        **result,
    }
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    if not args.quiet:
        print(json.dumps(result.get("summary", result), indent=2))
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
