"""Closed-form costs of convolutions and the classic designs built from them (the Cost Lab's maths).

Conventions are those of `core.anatomy.profile`: MACs = multiply-accumulates of the convolutions, biases not
counted; params = every learnable number (weights, plus bias or BatchNorm's scale and shift when the
layer has them). Each calculator returns a `Comparison`: the designs it compares, the arithmetic step
by step as LaTeX with the user's numbers filled in, and a one-line summary. Figures come from
`comparison_figure`. Nothing here runs a convolution: tests check these formulas against `profile()`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from math import prod

import pandas as pd

from core.errors import UserError
from core.units import human

Pair = tuple[int, int]


def _pair(value: int | Pair) -> Pair:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def _tex_int(n: int) -> str:
    return f"{n:,}".replace(",", "{,}")


def _tex_product(factors: list[int]) -> str:
    return r" \cdot ".join(str(f) for f in factors)


def _tex_count(n: int) -> str:
    return rf"\text{{{human(n, textbook=True)}}}"


def _tex_result(n: int) -> str:
    exact = _tex_int(n)
    return exact if n < 1000 else rf"{exact} \approx \textbf{{{human(n, textbook=True)}}}"


def _tex_sum(values: list[int]) -> str:
    return " + ".join(_tex_count(v) for v in values) + rf" = \textbf{{{human(sum(values), textbook=True)}}}"


def _positive(**sizes: int) -> None:
    for label, value in sizes.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise UserError(f"{label} must be a whole number of at least 1 (got {value}).")


@dataclass(frozen=True)
class Conv:
    """One 2-D convolution (PyTorch's nn.Conv2d semantics, dilation 1) on a C_in x H x W input."""

    name: str
    c_in: int
    h_in: int
    w_in: int
    c_out: int
    kernel: Pair
    stride: Pair = (1, 1)
    padding: Pair = (0, 0)
    groups: int = 1
    bias: bool = False
    batchnorm: bool = False  # followed by BatchNorm2d: 2 learnable numbers per output channel

    @property
    def h_out(self) -> int:  # floor((H + 2p - k) / s) + 1
        return (self.h_in + 2 * self.padding[0] - self.kernel[0]) // self.stride[0] + 1

    @property
    def w_out(self) -> int:
        return (self.w_in + 2 * self.padding[1] - self.kernel[1]) // self.stride[1] + 1

    @property
    def output_shape(self) -> tuple[int, int, int]:
        return (self.c_out, self.h_out, self.w_out)

    @property
    def macs_factors(self) -> list[int]:  # H_out * W_out * C_out * k_h * k_w * C_in/g
        return [self.h_out, self.w_out, self.c_out, *self.kernel, self.c_in // self.groups]

    @property
    def macs(self) -> int:
        return prod(self.macs_factors)

    @property
    def weights(self) -> int:
        return self.c_out * (self.c_in // self.groups) * self.kernel[0] * self.kernel[1]

    @property
    def extra_params(self) -> int:
        return self.c_out * (int(self.bias) + 2 * int(self.batchnorm))

    @property
    def params(self) -> int:
        return self.weights + self.extra_params

    @property
    def label(self) -> str:
        kind = f"{self.kernel[0]}×{self.kernel[1]}"
        if self.groups == self.c_in == self.c_out and self.groups > 1:
            kind += " depthwise"
        elif self.groups > 1:
            kind += f" g={self.groups}"
        return kind

    def macs_tex(self) -> str:
        return rf"{_tex_product(self.macs_factors)} = {_tex_result(self.macs)}"

    def params_tex(self) -> str:
        weights = _tex_product([self.c_out, self.c_in // self.groups, *self.kernel])
        if not self.extra_params:
            return rf"{weights} = {_tex_result(self.params)}"
        extra = rf"{self.c_out} \cdot {int(self.bias) + 2 * int(self.batchnorm)}"
        return rf"{weights} + {extra} = {_tex_result(self.params)}"


def conv(
    c_in: int,
    h: int,
    w: int,
    c_out: int,
    kernel: int | Pair,
    stride: int | Pair = 1,
    padding: int | Pair = 0,
    groups: int = 1,
    *,
    bias: bool = False,
    batchnorm: bool = False,
    name: str = "conv",
) -> Conv:
    """A validated `Conv`; impossible sizes raise UserError with one plain sentence."""
    kernel, stride, padding = _pair(kernel), _pair(stride), _pair(padding)
    _positive(
        **{
            "Input channels C_in": c_in,
            "Input height H": h,
            "Input width W": w,
            "Output channels C_out": c_out,
            "Kernel height": kernel[0],
            "Kernel width": kernel[1],
            "Stride": min(stride),
            "Groups": groups,
        }
    )
    if min(padding) < 0 or not all(isinstance(p, int) for p in padding):
        raise UserError(f"Padding must be a whole number of at least 0 (got {min(padding)}).")
    padded = (h + 2 * padding[0], w + 2 * padding[1])
    if kernel[0] > padded[0] or kernel[1] > padded[1]:
        raise UserError(
            f"The {kernel[0]}×{kernel[1]} kernel is larger than the padded input "
            f"({padded[0]}×{padded[1]}): use a larger input, more padding or a smaller kernel."
        )
    if c_in % groups or c_out % groups:
        raise UserError(
            f"Channels must divide into the {groups} groups: C_in = {c_in} and C_out = {c_out} "
            f"are not both divisible by {groups}."
        )
    return Conv(name, c_in, h, w, c_out, kernel, stride, padding, groups, bias, batchnorm)


def same_conv(c_in: int, h: int, w: int, c_out: int, kernel: int | Pair, **kwargs) -> Conv:
    """A stride-1 convolution padded by k // 2, which keeps H x W for odd kernels."""
    kh, kw = _pair(kernel)
    return conv(c_in, h, w, c_out, (kh, kw), padding=(kh // 2, kw // 2), **kwargs)


@dataclass(frozen=True)
class Design:
    """A way to compute something: its convolutions (in order; parallel branches named in `name`)."""

    name: str
    layers: tuple[Conv, ...]
    out_channels: int
    receptive_field: Pair | None = None  # for a chain of convolutions only

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def params(self) -> int:
        return sum(layer.params for layer in self.layers)

    def table(self, readable: bool = False) -> pd.DataFrame:
        """Per branch ('3×3 branch · 1×1 reduce' belongs to '3×3 branch'): its layers, output, MACs, params
        (as '12.4M' strings when readable)."""
        rows: dict[str, dict] = {}
        for l in self.layers:
            row = rows.setdefault(l.name.split(" · ")[0], {"layers": [], "MACs": 0, "params": 0})
            row["layers"].append(l.label)
            row.update(
                output="×".join(map(str, l.output_shape)), MACs=row["MACs"] + l.macs, params=row["params"] + l.params
            )
        show = (lambda n: human(n, textbook=True)) if readable else int
        return pd.DataFrame(
            [
                {
                    "branch": name,
                    "layers": " → ".join(r["layers"]),
                    "output": r["output"],
                    "MACs": show(r["MACs"]),
                    "params": show(r["params"]),
                }
                for name, r in rows.items()
            ]
        )


@dataclass(frozen=True)
class Step:
    text: str  # markdown caption
    tex: str  # LaTeX with the numbers filled in


@dataclass(frozen=True)
class Comparison:
    designs: tuple[Design, ...]
    steps: tuple[Step, ...]
    summary: str  # markdown: the punchline with the ratio
    ratio: float = 1.0  # the headline ratio of the summary
    notes: tuple[str, ...] = ()


def chain_receptive_field(layers: tuple[Conv, ...]) -> Pair:
    """Receptive field of convolutions applied one after another: 1 + sum (k_i - 1) * prod_{j<i} s_j."""
    size, jump = [1, 1], [1, 1]
    for layer in layers:
        for d in (0, 1):
            size[d] += (layer.kernel[d] - 1) * jump[d]
            jump[d] *= layer.stride[d]
    return size[0], size[1]


def _chain(name: str, layers: list[Conv]) -> Design:
    layers = tuple(layers)
    return Design(name, layers, layers[-1].c_out, chain_receptive_field(layers))


def _design_steps(design: Design) -> list[Step]:
    steps = [
        Step(f"**{design.name}**, {layer.name} → {'×'.join(map(str, layer.output_shape))}", layer.macs_tex())
        for layer in design.layers
    ]
    if len(design.layers) > 1:
        steps.append(Step(f"**{design.name}**, total", _tex_sum([l.macs for l in design.layers])))
    return steps


# 1 ─ one convolution ──────────────────────────────────────────────────────────────────────────────
MACS_FORMULA = r"\text{MACs} = H_{out} \cdot W_{out} \cdot C_{out} \cdot k_h \cdot k_w \cdot \frac{C_{in}}{g}"
PARAMS_FORMULA = r"\text{params} = C_{out} \cdot \frac{C_{in}}{g} \cdot k_h \cdot k_w \;(+\, C_{out} \text{ bias})"


def one_conv(
    c_in: int,
    h: int,
    w: int,
    c_out: int,
    kernel: int,
    stride: int = 1,
    padding: int = 0,
    groups: int = 1,
    bias: bool = False,
) -> Comparison:
    """One convolution, beside the same layer with other square kernels (cost grows with k²)."""
    yours = conv(c_in, h, w, c_out, kernel, stride, padding, groups, bias=bias, name="your conv")
    designs = [Design(f"{kernel}×{kernel} (yours)", (yours,), c_out)]
    same = padding == kernel // 2  # keep 'same' padding for the other kernels, else keep the user's padding
    for k in sorted({1, 3, 5, 7} - {kernel}):
        pad = k // 2 if same else padding
        if k <= min(h, w) + 2 * pad:
            other = replace(yours, kernel=(k, k), padding=(pad, pad), name=f"{k}×{k} conv")
            designs.append(Design(f"{k}×{k}", (other,), c_out))
    designs.sort(key=lambda d: d.layers[0].kernel[0])
    ph, pw = yours.padding
    steps = (
        Step(
            "Output size",
            rf"H_{{out}} = \left\lfloor \frac{{{h} + 2 \cdot {ph} - {kernel}}}{{{stride}}} \right\rfloor"
            rf" + 1 = {yours.h_out}, \quad W_{{out}} = \left\lfloor \frac{{{w} + 2 \cdot {pw} - {kernel}}}"
            rf"{{{stride}}} \right\rfloor + 1 = {yours.w_out}",
        ),
        Step("Multiply-accumulates: one per weight per output position", MACS_FORMULA),
        Step("with your numbers", rf"\text{{MACs}} = {yours.macs_tex()}"),
        Step("Parameters: the weights" + (" and one bias per output channel" if bias else ""), PARAMS_FORMULA),
        Step("with your numbers", rf"\text{{params}} = {yours.params_tex()}"),
    )
    summary = (
        f"Output **{c_out}×{yours.h_out}×{yours.w_out}**, **{human(yours.macs, textbook=True)} MACs**, "
        f"**{human(yours.params, textbook=True)} params**. The cost grows with k²: a 3×3 costs 9× a 1×1."
    )
    return Comparison(tuple(designs), steps, summary)


# 2 ─ direct vs bottleneck (the Inception argument) ────────────────────────────────────────────────
def direct_vs_bottleneck(
    h: int = 28, w: int = 28, c_in: int = 192, c_out: int = 32, kernel: int = 5, c_reduce: int = 16
) -> Comparison:
    """k×k straight on the input vs a 1×1 reduction to c_reduce channels first ('same' padding)."""
    direct = same_conv(c_in, h, w, c_out, kernel, name=f"{kernel}×{kernel} conv")
    reduce = same_conv(c_in, h, w, c_reduce, 1, name="1×1 reduce")
    after = same_conv(c_reduce, h, w, c_out, kernel, name=f"{kernel}×{kernel} conv")
    designs = (
        _chain(f"Direct {kernel}×{kernel}", [direct]),
        _chain(f"1×1 to {c_reduce}, then {kernel}×{kernel}", [reduce, after]),
    )
    ratio = direct.macs / designs[1].macs
    steps = (
        Step(
            f"**Direct**: {c_out} filters of {kernel}×{kernel}×{c_in} at each of the {h}×{w} positions",
            rf"{direct.macs_tex()}",
        ),
        Step(f"**Bottleneck**, step 1: {c_reduce} filters of 1×1×{c_in}", reduce.macs_tex()),
        Step(f"**Bottleneck**, step 2: {c_out} filters of {kernel}×{kernel}×{c_reduce}", after.macs_tex()),
        Step("**Bottleneck** total", _tex_sum([reduce.macs, after.macs])),
        Step("Ratio", rf"\frac{{{_tex_count(direct.macs)}}}{{{_tex_count(designs[1].macs)}}} = {ratio:.1f}\times"),
    )
    summary = (
        f"The 1×1 reduction cuts the cost from **{human(direct.macs, textbook=True)}** to "
        f"**{human(designs[1].macs, textbook=True)}** MACs: **{ratio:.1f}× cheaper**, same {c_out}×{h}×{w} output."
    )
    return Comparison(designs, steps, summary, ratio)


# 3 ─ standard vs depthwise-separable ──────────────────────────────────────────────────────────────
def standard_vs_separable(
    h: int = 56, w: int = 56, c_in: int = 128, c_out: int = 128, kernel: int = 3, stride: int = 1
) -> Comparison:
    """k×k convolution vs depthwise k×k (one filter per channel) then pointwise 1×1 (Xception, MobileNet)."""
    pad = kernel // 2
    standard = conv(c_in, h, w, c_out, kernel, stride, pad, name=f"{kernel}×{kernel} conv")
    depthwise = conv(c_in, h, w, c_in, kernel, stride, pad, groups=c_in, name=f"{kernel}×{kernel} depthwise")
    pointwise = conv(c_in, depthwise.h_out, depthwise.w_out, c_out, 1, name="1×1 pointwise")
    designs = (_chain("Standard", [standard]), _chain("Depthwise-separable", [depthwise, pointwise]))
    ratio = designs[1].macs / standard.macs
    steps = (
        Step(f"**Standard** {kernel}×{kernel} conv, {c_in} → {c_out} channels", standard.macs_tex()),
        Step(f"**Depthwise** {kernel}×{kernel}: one filter per input channel (groups = {c_in})", depthwise.macs_tex()),
        Step(f"**Pointwise** 1×1: mixes the {c_in} channels into {c_out}", pointwise.macs_tex()),
        Step("**Separable** total", _tex_sum([depthwise.macs, pointwise.macs])),
        Step(
            "Ratio, in closed form (every term shares H_out · W_out · C_in)",
            r"\frac{H_{out} W_{out} C_{in} (k^2 + C_{out})}{H_{out} W_{out} C_{in} C_{out} k^2}"
            rf" = \frac{{1}}{{C_{{out}}}} + \frac{{1}}{{k^2}} = \frac{{1}}{{{c_out}}} + \frac{{1}}{{{kernel**2}}}"
            rf" = {separable_ratio(c_out, kernel):.4f}",
        ),
    )
    summary = (
        f"Depthwise-separable costs **{ratio:.3f}×** the standard convolution "
        f"(**{1 / ratio:.1f}× cheaper**): 1/C_out + 1/k² = 1/{c_out} + 1/{kernel**2}."
    )
    return Comparison(designs, steps, summary, ratio)


def separable_ratio(c_out: int, kernel: int) -> float:
    """Closed form of separable / standard MACs (and params, without biases)."""
    return 1 / c_out + 1 / kernel**2


# 4 ─ basic vs bottleneck residual block ───────────────────────────────────────────────────────────
def residual_blocks(
    h: int = 56, w: int = 56, channels: int = 256, mid: int = 64, basic_channels: int = 64
) -> Comparison:
    """ResNet's basic block (two 3×3 at `basic_channels`) vs its bottleneck (1×1 reduce from `channels`
    to `mid`, 3×3, 1×1 expand back), each C -> C at its own width, with an identity or a 1×1 projection
    shortcut; every conv is followed by BatchNorm. The defaults are the ResNet paper's Fig. 5: the
    basic block of ResNet-34's conv2_x (64 channels) beside the bottleneck of ResNet-50's (256, 64
    inside), both at 56×56 — "similar time complexity", which is why the bottleneck buys depth."""
    c, b, bn = channels, basic_channels, {"batchnorm": True}
    basic = [same_conv(b, h, w, b, 3, name="3×3 conv 1", **bn), same_conv(b, h, w, b, 3, name="3×3 conv 2", **bn)]
    bottleneck = [
        same_conv(c, h, w, mid, 1, name="1×1 reduce", **bn),
        same_conv(mid, h, w, mid, 3, name="3×3 conv", **bn),
        same_conv(mid, h, w, c, 1, name="1×1 expand", **bn),
    ]
    basic_projection = same_conv(b, h, w, b, 1, name="1×1 projection shortcut", **bn)
    projection = same_conv(c, h, w, c, 1, name="1×1 projection shortcut", **bn)
    designs = (
        Design("Basic + identity", tuple(basic), b),
        Design("Basic + projection", (*basic, basic_projection), b),
        Design("Bottleneck + identity", tuple(bottleneck), c),
        Design("Bottleneck + projection", (*bottleneck, projection), c),
    )
    basic_macs, neck_macs = designs[0].macs, designs[2].macs
    ratio = basic_macs / neck_macs
    steps = (
        Step(
            f"**Basic block**: two 3×3 convs, {b} → {b} channels",
            rf"2 \cdot {_tex_product(basic[0].macs_factors)} = {_tex_result(basic_macs)}",
        ),
        Step(
            f"**Bottleneck block**: 1×1 from {c} to {mid}, 3×3 at {mid}, 1×1 back to {c}",
            rf"{h} \cdot {w} \cdot ({c} \cdot {mid} + 9 \cdot {mid} \cdot {mid} + {mid} \cdot {c}) = {_tex_result(neck_macs)}",
        ),
        Step(
            "**Projection shortcut**: a 1×1 conv instead of the identity (which is free)",
            rf"\text{{basic: }} {basic_projection.macs_tex()}, \quad \text{{bottleneck: }} {projection.macs_tex()}",
        ),
        Step(
            "Projection as a share of each block",
            rf"\text{{basic: }} \frac{{{_tex_count(basic_projection.macs)}}}{{{_tex_count(basic_macs)}}} = "
            rf"{basic_projection.macs / basic_macs:.0%}, \quad \text{{bottleneck: }} \frac{{{_tex_count(projection.macs)}}}"
            rf"{{{_tex_count(neck_macs)}}} = {projection.macs / neck_macs:.0%}".replace("%", r"\%"),
        ),
    )
    if 0.8 <= ratio <= 1.25:
        verdict = f"cost about the same ({ratio:.2f}×)"
    elif ratio > 1:
        verdict = f"differ: the basic block is **{ratio:.1f}× dearer**"
    else:
        verdict = f"differ: the bottleneck block is **{1 / ratio:.1f}× dearer**"
    summary = (
        f"A basic block at {b} channels and a bottleneck block at {c} ({mid} inside) {verdict} "
        f"({human(basic_macs, textbook=True)} vs {human(neck_macs, textbook=True)} MACs)"
        + (f", yet the bottleneck carries {c / b:g}× the channels, in three layers instead of two" if c > b else "")
        + f". A projection shortcut adds "
        f"**{human(projection.macs, textbook=True)}** to the bottleneck block, {projection.macs / neck_macs:.0%} of it — "
        "why ResNet-50 and deeper keep identity shortcuts."
    )
    return Comparison(
        designs,
        steps,
        summary,
        ratio,
        notes=("Parameters include BatchNorm's scale and shift (2 per channel), as torchvision builds the blocks.",),
    )


# 5 ─ Inception module ─────────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class InceptionWidths:
    """GoogLeNet's Table 1 columns: #1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5, pool proj."""

    ch1x1: int
    ch3x3red: int
    ch3x3: int
    ch5x5red: int
    ch5x5: int
    pool_proj: int


# (input C, H=W, widths) as torchvision.models.googlenet builds them (inception3a ... inception5b);
# tests check these against the real model.
GOOGLENET_MODULES: dict[str, tuple[int, int, InceptionWidths]] = {
    "3a": (192, 28, InceptionWidths(64, 96, 128, 16, 32, 32)),
    "3b": (256, 28, InceptionWidths(128, 128, 192, 32, 96, 64)),
    "4a": (480, 14, InceptionWidths(192, 96, 208, 16, 48, 64)),
    "4b": (512, 14, InceptionWidths(160, 112, 224, 24, 64, 64)),
    "4c": (512, 14, InceptionWidths(128, 128, 256, 24, 64, 64)),
    "4d": (512, 14, InceptionWidths(112, 144, 288, 32, 64, 64)),
    "4e": (528, 14, InceptionWidths(256, 160, 320, 32, 128, 128)),
    "5a": (832, 7, InceptionWidths(256, 160, 320, 32, 128, 128)),
    "5b": (832, 7, InceptionWidths(384, 192, 384, 48, 128, 128)),
}


def inception_module(h: int, w: int, c_in: int, widths: InceptionWidths, big_kernel: int = 5) -> Design:
    """GoogLeNet's module: 1×1 | 1×1→3×3 | 1×1→k×k | 3×3 max-pool→1×1, concatenated.
    torchvision builds the '5×5' branch with a 3×3 (big_kernel=3); the paper uses 5×5."""
    _positive(
        **{
            "#1×1": widths.ch1x1,
            "#3×3 reduce": widths.ch3x3red,
            "#3×3": widths.ch3x3,
            "#5×5 reduce": widths.ch5x5red,
            "#5×5": widths.ch5x5,
            "pool proj": widths.pool_proj,
        }
    )
    bn, k = {"batchnorm": True}, big_kernel
    layers = (
        same_conv(c_in, h, w, widths.ch1x1, 1, name="1×1 branch", **bn),
        same_conv(c_in, h, w, widths.ch3x3red, 1, name="3×3 branch · 1×1 reduce", **bn),
        same_conv(widths.ch3x3red, h, w, widths.ch3x3, 3, name="3×3 branch · 3×3", **bn),
        same_conv(c_in, h, w, widths.ch5x5red, 1, name="5×5 branch · 1×1 reduce", **bn),
        same_conv(widths.ch5x5red, h, w, widths.ch5x5, k, name=f"5×5 branch · {k}×{k}", **bn),
        same_conv(c_in, h, w, widths.pool_proj, 1, name="pool branch · 1×1 projection", **bn),
    )
    return Design("With 1×1 reductions", layers, widths.ch1x1 + widths.ch3x3 + widths.ch5x5 + widths.pool_proj)


def naive_inception_module(h: int, w: int, c_in: int, widths: InceptionWidths, big_kernel: int = 5) -> Design:
    """The paper's naive module: 1×1, 3×3 and k×k straight on the input, the max-pool passes all C_in on."""
    bn, k = {"batchnorm": True}, big_kernel
    layers = (
        same_conv(c_in, h, w, widths.ch1x1, 1, name="1×1 branch", **bn),
        same_conv(c_in, h, w, widths.ch3x3, 3, name="3×3 branch", **bn),
        same_conv(c_in, h, w, widths.ch5x5, k, name="5×5 branch" + (f" ({k}×{k})" if k != 5 else ""), **bn),
    )
    return Design("Naive (no reductions)", layers, widths.ch1x1 + widths.ch3x3 + widths.ch5x5 + c_in)


def inception_comparison(
    h: int = 28, w: int = 28, c_in: int = 192, widths: InceptionWidths = GOOGLENET_MODULES["3a"][2], big_kernel: int = 5
) -> Comparison:
    _positive(**{"Input channels C_in": c_in, "Input height H": h, "Input width W": w})
    naive = naive_inception_module(h, w, c_in, widths, big_kernel)
    module = inception_module(h, w, c_in, widths, big_kernel)
    ratio = naive.macs / module.macs
    steps = [
        *_design_steps(module),
        *_design_steps(naive),
        Step(
            "Output channels of the module: the four branches concatenated",
            rf"{widths.ch1x1} + {widths.ch3x3} + {widths.ch5x5} + {widths.pool_proj} = {module.out_channels}",
        ),
        Step(
            "Output channels of the naive module: the pool branch passes all C_in on",
            rf"{widths.ch1x1} + {widths.ch3x3} + {widths.ch5x5} + {c_in} = {naive.out_channels}",
        ),
    ]
    summary = (
        f"The module costs **{human(module.macs, textbook=True)} MACs** and outputs **{module.out_channels}** channels; "
        f"the naive one costs **{human(naive.macs, textbook=True)}** (**{ratio:.1f}×**) and its pool branch alone passes "
        f"all {c_in} input channels on, so the output grows to **{naive.out_channels}**."
    )
    return Comparison(
        (naive, module),
        tuple(steps),
        summary,
        ratio,
        notes=(
            "Parameters include BatchNorm's scale and shift (2 per channel), as torchvision builds "
            "the module. The max-pool has no multiplies.",
        ),
    )


# 6 ─ factorisation (Inception v3) ─────────────────────────────────────────────────────────────────
def _rf(design: Design) -> str:
    return f"{design.receptive_field[0]}×{design.receptive_field[1]}"


def factorise_into_3x3(h: int = 17, w: int = 17, c_in: int = 192, c_out: int = 192, kernel: int = 5) -> Comparison:
    """An n×n (n odd) vs (n-1)/2 stacked 3×3 with the same receptive field, all C_out channels wide."""
    if kernel < 3 or kernel % 2 == 0:
        raise UserError(f"The kernel must be odd and at least 3 to be replaced by 3×3s (got {kernel}).")
    big = _chain(f"One {kernel}×{kernel}", [same_conv(c_in, h, w, c_out, kernel, name=f"{kernel}×{kernel} conv")])
    threes = [
        same_conv(c_in if i == 0 else c_out, h, w, c_out, 3, name=f"3×3 conv {i + 1}") for i in range((kernel - 1) // 2)
    ]
    stack = _chain(f"{len(threes)} stacked 3×3", threes)
    ratio = stack.macs / big.macs
    steps = (
        *_design_steps(big),
        *_design_steps(stack),
        Step(
            "Receptive field of a stride-1 stack: 1 + Σ (k − 1)",
            rf"1 + {len(threes)} \cdot (3 - 1) = {stack.receptive_field[0]}"
            rf" \text{{, the same as one }} {kernel} \times {kernel}",
        ),
        Step("Ratio", rf"\frac{{{_tex_count(stack.macs)}}}{{{_tex_count(big.macs)}}} = {ratio:.2f}"),
    )
    summary = (
        f"Same **{_rf(big)}** receptive field; the stack of {len(threes)} 3×3 costs **{ratio:.2f}×** the "
        f"{kernel}×{kernel} ({human(stack.macs, textbook=True)} vs {human(big.macs, textbook=True)} MACs) and adds "
        f"{len(threes) - 1} more non-linearit{'y' if len(threes) == 2 else 'ies'}."
    )
    return Comparison((big, stack), steps, summary, ratio)


def factorise_asymmetric(h: int = 17, w: int = 17, c_in: int = 192, c_out: int = 192, kernel: int = 7) -> Comparison:
    """An n×n vs 1×n followed by n×1 (Inception v3's 17×17 modules use n = 7)."""
    n = kernel
    big = _chain(f"One {n}×{n}", [same_conv(c_in, h, w, c_out, n, name=f"{n}×{n} conv")])
    pair = _chain(
        f"1×{n} then {n}×1",
        [
            same_conv(c_in, h, w, c_out, (1, n), name=f"1×{n} conv"),
            same_conv(c_out, h, w, c_out, (n, 1), name=f"{n}×1 conv"),
        ],
    )
    ratio = pair.macs / big.macs
    steps = (
        *_design_steps(big),
        *_design_steps(pair),
        Step("Receptive field", rf"(1 + 0 + ({n} - 1)) \times (1 + ({n} - 1) + 0) = {n} \times {n}"),
        Step(
            "Ratio",
            rf"\frac{{{_tex_count(pair.macs)}}}{{{_tex_count(big.macs)}}} = {ratio:.2f}"
            + (rf" = \frac{{2}}{{{n}}}" if c_in == c_out else ""),
        ),
    )
    summary = (
        f"Same **{_rf(big)}** receptive field; 1×{n} then {n}×1 costs **{ratio:.2f}×** the {n}×{n} "
        f"({human(pair.macs, textbook=True)} vs {human(big.macs, textbook=True)} MACs)."
    )
    return Comparison((big, pair), steps, summary, ratio)
