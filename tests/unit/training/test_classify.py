"""Class probabilities of a trained multi-class checkpoint on a cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from supertml.encoding import read_image_cache, write_image_cache
from supertml.training import TrainSettings, train_classifier
from supertml.training.classify import ClassPredictions, class_probabilities, predict_classes
from supertml.training.model import load_classifier

SIZE = 12
N_CLASSES = 3


def _three_class_cache(path: Path, subset: str, n: int, seed: int) -> Path:
    """Class k is bright in the k-th horizontal band of the image (plus noise)."""
    rng = np.random.default_rng(seed)
    label = np.arange(n) % N_CLASSES
    images = rng.integers(0, 40, size=(n, SIZE, SIZE), dtype=np.uint8)
    band = SIZE // N_CLASSES
    for k in range(N_CLASSES):
        images[label == k, k * band : (k + 1) * band] += 200
    write_image_cache(
        path,
        images=images,
        label=label,
        weight=np.ones(n),
        event_id=np.arange(n, dtype=np.int64) + 100 * seed,
        subset=np.full(n, subset),
        encoding={"kind": "synthetic", "size": SIZE},
        feature_order=["a", "b", "c"],
        num_classes=N_CLASSES,
    )
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("classify")
    train = _three_class_cache(root / "train.h5", "train", 96, seed=0)
    val = _three_class_cache(root / "val.h5", "val", 30, seed=1)
    settings = TrainSettings(
        architecture="test_resnet",
        num_classes=N_CLASSES,
        epochs=3,
        batch_size=16,
        learning_rate=0.01,
        seed=0,
    )
    checkpoint = train_classifier(settings, train_cache=train, val_cache=val, out_dir=root / "run")
    return {"checkpoint": checkpoint, "val": val, "root": root}


def test_probabilities_of_every_event_sum_to_one_and_beat_chance(
    trained: dict[str, Path],
) -> None:
    result = predict_classes(trained["checkpoint"], trained["val"], batch_size=7)
    assert result.probabilities.shape == (30, N_CLASSES)
    np.testing.assert_allclose(result.probabilities.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_array_equal(result.event_id, np.arange(30) + 100)
    np.testing.assert_array_equal(result.label, np.arange(30) % N_CLASSES)
    # Bright bands are easy: the network must do far better than a third.
    assert np.mean(result.predicted == result.label) > 0.6
    # Batching does not change the numbers.
    whole = predict_classes(trained["checkpoint"], trained["val"], batch_size=256)
    np.testing.assert_allclose(whole.probabilities, result.probabilities, atol=1e-6)


def test_probabilities_equal_the_softmax_of_the_model(trained: dict[str, Path]) -> None:
    result = predict_classes(trained["checkpoint"], trained["val"])
    model = load_classifier(trained["checkpoint"], torch.device("cpu")).eval()
    images = torch.from_numpy(_images(trained["val"]))
    with torch.inference_mode():
        expected = torch.softmax(model(images), dim=1).double().numpy()
    np.testing.assert_allclose(result.probabilities, expected, atol=1e-6)


def _images(path: Path) -> np.ndarray:
    cache = read_image_cache(path)
    assert cache.images is not None
    return cache.images


def test_test_time_augmentation_averages_jittered_copies(trained: dict[str, Path]) -> None:
    model = load_classifier(trained["checkpoint"], torch.device("cpu")).eval()
    images = torch.from_numpy(_images(trained["val"]))
    with torch.inference_mode():
        plain = class_probabilities(model, images)
        model.hparams["tta"] = 2
        first = class_probabilities(model, images, torch.Generator().manual_seed(5))
        again = class_probabilities(model, images, torch.Generator().manual_seed(5))
    torch.testing.assert_close(first, again)
    torch.testing.assert_close(first.sum(dim=1), torch.ones(len(images)))
    assert not torch.allclose(first, plain)


def test_frame_names_the_class_columns() -> None:
    predictions = ClassPredictions(
        event_id=np.array([7, 8]),
        label=np.array([0, 2]),
        probabilities=np.array([[0.7, 0.2, 0.1], [0.1, 0.5, 0.4]]),
    )
    frame = predictions.to_frame(["setosa", "versicolor", "virginica"])
    assert list(frame.columns) == [
        "event_id", "label", "predicted", "p_setosa", "p_versicolor", "p_virginica",
    ]  # fmt: skip
    assert frame["predicted"].tolist() == [0, 1]
    with pytest.raises(ValueError, match="2 class names given for a 3-class model"):
        predictions.to_frame(["a", "b"])
    with pytest.raises(ValueError, match="probabilities must be"):
        ClassPredictions(np.array([1]), np.array([0]), np.array([0.5, 0.5]))


def test_cache_with_more_classes_than_the_model_is_refused(
    trained: dict[str, Path], tmp_path: Path
) -> None:
    rng = np.random.default_rng(0)
    wider = tmp_path / "five.h5"
    write_image_cache(
        wider,
        images=rng.integers(0, 255, size=(10, SIZE, SIZE), dtype=np.uint8),
        label=np.arange(10) % 5,
        weight=np.ones(10),
        event_id=np.arange(10),
        subset=np.full(10, "val"),
        encoding={"kind": "synthetic"},
        feature_order=["a"],
        num_classes=5,
    )
    with pytest.raises(ValueError, match=r"holds 5 classes but the model .* only 3"):
        predict_classes(trained["checkpoint"], wider)
