"""core.anatomy.costs: the textbook numbers, and every closed form equal to profile() of the real nn.Modules."""

from fractions import Fraction

import pytest
import torch
from torch import nn
from torchvision.models.googlenet import BasicConv2d, Inception
from torchvision.models.resnet import BasicBlock, Bottleneck, conv1x1

from core.anatomy import costs
from core.anatomy.profile import profile
from core.errors import UserError
from core.figures.costs import comparison_figure
from core.models import zoo
from core.units import human


def assert_same(design_or_conv, module: nn.Module, input_size) -> None:
    """Totals and the multiset of per-conv MACs agree exactly with profile()."""
    layers = getattr(design_or_conv, "layers", (design_or_conv,))
    # a bare nn.Conv2d as the root is traced through its forward (conv2d function, 0 MACs): wrap it
    p = profile(nn.Sequential(module).eval(), input_size=input_size)
    assert p.total_macs == sum(l.macs for l in layers)
    assert p.total_params == sum(l.params for l in layers)
    profiled = sorted(row.macs for row in p.layers if row.macs)
    assert profiled == sorted(l.macs for l in layers if l.macs)


def test_textbook_inception_numbers():
    comp = costs.direct_vs_bottleneck()  # defaults: 28x28x192, 32 filters 5x5, reduce to 16
    direct, neck = comp.designs
    assert direct.macs == 28 * 28 * 32 * 5 * 5 * 192 == 120_422_400
    assert [l.macs for l in neck.layers] == [28 * 28 * 16 * 192, 28 * 28 * 32 * 5 * 5 * 16] == [2_408_448, 10_035_200]
    assert neck.macs == 12_443_648
    assert [human(n, textbook=True) for n in (direct.macs, *[l.macs for l in neck.layers], neck.macs)] == [
        "120.4M",
        "2.4M",
        "10.0M",
        "12.4M",
    ]
    assert "120.4M" in comp.summary and "12.4M" in comp.summary
    assert comp.ratio == pytest.approx(9.68, abs=0.01)
    assert_same(direct, nn.Conv2d(192, 32, 5, padding=2, bias=False), (192, 28, 28))
    assert_same(
        neck,
        nn.Sequential(nn.Conv2d(192, 16, 1, bias=False), nn.Conv2d(16, 32, 5, padding=2, bias=False)),
        (192, 28, 28),
    )


@pytest.mark.parametrize(
    "c_in,h,w,c_out,kernel,stride,padding,groups,bias",
    [
        (3, 224, 224, 64, 7, 2, 3, 1, False),  # ResNet stem
        (3, 227, 227, 96, 11, 4, 0, 1, True),  # AlexNet conv1, with bias
        (64, 17, 13, 32, (1, 7), 1, (0, 3), 1, False),
        (32, 15, 15, 64, 3, 2, 0, 4, False),  # grouped, odd size with stride
        (48, 9, 9, 48, 5, 1, 2, 48, True),  # depthwise
        (8, 1, 1, 8, 1, 1, 0, 1, False),
    ],
)
def test_one_conv_matches_profile(c_in, h, w, c_out, kernel, stride, padding, groups, bias):
    layer = costs.conv(c_in, h, w, c_out, kernel, stride, padding, groups, bias=bias)
    module = nn.Conv2d(c_in, c_out, kernel, stride, padding, groups=groups, bias=bias)
    assert_same(layer, module, (c_in, h, w))
    assert layer.output_shape == tuple(module(torch.zeros(1, c_in, h, w)).shape[1:])


def test_one_conv_comparison_scales_with_k_squared():
    comp = costs.one_conv(64, 28, 28, 64, 3, padding=3)
    by_kernel = {d.layers[0].kernel[0]: d for d in comp.designs}
    assert sorted(by_kernel) == [1, 3, 5, 7] and "(yours)" in by_kernel[3].name
    assert by_kernel[3].params == 9 * by_kernel[1].params
    assert costs.one_conv(3, 6, 6, 8, 5).designs[-1].layers[0].kernel == (5, 5)  # 7x7 dropped: does not fit
    assert "442{,}368" in costs.one_conv(3, 32, 32, 16, 3, 1, 1).steps[2].tex


@pytest.mark.parametrize("c_in,c_out,kernel,stride", [(128, 128, 3, 1), (32, 64, 3, 2), (96, 200, 5, 1)])
def test_separable_matches_profile_and_closed_form(c_in, c_out, kernel, stride):
    comp = costs.standard_vs_separable(20, 20, c_in, c_out, kernel, stride)
    standard, separable = comp.designs
    pad = kernel // 2
    assert_same(standard, nn.Conv2d(c_in, c_out, kernel, stride, pad, bias=False), (c_in, 20, 20))
    assert_same(
        separable,
        nn.Sequential(
            nn.Conv2d(c_in, c_in, kernel, stride, pad, groups=c_in, bias=False), nn.Conv2d(c_in, c_out, 1, bias=False)
        ),
        (c_in, 20, 20),
    )
    exact = Fraction(1, c_out) + Fraction(1, kernel**2)
    assert Fraction(separable.macs, standard.macs) == exact == Fraction(separable.params, standard.params)
    assert comp.ratio == pytest.approx(float(exact)) == pytest.approx(costs.separable_ratio(c_out, kernel))


@pytest.mark.parametrize("channels,mid,base_width", [(256, 64, 64), (128, 64, 128), (64, 16, 64)])
def test_residual_blocks_match_torchvision(channels, mid, base_width):
    comp = costs.residual_blocks(14, 14, channels, mid, basic_channels=channels)
    names = [d.name for d in comp.designs]
    assert names == ["Basic + identity", "Basic + projection", "Bottleneck + identity", "Bottleneck + projection"]
    basic, basic_proj, neck, neck_proj = comp.designs
    shortcut = lambda: nn.Sequential(conv1x1(channels, channels), nn.BatchNorm2d(channels))  # noqa: E731
    # torchvision's Bottleneck: width = planes * base_width / 64 inside, planes * 4 out
    neck_module = lambda **kw: Bottleneck(channels, channels // 4, base_width=base_width, **kw)  # noqa: E731
    size = (channels, 14, 14)
    assert_same(basic, BasicBlock(channels, channels), size)
    assert_same(basic_proj, BasicBlock(channels, channels, downsample=shortcut()), size)
    assert_same(neck, neck_module(), size)
    assert_same(neck_proj, neck_module(downsample=shortcut()), size)


def test_projection_shortcut_nearly_doubles_a_bottleneck_block():
    basic, basic_proj, neck, neck_proj = costs.residual_blocks(basic_channels=256).designs  # both at 256
    assert neck_proj.macs / neck.macs == pytest.approx(1.94, abs=0.01)
    assert basic_proj.macs / basic.macs < 1.06
    assert basic.macs / neck.macs == pytest.approx(16.9, abs=0.05)


def test_residual_block_defaults_are_the_papers_figure_5():
    """He et al. 2016, Fig. 5: ResNet-34's basic block at 64-d beside ResNet-50's bottleneck at 256-d,
    "similar time complexity" — both as torchvision builds them, at 56x56."""
    comp = costs.residual_blocks()
    basic, basic_proj, neck, neck_proj = comp.designs
    assert basic.macs == 231_211_008 and neck.macs == 218_365_952  # ≈231M vs ≈218M
    assert_same(basic, BasicBlock(64, 64), (64, 56, 56))
    assert_same(neck, Bottleneck(256, 64), (256, 56, 56))
    assert comp.ratio == pytest.approx(1.06, abs=0.005)
    assert "about the same" in comp.summary and "231.2M vs 218.4M" in comp.summary
    assert "4× the channels" in comp.summary
    dearer = costs.residual_blocks(basic_channels=256)
    assert "16.9× dearer" in dearer.summary and "about the same" not in dearer.summary


def _googlenet_module_inputs(model) -> dict[str, tuple[int, int, int]]:
    """(C, H, W) entering each Inception module of a 224x224 GoogLeNet, read off profile()'s dataflow."""
    rows = {row.name: row for row in profile(model, input_size=(3, 224, 224)).layers}
    inputs = {}
    for name, module in model.named_children():
        if isinstance(module, Inception):
            producer = rows[f"{name}.branch1.conv"].inputs[0]  # the tensor fed to the module
            inputs[name.removeprefix("inception")] = rows[producer].output_shape
    return inputs


@pytest.fixture(scope="module")
def googlenets():
    return zoo.build("googlenet"), zoo.build("googlenet-5x5")


def test_googlenet_presets_are_torchvisions(googlenets):
    tv = googlenets[0]
    inputs = _googlenet_module_inputs(tv)
    assert list(inputs) == list(costs.GOOGLENET_MODULES)
    for name, (c_in, size, widths) in costs.GOOGLENET_MODULES.items():
        module = getattr(tv, f"inception{name}")
        assert inputs[name] == (c_in, size, size)
        assert widths == costs.InceptionWidths(
            module.branch1.conv.out_channels,
            module.branch2[0].conv.out_channels,
            module.branch2[1].conv.out_channels,
            module.branch3[0].conv.out_channels,
            module.branch3[1].conv.out_channels,
            module.branch4[1].conv.out_channels,
        )


@pytest.mark.parametrize("name", list(costs.GOOGLENET_MODULES))
def test_inception_presets_match_profile(name, googlenets):
    c_in, size, widths = costs.GOOGLENET_MODULES[name]
    for model, big_kernel in zip(googlenets, (3, 5)):  # torchvision's 3x3 "5x5" branch, then the paper's 5x5
        design = costs.inception_module(size, size, c_in, widths, big_kernel)
        assert_same(design, getattr(model, f"inception{name}"), (c_in, size, size))
        out = getattr(model, f"inception{name}")(torch.zeros(1, c_in, size, size))
        assert out.shape[1] == design.out_channels


class NaiveInception(nn.Module):
    def __init__(self, c_in, ch1x1, ch3x3, ch5x5):
        super().__init__()
        self.b1, self.b2 = BasicConv2d(c_in, ch1x1, kernel_size=1), BasicConv2d(c_in, ch3x3, kernel_size=3, padding=1)
        self.b3, self.pool = BasicConv2d(c_in, ch5x5, kernel_size=5, padding=2), nn.MaxPool2d(3, 1, 1)

    def forward(self, x):
        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.pool(x)], 1)


def test_inception_table_is_per_branch():
    naive, module = costs.inception_comparison().designs
    table = module.table()
    assert list(table.branch) == ["1×1 branch", "3×3 branch", "5×5 branch", "pool branch"]
    assert list(table.layers) == ["1×1", "1×1 → 3×3", "1×1 → 5×5", "1×1"]
    assert table.MACs.sum() == module.macs and table.params.sum() == module.params
    assert table.MACs[2] == 12_443_648  # the textbook bottleneck, plus nothing: 2.4M + 10.0M
    assert naive.table().MACs.tolist() == [l.macs for l in naive.layers]
    assert module.table(readable=True).MACs.tolist() == ["9.6M", "101.2M", "12.4M", "4.8M"]


def test_naive_inception_matches_profile():
    comp = costs.inception_comparison()  # 3a with the paper's 5x5
    naive, module = comp.designs
    assert_same(naive, NaiveInception(192, 64, 128, 32), (192, 28, 28))
    assert NaiveInception(192, 64, 128, 32)(torch.zeros(1, 192, 28, 28)).shape[1] == naive.out_channels == 416
    assert module.out_channels == 256 and comp.ratio == pytest.approx(naive.macs / module.macs)
    assert [l.macs for l in naive.layers][-1] == 120_422_400  # the textbook 5x5 is 3a's naive 5x5 branch


def _empirical_receptive_field(module: nn.Module, c_in: int, size: int = 21) -> tuple[int, int]:
    """Rows/columns of the input that reach the centre output (all-positive weights, so no cancellation)."""
    for p in module.parameters():
        nn.init.constant_(p, 1.0)
    x = torch.zeros(1, c_in, size, size, requires_grad=True)
    module(x)[0, 0, size // 2, size // 2].backward()
    reached = x.grad[0].abs().sum(0) > 0
    return int(reached.any(1).sum()), int(reached.any(0).sum())


@pytest.mark.parametrize("kernel", [3, 5, 7])
def test_factorise_into_3x3(kernel):
    big, stack = costs.factorise_into_3x3(9, 9, 16, 24, kernel).designs
    stack_module = nn.Sequential(
        *[nn.Conv2d(16 if i == 0 else 24, 24, 3, padding=1, bias=False) for i in range((kernel - 1) // 2)]
    )
    assert_same(big, nn.Conv2d(16, 24, kernel, padding=kernel // 2, bias=False), (16, 9, 9))
    assert_same(stack, stack_module, (16, 9, 9))
    assert (
        big.receptive_field == stack.receptive_field == (kernel, kernel) == _empirical_receptive_field(stack_module, 16)
    )


def test_factorise_asymmetric():
    comp = costs.factorise_asymmetric(17, 17, 192, 192, 7)
    big, pair = comp.designs
    pair_module = nn.Sequential(
        nn.Conv2d(192, 192, (1, 7), padding=(0, 3), bias=False), nn.Conv2d(192, 192, (7, 1), padding=(3, 0), bias=False)
    )
    assert_same(pair, pair_module, (192, 17, 17))
    assert_same(big, nn.Conv2d(192, 192, 7, padding=3, bias=False), (192, 17, 17))
    assert comp.ratio == pytest.approx(2 / 7)
    assert pair.receptive_field == (7, 7) == _empirical_receptive_field(pair_module, 192)
    assert costs.factorise_into_3x3().ratio == pytest.approx(18 / 25)


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda: costs.conv(3, 4, 4, 8, 7), "larger than the padded input"),
        (lambda: costs.conv(3, 4, 4, 8, 7, padding=1), "larger than the padded input (6×6)"),
        (lambda: costs.conv(30, 8, 8, 8, 3, groups=4), "not both divisible by 4"),
        (lambda: costs.conv(0, 8, 8, 8, 3), "Input channels C_in must be"),
        (lambda: costs.conv(3, -5, 8, 8, 3), "Input height H must be"),
        (lambda: costs.conv(3, 8, 8, 8, 3, stride=0), "Stride must be"),
        (lambda: costs.conv(3, 8, 8, 8, 3, padding=-1), "Padding must be"),
        (lambda: costs.direct_vs_bottleneck(c_reduce=0), "at least 1"),
        (lambda: costs.factorise_into_3x3(kernel=4), "must be odd"),
        (lambda: costs.inception_comparison(widths=costs.InceptionWidths(64, 0, 128, 16, 32, 32)), "#3×3 reduce"),
    ],
)
def test_bad_sizes_give_one_sentence(call, message):
    with pytest.raises(UserError) as info:
        call()
    assert message in str(info.value)


def test_figure_shows_both_metrics_with_totals():
    comp = costs.direct_vs_bottleneck()
    fig = comparison_figure(comp)
    labels = [[label.strip() for label in t.text] for t in fig.data if t.type == "scatter"]
    assert labels == [["12.4M", "120.4M"], ["15.9K", "153.6K"]]  # first design drawn on top
    assert fig.layout.font.size >= 16


@pytest.mark.parametrize("n,text", [(999, "999"), (1500, "1.5K"), (120_422_400, "120.4M"), (3_699_376_128, "3.70G")])
def test_textbook_count(n, text):
    assert human(n, textbook=True) == text
