"""timm networks with the study's heads, and their parameters split for staged training.

Heads (REFERENCE.md section 5, "Training recipe"):

- ``output``: timm's own classifier layer replaced by a ``num_classes`` output layer - what the
  SuperTML paper's authors said they did;
- ``dense``: the study's two dense layers, fastai's ``create_head`` of 2019: concatenated
  average and max pooling, then BatchNorm, Dropout(0.25), Linear(2 * features, units), ReLU,
  BatchNorm, Dropout(0.5), Linear(units, num_classes);
- ``concat_linear``: fastai's head with ``lin_ftrs=[], bn_final=False, ps=[0]`` (the study's
  runs 9 and DL): concatenated pooling, BatchNorm, Linear(2 * features, num_classes).

Layer groups, for discriminative learning rates: with three groups and a network that has a
``layer3`` stage (ResNets, the SE-nets), fastai's split - everything before ``layer3`` | from
``layer3`` to the pooling | the head (the study's ``split_on=lambda m: (m[0][3], m[1])``);
otherwise the backbone's parameters, in registration order, cut into ``n - 1`` contiguous
groups of about equal size, and the head as the last group. Each layer group's batch-norm
parameters form an optimiser group of their own, because they keep training while the rest of
the backbone is frozen (fastai's ``train_bn=True``).

Input statistics come from the network's own pretrained config (``pretrained_cfg`` mean and
std), ImageNet's where it gives none (:func:`input_statistics`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import timm
import torch
from timm.data import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from torch import nn

__all__ = [
    "HEADS",
    "NAMED_ARCHITECTURES",
    "DenseHeadNet",
    "ParameterGroup",
    "PretrainedWeightsError",
    "create_backbone",
    "head_parameters",
    "input_statistics",
    "parameter_groups",
]

Head = Literal["output", "dense", "concat_linear"]
HEADS: Final[tuple[str, ...]] = ("output", "dense", "concat_linear")

#: The study's three networks (REFERENCE.md section 5) under the timm names of the weights it
#: used: torchvision's ResNet34 and Cadene's pretrainedmodels SE-ResNet50 / SENet154, which
#: timm keeps as ``legacy_*``.
NAMED_ARCHITECTURES: Final[dict[str, str]] = {
    "resnet34": "resnet34",
    "se_resnet50": "legacy_seresnet50",
    "senet154": "legacy_senet154",
}

#: fastai create_head's dropout before each dense layer, and the hidden width.
DENSE_DROPOUT: Final[tuple[float, float]] = (0.25, 0.5)


class PretrainedWeightsError(RuntimeError):
    """Pretrained weights were asked for but could not be obtained."""


class DenseHeadNet(nn.Module):
    """A pooled timm feature extractor (``body``) followed by one of the study's fastai heads:
    the two dense layers (``units`` wide), or with ``units=None`` BatchNorm and one Linear."""

    def __init__(
        self, body: nn.Module, n_features: int, units: int | None, num_classes: int
    ) -> None:
        super().__init__()
        self.body = body
        if units is None:
            self.head = nn.Sequential(
                nn.BatchNorm1d(n_features), nn.Linear(n_features, num_classes)
            )
            return
        self.head = nn.Sequential(
            nn.BatchNorm1d(n_features),
            nn.Dropout(DENSE_DROPOUT[0]),
            nn.Linear(n_features, units),
            nn.ReLU(inplace=True),
            nn.BatchNorm1d(units),
            nn.Dropout(DENSE_DROPOUT[1]),
            nn.Linear(units, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.head(self.body(x))
        return logits


def _timm_model(
    architecture: str, *, pretrained: bool, weights_file: str | Path | None, **kwargs: Any
) -> nn.Module:
    # is_model takes tagged names too ("resnet34.tv_in1k": torchvision's weights, the study's).
    if not timm.is_model(architecture):
        raise ValueError(f"unknown timm model {architecture!r} (see timm.list_models())")
    overlay: dict[str, Any] | None = None
    if weights_file is not None:
        if not pretrained:
            raise ValueError(f"weights_file {weights_file} given but pretrained is false")
        path = Path(weights_file)
        if not path.is_file():
            raise PretrainedWeightsError(f"weights_file {path} does not exist")
        overlay = {"file": str(path)}
    try:
        model: nn.Module = timm.create_model(
            architecture, pretrained=pretrained, pretrained_cfg_overlay=overlay, **kwargs
        )
    except (OSError, RuntimeError, ValueError) as exc:
        if not pretrained:
            raise
        raise PretrainedWeightsError(
            f"could not load pretrained ImageNet weights for {architecture!r}: {exc}\n"
            "Without internet, download the weights elsewhere (e.g. timm.create_model("
            f"'{architecture}', pretrained=True) and torch.save of its state_dict), copy the "
            "file here and name it in the model's `weights_file`; or set `pretrained: false` "
            "to train from scratch. For Hugging Face hosted weights set HF_HUB_OFFLINE=1 to "
            "fail fast instead of retrying."
        ) from exc
    return model


def create_backbone(
    architecture: str,
    *,
    pretrained: bool,
    weights_file: str | Path | None = None,
    num_classes: int = 2,
    head: Head = "output",
    dense_units: int = 512,
) -> nn.Module:
    """Build a timm model ending in a ``num_classes`` head (see the module docstring).

    Pretrained ImageNet weights come through timm's normal mechanism (a download into the
    Torch / Hugging Face cache), or from ``weights_file`` for machines without internet, in
    which case timm adapts the classifier exactly as for a download.

    >>> model = create_backbone("test_resnet", pretrained=False, head="dense", dense_units=8)
    >>> model.eval()(torch.zeros(1, 3, 32, 32)).shape
    torch.Size([1, 2])
    """
    if head not in HEADS:
        raise ValueError(f"unknown head {head!r}; choose one of {HEADS}")
    if head == "output":
        return _timm_model(
            architecture, pretrained=pretrained, weights_file=weights_file, num_classes=num_classes
        )
    body = _timm_model(
        architecture,
        pretrained=pretrained,
        weights_file=weights_file,
        num_classes=0,
        global_pool="catavgmax",
    )
    # The pooled width (2 x features for avg+max) differs between timm families; ask the model.
    was_training = body.training
    with torch.no_grad():
        n_features = int(body.eval()(torch.zeros(1, 3, 64, 64)).shape[1])
    body.train(was_training)
    return DenseHeadNet(body, n_features, dense_units if head == "dense" else None, num_classes)


def input_statistics(network: nn.Module) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """``(mean, std)`` per RGB channel the network's pretrained weights expect: its timm
    ``pretrained_cfg``'s, or ImageNet's (what fastai normalised with) where it has none."""
    model = network.body if isinstance(network, DenseHeadNet) else network
    config = getattr(model, "pretrained_cfg", None) or {}
    mean = tuple(float(v) for v in config.get("mean", IMAGENET_DEFAULT_MEAN))
    std = tuple(float(v) for v in config.get("std", IMAGENET_DEFAULT_STD))
    if len(mean) != 3 or len(std) != 3:
        raise ValueError(f"expected 3 channel statistics, got mean {mean} and std {std}")
    return mean, std


def head_parameters(network: nn.Module) -> list[nn.Parameter]:
    """The parameters of the head that replaced ImageNet's classifier."""
    if isinstance(network, DenseHeadNet):
        return list(network.head.parameters())
    get_classifier = getattr(network, "get_classifier", None)
    if get_classifier is None:
        raise ValueError(f"{type(network).__name__} is not a timm model: no get_classifier()")
    classifier: nn.Module = get_classifier()
    return list(classifier.parameters())


@dataclass(frozen=True)
class ParameterGroup:
    """One optimiser group: a layer group's parameters, batch-norm or not."""

    layer_group: int
    batch_norm: bool
    params: list[nn.Parameter]


def _stage_split(network: nn.Module) -> set[int] | None:
    """Ids of the body parameters from ``layer3`` on (fastai's second group), or None for a
    network without a ``layer3`` stage."""
    body = network.body if isinstance(network, DenseHeadNet) else network
    names = [name for name, _ in body.named_children()]
    if "layer3" not in names:
        return None
    later = names[names.index("layer3") :]
    head = {id(p) for p in head_parameters(network)}
    return {
        id(p)
        for name, child in body.named_children()
        if name in later
        for p in child.parameters()
        if id(p) not in head
    }


def parameter_groups(network: nn.Module, n_layer_groups: int) -> list[ParameterGroup]:
    """Split ``network``'s parameters into layer groups (input -> head; at ``layer3`` for three
    groups where the network has one, see the module docstring), each into its non-batch-norm
    and batch-norm parameters; empty groups are left out.

    With one layer group everything, head included, is group 0.
    """
    if n_layer_groups < 1:
        raise ValueError(f"need at least one layer group, got {n_layer_groups}")
    batch_norm = {
        id(p)
        for module in network.modules()
        if isinstance(module, nn.modules.batchnorm._BatchNorm)
        for p in module.parameters(recurse=False)
    }
    head = {id(p) for p in head_parameters(network)}
    params = list(network.parameters())
    body = [p for p in params if id(p) not in head]
    assignment: dict[int, int] = {}
    stage = _stage_split(network) if n_layer_groups == 3 else None
    if n_layer_groups == 1:
        assignment = {id(p): 0 for p in params}
    elif stage is not None:
        assignment = {id(p): 1 if id(p) in stage else 0 for p in body}
        assignment.update({id(p): 2 for p in params if id(p) in head})
    else:
        # Cut the body at equal shares of its parameter count, in registration order.
        sizes = np.cumsum([p.numel() for p in body])
        n_body = n_layer_groups - 1
        for p, end in zip(body, sizes, strict=True):
            assignment[id(p)] = min(int((end - 1) * n_body // sizes[-1]), n_body - 1)
        assignment.update({id(p): n_layer_groups - 1 for p in params if id(p) in head})
    groups = []
    for group in range(n_layer_groups):
        for is_bn in (False, True):
            members = [
                p for p in params if assignment[id(p)] == group and (id(p) in batch_norm) == is_bn
            ]
            if members:
                groups.append(ParameterGroup(group, is_bn, members))
    return groups
