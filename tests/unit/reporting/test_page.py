"""The verdict page's note on data sets that cannot be compared with the paper."""

from __future__ import annotations

from supertml.reporting.page import dataset_note
from tests.unit.reporting.runs import SAMPLE_SPLITS


def test_the_sample_gets_a_not_comparable_note() -> None:
    note = dataset_note("sample", SAMPLE_SPLITS)
    assert note is not None
    assert "8,004-event sample" in note
    assert "582 public, 2620 private" in note
    assert "about 172 times fewer" in note  # 550000 / 3202
    assert "NOT comparable" in note


def test_full_data_gets_no_note_but_any_pseudo_test_set_does() -> None:
    assert dataset_note("higgsml", {"weight_scheme": "kaggle"}) is None
    note = dataset_note("kaggle_training", {"weight_scheme": "per_class", "splits": {}})
    assert note is not None
    assert "'kaggle_training'" in note
    assert "pseudo test set" in note
