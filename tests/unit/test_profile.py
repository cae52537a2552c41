"""core.anatomy.profile: exact agreement with torchvision's published figures and the papers' tables."""

import pytest
import torch
from torch import nn

from core.anatomy.profile import profile
from core.errors import UserError
from core.models import zoo

TORCHVISION = [n for n in zoo.names() if zoo.get(n).published_gmacs is not None]


def test_every_torchvision_cnn_is_checked():
    assert len(TORCHVISION) >= 60  # all of torchvision's classification CNNs


@pytest.mark.parametrize("name", TORCHVISION)
def test_totals_match_torchvision_published(name):
    arch = zoo.get(name)
    result = profile(name)
    assert round(result.total_macs / 1e9, 3) == pytest.approx(arch.published_gmacs, abs=1e-9)
    # parameters as torchvision publishes them (aux heads off), and rows add up to the total
    assert sum(layer.params for layer in result.layers) == result.total_params
    assert arch.published_params in (None, result.total_params)


@pytest.mark.parametrize(
    "name,gmacs",
    [
        ("vgg19", 19.6),
        ("plain34", 3.6),
        ("resnet34", 3.6),
        ("resnet50-paper", 3.8),
        ("resnet101-paper", 7.6),
        ("resnet152-paper", 11.3),
        ("resnet50", 4.1),
        ("resnet101", 7.8),
        ("resnet152", 11.5),
        ("mobilenet_v1", 0.57),
    ],
)
def test_paper_multiply_adds(name, gmacs):
    # the papers quote one decimal, rounding some figures down (ResNet-34: 3.664 G is "3.6 billion")
    assert profile(name).total_macs / 1e9 == pytest.approx(gmacs, abs=0.07)


@pytest.mark.parametrize(
    "name,depth",
    [
        ("vgg19", 19),
        ("resnet34", 34),
        ("plain34", 34),
        ("resnet152", 152),
        ("googlenet", 22),
        ("densenet121", 121),
        ("cifar-resnet-110", 110),
    ],
)
def test_depth_is_longest_weighted_path(name, depth):
    assert profile(name).depth == depth


def test_counts_follow_input_size_in_closed_form():
    small, big = profile("resnet50", (3, 224, 224)), profile("resnet50", (3, 448, 448))
    conv1 = [l for l in small.layers if l.name == "conv1"][0]
    assert conv1.macs == 112 * 112 * 64 * 3 * 7 * 7
    assert big.total_params == small.total_params
    assert 3.9 < big.total_macs / small.total_macs < 4.0  # all but the classifier scales with H*W


def test_matches_a_real_forward_pass_on_a_custom_module():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Conv2d(3, 8, 3, stride=2, padding=1)
            self.b = nn.Conv2d(8, 8, 3, padding=1, groups=8)
            self.fc = nn.Linear(8 * 9 * 9, 5)

        def forward(self, x):
            x = torch.relu(self.a(x))
            x = torch.cat([x, self.b(x)], 1)[:, :8]
            return self.fc(x.flatten(1))

    net = Net()
    result = profile(net, (3, 17, 17))
    with torch.no_grad():
        out = net.a(torch.zeros(1, 3, 17, 17))
    assert [l.output_shape for l in result.layers if l.name == "a"] == [tuple(out.shape[1:])]
    assert result.total_macs == 8 * 81 * 27 + 8 * 81 * 9 + 648 * 5
    assert result.total_params == sum(p.numel() for p in net.parameters())


def test_stages_follow_feature_map_resolution():
    result = profile("resnet34")
    assert result.stage_resolution == {
        "stage1": "112x112",
        "stage2": "56x56",
        "stage3": "28x28",
        "stage4": "14x14",
        "stage5": "7x7",
    }
    assert {l.stage for l in result.layers if l.name == "fc"} == {"head"}
    blocks = result.by("block")
    assert "layer3.0" in set(blocks.block)


def test_dataflow_inputs_reference_earlier_rows():
    result = profile("resnet18")
    seen = {"input"}
    for layer in result.layers:
        assert set(layer.inputs) <= seen, layer
        seen.add(layer.name)
    add = next(l for l in result.layers if l.name == "layer2.0.add")
    assert set(add.inputs) == {"layer2.0.bn2", "layer2.0.downsample.1"}


def test_cifar_option_a_and_b():
    a, b = profile("cifar-resnet-20"), profile("cifar-resnet-20", shortcut="B")
    assert b.total_params > a.total_params and b.total_macs > a.total_macs
    assert profile("cifar-plain-56").total_params == profile("cifar-resnet-56").total_params


@pytest.mark.parametrize(
    "size,message",
    [
        ((3, 16, 16), "smallest square input it accepts is 32x32"),
        ((3, 0, 5), "positive"),
        ((3, 2.5, 5), "whole numbers"),
        ((3, 100000, 5), "too large"),
        ((1, 224, 224), "3 input channels"),
        ((3, 224), "three numbers"),
    ],
)
def test_bad_input_sizes_are_user_errors(size, message):
    with pytest.raises(UserError, match=message):
        profile("vgg19", size)


def test_bad_option_values_are_user_errors():
    with pytest.raises(UserError, match="width"):
        profile("cifar-resnet-20", width=0)


def test_a_bare_layer_is_counted():
    result = profile(nn.Conv2d(16, 32, 3, padding=1), (16, 8, 8))
    assert result.total_macs == 32 * 8 * 8 * 16 * 9 and [l.type for l in result.layers] == ["Conv2d"]
