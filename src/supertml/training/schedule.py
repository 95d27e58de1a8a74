"""Learning-rate schedules of the study's recipes: one-cycle, frozen then discriminative.

The study trained with fastai (2019): ``fit_one_cycle`` on the head with the backbone frozen,
then ``unfreeze()`` and ``fit_one_cycle`` again with ``slice(lo, hi)`` learning rates spread
over layer groups (REFERENCE.md section 5). Here both stages are one schedule over the steps of
one Lightning fit, so a run killed in either stage resumes from its checkpoint like any other:
the scheduler's state is just its step count.

One-cycle shape (Smith 2018, arXiv:1803.09820, as fastai's ``fit_one_cycle``): cosine warm-up
from ``peak / div`` to ``peak`` over the first ``pct_start`` of the steps, then cosine
annealing to ``peak / final_div``; Adam's beta1 cycles the other way, 0.95 -> 0.85 -> 0.95
(fastai's ``moms``), and beta2 is fastai v1's 0.99. A recipe may add more one-cycle phases
of all layers after the first ones (the study's run 8: 4 + 1 + 4 epochs; its from-scratch
run: two phases of 4), each with its own peaks, as a second ``fit_one_cycle`` call did.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

__all__ = [
    "BETA2",
    "DIV",
    "FINAL_DIV",
    "MOMENTUMS",
    "PCT_START",
    "StagedOneCycle",
    "discriminative_rates",
    "one_cycle_beta1",
    "one_cycle_lr",
]

#: fastai's fit_one_cycle defaults: 25 % warm-up, start at peak/25, end at peak/1e5.
PCT_START = 0.25
DIV = 25.0
FINAL_DIV = 1e5
#: fastai's one-cycle beta1 range (``moms=(0.95, 0.85)``): high while the rate is low.
MOMENTUMS = (0.95, 0.85)
#: fastai v1's Adam beta2 (its ``opt_func`` was ``Adam(betas=(0.9, 0.99))``).
BETA2 = 0.99


def _cosine(start: float, end: float, fraction: float) -> float:
    return end + (start - end) * (1.0 + math.cos(math.pi * fraction)) / 2.0


def one_cycle_lr(
    step: int,
    total_steps: int,
    peak: float,
    *,
    pct_start: float = PCT_START,
    div: float = DIV,
    final_div: float = FINAL_DIV,
) -> float:
    """Learning rate at ``step`` (0-based) of a one-cycle schedule of ``total_steps`` steps.

    >>> round(one_cycle_lr(0, 100, 1.0), 12) == 1.0 / 25
    True
    >>> one_cycle_lr(25, 100, 1.0)
    1.0
    """
    if total_steps < 1:
        raise ValueError(f"a one-cycle schedule needs at least one step, got {total_steps}")
    if not 0 <= step < total_steps:
        raise ValueError(f"step {step} outside the schedule's {total_steps} steps")
    warmup = max(1, round(pct_start * total_steps))
    if step < warmup:
        return _cosine(peak / div, peak, step / warmup)
    anneal = total_steps - warmup
    return _cosine(peak, peak / final_div, (step - warmup) / anneal) if anneal else peak


def one_cycle_beta1(
    step: int,
    total_steps: int,
    *,
    pct_start: float = PCT_START,
    moms: tuple[float, float] = MOMENTUMS,
) -> float:
    """Adam's beta1 at ``step`` of a one-cycle schedule: cosine from ``moms[0]`` down to
    ``moms[1]`` over the warm-up, then back up (fastai's ``fit_one_cycle``).

    >>> one_cycle_beta1(0, 100), one_cycle_beta1(25, 100), one_cycle_beta1(99, 100) > 0.949
    (0.95, 0.85, True)
    """
    if not 0 <= step < total_steps:
        raise ValueError(f"step {step} outside the schedule's {total_steps} steps")
    warmup = max(1, round(pct_start * total_steps))
    if step < warmup:
        return _cosine(moms[0], moms[1], step / warmup)
    anneal = total_steps - warmup
    return _cosine(moms[1], moms[0], (step - warmup) / anneal) if anneal else moms[1]


def discriminative_rates(peak: float, spread: float, n_groups: int) -> list[float]:
    """Peak rates of ``n_groups`` layer groups, geometric from ``peak / spread`` to ``peak``.

    fastai's ``slice(peak / spread, peak)``: the earliest layers (generic ImageNet features)
    move least, the head most.

    >>> discriminative_rates(1.0, 100.0, 3)
    [0.01, 0.1, 1.0]
    """
    if n_groups < 1:
        raise ValueError(f"need at least one layer group, got {n_groups}")
    if spread < 1:
        raise ValueError(f"lr_spread must be >= 1, got {spread}")
    if n_groups == 1:
        return [peak]
    return [peak / spread ** (1 - i / (n_groups - 1)) for i in range(n_groups)]


@dataclass(frozen=True)
class StagedOneCycle:
    """Per-group learning rates over a frozen stage followed by an unfrozen stage.

    ``group`` indexes the optimiser's parameter groups (:func:`supertml.training.model.
    parameter_groups` gives each layer group's batch-norm parameters a group of their own).

    - Steps ``[0, frozen_steps)``: groups in ``frozen_trainable`` (the head and the batch-norm
      parameters, as fastai's ``freeze`` with ``train_bn=True``) follow a one-cycle schedule
      peaking at ``frozen_peak``; every other group has rate 0.
    - Steps ``[frozen_steps, frozen_steps + unfrozen_steps)``: every group follows its own
      one-cycle schedule peaking at ``unfrozen_peaks[g]``.

    - Then each of ``later`` (``(steps, peaks)``, one peak per group) is one more one-cycle
      phase of every group.

    A single-stage recipe is ``frozen_steps == 0`` with equal peaks.
    """

    frozen_steps: int
    unfrozen_steps: int
    frozen_peak: float
    unfrozen_peaks: Sequence[float]
    frozen_trainable: frozenset[int]
    later: Sequence[tuple[int, Sequence[float]]] = ()

    def __post_init__(self) -> None:
        lengths = [self.frozen_steps, self.unfrozen_steps, *(steps for steps, _ in self.later)]
        if any(n < 0 for n in lengths):
            raise ValueError("stage lengths must be non-negative")
        if sum(lengths) < 1:
            raise ValueError("a schedule needs at least one step")

    @property
    def total_steps(self) -> int:
        """Steps of every stage."""
        return self.frozen_steps + self.unfrozen_steps + sum(steps for steps, _ in self.later)

    def is_frozen(self, step: int) -> bool:
        """Whether ``step`` falls in the frozen stage."""
        return step < self.frozen_steps

    def _phase(self, step: int) -> tuple[int, int, int]:
        """``(index, first step, steps)`` of the phase ``step`` falls in (0: frozen, 1: the
        first all-layers phase, 2...: ``later``); steps past the end count as the last."""
        step = min(step, self.total_steps - 1)
        start = 0
        lengths = [self.frozen_steps, self.unfrozen_steps, *(steps for steps, _ in self.later)]
        for index, steps in enumerate(lengths):
            if step < start + steps:
                return index, start, steps
            start += steps
        raise AssertionError("unreachable: step within total_steps")  # pragma: no cover

    def lr(self, group: int, step: int) -> float:
        """Learning rate of layer group ``group`` at ``step``.

        Steps past the end (Lightning may step the scheduler once after the last batch) keep
        the final rate.
        """
        step = min(step, self.total_steps - 1)
        index, start, steps = self._phase(step)
        if index == 0:
            if group not in self.frozen_trainable:
                return 0.0
            return one_cycle_lr(step - start, steps, self.frozen_peak)
        peaks = self.unfrozen_peaks if index == 1 else self.later[index - 2][1]
        return one_cycle_lr(step - start, steps, peaks[group])

    def beta1(self, step: int) -> float:
        """Adam's beta1 at ``step``: each phase cycles it as its own one-cycle schedule."""
        step = min(step, self.total_steps - 1)
        _, start, steps = self._phase(step)
        return one_cycle_beta1(step - start, steps)

    def lambdas(self, n_groups: int) -> list[Callable[[int], float]]:
        """One function per group for ``torch.optim.lr_scheduler.LambdaLR`` over groups whose
        initial ``lr`` is 1.0 (so the function's value is the absolute rate)."""
        return [partial(self.lr, g) for g in range(n_groups)]
