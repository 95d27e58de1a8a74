"""The timm backbone factory and the classifier's input handling."""

from __future__ import annotations

from pathlib import Path

import pytest
import timm
import torch

from supertml.training import ImageClassifier, PretrainedWeightsError, create_backbone
from supertml.training.backbone import input_statistics


def test_backbone_has_two_outputs() -> None:
    model = create_backbone("test_resnet", pretrained=False)
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 2)


def test_unknown_architecture_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown timm model 'resnet_typo'"):
        create_backbone("resnet_typo", pretrained=False)


def test_local_weights_file_is_loaded(tmp_path: Path) -> None:
    source = timm.create_model("test_resnet", pretrained=False)
    weights = tmp_path / "weights.pth"
    torch.save(source.state_dict(), weights)
    model = create_backbone("test_resnet", pretrained=True, weights_file=weights)
    first_conv = next(name for name, _ in source.named_parameters() if "conv" in name)
    assert torch.equal(model.state_dict()[first_conv], source.state_dict()[first_conv])


def test_missing_weights_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PretrainedWeightsError, match="does not exist"):
        create_backbone("test_resnet", pretrained=True, weights_file=tmp_path / "nope.pth")


def test_failed_download_explains_how_to_work_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(*args: object, **kwargs: object) -> None:
        raise OSError("Network is unreachable")

    # Simulate the offline failure deterministically (the real download is never attempted).
    monkeypatch.setattr(timm, "create_model", offline)
    with pytest.raises(PretrainedWeightsError, match="weights_file") as info:
        create_backbone("legacy_seresnet50", pretrained=True)
    assert "Network is unreachable" in str(info.value)
    assert "pretrained: false" in str(info.value)


def test_forward_normalises_uint8_images_on_three_channels() -> None:
    model = ImageClassifier("test_resnet")
    seen: list[torch.Tensor] = []
    model.backbone.register_forward_pre_hook(lambda _m, args: seen.append(args[0]))
    images = torch.full((2, 16, 16), 255, dtype=torch.uint8)
    model(images)
    x = seen[0]
    assert x.shape == (2, 3, 16, 16)
    assert x.dtype == torch.float32
    # White pixels: (1 - mean) / std of each channel of the network's own pretrained config
    # (timm's test_resnet says 0.5 / 0.5; the study's networks ImageNet's, tested below).
    cfg = model.backbone.pretrained_cfg
    expected = (1 - torch.tensor(cfg["mean"])) / torch.tensor(cfg["std"])
    assert cfg["mean"] == (0.5, 0.5, 0.5)
    assert torch.allclose(x[0, :, 0, 0], expected, atol=1e-6)


@pytest.mark.parametrize("architecture", ["resnet34.tv_in1k", "legacy_seresnet50"])
def test_the_studys_networks_are_normalised_with_imagenet_statistics(architecture: str) -> None:
    network = create_backbone(architecture, pretrained=False, head="dense", dense_units=8)
    assert input_statistics(network) == ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
