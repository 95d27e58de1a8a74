"""Brightness / contrast jitter of event images (the study's run 4, REFERENCE.md section 5)."""

from __future__ import annotations

import math

import pytest
import torch

from supertml.training.augment import intensity_jitter


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def random_images(n: int = 64, seed: int = 0) -> torch.Tensor:
    return torch.rand((n, 1, 8, 8), generator=generator(seed))


def constant_images(value: float, n: int = 4000) -> torch.Tensor:
    return torch.full((n, 1, 2, 2), value)


def test_zero_ranges_return_the_images_unchanged() -> None:
    images = random_images()
    out = intensity_jitter(images, brightness=0.0, contrast=0.0, generator=generator(1))
    assert torch.equal(out, images)


def test_output_is_clamped_to_the_unit_interval() -> None:
    images = random_images(256)
    original = images.clone()
    out = intensity_jitter(images, brightness=1.0, contrast=0.9, generator=generator(1))
    assert out.dtype == images.dtype
    assert out.shape == images.shape
    assert out.min() >= 0.0
    assert out.max() <= 1.0
    # Ranges this wide push some pixels past both ends: the clamp is doing work.
    assert (out == 0).any()
    assert (out == 1).any()
    assert torch.equal(images, original)  # the input is not modified in place


def test_brightness_shifts_each_image_within_its_range() -> None:
    out = intensity_jitter(
        constant_images(0.5), brightness=0.3, contrast=0.0, generator=generator(2)
    )
    # Mid-grey is the contrast's fixed point, so what moves it is the shift alone, one per image.
    shift = out.flatten(1) - 0.5
    assert torch.equal(shift, shift[:, :1].expand_as(shift))
    shift = shift[:, 0]
    assert shift.abs().max() <= 0.3 + 1e-6
    # Uniform over the whole range: both ends nearly reached, centred on zero.
    assert shift.min() < -0.28
    assert shift.max() > 0.28
    assert abs(float(shift.mean())) < 0.02


def test_contrast_scales_about_mid_grey_within_its_range() -> None:
    out = intensity_jitter(
        constant_images(0.75), brightness=0.0, contrast=0.3, generator=generator(3)
    )
    scale = (out.flatten(1)[:, 0] - 0.5) / 0.25
    low, high = 1 - 0.3, 1 / (1 - 0.3)
    assert scale.min() >= low - 1e-5
    assert scale.max() <= high + 1e-5
    assert scale.min() < low + 0.02
    assert scale.max() > high - 0.02
    # Symmetric in log scale: darker and brighter contrasts equally likely.
    assert abs(float(scale.log().mean())) < 0.02
    assert abs(float((scale > 1).float().mean()) - 0.5) < 0.05


def test_channels_of_an_image_share_its_jitter() -> None:
    grey = random_images(16).expand(-1, 3, -1, -1)
    out = intensity_jitter(grey, brightness=0.2, contrast=0.2, generator=generator(4))
    assert torch.equal(out[:, 0], out[:, 1])
    assert torch.equal(out[:, 0], out[:, 2])


def test_same_seed_same_jitter_other_seed_other_jitter() -> None:
    images = random_images()
    first = intensity_jitter(images, brightness=0.2, contrast=0.2, generator=generator(5))
    again = intensity_jitter(images, brightness=0.2, contrast=0.2, generator=generator(5))
    other = intensity_jitter(images, brightness=0.2, contrast=0.2, generator=generator(6))
    assert torch.equal(first, again)
    assert not torch.equal(first, other)
    assert not torch.equal(first, images)


@pytest.mark.parametrize(
    ("brightness", "contrast", "message"),
    [
        (-0.1, 0.0, "brightness must be in"),
        (1.5, 0.0, "brightness must be in"),
        (math.nan, 0.0, "brightness must be in"),
        (0.0, -0.1, "contrast must be in"),
        (0.0, 1.0, "contrast must be in"),
    ],
)
def test_invalid_ranges_are_rejected(brightness: float, contrast: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        intensity_jitter(random_images(), brightness=brightness, contrast=contrast)
