"""Fetching pretrained weights once, to a file training then reads without a network."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import pytest
import timm
import torch

from supertml.training import weights
from supertml.training.backbone import PretrainedWeightsError, create_backbone
from supertml.training.weights import fetch_pretrained_weights, weights_host


@pytest.fixture
def empty_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No Hugging Face or torch hub cache: every weight must come over the network."""
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "torch_hub"))
    import huggingface_hub.constants  # noqa: PLC0415

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf"))


def test_the_weights_host_of_hub_and_url_hosted_networks(empty_caches: None) -> None:
    assert weights_host("test_resnet") == ("huggingface.co", False)
    assert weights_host("legacy_senet154") == ("github.com", False)
    with pytest.raises(PretrainedWeightsError, match="Invalid pretrained tag"):
        weights_host("resnet18d.not_a_tag")
    with pytest.raises(PretrainedWeightsError, match="no pretrained weights"):
        weights_host("no_such_network")


def test_offline_fails_at_once_naming_the_file_and_the_remedy(
    empty_caches: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # nobody listens there: as unreachable as a dead network
        probe.bind(("127.0.0.1", 0))
        host = f"127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setattr(weights, "weights_host", lambda architecture: (host, False))
    target = tmp_path / "resources/weights/legacy_senet154.safetensors"
    start = time.monotonic()
    with pytest.raises(PretrainedWeightsError) as error:
        fetch_pretrained_weights("legacy_senet154", target)
    assert time.monotonic() - start < 5
    message = str(error.value)
    assert str(target) in message
    assert "python -m supertml.training.weights legacy_senet154" in message
    assert "pretrained: false" in message
    assert not target.exists()


def test_fetched_weights_are_what_training_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_create = timm.create_model
    made: dict[str, torch.nn.Module] = {}

    def create(name: str, pretrained: bool = False, **kwargs: Any) -> torch.nn.Module:
        # Stands in for the download: random weights under the name asked for.
        if pretrained and not kwargs:
            made["model"] = real_create(name, pretrained=False)
            return made["model"]
        return real_create(name, pretrained=pretrained, **kwargs)

    monkeypatch.setattr(weights, "weights_host", lambda architecture: ("example.org", True))
    monkeypatch.setattr(timm, "create_model", create)
    target = fetch_pretrained_weights("test_resnet", tmp_path / "test_resnet.safetensors")
    monkeypatch.setattr(timm, "create_model", real_create)
    network = create_backbone("test_resnet", pretrained=True, weights_file=target, num_classes=2)
    fetched = made["model"].state_dict()
    loaded = network.state_dict()
    body = [k for k in loaded if not k.startswith("fc.")]
    assert body
    assert all(torch.equal(loaded[k], fetched[k]) for k in body)
    assert loaded["fc.weight"].shape[0] == 2  # the classifier adapted as for a download
