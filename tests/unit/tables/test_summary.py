"""Paper vs study vs this run: the comparison table of the small data sets."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from supertml.published import PUBLISHED_ACCURACIES
from supertml.tables import COMPARISON_COLUMNS, comparison_frame, comparison_markdown
from supertml.tables.summary import method_of, reference_of

FACTS = {
    "iris": {
        "n_test": 30, "classes": ["a", "b", "c"],
        "train_class_counts": [40, 40, 40], "test_class_counts": [10, 10, 10],
    },
    "mine": {
        "n_test": 10, "classes": ["no", "yes"],
        "train_class_counts": [60, 20], "test_class_counts": [7, 3],
    },
}  # fmt: skip


def _record(table: str, model: str, shuffled: bool, seed: int, accuracy: float) -> dict[str, Any]:
    return {
        "table": table, "model": model, "shuffled_labels": shuffled, "seed": seed,
        "accuracy": accuracy,
    }  # fmt: skip


RECORDS = [
    _record("iris", "cnn", False, 0, 29 / 30),
    _record("iris", "cnn", False, 1, 1.0),
    _record("iris", "cnn", False, 2, 28 / 30),
    _record("iris", "cnn", True, 0, 0.3),
    _record("mine", "random_forest", False, 0, 0.8),
]


def test_the_study_and_paper_numbers_of_reference_md() -> None:
    iris, wine, adult = (
        PUBLISHED_ACCURACIES["iris"],
        PUBLISHED_ACCURACIES["wine"],
        PUBLISHED_ACCURACIES["adult"],
    )
    assert (iris["paper"]["cnn"].accuracy, iris["paper"]["gbt"].accuracy) == (0.9333, 0.9333)
    assert iris["study"]["cnn_shuffled"].accuracy == 0.23
    assert (wine["paper"]["cnn"].accuracy, wine["study"]["random_forest"].accuracy) == (
        0.9730,
        1.0,
    )
    assert "91.4" in wine["study"]["cnn"].what  # the two-stage result travels in the note
    assert adult["paper"]["gbt"].accuracy == 0.8732


def test_each_method_gets_mean_spread_and_published_numbers() -> None:
    frame = comparison_frame(RECORDS, FACTS, {"iris": "iris", "mine": None})
    assert list(frame.columns) == list(COMPARISON_COLUMNS)
    rows = frame.set_index(["table", "method"])
    cnn = rows.loc[("iris", "cnn")]
    values = np.array([29 / 30, 1.0, 28 / 30])
    assert cnn["accuracy_mean"] == pytest.approx(values.mean())
    assert cnn["accuracy_std"] == pytest.approx(values.std(ddof=1))
    assert (cnn["accuracy_min"], cnn["accuracy_max"], cnn["n_seeds"]) == (28 / 30, 1.0, 3)
    assert (cnn["paper"], cnn["study"]) == (0.9333, 0.967)
    # Published but not run here: shown, with no accuracy of ours.
    forest = rows.loc[("iris", "random_forest")]
    assert forest["n_seeds"] == 0
    assert np.isnan(forest["accuracy_mean"])
    assert forest["study"] == 0.967
    # A table without published numbers lists only what ran.
    assert list(rows.loc["mine"].index) == ["random_forest"]
    mine = rows.loc[("mine", "random_forest")]
    assert np.isnan(mine["accuracy_std"])  # one seed: no spread
    assert mine["chance"] == pytest.approx(0.7)
    guess = 0.75 * 0.7 + 0.25 * 0.3
    assert mine["guess"] == pytest.approx(guess)
    assert mine["guess_std"] == pytest.approx(np.sqrt(guess * (1 - guess) / 10))


def test_records_of_an_unknown_table_are_an_error() -> None:
    with pytest.raises(ValueError, match=r"tables \['other'\] without a split summary"):
        comparison_frame([_record("other", "cnn", False, 0, 1.0)], FACTS, {})


def test_method_names_mark_the_shuffled_control() -> None:
    assert method_of(_record("t", "gbt", True, 0, 0.5)) == "gbt_shuffled"
    assert method_of(_record("t", "cnn", False, 0, 0.5)) == "cnn"


def test_markdown_shows_percentages_spread_and_the_chance_levels() -> None:
    markdown = comparison_markdown(comparison_frame(RECORDS, FACTS, {"iris": "iris"}))
    assert (
        "| iris | CNN on text images (SuperTML) | 93.3 % (SuperTML) | 96.7 % (ResNet34, "
        "pretrained and from scratch) | 96.7 % ± 3.3 (3 seeds) |"
    ) in markdown
    assert "| iris | CNN, shuffled training labels | - | 23.0 % (ResNet34, shuffled labels) | " \
        "30.0 % |" in markdown  # fmt: skip
    assert "| iris | random forest | - | 96.7 % (random forest) | not run |" in markdown
    assert "- iris: 30 test rows, 3 classes; one row is 3.3 %." in markdown
    assert "guessing with the training class shares: 33.3 ± 8.6 %" in markdown


def test_reference_defaults_to_a_published_source() -> None:
    assert reference_of({"spec": {"source": "wine"}, "reference": None}) == "wine"
    assert reference_of({"spec": {"source": "csv"}, "reference": None}) is None
    assert reference_of({"spec": {"source": "csv"}, "reference": "adult"}) == "adult"
