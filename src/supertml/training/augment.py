"""Intensity augmentation of event images, on the device that holds them.

The study's run 4 added fastai's brightness/contrast ("lighting") transforms to the pixel
encoding (REFERENCE.md section 5, row 4). Geometric transforms (flips, crops, rotations) are
not offered: a pixel's position says which feature it is, so moving it changes the event.

Brightness and contrast act on intensities in [0, 1], as fastai's lighting transforms do
(``brightness``: a shift, ``contrast``: a scale about mid-grey), per image, then clamp.
"""

from __future__ import annotations

import torch

__all__ = ["intensity_jitter"]


def intensity_jitter(
    images: torch.Tensor,
    *,
    brightness: float,
    contrast: float,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Randomly shift brightness and scale contrast of each image ``[N, C, H, W]`` in [0, 1].

    Per image: ``x' = clamp((x - 0.5) * c + 0.5 + b, 0, 1)`` with ``b ~ U(-brightness,
    brightness)`` and ``log c ~ U(log(1 - contrast), -log(1 - contrast))`` (a symmetric range
    of scale factors, so darker and brighter contrasts are equally likely). Zero ranges leave
    the images untouched. Random numbers come from ``generator`` (or torch's global generator
    of the images' device, which the training loop seeds per epoch), on the images' device.
    """
    if not 0 <= brightness <= 1:
        raise ValueError(f"brightness must be in [0, 1], got {brightness}")
    if not 0 <= contrast < 1:
        raise ValueError(f"contrast must be in [0, 1), got {contrast}")
    if brightness == 0 and contrast == 0:
        return images
    n = images.shape[0]
    shape = (n,) + (1,) * (images.dim() - 1)
    draws = torch.rand((2, *shape), generator=generator, device=images.device)
    shift = (draws[0] * 2 - 1) * brightness
    log_range = -torch.log1p(torch.tensor(-contrast, device=images.device))
    scale = torch.exp((draws[1] * 2 - 1) * log_range)
    jittered = (images - 0.5) * scale.to(images.dtype) + 0.5 + shift.to(images.dtype)
    return jittered.clamp_(0.0, 1.0)
