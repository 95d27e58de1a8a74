"""The GPU-hour plan of a configured study."""

from __future__ import annotations

import pytest

from supertml.cluster.plan import FULL_DATA_EVENTS, SIGNAL_SHARE, plan_experiments, plan_markdown
from supertml.cluster.requests import THROUGHPUT
from supertml.config import load_config, validate_config
from tests.workflow.helpers import REPO


def test_one_experiment_by_hand() -> None:
    recipe = {"kind": "two_stage", "frozen_epochs": 4, "epochs": 4, "batch_size": 512,
              "signal_copies": 2, "tta": 1}  # fmt: skip
    config = validate_config(
        {
            "dataset": {"name": "x", "path": "x.csv"},
            "seeds": [0, 1],
            "encodings": {"p56": {"kind": "pixels", "size": 56}},
            "models": {"se": {"architecture": "legacy_seresnet50"}},
            "recipes": {"r": recipe},
            "experiments": {"e": {"encoding": "p56", "model": "se", "recipe": "r"}},
        }
    )
    (plan,) = plan_experiments(config)
    rate = THROUGHPUT[("legacy_seresnet50", 56)]
    per_epoch = 200_000 + round(SIGNAL_SHARE * 200_000)
    assert plan.epochs == 8
    assert plan.train_hours == pytest.approx(
        (8 * per_epoch / rate.train + 8 * 50_000 / rate.inference) / 3600
    )
    assert plan.predict_hours == pytest.approx(2 * 600_000 / rate.inference / 3600)
    assert plan.hours == pytest.approx(2 * (plan.train_hours + plan.predict_hours))
    assert sum(FULL_DATA_EVENTS.values()) == 800_000  # the u set is not used


def test_the_full_study_plan_lists_every_experiment() -> None:
    config = load_config(REPO / "config/higgsml.yaml")
    plans = plan_experiments(config)
    assert [p.experiment for p in plans] == list(config["experiments"])
    table = plan_markdown(plans)
    assert table.count("\n") == len(plans) + 2
    slowest = max(plans, key=lambda p: p.hours_per_seed)
    assert slowest.network == "legacy_senet154"
