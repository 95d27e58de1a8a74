"""The study's heads on timm networks, and their parameters split into layer groups."""

from __future__ import annotations

import pytest
import timm
import torch
from torch import nn

from supertml.training.backbone import (
    NAMED_ARCHITECTURES,
    DenseHeadNet,
    create_backbone,
    head_parameters,
    parameter_groups,
)


@pytest.fixture(scope="module")
def output_net() -> nn.Module:
    torch.manual_seed(0)
    return create_backbone("test_resnet", pretrained=False)


@pytest.fixture(scope="module")
def dense_net() -> nn.Module:
    torch.manual_seed(0)
    return create_backbone("test_resnet", pretrained=False, head="dense", dense_units=16)


def batch_norm_ids(network: nn.Module) -> set[int]:
    return {
        id(p)
        for module in network.modules()
        if isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d)
        for p in module.parameters(recurse=False)
    }


def test_dense_head_is_the_study_two_dense_layers(dense_net: nn.Module) -> None:
    assert isinstance(dense_net, DenseHeadNet)
    # fastai's create_head: [avg, max] pooled features -> BN, Dropout(0.25), Linear, ReLU,
    # BN, Dropout(0.5), Linear.
    plain = timm.create_model("test_resnet", pretrained=False, num_classes=0).eval()
    pooled = 2 * plain(torch.zeros(1, 3, 16, 16)).shape[1]  # avg and max of each feature
    layers = list(dense_net.head)
    assert [type(layer) for layer in layers] == [
        nn.BatchNorm1d,
        nn.Dropout,
        nn.Linear,
        nn.ReLU,
        nn.BatchNorm1d,
        nn.Dropout,
        nn.Linear,
    ]
    first_bn, first_drop, hidden, _, second_bn, second_drop, output = layers
    assert isinstance(first_bn, nn.BatchNorm1d)
    assert isinstance(second_bn, nn.BatchNorm1d)
    assert isinstance(first_drop, nn.Dropout)
    assert isinstance(second_drop, nn.Dropout)
    assert isinstance(hidden, nn.Linear)
    assert isinstance(output, nn.Linear)
    assert first_bn.num_features == pooled
    assert (first_drop.p, second_drop.p) == (0.25, 0.5)
    assert (hidden.in_features, hidden.out_features) == (pooled, 16)
    assert second_bn.num_features == 16
    assert (output.in_features, output.out_features) == (16, 2)


def test_dense_head_output_shape(dense_net: nn.Module) -> None:
    dense_net.train()
    assert dense_net(torch.rand(4, 3, 16, 16)).shape == (4, 2)
    dense_net.eval()
    assert dense_net(torch.rand(1, 3, 32, 32)).shape == (1, 2)


def test_dense_head_width_follows_num_classes() -> None:
    net = create_backbone(
        "test_resnet", pretrained=False, head="dense", dense_units=8, num_classes=3
    )
    assert net.eval()(torch.rand(2, 3, 16, 16)).shape == (2, 3)


def test_output_head_parameters_are_timm_classifier(output_net: nn.Module) -> None:
    classifier = output_net.get_classifier()  # type: ignore[operator]
    assert isinstance(classifier, nn.Linear)
    assert classifier.out_features == 2
    assert [id(p) for p in head_parameters(output_net)] == [id(p) for p in classifier.parameters()]


def test_dense_head_parameters_are_the_whole_head(dense_net: nn.Module) -> None:
    assert isinstance(dense_net, DenseHeadNet)
    head = head_parameters(dense_net)
    assert len(head) == 8  # two batch norms and two linear layers, weight and bias each
    assert [id(p) for p in head] == [id(p) for p in dense_net.head.parameters()]
    assert not {id(p) for p in head} & {id(p) for p in dense_net.body.parameters()}


def test_head_parameters_need_a_timm_model() -> None:
    with pytest.raises(ValueError, match="Sequential is not a timm model"):
        head_parameters(nn.Sequential(nn.Linear(2, 2)))


@pytest.mark.parametrize("n_groups", [1, 2, 3, 5])
@pytest.mark.parametrize("head", ["output", "dense"])
def test_every_parameter_is_in_exactly_one_group(
    output_net: nn.Module, dense_net: nn.Module, head: str, n_groups: int
) -> None:
    network = output_net if head == "output" else dense_net
    groups = parameter_groups(network, n_groups)
    grouped = [id(p) for g in groups for p in g.params]
    assert len(grouped) == len(set(grouped))
    assert set(grouped) == {id(p) for p in network.parameters()}
    assert all(g.params for g in groups)  # empty groups are left out


@pytest.mark.parametrize("head", ["output", "dense"])
def test_head_is_the_last_layer_group_and_only_there(
    output_net: nn.Module, dense_net: nn.Module, head: str
) -> None:
    network = output_net if head == "output" else dense_net
    groups = parameter_groups(network, 3)
    head_ids = {id(p) for p in head_parameters(network)}
    last = {id(p) for g in groups if g.layer_group == 2 for p in g.params}
    assert last == head_ids


@pytest.mark.parametrize("head", ["output", "dense"])
def test_batch_norm_parameters_are_flagged(
    output_net: nn.Module, dense_net: nn.Module, head: str
) -> None:
    network = output_net if head == "output" else dense_net
    bn = batch_norm_ids(network)
    assert bn  # the test network has batch norms (else this test would prove nothing)
    for group in parameter_groups(network, 3):
        assert all((id(p) in bn) == group.batch_norm for p in group.params)


@pytest.mark.parametrize("n_groups", [3, 4])
def test_layer_groups_follow_registration_order(output_net: nn.Module, n_groups: int) -> None:
    groups = parameter_groups(output_net, n_groups)
    assert [(g.layer_group, g.batch_norm) for g in groups] == sorted(
        (g.layer_group, g.batch_norm) for g in groups
    )
    layer_of = {id(p): g.layer_group for g in groups for p in g.params}
    order = [layer_of[id(p)] for p in output_net.parameters()]
    # Contiguous cuts from input to output: the group never goes back down.
    assert order == sorted(order)
    assert order[0] == 0
    assert order[-1] == n_groups - 1
    # Each body group holds an equal share of the body's parameters, to within one tensor
    # (test_resnet's largest tensor exceeds a third of its body: with 4 groups one is empty).
    n_body = n_groups - 1
    body = [p for p in output_net.parameters() if layer_of[id(p)] < n_body]
    total = sum(p.numel() for p in body)
    largest = max(p.numel() for p in body)
    for layer in range(n_body):
        size = sum(p.numel() for p in body if layer_of[id(p)] == layer)
        assert abs(size - total / n_body) <= largest


def test_three_layer_groups_are_all_populated(output_net: nn.Module) -> None:
    assert {g.layer_group for g in parameter_groups(output_net, 3)} == {0, 1, 2}


def test_one_layer_group_holds_everything(output_net: nn.Module) -> None:
    groups = parameter_groups(output_net, 1)
    assert {g.layer_group for g in groups} == {0}
    assert [g.batch_norm for g in groups] == [False, True]
    assert {id(p) for p in head_parameters(output_net)} <= {id(p) for p in groups[0].params}


def test_zero_layer_groups_rejected(output_net: nn.Module) -> None:
    with pytest.raises(ValueError, match="at least one layer group"):
        parameter_groups(output_net, 0)


def test_named_architectures_are_timm_models() -> None:
    available = set(timm.list_models())
    assert set(NAMED_ARCHITECTURES) == {"resnet34", "se_resnet50", "senet154"}
    assert set(NAMED_ARCHITECTURES.values()) <= available


def test_unknown_head_rejected() -> None:
    with pytest.raises(
        ValueError,
        match=r"unknown head 'conv'; choose one of \('output', 'dense', 'concat_linear'\)",
    ):
        create_backbone("test_resnet", pretrained=False, head="conv")  # type: ignore[arg-type]


def test_concat_linear_head_is_fastais_head_without_hidden_layers() -> None:
    torch.manual_seed(0)
    network = create_backbone("test_resnet", pretrained=False, head="concat_linear")
    assert isinstance(network, DenseHeadNet)
    # lin_ftrs=[], bn_final=False, ps=[0]: BatchNorm over the concat-pooled features, Linear.
    bn, linear = network.head
    assert isinstance(bn, nn.BatchNorm1d)
    assert isinstance(linear, nn.Linear)
    features = network.body(torch.zeros(2, 3, 32, 32)).shape[1]
    assert bn.num_features == linear.in_features == features
    assert linear.out_features == 2
    assert not any(isinstance(m, nn.Dropout) for m in network.head)


def test_tagged_timm_names_are_accepted() -> None:
    # torchvision's ResNet34 weights, the study's (plain "resnet34" is timm's own recipe).
    network = create_backbone("resnet34.tv_in1k", pretrained=False)
    assert network.pretrained_cfg["tag"] == "tv_in1k"


def _stage_names(network: nn.Module) -> tuple[set[str], set[str]]:
    """Parameter names before and from ``layer3`` of a timm network's body, read from its
    named children (independently of parameter_groups)."""
    body = network.body if isinstance(network, DenseHeadNet) else network
    children = [name for name, _ in body.named_children()]
    cut = children.index("layer3")
    early = {
        f"{c}.{n}" for c in children[:cut] for n, _ in body.get_submodule(c).named_parameters()
    }
    late = {
        f"{c}.{n}"
        for c in children[cut:]
        if c not in ("fc", "last_linear", "head")
        for n, _ in body.get_submodule(c).named_parameters()
    }
    return early, late


@pytest.mark.parametrize(
    ("architecture", "stem"),
    [("resnet34.tv_in1k", "conv1"), ("legacy_seresnet50", "layer0"), ("legacy_senet154", "layer0")],
)
def test_three_layer_groups_split_at_layer3_as_the_study(architecture: str, stem: str) -> None:
    # fastai's split for ResNets and the SE-nets (split_on=lambda m: (m[0][3], m[1])):
    # stem to layer2 | layer3 and layer4 | head.
    network = create_backbone(architecture, pretrained=False, head="dense", dense_units=8)
    names = {id(p): n.removeprefix("body.") for n, p in network.named_parameters()}
    groups: dict[int, set[str]] = {}
    for group in parameter_groups(network, 3):
        groups.setdefault(group.layer_group, set()).update(names[id(p)] for p in group.params)
    early, late = _stage_names(network)
    assert groups[0] == early
    assert any(n.startswith(stem) for n in early)
    assert groups[1] == late
    assert any(n.startswith("layer4") for n in late)
    assert groups[2] == {n for n in names.values() if n.startswith("head.")}
