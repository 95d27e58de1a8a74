"""Small pieces that keep host work out of the training step (issue 14).

A small-image step on a GPU is launch-bound: whatever the host does per step besides
launching kernels slows the step down (bench/RESULTS.md, issue 14; bench/host_overhead.py
measures it without a GPU). These helpers replace per-step framework calls by cheaper
equivalents with the same numbers.
"""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["EpochMean", "on_device"]


class EpochMean:
    """The weighted mean ``sum(value * n) / sum(n)`` of a training epoch, kept on the device.

    The arithmetic of Lightning's ``self.log(name, value, on_epoch=True, batch_size=n)``
    (float32 running sum of ``value * n`` from 0, divided by the event count at the end), so
    the logged epoch mean is the same number, bit for bit, without Lightning's per-call work.
    No host synchronisation: the sum stays a device tensor until someone reads it.
    """

    def __init__(self) -> None:
        self.total: torch.Tensor | None = None
        self.count = 0

    def reset(self) -> None:
        """Forget the values added so far (a new epoch)."""
        self.total = None
        self.count = 0

    def add(self, value: torch.Tensor, n: int) -> None:
        """Add a batch's mean ``value`` (a 0-d tensor) over ``n`` events."""
        value = value.detach()
        if value.dtype not in (torch.float32, torch.float64):
            value = value.float()  # as Lightning: reduced in float32
        if self.total is None:
            self.total = torch.zeros((), dtype=value.dtype, device=value.device)
        self.total = self.total + value * n
        self.count += n

    def mean(self) -> torch.Tensor:
        """The mean so far (NaN before any value)."""
        if self.total is None or self.count == 0:
            return torch.tensor(float("nan"))
        count = torch.tensor(self.count, device=self.total.device)
        return self.total / count


def on_device(batch: Any, device: torch.device) -> bool:
    """Whether ``batch`` is a tuple or list of tensors that all live on ``device``."""
    if not isinstance(batch, tuple | list) or not batch:
        return False
    return all(isinstance(t, torch.Tensor) and t.device == device for t in batch)
