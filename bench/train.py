"""Benchmark (not a test): the project's training step against a bare PyTorch loop.

In one process, on one device, on the same synthetic image cache (written with
``supertml.encoding.write_image_cache`` into a temporary directory):

1. project: ``ImageCacheDataModule`` + ``ImageClassifier`` through the training job's own
   ``Trainer`` (``supertml.training.train._trainer``: its callbacks and precision), fitted for
   ``--warmup + --steps`` batches of the first epoch; the last ``--steps`` are timed (no
   validation, no checkpoints);
2. bare: the same timm model, batch size, AdamW and normalisation (uint8 -> three ImageNet-
   normalised channels on the device) in a plain loop over images already on the device; on a
   GPU with ``--precision bf16`` it uses bf16 autocast and channels_last, the ceiling the
   project should approach (DESIGN.md "Performance shape", REFERENCE.md section 7);
3. inference: ``predict_caches`` on the saved checkpoint over the whole cache (HDF5 read
   included) against bare forward passes over the same events already on the device, both in
   batches of ``--infer-batch-size``.

It prints images/second of each and the project/bare ratios.

Usage (CPU defaults, under 2 minutes on 2 cores)::

    .venv/bin/python bench/train.py    # test_resnet, 32 px, batch 64, 2,304 events

On a GPU (the study's three architectures)::

    python bench/train.py --model legacy_seresnet50 --size 56 --batch-size 512 \\
        --events 65536 --steps 100 --precision bf16
    python bench/train.py --model resnet34 --size 224 --batch-size 256 \\
        --events 16384 --steps 55 --precision bf16
    python bench/train.py --model legacy_senet154 --size 224 --batch-size 64 \\
        --events 4096 --steps 40 --precision bf16
"""

from __future__ import annotations

import argparse
import math
import platform
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pytorch_lightning as pl
import timm
import torch
from synthetic import print_result, synthetic_cache  # beside this script (on sys.path)
from timm.data import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from torch.nn import functional as F  # noqa: N812 - the conventional alias

from supertml.cluster.environment import no_slurm_probe_warning
from supertml.training import ImageClassifier, TrainSettings, predict_caches
from supertml.training.callbacks import BestCheckpoint, EpochMetricsWriter
from supertml.training.data import ImageCacheDataModule
from supertml.training.model import COMPILE_MODES, compile_mode
from supertml.training.train import _trainer

__all__ = ["main"]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class _StepTimer(pl.Callback):
    """Wall time from the start of batch ``warmup`` to the end of batch ``last`` (before the
    epoch-end work that a run cut short by max_steps still does: metrics, checkpoint)."""

    def __init__(self, warmup: int, last: int, device: torch.device) -> None:
        self.warmup = warmup
        self.last = last
        self.device = device
        self.start = 0.0
        self.elapsed = 0.0

    def on_train_batch_start(self, trainer: pl.Trainer, *args: Any) -> None:
        if trainer.global_step == self.warmup:
            _sync(self.device)
            self.start = time.perf_counter()

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        if trainer.global_step == self.last:
            _sync(self.device)
            self.elapsed = time.perf_counter() - self.start


def time_project(args: argparse.Namespace, cache: Path, device: torch.device, out: Path) -> float:
    """Images/second of the training job's own Trainer (``supertml.training.train._trainer``:
    its callbacks, progress bar and precision), data module and model; saves the checkpoint
    to ``out``. The timed steps fall inside the first epoch: no validation, no checkpoint."""
    settings = TrainSettings(
        architecture=args.model,
        epochs=1,
        batch_size=args.batch_size,
        learning_rate=1e-3,
        compile=args.compile_setting,
    )
    pl.seed_everything(0, verbose=False)
    data = ImageCacheDataModule(cache, cache, args.batch_size, seed=0)
    model = ImageClassifier(args.model, **settings.model_arguments())
    timer = _StepTimer(args.warmup, args.warmup + args.steps, device)
    work = out.parent / "project"
    recorders = [EpochMetricsWriter(work / "metrics.csv"), BestCheckpoint(work / "b.ckpt", "last")]
    trainer = _trainer(settings, work / "checkpoints", recorders, [timer])
    trainer.fit_loop.epoch_loop.max_steps = args.warmup + args.steps
    trainer.limit_val_batches = 0
    with no_slurm_probe_warning():
        trainer.fit(model, datamodule=data)
    trainer.save_checkpoint(out)
    return float(args.steps * args.batch_size / timer.elapsed)


def _normalise(images: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    # The same arithmetic as ImageClassifier.forward.
    x = images.unsqueeze(1).float().div_(255.0).expand(-1, 3, -1, -1)
    return (x - mean) / std


def time_bare(
    args: argparse.Namespace, images: np.ndarray, labels: np.ndarray, device: torch.device
) -> tuple[float, float]:
    """Images/second of a plain training loop and of plain inference, data on the device."""
    torch.manual_seed(0)
    bf16 = args.precision == "bf16"
    channels_last = bf16 and device.type == "cuda"
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model = timm.create_model(args.model, pretrained=False, num_classes=2)
    model = model.to(device).to(memory_format=memory_format)
    mode = compile_mode(args.compile_setting)
    network = torch.compile(model, mode=mode) if mode else model
    graphs = mode in ("reduce-overhead", "max-autotune")
    # Fused on CUDA, as the project's optimiser: the ratio then isolates the framework.
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=1e-3, weight_decay=0.01, fused=device.type == "cuda"
    )
    mean = torch.tensor(IMAGENET_DEFAULT_MEAN, device=device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_DEFAULT_STD, device=device).view(1, 3, 1, 1)
    x_all = torch.from_numpy(images).to(device)
    y_all = torch.from_numpy(labels.astype(np.int64)).to(device)
    n, batch = len(x_all), args.batch_size
    generator = torch.Generator(device=device).manual_seed(0)
    order = torch.randperm(n, device=device, generator=generator)

    def batch_indices(step: int) -> torch.Tensor:
        start = (step * batch) % max(n - batch + 1, 1)
        return order[start : start + batch]

    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16)
    model.train()
    start = 0.0
    for step in range(args.warmup + args.steps):
        if step == args.warmup:
            _sync(device)
            start = time.perf_counter()
        if graphs:
            torch.compiler.cudagraph_mark_step_begin()  # as ImageClassifier.mark_step
        idx = batch_indices(step)
        x = _normalise(x_all[idx], mean, std).contiguous(memory_format=memory_format)
        with autocast:
            loss = F.cross_entropy(network(x), y_all[idx])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()
    _sync(device)
    train_rate = args.steps * batch / (time.perf_counter() - start)

    if args.no_inference:
        return float(train_rate), math.nan
    # Inference as predict_caches does it: every event once, in order, in batches of
    # infer_batch_size; a first pass warms up, the second is timed.
    model.eval()
    with torch.inference_mode():
        for _ in range(2):
            _sync(device)
            start = time.perf_counter()
            for first in range(0, n, args.infer_batch_size):
                if graphs:
                    torch.compiler.cudagraph_mark_step_begin()
                x = _normalise(x_all[first : first + args.infer_batch_size], mean, std)
                with autocast:
                    logits = network(x.contiguous(memory_format=memory_format))
                torch.softmax(logits.float(), dim=1)[:, 1].cpu()
            _sync(device)
    infer_rate = n / (time.perf_counter() - start)
    return float(train_rate), float(infer_rate)


def time_project_inference(checkpoint: Path, cache: Path, batch_size: int, n: int) -> float:
    """Images/second of ``predict_caches`` over the cache (HDF5 read included), second pass."""
    threads = torch.get_num_threads()
    predict_caches(checkpoint, {"train": cache}, batch_size=batch_size, threads=threads)
    start = time.perf_counter()
    predict_caches(checkpoint, {"train": cache}, batch_size=batch_size, threads=threads)
    return n / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print a table and return the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="test_resnet", help="timm architecture")
    parser.add_argument("--size", type=int, default=32, help="image side in pixels")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--events", type=int, default=2304, help="events in the cache")
    parser.add_argument("--infer-batch-size", type=int, default=1024)
    parser.add_argument("--steps", type=int, default=30, help="timed batches")
    parser.add_argument("--warmup", type=int, default=5, help="untimed batches first")
    parser.add_argument(
        "--precision",
        choices=("auto", "32", "bf16"),
        default="auto",
        help="auto: bf16 on a GPU, fp32 on CPU (as supertml.training.train)",
    )
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument(
        "--compile", action="store_true", help="torch.compile the network (project and bare)"
    )
    parser.add_argument(
        "--compile-mode",
        choices=COMPILE_MODES,
        help="torch.compile in this mode (implies --compile); reduce-overhead: CUDA graphs",
    )
    parser.add_argument(
        "--no-inference", action="store_true", help="time training only (shorter GPU checks)"
    )
    args = parser.parse_args(argv)
    args.compile_setting = args.compile_mode or args.compile
    if args.events < (args.warmup + args.steps) * args.batch_size:
        parser.error("--events must hold --warmup + --steps batches (the timed steps in one epoch)")

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if args.precision == "auto":
        args.precision = "bf16" if device.type == "cuda" else "32"
    if args.threads:
        torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory(prefix="supertml-bench-train-") as tmp:
        cache = synthetic_cache(Path(tmp) / "train.h5", args.events, args.size, seed=0)
        checkpoint = Path(tmp) / "model.ckpt"
        project = time_project(args, cache, device, checkpoint)
        project_infer = (
            math.nan
            if args.no_inference
            else time_project_inference(checkpoint, cache, args.infer_batch_size, args.events)
        )
        # Same arrays as the cache holds (same seed), without the HDF5 round trip.
        rng = np.random.default_rng(0)
        labels = (rng.random(args.events) < 0.35).astype(np.int8)
        images = rng.integers(0, 100, size=(args.events, args.size, args.size), dtype=np.uint8)
        bare, bare_infer = time_bare(args, images, labels, device)

    result = {
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "cpu_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "lightning": version("pytorch-lightning"),
        "model": args.model,
        "size": args.size,
        "batch_size": args.batch_size,
        "events": args.events,
        "steps": args.steps,
        "precision": args.precision,
        "compile": args.compile_setting,
        "train_img_per_s_project": round(project, 1),
        "train_img_per_s_bare": round(bare, 1),
        "train_ratio_project_over_bare": round(project / bare, 3),
        "infer_img_per_s_project_predict_caches": round(project_infer, 1),
        "infer_img_per_s_bare": round(bare_infer, 1),
        "infer_ratio_project_over_bare": round(project_infer / bare_infer, 3),
    }
    # Not measured (--no-inference) is null in the JSON, not NaN.
    result = {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in result.items()}
    print_result(result)
    return result


if __name__ == "__main__":
    main()
