"""What a GPU job asks its scheduler for: memory from the images it holds, time from measured
GPU throughput, both growing when SLURM stopped an earlier attempt.

Requests are sized to the job so that small sites can run the default data and large images
still get what they need: a training job holds its whole training and validation split as
uint8 images in host memory (then on the GPU, see :mod:`supertml.training.data`), a scoring
job about one transfer of images at a time (:func:`supertml.training.predict.predict_caches`
streams). Run time is estimated from the images a job pushes through the network and the
throughput measured for that network on one H200 (:data:`THROUGHPUT`, bench/RESULTS.md and
shared REFERENCE.md section 7), times a safety factor for slower cards, so that an older GPU
still finishes in one attempt. An attempt that SLURM stops anyway (time limit, preemption,
out of memory) is retried by Snakemake with twice the time and half again the memory, and
resumes from its last epoch checkpoint.
"""

from __future__ import annotations

import errno
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import h5py

from supertml.config import recipe_epochs

__all__ = [
    "FRAMEWORK_MB",
    "GPU_SAFETY_FACTOR",
    "THROUGHPUT",
    "Throughput",
    "cache_image_bytes",
    "epoch_images",
    "prediction_memory_mb",
    "prediction_runtime_minutes",
    "runtime_minutes",
    "throughput",
    "training_memory_mb",
    "training_runtime_minutes",
]

#: Host memory of a GPU job before any images: Python, torch, timm, Lightning. The full-size
#: rehearsal (bench/RESULTS.md) peaked at 2.27 GB training on 0.78 GB of 56 px images and at
#: 2.44 GB scoring 600k of them, on CPU; the rest leaves room for CUDA's host-side libraries
#: on a GPU node (not measured here).
FRAMEWORK_MB: Final[int] = 3000

#: How much slower than the H200 of :data:`THROUGHPUT` a site's GPU may be and still finish a
#: job in its first attempt (an A100 is about 2x slower in bf16, a V100 about 4x).
GPU_SAFETY_FACTOR: Final[float] = 4.0

#: Fixed minutes of every GPU job: start-up, loading caches and weights, writing results.
JOB_OVERHEAD_MINUTES: Final[int] = 15


@dataclass(frozen=True)
class Throughput:
    """Images per second of one network at one image size on one H200, and where from."""

    train: float
    inference: float
    source: str


#: Measured throughputs by (timm architecture, image size), bench/RESULTS.md (issue 4) and
#: REFERENCE.md section 7. ``project``: the project's own training step or scoring path;
#: ``bare loop``: a bare timm loop, where the project's step was within a few percent of one
#: at 224 px. Batch sizes are the measurement's, not always the study's (SENet154: 64, the
#: study 20), so the study's own settings may run slower.
THROUGHPUT: Final[dict[tuple[str, int], Throughput]] = {
    # train_classifier, two-stage 4+4 on 200k events end to end (batch 512); scoring 100k
    ("legacy_seresnet50", 56): Throughput(12_448, 53_109, "project, end to end"),
    ("legacy_seresnet50", 224): Throughput(3_050, 11_200, "bare loop, bf16, batch 128"),
    # training step at batch 256; inference of a bare eager loop
    ("resnet34", 224): Throughput(8_763, 27_865, "project step, batch 256"),
    # training step at batch 64; predict_caches of 32,768 events
    ("legacy_senet154", 224): Throughput(513, 2_128, "project step, batch 64"),
}

#: Image sizes without a measurement take the measured rate of the same network at the nearest
#: size, scaled by pixel count to this power: FLOPs scale with the square of the side, but small
#: images are launch-bound (SE-ResNet50 runs 5.6x faster at 56 px than at 224 px, not 16x).
_SIZE_EXPONENT: Final[float] = math.log(5.6) / math.log(16.0)

#: Any other network: the slowest measured one, so that its requests err on the long side.
_UNKNOWN: Final[Throughput] = THROUGHPUT[("legacy_senet154", 224)]


def throughput(architecture: str, size: int) -> tuple[Throughput, str]:
    """The throughput to plan with for ``architecture`` at ``size`` px, and how it was found
    (``measured: <source>``, ``scaled from <size> px`` or ``unknown network: slowest
    measured``)."""
    base = architecture.split(".", maxsplit=1)[0]  # a pretrained tag such as resnet34.tv_in1k
    if (base, size) in THROUGHPUT:
        known = THROUGHPUT[(base, size)]
        return known, f"measured: {known.source}"
    sizes = [s for (arch, s) in THROUGHPUT if arch == base]
    if not sizes:
        return _UNKNOWN, "unknown network: slowest measured"
    nearest = min(sizes, key=lambda s: abs(math.log(s / size)))
    known = THROUGHPUT[(base, nearest)]
    factor = (nearest / size) ** (2 * _SIZE_EXPONENT)
    scaled = Throughput(known.train * factor, known.inference * factor, known.source)
    return scaled, f"scaled from {nearest} px"


def _image_shape(path: str | Path) -> tuple[int, ...]:
    # A cache not written yet (a dry run) must raise FileNotFoundError naming the input as
    # given: Snakemake then shows the request as <TBD> and evaluates it again once it exists.
    if not Path(path).is_file():
        raise FileNotFoundError(errno.ENOENT, "image cache not written yet", str(path))
    with h5py.File(path, "r") as handle:
        return tuple(int(n) for n in handle["images"].shape)


def cache_image_bytes(path: str | Path) -> int:
    """Bytes of the uint8 images of a cache once in memory (its HDF5 header, not its data)."""
    return math.prod(_image_shape(path))


def _round_up(megabytes: float, step: int = 500) -> int:
    return int(math.ceil(megabytes / step) * step)


def training_memory_mb(train_cache: str | Path, val_cache: str | Path, attempt: int = 1) -> int:
    """Host memory of a training job: both splits' images plus a quarter for batches and
    copies, plus :data:`FRAMEWORK_MB`; half as much again for every earlier attempt."""
    images = cache_image_bytes(train_cache) + cache_image_bytes(val_cache)
    need = FRAMEWORK_MB + 1.25 * images / 1e6
    return _round_up(need * (1 + 0.5 * (attempt - 1)))


def prediction_memory_mb(attempt: int = 1) -> int:
    """Host memory of a scoring job: one transfer of images (1 GiB), its decompression
    buffers and the scores, plus :data:`FRAMEWORK_MB`."""
    need = FRAMEWORK_MB + 2 * (1 << 30) / 1e6
    return _round_up(need * (1 + 0.5 * (attempt - 1)))


def runtime_minutes(
    *,
    architecture: str,
    size: int,
    train_images: int = 0,
    inference_images: int = 0,
    attempt: int = 1,
) -> int:
    """Minutes to request for a GPU job that trains on ``train_images`` and scores
    ``inference_images`` images: the H200 estimate times :data:`GPU_SAFETY_FACTOR`, plus
    :data:`JOB_OVERHEAD_MINUTES`, doubled for every earlier attempt."""
    rate, _ = throughput(architecture, size)
    seconds = train_images / rate.train + inference_images / rate.inference
    minutes = JOB_OVERHEAD_MINUTES + GPU_SAFETY_FACTOR * seconds / 60
    return int(math.ceil(minutes) * 2 ** (attempt - 1))


def _events(path: str | Path) -> int:
    return _image_shape(path)[0]


def _signal_events(path: str | Path) -> int:
    with h5py.File(path, "r") as handle:
        return int((handle["label"][()] == 1).sum())


def epoch_images(events: int, signal_events: int, signal_copies: int) -> int:
    """Images of one training epoch: every event, signal events ``signal_copies`` times."""
    return events + (signal_copies - 1) * signal_events


def training_runtime_minutes(
    experiment: Mapping[str, Any], train_cache: str | Path, val_cache: str | Path, attempt: int = 1
) -> int:
    """:func:`runtime_minutes` of training ``experiment`` (the resolved entry the train rule
    passes, with its ``encoding``, ``model`` and ``recipe``) on these caches.

    Counts every epoch at the full training rate (the frozen stage runs faster), each signal
    event ``signal_copies`` times, the range test's batches, and one validation pass per
    epoch.
    """
    recipe = experiment["recipe"]
    epochs = recipe_epochs(recipe)
    per_epoch = epoch_images(
        _events(train_cache), _signal_events(train_cache), int(recipe.get("signal_copies", 1))
    )
    range_test = (
        int(recipe["lr_find_steps"]) * int(recipe["batch_size"]) if recipe.get("lr_find") else 0
    )
    return runtime_minutes(
        architecture=experiment["model"]["architecture"],
        size=int(experiment["encoding"]["size"]),
        train_images=epochs * per_epoch + range_test,
        inference_images=epochs * _events(val_cache),
        attempt=attempt,
    )


def prediction_runtime_minutes(
    experiment: Mapping[str, Any], caches: Iterable[str | Path], attempt: int = 1
) -> int:
    """:func:`runtime_minutes` of scoring every event of ``caches`` with ``experiment``'s
    network, test-time-augmented copies included."""
    copies = 1 + int(experiment["recipe"].get("tta", 0))
    return runtime_minutes(
        architecture=experiment["model"]["architecture"],
        size=int(experiment["encoding"]["size"]),
        inference_images=copies * sum(_events(path) for path in caches),
        attempt=attempt,
    )
