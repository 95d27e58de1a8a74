"""One-cycle and staged learning-rate schedules (fastai's fit_one_cycle, REFERENCE.md section 5)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from supertml.training.schedule import (
    BETA2,
    DIV,
    FINAL_DIV,
    MOMENTUMS,
    StagedOneCycle,
    discriminative_rates,
    one_cycle_beta1,
    one_cycle_lr,
)

PEAK = 0.01


def curve(total: int, peak: float = PEAK) -> np.ndarray:
    return np.array([one_cycle_lr(step, total, peak) for step in range(total)])


def test_one_cycle_starts_at_a_25th_of_the_peak_and_peaks_at_a_quarter() -> None:
    rates = curve(100)
    assert rates[0] == pytest.approx(PEAK / DIV, rel=1e-12)
    assert int(np.argmax(rates)) == 25
    assert rates[25] == pytest.approx(PEAK, rel=1e-12)
    # Strictly up during the warm-up, strictly down afterwards.
    assert np.all(np.diff(rates[:26]) > 0)
    assert np.all(np.diff(rates[25:]) < 0)
    assert rates.min() > 0


def test_one_cycle_ends_near_the_peak_over_final_div() -> None:
    # The last step sits one step short of the end of the cosine, as in fastai: for a long
    # schedule that is the peak / 1e5 floor to within a fraction of a percent.
    rates = curve(10_000)
    assert rates[-1] == pytest.approx(PEAK / FINAL_DIV, rel=0.01)
    assert rates[-1] < rates[0] / 1000


def test_one_cycle_phases_are_half_cosines() -> None:
    # 200 steps: 50 of warm-up, 150 of annealing; half-way through each phase a cosine is at
    # the mean of its two ends.
    assert one_cycle_lr(25, 200, PEAK) == pytest.approx((PEAK / DIV + PEAK) / 2, rel=1e-12)
    assert one_cycle_lr(50, 200, PEAK) == pytest.approx(PEAK, rel=1e-12)
    assert one_cycle_lr(125, 200, PEAK) == pytest.approx((PEAK + PEAK / FINAL_DIV) / 2, rel=1e-12)


def test_one_cycle_scales_with_the_peak() -> None:
    np.testing.assert_allclose(curve(40, peak=3.0), 300 * curve(40, peak=0.01), rtol=1e-12)


def test_one_cycle_of_very_few_steps_is_defined() -> None:
    assert one_cycle_lr(0, 1, PEAK) == pytest.approx(PEAK / DIV)
    assert [one_cycle_lr(s, 2, PEAK) for s in range(2)] == pytest.approx([PEAK / DIV, PEAK])


@pytest.mark.parametrize(
    ("step", "total", "message"),
    [
        (0, 0, "at least one step"),
        (-1, 10, "outside the schedule's 10 steps"),
        (10, 10, "outside the schedule's 10 steps"),
    ],
)
def test_one_cycle_rejects_bad_steps(step: int, total: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        one_cycle_lr(step, total, PEAK)


def test_discriminative_rates_are_geometric_between_the_slice_ends() -> None:
    rates = discriminative_rates(1e-3, 100.0, 5)
    assert rates[0] == pytest.approx(1e-5, rel=1e-12)
    assert rates[-1] == pytest.approx(1e-3, rel=1e-12)
    ratios = np.array(rates[1:]) / np.array(rates[:-1])
    np.testing.assert_allclose(ratios, math.sqrt(10.0), rtol=1e-12)


def test_discriminative_rates_degenerate_cases() -> None:
    assert discriminative_rates(1e-3, 10.0, 1) == [1e-3]
    assert discriminative_rates(1e-3, 1.0, 3) == pytest.approx([1e-3] * 3, rel=1e-12)


@pytest.mark.parametrize(
    ("spread", "groups", "message"),
    [(10.0, 0, "at least one layer group"), (0.5, 3, "lr_spread must be >= 1")],
)
def test_discriminative_rates_reject_bad_arguments(
    spread: float, groups: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        discriminative_rates(1e-3, spread, groups)


# Five optimiser groups as ImageClassifier builds them for three layer groups: (body 0),
# (body 0 batch norm), (body 1), (body 1 batch norm), (head).
STAGED = StagedOneCycle(
    frozen_steps=8,
    unfrozen_steps=12,
    frozen_peak=1e-2,
    unfrozen_peaks=[1e-4, 1e-4, 1e-3, 1e-3, 1e-2],
    frozen_trainable=frozenset({1, 3, 4}),
)


def test_frozen_stage_trains_only_the_trainable_groups_on_one_cycle() -> None:
    for step in range(STAGED.frozen_steps):
        assert STAGED.is_frozen(step)
        for group in (0, 2):
            assert STAGED.lr(group, step) == 0.0
        for group in (1, 3, 4):
            assert STAGED.lr(group, step) == one_cycle_lr(step, 8, 1e-2)
    assert not STAGED.is_frozen(STAGED.frozen_steps)


def test_second_stage_restarts_a_one_cycle_per_group_peak() -> None:
    for step in range(STAGED.unfrozen_steps):
        for group, peak in enumerate(STAGED.unfrozen_peaks):
            assert STAGED.lr(group, 8 + step) == one_cycle_lr(step, 12, peak)
    # The restart: from the end of the frozen cycle back to a 25th of each group's peak.
    assert STAGED.lr(4, 8) == pytest.approx(1e-2 / DIV)
    assert STAGED.lr(0, 8) == pytest.approx(1e-4 / DIV)
    assert STAGED.lr(4, 7) > STAGED.lr(4, 8) < STAGED.lr(4, 9)  # annealed, then warming up


def test_steps_past_the_end_keep_the_final_rate() -> None:
    assert STAGED.total_steps == 20
    for group in range(5):
        final = STAGED.lr(group, 19)
        assert final > 0
        assert STAGED.lr(group, 20) == final
        assert STAGED.lr(group, 25) == final


def test_single_stage_is_no_frozen_steps() -> None:
    single = StagedOneCycle(
        frozen_steps=0,
        unfrozen_steps=30,
        frozen_peak=1e-2,
        unfrozen_peaks=[1e-2, 1e-2],
        frozen_trainable=frozenset(),
    )
    assert not single.is_frozen(0)
    for group in range(2):
        assert [single.lr(group, s) for s in range(30)] == [
            one_cycle_lr(s, 30, 1e-2) for s in range(30)
        ]


def test_lambdas_drive_torch_lambda_lr_to_the_absolute_rates() -> None:
    # ImageClassifier gives every optimiser group lr 1.0 so that LambdaLR's factor is the rate.
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(5)]
    optimizer = torch.optim.SGD([{"params": [p], "lr": 1.0} for p in params])
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, STAGED.lambdas(5))
    for step in range(STAGED.total_steps + 1):  # one step past the end, as Lightning may
        seen = [group["lr"] for group in optimizer.param_groups]
        assert seen == [STAGED.lr(g, step) for g in range(5)]
        optimizer.step()
        scheduler.step()


@pytest.mark.parametrize(
    ("frozen", "unfrozen", "message"),
    [(-1, 5, "non-negative"), (5, -1, "non-negative"), (0, 0, "at least one step")],
)
def test_staged_schedule_rejects_bad_stage_lengths(
    frozen: int, unfrozen: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        StagedOneCycle(frozen, unfrozen, 1e-3, [1e-3], frozenset())


def test_beta1_cycles_against_the_rate_as_fastai() -> None:
    betas = np.array([one_cycle_beta1(step, 200) for step in range(200)])
    assert betas[0] == 0.95
    assert int(np.argmin(betas)) == 50
    assert betas[50] == pytest.approx(0.85, rel=1e-12)
    assert np.all(np.diff(betas[:51]) < 0)
    assert np.all(np.diff(betas[50:]) > 0)
    assert betas[-1] == pytest.approx(0.95, abs=1e-4)
    # Low beta1 where the rate is high: the two cycles mirror each other.
    rates = curve(200)
    assert int(np.argmax(rates)) == int(np.argmin(betas))
    assert (BETA2, MOMENTUMS) == (0.99, (0.95, 0.85))


def test_extra_cycles_are_one_cycle_phases_of_their_own() -> None:
    # Run 8 in miniature: 4 frozen steps, 2 of all layers, then 4 more at other peaks.
    schedule = StagedOneCycle(
        frozen_steps=4, unfrozen_steps=2, frozen_peak=0.03, unfrozen_peaks=[1e-7, 1e-5],
        frozen_trainable=frozenset({1}), later=[(4, [1e-6, 3e-4])],
    )  # fmt: skip
    assert schedule.total_steps == 10
    assert [schedule.lr(0, s) for s in range(4)] == [0.0] * 4
    assert schedule.lr(1, 1) == pytest.approx(0.03, rel=1e-12)  # warm-up of 4 steps peaks at 1
    assert schedule.lr(1, 4) == pytest.approx(1e-5 / DIV, rel=1e-12)  # second phase starts
    assert schedule.lr(0, 6) == pytest.approx(1e-6 / DIV, rel=1e-12)  # third phase starts
    assert schedule.lr(1, 7) == pytest.approx(3e-4, rel=1e-12)  # and peaks a step later
    # beta1 restarts at 0.95 with every phase.
    assert [schedule.beta1(s) for s in (0, 4, 6)] == [0.95, 0.95, 0.95]
    assert schedule.beta1(7) == pytest.approx(0.85, rel=1e-12)
    assert schedule.lr(1, 50) == schedule.lr(1, 9)  # past the end: the last rate
