"""What GPU jobs ask their scheduler for, from the images they hold and measured throughput."""

from __future__ import annotations

import math
from pathlib import Path

import h5py
import pytest

from supertml.cluster import requests
from supertml.cluster.requests import (
    THROUGHPUT,
    prediction_memory_mb,
    prediction_runtime_minutes,
    runtime_minutes,
    throughput,
    training_memory_mb,
    training_runtime_minutes,
)
from tests.unit.training.conftest import SIZE, make_cache

EXPERIMENT = {
    "model": {"architecture": "legacy_seresnet50"},
    "encoding": {"size": 56},
    "recipe": {"frozen_epochs": 4, "epochs": 4, "batch_size": 512, "lr_find": False,
               "lr_find_steps": 100, "signal_copies": 2, "tta": 0},
}  # fmt: skip


@pytest.fixture(scope="module")
def caches(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("caches")
    # make_cache labels every second event signal.
    return {
        "train": make_cache(root / "train.h5", "train", 1000, 0),
        "val": make_cache(root / "val.h5", "val", 400, 1),
    }


def test_measured_throughput_is_used_as_measured() -> None:
    rate, basis = throughput("legacy_seresnet50", 56)
    assert (rate, basis) == (THROUGHPUT[("legacy_seresnet50", 56)], "measured: project, end to end")
    tagged, _ = throughput("resnet34.tv_in1k", 224)  # the pretrained tag does not matter
    assert tagged == THROUGHPUT[("resnet34", 224)]


def test_other_sizes_scale_from_the_nearest_measured_one() -> None:
    rate, basis = throughput("legacy_senet154", 56)
    assert basis == "scaled from 224 px"
    measured = THROUGHPUT[("legacy_senet154", 224)]
    # SE-ResNet50's measured 224 -> 56 px speed-up (5.6x) carried over.
    assert rate.train == pytest.approx(measured.train * 5.6)
    assert rate.inference == pytest.approx(measured.inference * 5.6)


def test_an_unknown_network_plans_with_the_slowest_measured_one() -> None:
    rate, basis = throughput("convnext_xxlarge", 224)
    assert rate == THROUGHPUT[("legacy_senet154", 224)]
    assert basis.startswith("unknown network")


def test_runtime_is_the_safety_factor_times_the_estimate_doubled_per_retry() -> None:
    rate = THROUGHPUT[("resnet34", 224)]
    seconds = 1_000_000 / rate.train + 200_000 / rate.inference
    expected = math.ceil(15 + 4 * seconds / 60)
    minutes = [
        runtime_minutes(architecture="resnet34", size=224, train_images=1_000_000,
                        inference_images=200_000, attempt=a)
        for a in (1, 2, 3)
    ]  # fmt: skip
    assert minutes == [expected, 2 * expected, 4 * expected]


def test_training_runtime_counts_epochs_signal_copies_and_validation(
    caches: dict[str, Path],
) -> None:
    minutes = training_runtime_minutes(EXPERIMENT, caches["train"], caches["val"])
    # 8 epochs of 1000 events with their 500 signal events twice, 8 validation passes of 400.
    expected = runtime_minutes(
        architecture="legacy_seresnet50", size=56, train_images=8 * 1500,
        inference_images=8 * 400,
    )  # fmt: skip
    assert minutes == expected
    with_range_test = {**EXPERIMENT, "recipe": {**EXPERIMENT["recipe"], "lr_find": True}}
    assert training_runtime_minutes(with_range_test, caches["train"], caches["val"]) == (
        runtime_minutes(architecture="legacy_seresnet50", size=56,
                        train_images=8 * 1500 + 100 * 512, inference_images=8 * 400)
    )  # fmt: skip


def test_prediction_runtime_counts_test_time_augmented_copies(caches: dict[str, Path]) -> None:
    augmented = {**EXPERIMENT, "recipe": {**EXPERIMENT["recipe"], "tta": 2}}
    scored = [caches["train"], caches["val"]]
    assert prediction_runtime_minutes(augmented, scored) == runtime_minutes(
        architecture="legacy_seresnet50", size=56, inference_images=3 * 1400
    )


def test_training_memory_is_the_images_plus_the_framework(caches: dict[str, Path]) -> None:
    images = 1400 * SIZE * SIZE
    need = requests.FRAMEWORK_MB + 1.25 * images / 1e6
    assert training_memory_mb(caches["train"], caches["val"]) == math.ceil(need / 500) * 500
    assert training_memory_mb(caches["train"], caches["val"], attempt=3) == (
        math.ceil(2 * need / 500) * 500
    )


def test_full_size_requests_fit_the_data(tmp_path: Path) -> None:
    # Caches of the full data's shape: only the header is read, so nothing is written.
    shapes = {"train": (200_000, 224, 224), "val": (50_000, 224, 224)}
    for name, shape in shapes.items():
        with h5py.File(tmp_path / f"{name}.h5", "w") as handle:
            handle.create_dataset("images", shape=shape, dtype="uint8", chunks=(83, 224, 224))
    # 12.5 GB of images: about 19 GB asked for, where the old flat request was 32 GB.
    assert training_memory_mb(tmp_path / "train.h5", tmp_path / "val.h5") == 19_000
    # Scoring streams a transfer at a time, whatever the size of the test set.
    assert prediction_memory_mb() == 5500
    assert prediction_memory_mb(attempt=2) == 8000


def test_a_cache_not_written_yet_raises_what_snakemake_shows_as_tbd(tmp_path: Path) -> None:
    missing = str(tmp_path / "images/train.h5")
    with pytest.raises(FileNotFoundError) as error:
        training_memory_mb(missing, missing)
    assert error.value.filename == missing  # Snakemake matches it against the job's inputs
