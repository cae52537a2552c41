"""Representation drift: residual nets refine one representation, plain nets re-represent.

One forward pass with hooks records, for every block of a `CifarNet`, the representation it hands
on (x_0 = the stem output, x_l = the output of block l), the norm of its residual branch F(x), and
the std of every 3x3 layer's response. From that trace:

- per-block change: ||F(x)|| / ||x|| (residual branches) and ||x_l - x_{l-1}|| / ||x_{l-1}||;
- cosine similarity of consecutive representations (both only where the block keeps the shape);
- linear CKA (Kornblith et al. 2019) between all pairs of representations, vectorised: one centred
  Gram matrix per layer, then every pair at once as a single matrix product;
- trajectories of a few examples through depth, projected to 2-D by a PCA fitted per stage;
- std of layer responses per 3x3 layer (He et al. 2016, Fig. 7).

Greff et al. 2017 read residual stages as "unrolled iterative estimation": consecutive blocks refine
one estimate, so x_l stays close to x_{l-1}. A plain net has no such anchor.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, fields

import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots
from torch import Tensor, nn

from core.data import load_dataset
from core.errors import UserError
from core.nets.cifar import CifarNet
from core.runs import RunStore
from core.train import RunConfig, build_model, configure_cpu, default_lr, run_comparison

PCA_EXAMPLES = 256        # examples each stage's PCA is fitted on (plenty for 2 components)
FONT = dict(size=16)
PLAIN_COLOR, RESIDUAL_COLOR = "#d62728", "#1f77b4"
EXAMPLE_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"]


# ----------------------------------------------------------------------------------------------------
# One forward pass


@dataclass
class Trace:
    """What one hooked forward pass of a CifarNet records."""
    names: list[str]                 # representations: "stem", "stage1.0", ..., "stage3.{n-1}"
    stages: list[int]                # stage of each representation (0 = stem)
    states: list[Tensor]             # (N, D) flattened representation, D = C*H*W
    shapes: list[tuple[int, ...]]    # (C, H, W) of each representation
    branch_norms: list[Tensor]       # per block: (N,) ||F(x)||; empty for plain nets
    response_names: list[str]        # 3x3 layers, in order
    response_std: list[float]        # std of each layer's response, averaged over channels


def response_layers(model: CifarNet) -> list[tuple[str, nn.Module]]:
    """The module whose output is each 3x3 layer's response: its BN if one follows, else the conv.

    He et al. (Fig. 7) take "the outputs of each 3x3 layer, after BN and before other nonlinearity
    (ReLU/addition)". In a pre-activation block the second conv feeds the addition directly.
    """
    layers = []
    for prefix, seq in [("stem", model.stem)] + [(name, b.branch) for name, b in model.blocks()]:
        mods = list(seq)
        convs = [i for i, m in enumerate(mods) if isinstance(m, nn.Conv2d)]
        for k, i in enumerate(convs):
            follows_bn = i + 1 < len(mods) and isinstance(mods[i + 1], nn.BatchNorm2d)
            name = prefix if prefix == "stem" else f"{prefix}.conv{k + 1}"
            layers.append((name, mods[i + 1] if follows_bn else mods[i]))
    return layers


@torch.no_grad()
def gather(model: CifarNet, images: Tensor) -> Trace:
    """Run `images` (N, C, H, W) through `model` once, recording everything the analyses need."""
    blocks = model.blocks()
    names = ["stem"] + [name for name, _ in blocks]
    states: list[Tensor] = [None] * len(names)
    shapes: list[tuple[int, ...]] = [None] * len(names)
    branch_norms: list[Tensor] = [None] * len(blocks)
    response_std: dict[str, float] = {}

    def keep_state(i):
        def hook(module, args, out):  # clone: a later in-place ReLU may overwrite `out`
            states[i], shapes[i] = out.detach().flatten(1).clone(), tuple(out.shape[1:])
        return hook

    def keep_branch_norm(i):
        def hook(module, args, out):  # reduce at once: nothing of F(x) but its norm is needed
            branch_norms[i] = out.detach().flatten(1).norm(dim=1)
        return hook

    def keep_response_std(name):
        def hook(module, args, out):  # per-channel std over examples and positions, channel mean
            response_std[name] = out.detach().transpose(0, 1).flatten(1).std(dim=1).mean().item()
        return hook

    handles = [model.stem.register_forward_hook(keep_state(0))]
    for i, (_, block) in enumerate(blocks):
        handles.append(block.register_forward_hook(keep_state(i + 1)))
        if block.residual:
            handles.append(block.branch.register_forward_hook(keep_branch_norm(i)))
    layers = response_layers(model)
    handles += [module.register_forward_hook(keep_response_std(name)) for name, module in layers]
    was_training = model.training
    model.eval()
    try:
        model(images)
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    return Trace(
        names=names, stages=[0] + [int(name[len("stage")]) for name, _ in blocks], states=states,
        shapes=shapes, branch_norms=[b for b in branch_norms if b is not None],
        response_names=[name for name, _ in layers], response_std=[response_std[n] for n, _ in layers],
    )


@torch.no_grad()
def calibrate_batchnorm(model: nn.Module, images: Tensor) -> nn.Module:
    """Set every BN's running statistics to those of `images`, in place.

    An untrained net's running stats are the defaults (mean 0, var 1), so in eval mode its BN layers
    do nothing, which is not how the net behaves when training starts (batch statistics). Analysing
    "at initialisation" with calibrated stats shows the net as SGD first sees it.
    """
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average: one pass sets the stats exactly
        m.train()
    model(images)
    for m, momentum in zip(norms, saved):
        m.momentum = momentum
        m.eval()
    return model


# ----------------------------------------------------------------------------------------------------
# Analyses of a trace


def linear_cka(states: list[Tensor]) -> Tensor:
    """Linear CKA between every pair of representations (each (N, D_l)): an (L, L) matrix.

    CKA(X, Y) = <K, L>_F / (||K||_F ||L||_F) with K = Xc Xc^T, L = Yc Yc^T the Gram matrices of the
    features centred over examples. Centring the features centres the Gram matrix (H K H), so each
    layer costs one (N, D) x (D, N) product; all L^2 pairs are then one (L, N^2) x (N^2, L) product.
    """
    grams = []
    for x in states:
        xc = x - x.mean(dim=0, keepdim=True)
        gram = (xc @ xc.T).flatten()
        grams.append(gram / gram.norm().clamp_min(1e-12))
    grams = torch.stack(grams)          # (L, N*N), unit rows
    return (grams @ grams.T).clamp(0.0, 1.0)


def consecutive_change(trace: Trace) -> tuple[list[float | None], list[float | None]]:
    """Per block l: mean over examples of ||x_l - x_{l-1}|| / ||x_{l-1}|| and of cos(x_{l-1}, x_l).

    None where the block changes the shape (first block of stages 2 and 3): the two tensors live in
    different spaces.
    """
    change, cosine = [], []
    for prev, cur, s0, s1 in zip(trace.states, trace.states[1:], trace.shapes, trace.shapes[1:]):
        if s0 != s1:
            change.append(None)
            cosine.append(None)
            continue
        norm_prev = prev.norm(dim=1).clamp_min(1e-12)
        change.append(((cur - prev).norm(dim=1) / norm_prev).mean().item())
        cosine.append(torch.nn.functional.cosine_similarity(prev, cur, dim=1, eps=1e-12).mean().item())
    return change, cosine


def branch_ratio(trace: Trace) -> list[float]:
    """Per residual block: mean over examples of ||F(x)|| / ||x|| (x = the block's input)."""
    return [(f / x.norm(dim=1).clamp_min(1e-12)).mean().item()
            for f, x in zip(trace.branch_norms, trace.states)]


@torch.no_grad()
def trajectories(trace: Trace, count: int) -> dict[int, list[list[list[float]]]]:
    """Paths of the first `count` examples through each stage, in 2-D: {stage: [example][step][x, y]}.

    The PCA of a stage is fitted on all its representations (stage 1 includes the stem output, its
    starting point) of up to PCA_EXAMPLES examples, so one plane holds the whole stage.
    """
    paths = {}
    for stage in (1, 2, 3):
        idx = [i for i, s in enumerate(trace.stages) if s == stage or (stage == 1 and s == 0)]
        fit = torch.cat([trace.states[i][:PCA_EXAMPLES] for i in idx])       # (L_s * M, D)
        mean = fit.mean(dim=0, keepdim=True)
        with torch.random.fork_rng():
            torch.manual_seed(0)  # the randomised low-rank PCA: same picture on every rerun
            _, _, v = torch.pca_lowrank(fit - mean, q=min(4, *fit.shape), center=False, niter=4)
        axes = v[:, :2]                                                       # (D, 2)
        steps = torch.stack([(trace.states[i][:count] - mean) @ axes for i in idx], dim=1)
        paths[stage] = steps.tolist()                                         # (count, L_s, 2)
    return paths


# ----------------------------------------------------------------------------------------------------
# A report per net


@dataclass
class DriftReport:
    """Every drift figure of one net, as plain data (JSON-ready through `to_dict`)."""
    label: str                          # e.g. "ResNet-20 · trained"
    examples: int                       # images analysed
    residual: bool
    trained: bool
    layers: list[str]                   # representation names: stem, stage1.0, ...
    stages: list[int]                   # stage of each representation (0 = stem)
    cka: list[list[float]]              # (L, L) linear CKA
    rel_change: list[float | None]      # per block; None where the block changes shape
    cosine: list[float | None]          # per block; None where the block changes shape
    branch_ratio: list[float] | None    # per block ||F(x)||/||x||; None for plain nets
    response_names: list[str]
    response_std: list[float]
    trajectory: dict[int, list]         # {stage: [example][step][x, y]}
    trajectory_labels: list[str]        # legend name of each example followed

    @property
    def blocks(self) -> list[str]:
        return self.layers[1:]

    def summary(self) -> dict[str, float]:
        """Means over the blocks that keep their shape (consecutive layers within a stage)."""
        change = [c for c in self.rel_change if c is not None]
        cosine = [c for c in self.cosine if c is not None]
        within = [self.cka[i][i + 1] for i in range(len(self.layers) - 1) if self.rel_change[i] is not None]
        out = {"mean_rel_change": sum(change) / len(change), "mean_cosine": sum(cosine) / len(cosine),
               "mean_consecutive_cka": sum(within) / len(within)}
        if self.branch_ratio is not None:
            out["mean_branch_ratio"] = sum(self.branch_ratio) / len(self.branch_ratio)
        return out

    def to_dict(self) -> dict:
        return {"label": self.label, "examples": self.examples, "residual": self.residual,
                "trained": self.trained, "summary": self.summary(), "layers": self.layers, "stages": self.stages,
                "rel_change": self.rel_change, "cosine": self.cosine, "branch_ratio": self.branch_ratio,
                "cka": self.cka, "response_names": self.response_names, "response_std": self.response_std,
                "trajectory": {str(k): v for k, v in self.trajectory.items()},
                "trajectory_labels": self.trajectory_labels}


def analyse(model: CifarNet, images: Tensor, label: str, trained: bool,
            image_names: list[str] | None = None, paths: int = 4) -> DriftReport:
    """All drift analyses of `model` on `images` (N, C, H, W) from one forward pass.

    The first `paths` images are followed through depth; `image_names` labels them in legends.
    """
    if not isinstance(model, CifarNet):
        raise TypeError(f"drift analyses need a CifarNet, got {type(model).__name__}")
    trace = gather(model, images)
    change, cosine = consecutive_change(trace)
    count = min(paths, images.shape[0])
    names = image_names[:count] if image_names is not None else [f"image {i + 1}" for i in range(count)]
    return DriftReport(
        label=label, examples=images.shape[0], residual=model.residual, trained=trained,
        layers=trace.names, stages=trace.stages, cka=linear_cka(trace.states).tolist(),
        rel_change=change, cosine=cosine, branch_ratio=branch_ratio(trace) if model.residual else None,
        response_names=trace.response_names, response_std=trace.response_std,
        trajectory=trajectories(trace, count), trajectory_labels=list(names),
    )


def pick(reports: list[DriftReport], residual: bool, trained: bool) -> DriftReport | None:
    return next((r for r in reports if r.residual == residual and r.trained == trained), None)


# ----------------------------------------------------------------------------------------------------
# Runs of the training engine


def initial_model(config: RunConfig) -> CifarNet:
    """The run's weights before its first step: the engine seeds with `config.seed`, then builds."""
    with torch.random.fork_rng():
        torch.manual_seed(config.seed)
        return build_model(config)


def check_counts(examples: int, paths: int) -> None:
    if not 2 <= examples <= 5000:
        raise UserError(f"examples must be between 2 and 5000, got {examples}")
    if not 1 <= paths <= len(EXAMPLE_COLORS):
        raise UserError(f"paths must be between 1 and {len(EXAMPLE_COLORS)}, got {paths}")


def analyse_runs(runs: list[tuple[RunConfig, nn.Module | None]], examples: int = 500,
                 paths: int = 4) -> list[DriftReport]:
    """Drift reports of trained runs and of the same nets at initialisation, on the test images.

    `runs`: (config, trained model or None for "at initialisation only"). All runs must share a
    dataset and seed (the digits split depends on it), as the runs of one comparison do.
    """
    if not runs:
        raise UserError("nothing to analyse: give at least one run")
    first = runs[0][0]
    if any((c.dataset, c.seed) != (first.dataset, first.seed) for c, _ in runs):
        raise UserError("runs compared side by side must use the same dataset and seed")
    check_counts(examples, paths)
    configure_cpu()  # denormal flushing (deep plain nets) and threads that fit the machine's load
    data = load_dataset(first.dataset, seed=first.seed, train_limit=first.train_limit)
    images = data.test_x[:examples]                                   # (N, C, H, W)
    names = [f"test image {i + 1} (class {int(c)})" for i, c in enumerate(data.test_y[:paths])]
    reports = []
    for config, model in runs:
        if model is not None:
            reports.append(analyse(model.cpu().eval(), images, f"{config.label} · trained", True, names, paths))
        # BN statistics of the untrained net from a training batch, as its first step would see them
        init = calibrate_batchnorm(initial_model(config), data.train_x[:1024])
        reports.append(analyse(init, images, f"{config.label} · at init", False, names, paths))
    return reports


def fidelity(reports: list[DriftReport]) -> dict[str, bool]:
    """The claim of the page, per state (trained / at init): within stages the residual net changes
    its representation less per block, and its consecutive layers are more similar."""
    out = {}
    for trained in (True, False):
        plain, residual = pick(reports, False, trained), pick(reports, True, trained)
        if plain and residual:
            p, r = plain.summary(), residual.summary()
            key = "trained" if trained else "at_init"
            out[key] = r["mean_rel_change"] < p["mean_rel_change"] and r["mean_cosine"] > p["mean_cosine"]
    return out


# ----------------------------------------------------------------------------------------------------
# Figures (plain data in, plotly figures out)


def _style(report: DriftReport) -> dict:
    color = RESIDUAL_COLOR if report.residual else PLAIN_COLOR
    return dict(color=color, width=3 if report.trained else 2, dash="solid" if report.trained else "dot")


def _stage_lines(fig: go.Figure, report: DriftReport, cols: int) -> None:
    """Dashed vertical lines between stages on block-indexed axes (block k at x = k)."""
    for k in range(1, len(report.stages) - 1):
        if report.stages[k + 1] != report.stages[k] and report.stages[k] > 0:
            for col in range(1, cols + 1):
                fig.add_vline(x=k + 0.5, line=dict(color="gray", dash="dash", width=1), row=1, col=col)


def _block_axis(fig: go.Figure, report: DriftReport) -> None:
    """Whole-number block ticks, about ten of them whatever the depth."""
    fig.update_xaxes(title_text="block (dashed: new stage)", tick0=1, dtick=max(1, round(len(report.blocks) / 10)))


def _layout(fig: go.Figure, height: int = 460) -> go.Figure:
    fig.update_layout(font=FONT, height=height, margin=dict(l=60, r=20, t=60, b=60),
                      legend=dict(orientation="h", yanchor="bottom", y=1.08, x=0), template="plotly_white")
    fig.update_annotations(font=FONT)
    return fig


def change_figure(reports: list[DriftReport]) -> go.Figure:
    """Per-block ||F(x)||/||x|| (residual nets) and relative change of the representation."""
    change = "Relative change ‖x<sub>l</sub> − x<sub>l−1</sub>‖ / ‖x<sub>l−1</sub>‖"
    fig = make_subplots(1, 2, subplot_titles=("Residual branch ‖F(x)‖ / ‖x‖", change))
    for r in reports:
        x = list(range(1, len(r.blocks) + 1))
        if r.branch_ratio is not None:
            fig.add_scatter(x=x, y=r.branch_ratio, name=r.label, legendgroup=r.label, showlegend=False,
                            mode="lines+markers", line=_style(r), row=1, col=1)
        fig.add_scatter(x=x, y=r.rel_change, name=r.label, legendgroup=r.label, mode="lines+markers",
                        line=_style(r), hovertext=r.blocks, row=1, col=2)
    _stage_lines(fig, reports[0], 2)
    _block_axis(fig, reports[0])
    fig.update_yaxes(title_text="ratio of norms (dimensionless)", rangemode="tozero")
    return _layout(fig)


def similarity_figure(reports: list[DriftReport]) -> go.Figure:
    """Cosine similarity between the input and output of each block that keeps the shape."""
    fig = make_subplots(1, 1)
    for r in reports:
        fig.add_scatter(x=list(range(1, len(r.blocks) + 1)), y=r.cosine, name=r.label, mode="lines+markers",
                        line=_style(r), hovertext=r.blocks)
    _stage_lines(fig, reports[0], 1)
    _block_axis(fig, reports[0])
    fig.update_yaxes(title_text="cosine(x<sub>l−1</sub>, x<sub>l</sub>)", range=[0, 1.02])
    return _layout(fig, height=420)


def cka_figure(plain: DriftReport, residual: DriftReport) -> go.Figure:
    """Linear CKA between all pairs of representations, plain and residual side by side."""
    fig = make_subplots(1, 2, subplot_titles=(plain.label, residual.label), horizontal_spacing=0.12)
    for col, r in ((1, plain), (2, residual)):
        fig.add_heatmap(z=r.cka, x=r.layers, y=r.layers, zmin=0, zmax=1, colorscale="Viridis",
                        colorbar=dict(title="CKA"), showscale=col == 2,
                        hovertemplate="%{y} vs %{x}: CKA %{z:.2f}<extra></extra>", row=1, col=col)
        for k in range(1, len(r.stages)):
            if r.stages[k] != r.stages[k - 1] and r.stages[k - 1] > 0:  # stage boundary before layer k
                for axis in ("x", "y"):
                    kw = dict(x0=k - 0.5, x1=k - 0.5, y0=-0.5, y1=len(r.layers) - 0.5) if axis == "x" else \
                        dict(y0=k - 0.5, y1=k - 0.5, x0=-0.5, x1=len(r.layers) - 0.5)
                    fig.add_shape(type="line", line=dict(color="white", width=2, dash="dash"), row=1, col=col, **kw)
    fig.update_yaxes(autorange="reversed", scaleanchor=None)
    fig.update_xaxes(tickangle=-60, tickfont=dict(size=11))
    fig.update_yaxes(tickfont=dict(size=11))
    return _layout(fig, height=560)


def trajectory_figure(plain: DriftReport, residual: DriftReport) -> go.Figure:
    """Paths of a few examples through each stage, in the stage's first two principal components."""
    titles = [f"{r.label}: stage {s}" for r in (plain, residual) for s in (1, 2, 3)]
    fig = make_subplots(2, 3, subplot_titles=titles, vertical_spacing=0.12, horizontal_spacing=0.06)
    for row, r in ((1, plain), (2, residual)):
        for col, stage in ((1, 1), (2, 2), (3, 3)):
            for e, path in enumerate(r.trajectory[stage]):
                color = EXAMPLE_COLORS[e % len(EXAMPLE_COLORS)]
                xs, ys = [p[0] for p in path], [p[1] for p in path]
                sizes = [8] * len(path)
                sizes[0] = 14  # start of the stage drawn bigger
                fig.add_scatter(x=xs, y=ys, mode="lines+markers", name=r.trajectory_labels[e],
                                legendgroup=str(e), showlegend=row == 1 and col == 1,
                                line=dict(color=color, width=2), marker=dict(size=sizes, color=color),
                                hovertext=[f"step {k}" for k in range(len(path))], row=row, col=col)
    fig.update_xaxes(title_text="PC 1", showticklabels=False)
    fig.update_yaxes(title_text="PC 2", showticklabels=False)
    return _layout(fig, height=760)


def std_figure(reports: list[DriftReport]) -> go.Figure:
    """Std of layer responses (He et al. 2016, Fig. 7): per 3x3 layer in order, and sorted."""
    fig = make_subplots(1, 2, subplot_titles=("Layer responses in order", "Sorted (largest first)"))
    for r in reports:
        x = list(range(1, len(r.response_std) + 1))
        fig.add_scatter(x=x, y=r.response_std, name=r.label, legendgroup=r.label, mode="lines",
                        line=_style(r), hovertext=r.response_names, row=1, col=1)
        fig.add_scatter(x=x, y=sorted(r.response_std, reverse=True), name=r.label, legendgroup=r.label,
                        showlegend=False, mode="lines", line=_style(r), row=1, col=2)
    fig.update_xaxes(title_text="layer index (3×3 convs)", row=1, col=1)
    fig.update_xaxes(title_text="rank", row=1, col=2)
    fig.update_yaxes(title_text="std of response", rangemode="tozero")
    return _layout(fig)


# ----------------------------------------------------------------------------------------------------
# Command line: `python -m core drift --run ID [ID ...] | --train SPEC [--json]`


def parse_spec(spec: str) -> tuple[list[str], dict]:
    """'depth=20,width=16,preact=true,epochs=4' -> (["cifar-plain-20", "cifar-resnet-20"], overrides).

    Keys are RunConfig fields; values take the type of the field's default. `net=resnet` trains one net;
    the learning rate defaults to the engine's choice for the dataset, as `python -m core train`.
    """
    types = {f.name: type(f.default) for f in fields(RunConfig)}
    types["train_limit"] = int
    values = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or key not in types:
            raise UserError(f"bad training spec item {item!r}: use key=value with keys {', '.join(types)}")
        kind = types[key]
        try:
            if kind is bool:
                if value.lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                    raise ValueError
                values[key] = value.lower() in ("1", "true", "yes", "on")
            else:
                values[key] = kind(value)
        except ValueError:
            raise UserError(f"bad value {value!r} for {key} in the training spec (expects {kind.__name__})") from None
    nets = [values.pop("net")] if "net" in values else ["plain", "resnet"]
    depth = values.pop("depth", RunConfig.depth)
    values.setdefault("lr", default_lr(values.get("dataset", RunConfig.dataset)))
    return [f"cifar-{net}-{depth}" for net in nets], values


def command(run_ids: list[int] | None, spec: str | None, examples: int, paths: int, as_json: bool) -> None:
    """The `drift` subcommand: analyse stored runs, or train a pair first; print a summary or JSON."""
    if (run_ids is None) == (spec is None):
        raise UserError("give either --run RUN_ID [RUN_ID ...] or --train SPEC")
    check_counts(examples, paths)  # before any training
    if spec is not None:
        names, overrides = parse_spec(spec)
        run_ids = run_comparison(names, save=True, emit=lambda line: print(line, file=sys.stderr, flush=True),
                                 **overrides)
    store = RunStore()
    loaded = [store.load(run_id) for run_id in run_ids]
    missing = [r.id for r in loaded if r.model is None]
    if missing:
        raise UserError(f"run {missing[0]} was saved without weights: nothing to analyse")
    reports = analyse_runs([(r.config, r.model) for r in loaded], examples, paths)
    if as_json:
        print(json.dumps({"run_ids": run_ids, "dataset": loaded[0].config.dataset,
                          "examples": reports[0].examples, "fidelity": fidelity(reports),
                          "nets": [r.to_dict() for r in reports]}))
        return
    print(f"{'net':<34} {'rel. change':>11} {'cosine':>7} {'CKA l,l+1':>9} {'‖F(x)‖/‖x‖':>11}")
    for r in reports:
        s = r.summary()
        ratio = f"{s['mean_branch_ratio']:.3f}" if "mean_branch_ratio" in s else "-"
        print(f"{r.label:<34} {s['mean_rel_change']:>11.3f} {s['mean_cosine']:>7.3f} "
              f"{s['mean_consecutive_cka']:>9.3f} {ratio:>11}")
    print("(means over the blocks that keep their shape, i.e. consecutive layers within a stage)")
