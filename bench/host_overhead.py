"""Benchmark (not a test): the per-step host cost the project adds over a bare PyTorch loop.

A tiny network on tiny images (timm's ``test_resnet``, 8 px, batch 8, one CPU thread), so a
step is almost all host work: Python, dispatch, Lightning's hooks, logging, the optimiser and
scheduler calls. That is the cost which makes a small-image GPU step launch-bound (issue 14:
SE-ResNet50 at 56 px, batch 512, reached 0.74 of a bare loop on an H200), measured here
without a GPU. A CPU benchmark: on a machine with a GPU, hide it (``CUDA_VISIBLE_DEVICES=``).

Method - interleaved blocks in one process. During one epoch of the training job's own
pieces (``ImageCacheDataModule``, ``ImageClassifier`` and the job's ``Trainer`` from
``supertml.training.train._trainer``, with its callbacks: epoch seeder, metrics writer, best
and last checkpoints, progress bar), a callback runs, after every ``--block`` project steps,
as many steps of a bare loop: the same timm network, batch size, AdamW and normalisation in a
plain loop over a split already in memory, with its own copy of the network and optimiser,
under the project's numerics settings (deterministic algorithms on a CPU, which the job's
Trainer has switched on). Both blocks are timed in this process's CPU time (with one torch
thread, its host work) and in wall time.

Why blocks: on a shared VM the speed of a core drifts by up to 2x within minutes (another
process on the sibling thread, steal; bench/RESULTS.md issue 14), so rounds timed one after
the other scattered from 0.64 to 1.12 while the code stood still. Two neighbouring blocks of
ten steps see the same machine; the ratio of each pair is steady where the times are not.

``ratio`` = median over the pairs of (bare block time / project block time), i.e. project /
bare steps per second; also its quartiles, the same of wall times, and the milliseconds per
step. The first ``--warmup`` pairs of each epoch are left out.

``--floor`` adds the same measurement of a minimal LightningModule (the same network, batches
sliced from tensors in memory, no callbacks, no progress bar), in Lightning's automatic and in
its manual optimisation (the project's): Lightning's own per-step cost, below which no
training step of that kind goes.

``--compare SRC [SRC ...]`` runs this script in a fresh process per source tree, in turn,
``--repeats`` times (same machine, one after the other)::

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
from torch.utils.data import DataLoader, Dataset

import supertml
from supertml.training.callbacks import BestCheckpoint, EpochMetricsWriter
from supertml.training.data import ImageCacheDataModule
from supertml.training.model import ImageClassifier
from supertml.training.train import TrainSettings, _trainer

__all__ = ["main"]

Blocks = list[tuple[float, float, float, float]]  # per pair: project cpu, bare cpu, walls


def _clock() -> tuple[float, float]:
    return time.process_time(), time.perf_counter()


def _normalise(unit: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    return (unit.expand(-1, 3, -1, -1) - mean) / std


def _random_split(n: int, size: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` random uint8 images ``size`` px square and labels (35 % signal), in memory."""
    rng = np.random.default_rng(seed)
    images = torch.from_numpy(rng.integers(0, 200, (n, size, size), dtype=np.uint8))
    return images, torch.from_numpy((rng.random(n) < 0.35).astype(np.int64))


class BareLoop:
    """The plain training loop: ``steps(k)`` runs its next ``k`` steps."""

    def __init__(self, args: argparse.Namespace, n: int) -> None:
        torch.manual_seed(0)
        self.network = timm.create_model(args.model, pretrained=False, num_classes=2)
        self.network.train()
        self.optimizer = torch.optim.AdamW(self.network.parameters(), lr=1e-3, weight_decay=0.01)
        self.mean = torch.tensor(IMAGENET_DEFAULT_MEAN).view(1, 3, 1, 1)
        self.std = torch.tensor(IMAGENET_DEFAULT_STD).view(1, 3, 1, 1)
        self.images, self.labels = _random_split(n, args.size, seed=0)
        self.order = torch.randperm(n)
        self.batch_size = args.batch_size
        self.n_batches = n // args.batch_size
        self.done = 0

    def steps(self, k: int) -> None:
        for _ in range(k):
            start = (self.done % self.n_batches) * self.batch_size
            self.done += 1
            idx = self.order[start : start + self.batch_size]
            unit = self.images[idx].unsqueeze(1).float().div_(255.0)
            loss = F.cross_entropy(
                self.network(_normalise(unit, self.mean, self.std)), self.labels[idx]
            )
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            self.optimizer.step()


class Interleave(pl.Callback):
    """After every ``block`` training steps, ``block`` bare steps; both blocks timed."""

    def __init__(self, bare: BareLoop, block: int) -> None:
        self.bare = bare
        self.block = block
        self.pairs: Blocks = []
        self._start: tuple[float, float] | None = None
        self._steps = 0

    def on_train_batch_start(self, trainer: pl.Trainer, *args: Any) -> None:
        if self._start is None:
            self._start = _clock()

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        self._steps += 1
        if self._steps % self.block or self._start is None:
            return
        project_end = _clock()
        self.bare.steps(self.block)
        bare_end = _clock()
        self.pairs.append(
            (
                (project_end[0] - self._start[0]) / self.block,
                (bare_end[0] - project_end[0]) / self.block,
                (project_end[1] - self._start[1]) / self.block,
                (bare_end[1] - project_end[1]) / self.block,
            )
        )
        self._start = _clock()


def project_pairs(args: argparse.Namespace, cache: Path, work: Path, n: int) -> Blocks:
    """Block pairs over one epoch of the training job's Trainer, data module and model."""
    settings = TrainSettings(architecture=args.model, epochs=1, batch_size=args.batch_size)
    pl.seed_everything(0, verbose=False)
    data = ImageCacheDataModule(cache, cache, settings.batch_size, settings.seed)
    model = ImageClassifier(settings.architecture, **settings.model_arguments())
    interleave = Interleave(BareLoop(args, n), args.block)
    recorders = [
        EpochMetricsWriter(work / "metrics.csv"),
        BestCheckpoint(work / "checkpoints" / "best.ckpt", settings.monitor),
    ]
    trainer = _trainer(settings, work / "checkpoints", recorders, [interleave])
    trainer.limit_val_batches = 1  # validation is once per epoch, after the timed steps
    trainer.fit(model, datamodule=data)
    return interleave.pairs[args.warmup :]


class _Batches(Dataset[tuple[torch.Tensor, torch.Tensor]]):
    def __init__(self, args: argparse.Namespace, n: int) -> None:
        self.images, self.labels = _random_split(n, args.size, seed=1)
        self.batch_size = args.batch_size

    def __len__(self) -> int:
        return len(self.labels) // self.batch_size

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        rows = slice(i * self.batch_size, (i + 1) * self.batch_size)
        return self.images[rows], self.labels[rows]


class _MinimalModule(pl.LightningModule):
    """The bare loop's step as a LightningModule, and nothing else; ``manual``: in Lightning's
    manual optimisation, as the project's step."""

    def __init__(self, model: str, manual: bool) -> None:
        super().__init__()
        self.network = timm.create_model(model, pretrained=False, num_classes=2)
        self.register_buffer("mean", torch.tensor(IMAGENET_DEFAULT_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_DEFAULT_STD).view(1, 3, 1, 1))
        self.automatic_optimization = not manual

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> Any:
        images, labels = batch
        unit = images.unsqueeze(1).float().div_(255.0)
        loss = F.cross_entropy(self.network(_normalise(unit, self.mean, self.std)), labels)
        if self.automatic_optimization:
            return loss
        optimizer = self.optimizers()
        assert not isinstance(optimizer, list)
        optimizer.zero_grad()
        self.manual_backward(loss)
        optimizer.step()
        return loss

    def configure_optimizers(self) -> Any:
        return torch.optim.AdamW(self.parameters(), lr=1e-3, weight_decay=0.01)


def floor_pairs(args: argparse.Namespace, n: int, manual: bool) -> Blocks:
    """Block pairs over one epoch of a minimal LightningModule (Lightning's own cost)."""
    pl.seed_everything(0, verbose=False)
    interleave = Interleave(BareLoop(args, n), args.block)
    trainer = pl.Trainer(
        max_epochs=1,
        accelerator="cpu",
        deterministic=True,  # the project's numerics on a CPU
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        limit_val_batches=0,
        num_sanity_val_steps=0,
        callbacks=[interleave],
    )
    loader = DataLoader(_Batches(args, n), batch_size=None, shuffle=False)
    trainer.fit(_MinimalModule(args.model, manual), loader)
    return interleave.pairs[args.warmup :]


def summarise(rounds: list[Blocks]) -> dict[str, Any]:
    """Ratios and times per step of the block pairs of every round."""
    pairs = np.asarray([pair for blocks in rounds for pair in blocks])
    ratio = pairs[:, 1] / pairs[:, 0]
    return {
        "pairs": len(pairs),
        "ratio": round(float(np.median(ratio)), 3),
        "ratio_quartiles": [round(float(q), 3) for q in np.quantile(ratio, [0.25, 0.75])],
        "ratio_per_round": [
            round(float(np.median([b[1] / b[0] for b in blocks])), 3) for blocks in rounds
        ],
        "ratio_wall": round(float(np.median(pairs[:, 3] / pairs[:, 2])), 3),
        "project_cpu_ms_per_step": round(float(np.median(pairs[:, 0])) * 1e3, 3),
        "bare_cpu_ms_per_step": round(float(np.median(pairs[:, 1])) * 1e3, 3),
        "overhead_cpu_ms_per_step": round(float(np.median(pairs[:, 0] - pairs[:, 1])) * 1e3, 3),
    }


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """``args.rounds`` epochs of the project (and of the floor), each interleaved with bare."""
    torch.set_num_threads(args.threads)
    n = (args.steps + args.block) * args.batch_size
    project: list[Blocks] = []
    floors: dict[str, list[Blocks]] = {"automatic": [], "manual": []}
    with tempfile.TemporaryDirectory(prefix="supertml-bench-overhead-") as tmp:
        cache = synthetic_cache(Path(tmp) / "train.h5", n, args.size, seed=0)
        for round_ in range(args.rounds):
            project.append(project_pairs(args, cache, Path(tmp) / f"run{round_}", n))
            if args.floor:
                for kind, blocks in floors.items():
                    blocks.append(floor_pairs(args, n, manual=kind == "manual"))
    result: dict[str, Any] = {
        "supertml_src": str(Path(supertml.__file__).parents[1]),
        "model": args.model,
        "size": args.size,
        "batch_size": args.batch_size,
        "steps_per_round": args.steps,
        "block": args.block,
        "rounds": args.rounds,
        "threads": args.threads,
        "project": summarise(project),
    }
    if args.floor:
        result["lightning_floor"] = {kind: summarise(b) for kind, b in floors.items()}
    return result


def compare(args: argparse.Namespace) -> dict[str, Any]:
    """This script under each source tree in turn, ``args.repeats`` times, fresh processes."""
    runs: dict[str, list[dict[str, Any]]] = {src: [] for src in args.compare}
    forwarded = [
        *("--model", args.model, "--size", str(args.size)),
        *("--batch-size", str(args.batch_size), "--steps", str(args.steps)),
        *("--block", str(args.block), "--warmup", str(args.warmup)),
        *("--rounds", str(args.rounds), "--threads", str(args.threads)),
        *(["--floor"] if args.floor else []),
    ]
    for _ in range(args.repeats):
        for src in args.compare:
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
            runs[src].append(json.loads(line[-1]))
    summary = {}
    for src, results in runs.items():
        summary[src] = {
            "ratio_per_process": [r["project"]["ratio"] for r in results],
            "ratio_median": statistics.median(r["project"]["ratio"] for r in results),
            "overhead_cpu_ms_per_step": [r["project"]["overhead_cpu_ms_per_step"] for r in results],
        }
        if args.floor:
            for kind in ("automatic", "manual"):
                summary[src][f"lightning_floor_{kind}_per_process"] = [
                    r["lightning_floor"][kind]["ratio"] for r in results
                ]
    return {"summary": summary, "runs": runs}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark (or the comparison), print the numbers and return them."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="test_resnet", help="timm architecture")
    parser.add_argument("--size", type=int, default=8, help="image side in pixels")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--steps", type=int, default=600, help="project steps per round")
    parser.add_argument("--block", type=int, default=10, help="steps per timed block")
    parser.add_argument("--warmup", type=int, default=2, help="block pairs left out first")
    parser.add_argument("--rounds", type=int, default=2, help="epochs, each in its own Trainer")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--floor", action="store_true", help="also a minimal LightningModule")
    parser.add_argument("--compare", nargs="+", metavar="SRC", help="source trees to compare")
    parser.add_argument("--repeats", type=int, default=2, help="passes over the trees")
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
