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


def test_a_cuda_build_that_ran_on_the_cpu_does_not_read_as_cuda_used() -> None:
    from supertml.reporting.page import _cuda_cell  # noqa: PLC0415 (one private rule)

    assert _cuda_cell({"cuda": None, "cudnn": None, "device": "CPU (x86_64)"}) == "-"
    assert (
        _cuda_cell({"cuda": "13.0", "cudnn": None, "device": "CPU (x86_64)"})
        == "not used (torch built for CUDA 13.0)"
    )
    assert _cuda_cell({"cuda": "13.0", "cudnn": 91002, "device": "NVIDIA H200"}) == "13.0 / 91002"
