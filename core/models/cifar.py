"""The CIFAR family of He et al. 2016 (Sec. 4.2): plain and residual nets of depth 6n+2.

Three stages of n two-layer blocks on 32/16/8 maps with widths w/2w/4w (w=16 in the paper),
a 3x3 stem conv before them and global-average-pool + linear after. Plain and residual nets share
every layer; the residual net adds shortcuts. Option A shortcuts (strided identity, zero-padded
channels) have no parameters, so the two nets have identical parameter counts, as in the paper.

Each block keeps its residual `branch` and its `shortcut` as separate submodules so that analyses
(lesions, path sampling, drift) can reach them with forward hooks instead of special cases here.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

DEPTH_RULE = "6n+2 (8, 14, 20, 26, 32, 44, 56, 110, ...)"  # the one statement of the depth rule
# The deepest CIFAR net of the paper. Building and tracing grows with depth (cifar-resnet-12002: over a
# minute and gigabytes), so nothing in ConvAtlas builds, counts or trains a deeper one.
MAX_DEPTH = 1202


def cifar_depth_ok(depth: int) -> bool:
    return depth >= 8 and (depth - 2) % 6 == 0


def blocks_per_stage(depth: int) -> int:
    """n of a 6n+2-layer net: three stages of n two-layer blocks, a stem conv and a linear head."""
    if not cifar_depth_ok(depth):
        raise ValueError(f"depth must be {DEPTH_RULE}, got {depth}")
    return (depth - 2) // 6


def cifar_size(depth: int, width: int = 16, in_channels: int = 3, num_classes: int = 10) -> int:
    """Parameters of CifarNet in closed form (option-A shortcuts, post-activation), without building it."""
    n = (depth - 2) // 6
    params, channels = 9 * in_channels * width + 2 * width, width
    for out in (width, 2 * width, 4 * width):  # first block's first conv takes the previous stage's channels
        params += 9 * channels * out + 9 * out * out + (n - 1) * 18 * out * out + n * 4 * out
        channels = out
    return params + (4 * width + 1) * num_classes


def cifar_depths(deepest: int, shallowest: int = 8) -> list[int]:
    """Every valid depth in [shallowest, deepest], for sliders."""
    return [d for d in range(shallowest, deepest + 1) if cifar_depth_ok(d)]


class ZeroPadShortcut(nn.Module):
    """Option A: subsample by `stride`, then zero-pad the extra channels (no parameters)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int):
        super().__init__()
        self.in_channels, self.out_channels, self.stride = in_channels, out_channels, stride

    def forward(self, x):
        x = x[:, :, :: self.stride, :: self.stride]
        extra = self.out_channels - self.in_channels
        return F.pad(x, (0, 0, 0, 0, extra // 2, extra - extra // 2))


def conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)


def make_shortcut(in_channels: int, out_channels: int, stride: int, option: str) -> nn.Module:
    if stride == 1 and in_channels == out_channels:
        return nn.Identity()
    if option == "A":
        return ZeroPadShortcut(in_channels, out_channels, stride)
    return nn.Sequential(  # option B: 1x1 projection
        nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels)
    )


class DropPath(nn.Module):
    """Stochastic depth (Huang et al. 2016): drop the whole branch of a sample with prob 1 - survival."""

    def __init__(self, survival: float = 1.0):
        super().__init__()
        self.survival = survival
        # the trainer gives each run its own generator: a global one is shared by every thread of a process
        self.generator: torch.Generator | None = None

    def forward(self, x):
        if not self.training or self.survival >= 1.0:
            return x
        keep = torch.rand(x.shape[0], 1, 1, 1, device=x.device, generator=self.generator) < self.survival
        return x * keep / self.survival


class BasicBlock(nn.Module):
    """Original (post-activation) block: conv-BN-ReLU-conv-BN, add shortcut, ReLU."""

    def __init__(self, in_channels, out_channels, stride=1, residual=True, shortcut="A", survival=1.0):
        super().__init__()
        self.residual = residual
        self.branch = nn.Sequential(
            conv3x3(in_channels, out_channels, stride),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            conv3x3(out_channels, out_channels),
            nn.BatchNorm2d(out_channels),
        )
        self.drop_path = DropPath(survival)
        if residual:
            self.shortcut = make_shortcut(in_channels, out_channels, stride, shortcut)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        out = self.drop_path(self.branch(x))
        if self.residual:
            out = out + self.shortcut(x)
        return self.relu(out)


class PreActBlock(nn.Module):
    """Pre-activation block (He et al., "Identity mappings"): BN-ReLU-conv-BN-ReLU-conv, add."""

    def __init__(self, in_channels, out_channels, stride=1, residual=True, shortcut="A", survival=1.0):
        super().__init__()
        self.residual = residual
        self.branch = nn.Sequential(
            nn.BatchNorm2d(in_channels),
            nn.ReLU(inplace=False),
            conv3x3(in_channels, out_channels, stride),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            conv3x3(out_channels, out_channels),
        )
        self.drop_path = DropPath(survival)
        if residual:
            self.shortcut = make_shortcut(in_channels, out_channels, stride, shortcut)

    def forward(self, x):
        out = self.drop_path(self.branch(x))
        if self.residual:
            out = out + self.shortcut(x)
        return out


class CifarNet(nn.Module):
    """depth = 6n+2 layers: stem conv, 3 stages x n blocks x 2 convs, linear head."""

    def __init__(
        self,
        depth=20,
        width=16,
        in_channels=3,
        num_classes=10,
        residual=True,
        preact=False,
        shortcut="A",
        final_survival=1.0,
    ):
        super().__init__()
        n = blocks_per_stage(depth)
        if width < 1:
            raise ValueError(f"width must be at least 1, got {width}")
        if shortcut not in ("A", "B"):
            raise ValueError(f"shortcut must be 'A' or 'B', got {shortcut!r}")
        self.depth, self.width, self.residual, self.preact = depth, width, residual, preact
        block = PreActBlock if preact else BasicBlock
        self.stem = nn.Sequential(conv3x3(in_channels, width))
        if not preact:  # pre-activation nets start with a bare conv; the first block normalises
            self.stem.extend([nn.BatchNorm2d(width), nn.ReLU(inplace=True)])
        # Linear decay of the survival probability from 1 to `final_survival` over the 3n blocks.
        survivals = [1.0 - (1.0 - final_survival) * (i + 1) / (3 * n) for i in range(3 * n)]
        channels, stages = width, []
        for s, out_channels in enumerate((width, 2 * width, 4 * width)):
            stages.append(
                self._make_stage(
                    block,
                    channels,
                    out_channels,
                    n,
                    1 if s == 0 else 2,
                    residual,
                    shortcut,
                    survivals[s * n : (s + 1) * n],
                )
            )
            channels = out_channels
        self.stage1, self.stage2, self.stage3 = stages
        self.head_norm = nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU(inplace=True)) if preact else nn.Identity()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)
        self.reset_parameters()

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """He et al.'s initialisation (fan-out normal convs; PyTorch's default for the linear head),
        drawn from `generator` (a training run's own: the default generator is shared by every
        thread of a process) or from torch's default generator."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu", generator=generator)
            elif isinstance(m, nn.Linear):
                nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5), generator=generator)
                bound = 1 / math.sqrt(m.in_features)
                nn.init.uniform_(m.bias, -bound, bound, generator=generator)

    @staticmethod
    def _make_stage(block, in_channels, out_channels, blocks, stride, residual, shortcut, survivals):
        layers = [block(in_channels, out_channels, stride, residual, shortcut, survivals[0])]
        layers += [block(out_channels, out_channels, 1, residual, shortcut, p) for p in survivals[1:]]
        return nn.Sequential(*layers)

    def blocks(self) -> list[tuple[str, nn.Module]]:
        """All residual/plain blocks in order, with their module paths."""
        return [(f"stage{s}.{i}", b) for s in (1, 2, 3) for i, b in enumerate(getattr(self, f"stage{s}"))]

    def forward(self, x):  # x: (N, C, 32, 32) for CIFAR; any size >= 8 works
        x = self.stem(x)  # (N, w, H, W)
        x = self.stage1(x)  # (N, w, H, W)
        x = self.stage2(x)  # (N, 2w, H/2, W/2)
        x = self.stage3(x)  # (N, 4w, H/4, W/4)
        x = self.pool(self.head_norm(x)).flatten(1)
        return self.fc(x)  # (N, classes)
