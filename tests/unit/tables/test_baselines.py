"""Tree baselines by test accuracy, and the shuffled-label control falling to chance."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from supertml.tables import (
    BASELINE_MODELS,
    TableSpec,
    TabularSplits,
    accuracy,
    chance_level,
    fit_baseline,
    load_table,
    run_baselines,
)


@pytest.fixture(scope="module")
def iris() -> TabularSplits:
    return load_table(TableSpec(name="iris", source="iris"))


def test_random_forest_learns_iris(iris: TabularSplits) -> None:
    result = fit_baseline(iris, "random_forest", seed=0)
    assert result.accuracy > 0.85  # study: 96.7 % (REFERENCE.md section 5)
    assert (result.n_train, result.n_test, result.n_classes) == (120, 30, 3)
    assert result.chance == pytest.approx(1 / 3)
    assert result.accuracy == accuracy(iris.test_labels, result.predicted)


def test_shuffled_labels_fall_to_chance(iris: TabularSplits) -> None:
    control = fit_baseline(iris, "random_forest", seed=0, shuffled_labels=True)
    assert control.shuffled_labels
    assert control.accuracy < 0.6  # study: 23 %
    # The test labels were not shuffled: the real model still scores on the same rows.
    assert fit_baseline(iris, "random_forest", seed=0).accuracy > control.accuracy + 0.3


def test_run_baselines_order_and_records(iris: TabularSplits) -> None:
    results = run_baselines(iris, seed=1)
    assert [(r.model, r.shuffled_labels) for r in results] == [
        ("random_forest", False),
        ("random_forest", True),
        ("gbt", False),
        ("gbt", True),
    ]
    assert BASELINE_MODELS == ("random_forest", "gbt")
    gbt = results[2]
    assert gbt.accuracy > 0.85
    assert results[3].accuracy < 0.6
    assert gbt.to_dict() == {
        "table": "iris",
        "model": "gbt",
        "shuffled_labels": False,
        "seed": 1,
        "accuracy": gbt.accuracy,
        "chance": pytest.approx(1 / 3),
        "n_train": 120,
        "n_test": 30,
        "n_classes": 3,
    }


def test_seeded_fits_are_reproducible(iris: TabularSplits) -> None:
    first = fit_baseline(iris, "random_forest", seed=4, shuffled_labels=True)
    again = fit_baseline(iris, "random_forest", seed=4, shuffled_labels=True)
    other = fit_baseline(iris, "random_forest", seed=5, shuffled_labels=True)
    np.testing.assert_array_equal(first.predicted, again.predicted)
    assert first == again
    assert not np.array_equal(first.predicted, other.predicted)


def test_messy_table_with_missing_values_and_categories(adult_like: dict[str, Any]) -> None:
    splits = load_table(TableSpec.from_mapping(adult_like, name="adult"))
    for model in BASELINE_MODELS:
        result = fit_baseline(splits, model)
        assert result.predicted.shape == (3,)
        assert set(result.predicted) <= {0, 1}
        assert result.chance == pytest.approx(2 / 3)


def test_accuracy_and_chance_level() -> None:
    assert accuracy([0, 1, 2, 2], [0, 1, 1, 2]) == 0.75
    assert chance_level([0, 2, 2, 2]) == 0.75
    with pytest.raises(ValueError, match="equal, non-empty"):
        accuracy([0, 1], [0])
    with pytest.raises(ValueError, match="at least one label"):
        chance_level([])


def test_bad_arguments(iris: TabularSplits) -> None:
    with pytest.raises(ValueError, match="unknown baseline model 'svm'"):
        fit_baseline(iris, "svm")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="threads must be >= 1"):
        fit_baseline(iris, "gbt", threads=0)
