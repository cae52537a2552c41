"""Ensemble-of-paths experiments on a trained CifarNet (Veit, Wilber & Belongie, NeurIPS 2016).

Veit's experiments, without retraining or copying the net:
- lesions: delete one block, k random blocks, or swap k pairs of blocks at test time;
- which paths carry the gradient: let the gradient flow through the branch of only k blocks and
  the skip of the others, measure it at the input, weight by the C(n, k) paths of length k.

Every intervention is a forward hook (or a swap of two entries in a stage) removed on exit, so a
sweep over 27 deletions runs 27 forward passes on the one model in memory. The path picture and
counts are in `core.experiments.unravel`, the figures in `core.figures.paths`.
"""

from __future__ import annotations

import math
import random
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from core.errors import UserError
from core.models.cifar import CifarNet, blocks_per_stage
from core.training.config import RunConfig


@dataclass(frozen=True)
class BlockInfo:
    name: str  # "stage2.0"
    stage: int
    index: int  # position in the whole net, 0-based
    downsampling: bool  # changes the map size / channel count (first block of stages 2 and 3)


def block_infos(model: CifarNet) -> list[BlockInfo]:
    infos = []
    for index, (name, block) in enumerate(model.blocks()):
        conv = block.branch[0] if isinstance(block.branch[0], nn.Conv2d) else block.branch[2]
        downsampling = conv.stride != (1, 1) or conv.in_channels != conv.out_channels
        infos.append(BlockInfo(name, int(name.split(".")[0].removeprefix("stage")), index, downsampling))
    return infos


def deletable(model: CifarNet) -> list[BlockInfo]:
    """Residual nets: every block (what stays is its shortcut). Plain nets: only blocks whose input
    and output shapes match — deleting a downsampling layer would leave nothing of the right shape."""
    return [b for b in block_infos(model) if model.residual or not b.downsampling]


def _zeros(module, args, output):
    return torch.zeros_like(output)


def _passthrough(module, args, output):
    return args[0]


@contextmanager
def deleted(model: CifarNet, names: list[str] | tuple[str, ...]):
    """Delete blocks at test time: a residual block becomes its shortcut (its branch returns
    zeros; the post-activation ReLU stays), a plain block passes its input through."""
    blocks = dict(model.blocks())
    allowed = {b.name for b in deletable(model)}
    for name in names:
        if name not in allowed:
            raise UserError(f"block {name} cannot be deleted from this net")
    with ExitStack() as stack:
        for name in names:
            target = blocks[name].branch if model.residual else blocks[name]
            handle = target.register_forward_hook(_zeros if model.residual else _passthrough)
            stack.callback(handle.remove)
        yield model


@contextmanager
def swapped(model: CifarNet, pairs: list[tuple[str, str]]):
    """Reorder blocks: swap each pair in place (same-shape blocks of one stage), undone on exit."""

    def locate(name):
        stage, i = name.split(".")
        return getattr(model, stage), int(i)

    try:
        for a, b in pairs:
            (sa, ia), (sb, ib) = locate(a), locate(b)
            sa[ia], sb[ib] = sb[ib], sa[ia]
        yield model
    finally:
        for a, b in reversed(pairs):
            (sa, ia), (sb, ib) = locate(a), locate(b)
            sa[ia], sb[ib] = sb[ib], sa[ia]


@torch.no_grad()
def test_error(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1024) -> float:
    """Top-1 error in [0, 1] of `model` (eval mode) on x (N, C, H, W), y (N,)."""
    model.eval()
    wrong = 0
    for i in range(0, len(x), batch_size):
        wrong += (model(x[i : i + batch_size]).argmax(1) != y[i : i + batch_size]).sum().item()
    return wrong / len(x)


@torch.no_grad()
def lesion_single(model: CifarNet, x, y, batch_size: int = 256) -> pd.DataFrame:
    """Delete each block on its own: one row per block, error NaN where it cannot be deleted.

    Blocks before the deleted one compute what they compute in the intact net, so the input of
    every block is computed once per batch and each deletion runs only the blocks from there on:
    about n^2/2 block evaluations for n deletions instead of n^2."""
    model.eval()
    infos, blocks = block_infos(model), [b for _, b in model.blocks()]
    allowed = {b.name for b in deletable(model)}
    wrong = {b.name: 0 for b in infos if b.name in allowed}
    for start in range(0, len(x), batch_size):
        xb, yb = x[start : start + batch_size], y[start : start + batch_size]
        inputs, h = [], model.stem(xb)  # inputs[i]: (B, C_i, H_i, W_i) entering block i, intact net
        for block in blocks:
            inputs.append(h)
            h = block(h)
        for b in infos:
            if b.name not in allowed:
                continue
            with deleted(model, [b.name]):
                h = inputs[b.index]
                for block in blocks[b.index :]:
                    h = block(h)
            logits = model.fc(model.pool(model.head_norm(h)).flatten(1))  # the tail of CifarNet.forward
            wrong[b.name] += (logits.argmax(1) != yb).sum().item()
    return pd.DataFrame(
        [
            {
                "block": b.name,
                "stage": b.stage,
                "index": b.index,
                "downsampling": b.downsampling,
                "deletable": b.name in allowed,
                "error": wrong[b.name] / len(x) if b.name in allowed else float("nan"),
            }
            for b in infos
        ]
    )


def _check_ks(ks: list[int], most: int, what: str) -> None:
    if not ks:
        raise UserError("give at least one k")
    bad = [k for k in ks if not 0 <= k <= most]
    if bad:
        raise UserError(f"k must be between 0 and {most} (the {what} of this net), got {bad[0]}")


def lesion_random(model: CifarNet, x, y, ks: list[int], samples: int = 5, seed: int = 0) -> pd.DataFrame:
    """Delete k random (deletable) blocks, `samples` times per k: one row per (k, sample)."""
    names = [b.name for b in deletable(model)]
    _check_ks(ks, len(names), "number of deletable blocks")
    rng, rows = random.Random(seed), []
    for k in ks:
        for s in range(samples):
            chosen = sorted(rng.sample(names, k))
            with deleted(model, chosen):
                rows.append({"k": k, "sample": s, "error": test_error(model, x, y), "blocks": " ".join(chosen)})
    return pd.DataFrame(rows)


def same_shape_blocks(model: CifarNet) -> dict[int, list[str]]:
    """Per stage, the blocks that keep their input's shape (all but a stage's downsampling block):
    any two of one stage can trade places."""
    groups: dict[int, list[str]] = {}
    for b in block_infos(model):
        if not b.downsampling:
            groups.setdefault(b.stage, []).append(b.name)
    return groups


def lesion_reorder(model: CifarNet, x, y, ks: list[int], samples: int = 5, seed: int = 0) -> pd.DataFrame:
    """Swap k random disjoint pairs of same-shape blocks, `samples` times per k."""
    groups = same_shape_blocks(model)
    _check_ks(ks, sum(len(v) // 2 for v in groups.values()), "number of disjoint same-shape pairs")
    rng, rows = random.Random(seed), []
    for k in ks:
        for s in range(samples):
            chosen = _disjoint_pairs(groups, k, rng)
            with swapped(model, chosen):
                rows.append(
                    {
                        "k": k,
                        "sample": s,
                        "error": test_error(model, x, y),
                        "pairs": " ".join(f"{a}<->{b}" for a, b in chosen),
                    }
                )
    return pd.DataFrame(rows)


def _disjoint_pairs(groups: dict[int, list[str]], k: int, rng: random.Random) -> list[tuple[str, str]]:
    """k disjoint pairs: shuffle each stage's blocks, cut them into pairs, draw k of those pairs."""
    pool = [(stage, i) for stage, names in groups.items() for i in range(len(names) // 2)]
    slots = rng.sample(pool, k)
    shuffled = {stage: rng.sample(names, len(names)) for stage, names in groups.items()}
    return [(shuffled[st][2 * i], shuffled[st][2 * i + 1]) for st, i in slots]


def summarize(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean, spread and range of the error per k (for the random-deletion and reorder sweeps)."""
    return rows.groupby("k")["error"].agg(mean="mean", std="std", min="min", max="max").reset_index().fillna(0.0)


def _gate(mask: torch.Tensor):
    """Forward hook keeping the gradient of an output only for the samples where mask is 1."""

    def hook(module, args, output):
        m = mask.view(-1, *([1] * (output.dim() - 1))).to(output.dtype)
        return output * m + output.detach() * (1 - m)  # same value, gradient gated

    return hook


def path_gradient(model: CifarNet, x, y, through_branch: torch.Tensor) -> torch.Tensor:
    """Gradient of the summed loss at the input of the first block, flowing, for sample b, through
    the branch of block i where through_branch[b, i] = 1 and through its skip elsewhere.
    x: (B, C, H, W), through_branch: (B, n) of 0/1 -> (B, width, H, W). The forward pass is the
    intact net's; only the backward routing changes, so over all 2^n routings these sum to the
    full gradient (backprop through a fixed forward pass is linear)."""
    model.eval()  # BN statistics fixed, as at test time: the measurement must not update them
    captured = {}

    def keep_input(module, args, output):
        output.retain_grad()
        captured["x0"] = output

    with ExitStack() as stack:
        stack.callback(model.stem.register_forward_hook(keep_input).remove)
        for i, (_, block) in enumerate(model.blocks()):
            stack.callback(block.branch.register_forward_hook(_gate(through_branch[:, i])).remove)
            stack.callback(block.shortcut.register_forward_hook(_gate(1 - through_branch[:, i])).remove)
        with torch.enable_grad():
            F.cross_entropy(model(x), y, reduction="sum").backward()  # per-sample gradients stay apart
    model.zero_grad(set_to_none=True)
    return captured["x0"].grad


def gradient_by_length(model: CifarNet, x, y, batch: int = 128, seed: int = 0) -> pd.DataFrame:
    """Veit's measurement. For each k = 0..n every input gets its own random set of k blocks whose
    branch the gradient may pass (the skip elsewhere); the mean norm of the gradient at the input
    of the first block is the magnitude of one path of length k, and times C(n, k) paths it is the
    total gradient carried by paths of that length.

    Rows: length, paths, gradient_per_path, total_gradient, share (of the summed total)."""
    if not model.residual:
        raise UserError("the gradient-by-path-length measurement needs a residual net; a plain net has one path")
    n = len(model.blocks())
    x, y = x[:batch], y[:batch]
    gen = torch.Generator().manual_seed(seed)
    rows = []
    for k in range(n + 1):
        through_branch = (torch.rand(len(x), n, generator=gen).argsort(1) < k).float()  # k ones per row
        grad = path_gradient(model, x, y, through_branch).flatten(1).norm(dim=1).mean().item()
        rows.append({"length": k, "paths": math.comb(n, k), "gradient_per_path": grad})
    table = pd.DataFrame(rows)
    table["total_gradient"] = table["paths"].astype(float) * table["gradient_per_path"]
    table["share"] = table["total_gradient"] / table["total_gradient"].sum()
    return table


def block_gradient_norms(model: CifarNet, x, y, batch: int = 256) -> dict[str, float]:
    """Block name -> L2 norm of the gradient of the mean test loss with respect to the block's weights,
    on the first `batch` test images, BN statistics fixed: how hard one more SGD step would pull on
    each block of the trained net."""
    model.eval()
    with torch.enable_grad():
        F.cross_entropy(model(x[:batch]), y[:batch]).backward()
    norms = {
        name: math.sqrt(sum(float(p.grad.square().sum()) for p in block.parameters() if p.grad is not None))
        for name, block in model.blocks()
    }
    model.zero_grad(set_to_none=True)
    return norms


def block_effects(model: CifarNet, x, y) -> dict:
    """Per block of a trained net, what a linked view shows on selecting it: the test error when it
    alone is deleted and its weight-gradient norm. {"intact_error", "rows": DataFrame with block,
    stage, index, downsampling, deletable, error, grad_norm}."""
    with threads_for(x):
        rows = lesion_single(model, x, y)
        norms = block_gradient_norms(model, x, y)
        rows["grad_norm"] = rows["block"].map(norms)
        return {"intact_error": test_error(model, x, y), "residual": model.residual, "rows": rows}


def error_without(model: CifarNet, x, y, names: list[str] | tuple[str, ...]) -> float:
    """Test error with the named blocks deleted together (the others intact)."""
    with threads_for(x), deleted(model, names):
        return test_error(model, x, y)


# --- one entry point for the page and the command line --------------------------------------------

ANALYSES = ("single", "random", "reorder", "gradient")


def sweep_limits(residual: bool, depth: int) -> dict[str, int]:
    """Largest k of each sweep for a CIFAR net of `depth` = 6n+2, without building it: blocks that can
    be deleted (a plain net keeps its 2 downsampling blocks) and disjoint same-shape pairs (stage 1
    has n same-shape blocks, stages 2 and 3 have n - 1)."""
    n = blocks_per_stage(depth)
    return {"random": 3 * n if residual else 3 * n - 2, "reorder": n // 2 + 2 * ((n - 1) // 2)}


def default_ks(model: CifarNet, analysis: str, points: int = 10) -> list[int]:
    """About `points` values of k from 0 to the most this net allows (deletable blocks or pairs)."""
    most = sweep_limits(model.residual, model.depth)[analysis]
    step = max(1, math.ceil(most / points))
    return list(range(0, most + 1, step))


SMALL_MAPS = 16 * 16  # pixels per map up to which one thread is faster


@contextmanager
def threads_for(images: torch.Tensor):
    """Small maps (the 8x8 digits) run faster on one thread: torch's intra-op threads cost more
    than they give there (bench/bench_paths.py measured the ResNet-56 sweep at 65 s with 2 threads and
    3.3 s with 1 on a shared 2-core box). 32x32 maps use the threads the machine gives. torch's
    setting is per process, so restore it."""
    before = torch.get_num_threads()
    if images.shape[-2] * images.shape[-1] <= SMALL_MAPS:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def analyse(
    model: CifarNet, test_x, test_y, analysis: str, ks: list[int] | None = None, samples: int = 5, seed: int = 0
) -> dict:
    """Run one analysis on a trained net's test set. Returns plain data:
    {"analysis", "blocks", "intact_error", "rows": DataFrame, "summary": DataFrame | None}."""
    if analysis not in ANALYSES:
        raise UserError(f"analysis must be one of {', '.join(ANALYSES)}, got {analysis!r}")
    if samples < 1:
        raise UserError(f"samples must be at least 1, got {samples}")
    model.eval()
    with threads_for(test_x):
        result = {
            "analysis": analysis,
            "blocks": len(model.blocks()),
            "residual": model.residual,
            "intact_error": test_error(model, test_x, test_y),
            "summary": None,
        }
        if analysis == "single":
            result["rows"] = lesion_single(model, test_x, test_y)
        elif analysis == "gradient":
            result["rows"] = gradient_by_length(model, test_x, test_y, seed=seed)
        else:
            sweep = lesion_random if analysis == "random" else lesion_reorder
            result["rows"] = sweep(
                model, test_x, test_y, ks if ks is not None else default_ks(model, analysis), samples, seed
            )
            result["summary"] = summarize(result["rows"])
    return result


STOCHASTIC_DEPTH_FINAL_SURVIVAL = 0.5  # p_L of Huang et al. 2016


def training_configs(
    residual_depth: int,
    plain_depth: int,
    epochs: int | None,
    stochastic_depth: bool,
    dataset: str = "digits",
    seed: int = 0,
) -> list:
    """The runs this view compares: a residual net, a plain net (the deepest that still trains), and
    optionally the residual net again with stochastic depth -- all on one seed. Epochs None, width,
    lr and batch size: the dataset's recipe."""
    common = dict(epochs=epochs, dataset=dataset, seed=seed)
    configs = [
        RunConfig(net="resnet", depth=residual_depth, **common),
        RunConfig(net="plain", depth=plain_depth, **common),
    ]
    if stochastic_depth:
        configs.append(
            RunConfig(net="resnet", depth=residual_depth, final_survival=STOCHASTIC_DEPTH_FINAL_SURVIVAL, **common)
        )
    return configs
