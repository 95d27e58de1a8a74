"""The README's job table and GPU-hour plan of the full study are what the workflow says."""

from __future__ import annotations

import importlib.util

import pytest

from tests.workflow.helpers import REPO

pytestmark = pytest.mark.workflow


def _study_plan_module():  # bench/ is scripts, not a package
    spec = importlib.util.spec_from_file_location("study_plan", REPO / "bench/study_plan.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_holds_the_study_plan_of_the_shipped_config() -> None:
    study_plan = _study_plan_module()
    expected = study_plan.study_plan()
    documented = study_plan.readme_block((REPO / "README.md").read_text())
    assert documented == expected, (
        "README.md is stale: run `python bench/study_plan.py --write-readme`"
    )
    assert "| train_model | 54 | GPU node |" in documented  # 18 experiments x 3 seeds


def test_readme_holds_the_study_conditions_of_the_shipped_config() -> None:
    study_plan = _study_plan_module()
    documented = study_plan.readme_block(
        (REPO / "README.md").read_text(), study_plan.CONDITION_MARKERS
    )
    assert documented == study_plan.study_conditions(), (
        "README.md is stale: run `python bench/study_plan.py --write-readme`"
    )
    assert "| 8 | 8_senet50 | run8_pixels56_der_seresnet50 | 14 of 14 |" in documented
