"""Ensemble-of-paths analyses of residual nets (Veit, Wilber & Belongie, NeurIPS 2016).

A residual net of n blocks, x_i = x_{i-1} + H_i(x_{i-1}), unrolls into 2^n paths from input to
output; a path of length k goes through the branch of k blocks and the skip of the other n - k.
This module draws that picture (DOT, LaTeX), counts path lengths, and runs Veit's three experiments
on a trained CifarNet without retraining or copying it:

- lesions: delete one block, k random blocks, or swap k pairs of blocks at test time;
- which paths carry the gradient: let the gradient flow through the branch of only k blocks and
  the skip of the others, measure it at the input, weight by the C(n, k) paths of length k.

Every intervention is a forward hook (or a swap of two entries in a stage) removed on exit, so a
sweep over 27 deletions runs 27 forward passes on the one model in memory.
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
from core.nets.cifar import CifarNet

SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
MAX_UNRAVEL = 5  # 2^5 = 32 paths: the largest graph that still reads on a projector


# --- the picture: stacked vs unraveled, and the algebra ----------------------------------------

def _check_unravel(n: int) -> None:
    if not 1 <= n <= MAX_UNRAVEL:
        raise UserError(f"the unraveled view draws 1 to {MAX_UNRAVEL} blocks, got {n}")


def stacked_dot(n: int) -> str:
    """The usual view: n blocks in a chain, each with its skip connection around it."""
    _check_unravel(n)
    lines = ["digraph stacked {", "  rankdir=TB; nodesep=0.4; ranksep=0.3;",
             '  node [fontname="Helvetica", fontsize=16];',
             '  x0 [label="input x₀", shape=box, style="rounded,filled", fillcolor="#e8eef7"];']
    for i in range(1, n + 1):
        lines += [f'  H{i} [label="H{str(i).translate(SUB)}", shape=box, style=filled, fillcolor="#fde2c8"];',
                  f'  x{i} [label="+", shape=circle, width=0.35, fixedsize=true];',
                  f"  x{i - 1} -> H{i};", f"  H{i} -> x{i};",
                  f'  x{i - 1} -> x{i} [style=dashed, color="#1f5fbf", constraint=false];']
    lines += [f'  out [label="output x{str(n).translate(SUB)}", shape=box, style="rounded,filled", '
              'fillcolor="#e8eef7"];', f"  x{n} -> out;", "}"]
    return "\n".join(lines)


def unraveled_dot(n: int) -> str:
    """All 2^n paths. Each node H_i(S) is the end of the path through the blocks S ∪ {i} in order;
    from there the path may enter any later block or go straight to the output sum."""
    _check_unravel(n)
    lines = ["digraph unraveled {", "  rankdir=LR; nodesep=0.08; ranksep=0.5;",
             '  node [fontname="Helvetica", fontsize=14, shape=box, style=filled, fillcolor="#fde2c8", '
             "height=0.3, margin=0.04];", '  edge [color="#888888", arrowsize=0.5];',
             '  in [label="x₀", shape=box, style="rounded,filled", fillcolor="#e8eef7"];',
             f'  out [label="Σ: {2 ** n} paths", shape=box, style="rounded,filled", fillcolor="#e8eef7"];']
    nodes = [("in", ())]  # (node id, blocks on the path so far)
    by_block: dict[int, list[str]] = {i: [] for i in range(1, n + 1)}
    edges = []
    for node, path in nodes:  # grows while iterating: breadth-first over path prefixes
        last = path[-1] if path else 0
        for i in range(last + 1, n + 1):
            child = "p" + "_".join(map(str, path + (i,)))
            nodes.append((child, path + (i,)))
            by_block[i].append(child)
            edges.append(f"  {node} -> {child};")
    for node, path in nodes[1:]:
        tip = "→".join(f"H{j}" for j in path)
        lines.append(f'  {node} [label="H{str(path[-1]).translate(SUB)}", tooltip="path {tip} (length {len(path)})"];')
    for i, group in by_block.items():
        lines.append("  { rank=same; " + " ".join(group) + " }")
    lines += edges
    lines += [f'  {node} -> out [color="#1f5fbf"];' for node, _ in nodes]
    lines.append("}")
    return "\n".join(lines)


def _expand(i: int, base: int) -> str:
    """x_i written in terms of x_base: x_i = x_{i-1} + H_i(x_{i-1}), unrolled down to x_base."""
    if i == base:
        return f"x_{{{base}}}"
    inner = _expand(i - 1, base)
    return f"{inner} + H_{{{i}}}({inner})"


def unrolled_latex(n: int) -> list[str]:
    """The unrolling of x_n one level at a time, each a LaTeX line: x_n = x_{n-1} + H_n(x_{n-1}) = ...
    The last line is in terms of the input x_0 alone; its top-level terms go one per line."""
    _check_unravel(n)
    steps = [f"x_{{{n}}} = " + _expand(n, n - 1)]
    steps += [r"\phantom{x_{" + str(n) + "}} = " + _expand(n, base) for base in range(n - 2, 0, -1)]
    terms = ["x_{0}"] + [f"H_{{{i}}}({_expand(i - 1, 0)})" for i in range(1, n + 1)]
    full = r"\begin{aligned} x_{" + str(n) + r"} = {} & " + terms[0] + "".join(
        r" \\ & + " + t for t in terms[1:]) + r"\end{aligned}"
    return steps + [full] if n > 1 else [full]


def gradient_product_latex(n: int) -> str:
    """The same count seen through the chain rule: each factor (1 + H_i') picks skip or branch."""
    _check_unravel(n)
    factors = "".join(f"(1 + H_{{{i}}}')" for i in range(n, 0, -1))
    return (r"\frac{\partial x_{" + str(n) + r"}}{\partial x_0} = " + factors
            + r" = \sum_{S \subseteq \{1..%d\}} \prod_{i \in S} H_i' \quad (%d \text{ terms} = %d \text{ paths})"
            % (n, 2 ** n, 2 ** n))


# --- path-length distribution ------------------------------------------------------------------

def path_lengths(n_blocks: int) -> pd.DataFrame:
    """Paths of each length k = 0..n in a residual net of n blocks: C(n, k) of 2^n (binomial, p = 1/2)."""
    if n_blocks < 1:
        raise UserError(f"a net needs at least one block, got {n_blocks}")
    counts = [math.comb(n_blocks, k) for k in range(n_blocks + 1)]
    total = 2 ** n_blocks
    return pd.DataFrame({"length": range(n_blocks + 1), "paths": counts,
                         "fraction": [c / total for c in counts]})


def central_range(lengths: list[int], weights: list[float], mass: float = 0.95) -> tuple[int, int]:
    """Narrowest contiguous range of lengths holding at least `mass` of the total weight."""
    total = float(sum(weights))
    best = (lengths[0], lengths[-1])
    for lo in range(len(lengths)):
        acc = 0.0
        for hi in range(lo, len(lengths)):
            acc += weights[hi]
            if acc >= mass * total:
                if lengths[hi] - lengths[lo] < best[1] - best[0]:
                    best = (lengths[lo], lengths[hi])
                break
    return best


# --- interventions on a trained CifarNet ---------------------------------------------------------

@dataclass(frozen=True)
class BlockInfo:
    name: str          # "stage2.0"
    stage: int
    index: int         # position in the whole net, 0-based
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
        wrong += (model(x[i:i + batch_size]).argmax(1) != y[i:i + batch_size]).sum().item()
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
        xb, yb = x[start:start + batch_size], y[start:start + batch_size]
        inputs, h = [], model.stem(xb)  # inputs[i]: (B, C_i, H_i, W_i) entering block i, intact net
        for block in blocks:
            inputs.append(h)
            h = block(h)
        for b in infos:
            if b.name not in allowed:
                continue
            with deleted(model, [b.name]):
                h = inputs[b.index]
                for block in blocks[b.index:]:
                    h = block(h)
            logits = model.fc(model.pool(model.head_norm(h)).flatten(1))  # the tail of CifarNet.forward
            wrong[b.name] += (logits.argmax(1) != yb).sum().item()
    return pd.DataFrame([{"block": b.name, "stage": b.stage, "index": b.index, "downsampling": b.downsampling,
                          "deletable": b.name in allowed,
                          "error": wrong[b.name] / len(x) if b.name in allowed else float("nan")}
                         for b in infos])


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
                rows.append({"k": k, "sample": s, "error": test_error(model, x, y),
                             "pairs": " ".join(f"{a}<->{b}" for a, b in chosen)})
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


# --- which paths carry the gradient --------------------------------------------------------------

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


# --- one entry point for the page and the command line --------------------------------------------

ANALYSES = ("single", "random", "reorder", "gradient")


def sweep_limits(residual: bool, depth: int) -> dict[str, int]:
    """Largest k of each sweep for a CIFAR net of `depth` = 6n+2, without building it: blocks that can
    be deleted (a plain net keeps its 2 downsampling blocks) and disjoint same-shape pairs (stage 1
    has n same-shape blocks, stages 2 and 3 have n - 1)."""
    n = (depth - 2) // 6
    return {"random": 3 * n if residual else 3 * n - 2, "reorder": n // 2 + 2 * ((n - 1) // 2)}


def default_ks(model: CifarNet, analysis: str, points: int = 10) -> list[int]:
    """About `points` values of k from 0 to the most this net allows (deletable blocks or pairs)."""
    most = sweep_limits(model.residual, model.depth)[analysis]
    step = max(1, math.ceil(most / points))
    return list(range(0, most + 1, step))


@contextmanager
def single_threaded():
    """These passes run small tensors (8x8 maps on the digits), where torch's intra-op threads cost
    more than they give: bench/bench_paths.py measured the ResNet-56 sweep at 65 s with 2 threads
    and 3.3 s with 1 on a shared 2-core box. torch's setting is per process, so restore it."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def analyse(model: CifarNet, test_x, test_y, analysis: str, ks: list[int] | None = None,
            samples: int = 5, seed: int = 0) -> dict:
    """Run one analysis on a trained net's test set. Returns plain data:
    {"analysis", "blocks", "intact_error", "rows": DataFrame, "summary": DataFrame | None}."""
    if analysis not in ANALYSES:
        raise UserError(f"analysis must be one of {', '.join(ANALYSES)}, got {analysis!r}")
    if samples < 1:
        raise UserError(f"samples must be at least 1, got {samples}")
    model.eval()
    with single_threaded():
        result = {"analysis": analysis, "blocks": len(model.blocks()),
                  "intact_error": test_error(model, test_x, test_y), "summary": None}
        if analysis == "single":
            result["rows"] = lesion_single(model, test_x, test_y)
        elif analysis == "gradient":
            result["rows"] = gradient_by_length(model, test_x, test_y, seed=seed)
        else:
            sweep = lesion_random if analysis == "random" else lesion_reorder
            result["rows"] = sweep(model, test_x, test_y, ks if ks is not None else default_ks(model, analysis),
                                   samples, seed)
            result["summary"] = summarize(result["rows"])
    return result


# --- figures (plotly, built from the tables above; big type for a projector) ----------------------

FONT = dict(size=16)
CHANCE_COLOR, RANGE_COLOR = "#999999", "rgba(31, 95, 191, 0.12)"
COLORS = ["#1f5fbf", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]


def _layout(fig, title: str, x: str = "", y: str = "", **extra):
    """Common look; axis titles only for single-panel figures (subplots title their own axes)."""
    fig.update_layout(title=title, font=FONT, template="plotly_white", legend=dict(orientation="h", y=-0.22),
                      margin=dict(t=60, b=40), **extra)
    if x or y:
        fig.update_layout(xaxis_title=x, yaxis_title=y)
    return fig


def lengths_figure(n_blocks: int, mass: float = 0.95):
    """Binomial distribution of path lengths in a residual net of n blocks, the plain net's single
    path of full length beside it, and the range holding `mass` of all paths shaded."""
    import plotly.graph_objects as go

    table = path_lengths(n_blocks)
    lo, hi = central_range(table["length"].tolist(), table["paths"].tolist(), mass)
    fig = go.Figure()
    fig.add_vrect(x0=lo - 0.5, x1=hi + 0.5, fillcolor=RANGE_COLOR, line_width=0,
                  annotation_text=f"{mass:.0%} of paths: length {lo}–{hi}", annotation_position="top left")
    fig.add_bar(x=table["length"].tolist(), y=(table["fraction"] * 100).tolist(), name=f"residual net: 2^{n_blocks} paths",
                marker_color="#1f5fbf", customdata=table["paths"].tolist(),
                hovertemplate="length %{x}: %{customdata:,} paths (%{y:.2f}%)<extra></extra>")
    fig.add_bar(x=[n_blocks], y=[100], name="plain net: 1 path, full length", marker_color="#d62728", width=0.6,
                hovertemplate="plain net: the one path of length %{x}<extra></extra>")
    fig.update_yaxes(type="log", range=[math.log10(max(table["fraction"].min() * 100, 1e-6)) - 0.3, 2.2],
                     exponentformat="power", dtick=1)
    return _layout(fig, f"Path lengths in a net of {n_blocks} blocks", "path length (blocks whose branch it goes through)",
                   "share of paths (%, log scale)", barmode="overlay")


def gradient_figure(table: pd.DataFrame, label: str, mass: float = 0.9):
    """Veit Fig. 6: gradient magnitude of one path of length k (log) and total gradient per length,
    with the 'effective paths' range holding `mass` of the total shaded."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    lo, hi = central_range(table["length"].tolist(), table["total_gradient"].tolist(), mass)
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1, subplot_titles=(
        "gradient magnitude of one path", f"total gradient by path length — effective: {lo}–{hi}"))
    fig.add_scatter(x=table["length"].tolist(), y=table["gradient_per_path"].tolist(), mode="lines+markers", name="one path of length k",
                    line_color="#1f5fbf", row=1, col=1)
    fig.add_bar(x=table["length"].tolist(), y=(table["share"] * 100).tolist(), name="total (paths × magnitude)", marker_color="#1f5fbf",
                row=1, col=2)
    fig.add_scatter(x=table["length"].tolist(), y=(table["paths"] / table["paths"].sum() * 100).tolist(), mode="lines",
                    name="share of paths (for comparison)", line=dict(color="#999999", dash="dash"), row=1, col=2)
    fig.add_vrect(x0=lo - 0.5, x1=hi + 0.5, fillcolor=RANGE_COLOR, line_width=0, row=1, col=2)
    fig.update_yaxes(type="log", exponentformat="power", title_text="‖∂loss/∂x₀‖ (log)", row=1, col=1)
    fig.update_yaxes(title_text="share of the total gradient (%)", row=1, col=2)
    fig.update_xaxes(title_text="path length k (blocks)", row=1, col=1)
    fig.update_xaxes(title_text="path length k (blocks)", row=1, col=2)
    fig.update_annotations(font=FONT)
    return _layout(fig, f"Which paths carry the gradient — {label}")


def single_lesion_figure(results: dict[str, dict], num_classes: int = 10):
    """Test error after deleting each single block: one panel per net (widths in proportion to the
    number of blocks), downsampling blocks hatched, intact error dotted, chance dashed grey."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    sizes = [len(r["rows"]) for r in results.values()]
    fig = make_subplots(rows=1, cols=len(results), shared_yaxes=True, horizontal_spacing=0.04,
                        column_widths=[s / sum(sizes) for s in sizes], subplot_titles=list(results))
    for col, ((label, result), color) in enumerate(zip(results.items(), COLORS), start=1):
        rows = result["rows"]
        note = rows["downsampling"].map({True: " (downsampling)", False: ""})
        ok = rows[rows["deletable"]]
        fig.add_bar(x=(ok["index"] + 1).tolist(), y=(ok["error"] * 100).tolist(), name=label, marker_color=color,
                    marker_pattern_shape=["/" if d else "" for d in ok["downsampling"]],
                    customdata=list(zip(ok["block"], note[ok.index])),
                    hovertemplate="%{customdata[0]}%{customdata[1]}: %{y:.1f}% error<extra></extra>",
                    showlegend=False, row=1, col=col)
        fixed = rows[~rows["deletable"]]  # plain downsampling layers: nothing else has their output shape
        if len(fixed):
            fig.add_scatter(x=(fixed["index"] + 1).tolist(), y=[3] * len(fixed), mode="markers+text",
                            marker=dict(symbol="x", size=14, color=color), text=["fixed"] * len(fixed),
                            textposition="top center", customdata=fixed["block"].tolist(), showlegend=False,
                            hovertemplate="%{customdata}: downsampling layer, cannot be deleted<extra></extra>",
                            row=1, col=col)
        fig.add_hline(y=result["intact_error"] * 100, line=dict(color="black", dash="dot"), row=1, col=col,
                      annotation_text=f"intact {result['intact_error']:.1%}", annotation_position="top left")
        fig.add_hline(y=100 * (1 - 1 / num_classes), line=dict(color=CHANCE_COLOR, dash="dash"), row=1, col=col,
                      annotation_text="chance", annotation_position="bottom right")
        fig.update_xaxes(title_text="deleted block", range=[0.4, len(rows) + 0.6], dtick=max(1, len(rows) // 9),
                         row=1, col=col)
    fig.update_yaxes(range=[0, 100])
    fig.update_yaxes(title_text="test error (%)", row=1, col=1)
    fig.update_annotations(font=FONT)
    return _layout(fig, "Delete one block at test time (hatched: downsampling block)", bargap=0.15)


def sweep_figure(results: dict[str, dict], x_title: str, title: str, num_classes: int = 10):
    """Mean test error vs k with the spread over samples (±1 std band, min–max whiskers), one line per net."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for (label, result), color in zip(results.items(), COLORS):
        s = result["summary"]
        fig.add_scatter(x=s["k"].tolist(), y=(s["mean"] * 100).tolist(), mode="lines+markers", name=label, line_color=color,
                        error_y=dict(type="data", symmetric=False, array=((s["max"] - s["mean"]) * 100).tolist(),
                                     arrayminus=((s["mean"] - s["min"]) * 100).tolist(), thickness=1.5),
                        hovertemplate="k=%{x}: %{y:.1f}% mean error<extra>" + label + "</extra>")
        band = pd.concat([s["k"], s["k"][::-1]])
        edge = pd.concat([(s["mean"] + s["std"]) * 100, ((s["mean"] - s["std"]) * 100)[::-1]])
        fig.add_scatter(x=band.tolist(), y=edge.clip(lower=0).tolist(), fill="toself", fillcolor=color, opacity=0.15,
                        line_width=0, showlegend=False, hoverinfo="skip")
    fig.add_hline(y=100 * (1 - 1 / num_classes), line=dict(color=CHANCE_COLOR, dash="dash"),
                  annotation_text="chance", annotation_position="bottom right")
    fig.update_yaxes(range=[0, 100])
    return _layout(fig, title, x_title, "test error (%) — mean, ±1 std band, min–max bars")


# --- command line: python -m core paths ... ---------------------------------------------------------

def _records(table: pd.DataFrame | None) -> list[dict] | None:
    """DataFrame -> JSON-ready rows (NaN, e.g. a plain net's undeletable block, becomes null)."""
    if table is None:
        return None
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
            for row in table.astype(object).to_dict("records")]


# Measured on the 8x8 digits, 8 epochs: lr 0.1 (the paper's CIFAR value) leaves ResNet-56 at 45% test
# error, lr 0.02 brings it to about 2% and plain-20 to about 4% -- lesions need nets that learned.
LR = 0.02
STOCHASTIC_DEPTH_FINAL_SURVIVAL = 0.5  # p_L of Huang et al. 2016


def training_configs(residual_depth: int, plain_depth: int, epochs: int, stochastic_depth: bool,
                     dataset: str = "digits", seed: int = 0) -> list:
    """The runs this view compares: a residual net, a plain net (the deepest that still trains), and
    optionally the residual net again with stochastic depth -- all on one seed."""
    from core.train import RunConfig

    common = dict(epochs=epochs, lr=LR, dataset=dataset, seed=seed)
    configs = [RunConfig(net="resnet", depth=residual_depth, **common),
               RunConfig(net="plain", depth=plain_depth, **common)]
    if stochastic_depth:
        configs.append(RunConfig(net="resnet", depth=residual_depth,
                                 final_survival=STOCHASTIC_DEPTH_FINAL_SURVIVAL, **common))
    return configs


def _train_for_cli(spec: str, args):
    """Train `spec` (resnet-56, plain-20, cifar-resnet-110 ...) with the engine, report progress on
    stderr, keep the run in the store; returns (run_id, config, model)."""
    import sys

    from core.runs import RunStore
    from core.train import RunConfig, train

    name = spec if spec.startswith("cifar-") else f"cifar-{spec}"
    config = RunConfig.from_arch(name, epochs=args.epochs, final_survival=args.final_survival,
                                 dataset=args.dataset, seed=args.seed, lr=args.lr)

    def progress(fraction, history):
        print(f"\rtraining {config.label}: {fraction:4.0%}", end="", file=sys.stderr, flush=True)

    model, history = train(config, progress=progress)
    print(file=sys.stderr)
    return RunStore().save(config, history, model), config, model


def cli(args) -> None:
    """`python -m core paths`: one analysis of a stored or freshly trained run, as text or JSON."""
    import json

    from core.data import load_dataset
    from core.runs import RunStore

    if args.run is not None:
        run = RunStore().load(args.run)
        if run.model is None:
            raise UserError(f"run {args.run} was stored without weights; train it again")
        run_id, config, model = args.run, run.config, run.model
    else:
        run_id, config, model = _train_for_cli(args.train, args)
    analysis = "gradient" if args.gradient else args.lesion
    data = load_dataset(config.dataset, seed=config.seed, train_limit=config.train_limit)
    ks = None
    if args.k:
        try:
            ks = [int(k) for k in args.k.split(",")]
        except ValueError:
            raise UserError(f"--k takes whole numbers separated by commas, got {args.k!r}") from None
    result = analyse(model, data.test_x, data.test_y, analysis, ks, args.samples, args.seed)
    if args.json:
        print(json.dumps({"run": run_id, "net": config.label, "dataset": config.dataset, **result,
                          "rows": _records(result["rows"]), "summary": _records(result["summary"])}))
        return
    print(f"{config.label} (run {run_id}) on {config.dataset}: {result['blocks']} blocks, "
          f"intact test error {result['intact_error']:.2%}")
    print((result["summary"] if result["summary"] is not None else result["rows"]).to_string(index=False))
