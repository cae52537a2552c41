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

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from core.errors import UserError
from core.models.cifar import CifarNet
from core.training.config import RunConfig
from core.training.data import load_dataset
from core.training.device import configure_cpu
from core.training.engine import initial_model as engine_initial_model
from core.training.engine import seeded

PCA_EXAMPLES = 256  # examples each stage's PCA is fitted on (plenty for 2 components)

PATHS_MAX = 8  # examples followed through depth (one colour each)


@dataclass
class Trace:
    """What one hooked forward pass of a CifarNet records."""

    names: list[str]  # representations: "stem", "stage1.0", ..., "stage3.{n-1}"
    stages: list[int]  # stage of each representation (0 = stem)
    states: list[Tensor]  # (N, D) flattened representation, D = C*H*W
    shapes: list[tuple[int, ...]]  # (C, H, W) of each representation
    branch_norms: list[Tensor]  # per block: (N,) ||F(x)||; empty for plain nets
    response_names: list[str]  # 3x3 layers, in order
    response_std: list[float]  # std of each layer's response, averaged over channels


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
        names=names,
        stages=[0] + [int(name[len("stage")]) for name, _ in blocks],
        states=states,
        shapes=shapes,
        branch_norms=[b for b in branch_norms if b is not None],
        response_names=[name for name, _ in layers],
        response_std=[response_std[n] for n, _ in layers],
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
    grams = torch.stack(grams)  # (L, N*N), unit rows
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
    return [(f / x.norm(dim=1).clamp_min(1e-12)).mean().item() for f, x in zip(trace.branch_norms, trace.states)]


@torch.no_grad()
def trajectories(trace: Trace, count: int) -> dict[int, list[list[list[float]]]]:
    """Paths of the first `count` examples through each stage, in 2-D: {stage: [example][step][x, y]}.

    The PCA of a stage is fitted on all its representations (stage 1 includes the stem output, its
    starting point) of up to PCA_EXAMPLES examples, so one plane holds the whole stage.
    """
    paths = {}
    for stage in (1, 2, 3):
        idx = [i for i, s in enumerate(trace.stages) if s == stage or (stage == 1 and s == 0)]
        fit = torch.cat([trace.states[i][:PCA_EXAMPLES] for i in idx])  # (L_s * M, D)
        mean = fit.mean(dim=0, keepdim=True)
        with seeded(0):  # the randomised low-rank PCA: same picture on every rerun
            _, _, v = torch.pca_lowrank(fit - mean, q=min(4, *fit.shape), center=False, niter=4)
        axes = v[:, :2]  # (D, 2)
        steps = torch.stack([(trace.states[i][:count] - mean) @ axes for i in idx], dim=1)
        paths[stage] = steps.tolist()  # (count, L_s, 2)
    return paths


@dataclass
class DriftReport:
    """Every drift figure of one net, as plain data (JSON-ready through `to_dict`)."""

    label: str  # e.g. "ResNet-20 · trained"
    examples: int  # images analysed
    residual: bool
    trained: bool
    layers: list[str]  # representation names: stem, stage1.0, ...
    stages: list[int]  # stage of each representation (0 = stem)
    cka: list[list[float]]  # (L, L) linear CKA
    rel_change: list[float | None]  # per block; None where the block changes shape
    cosine: list[float | None]  # per block; None where the block changes shape
    branch_ratio: list[float] | None  # per block ||F(x)||/||x||; None for plain nets
    response_names: list[str]
    response_std: list[float]
    trajectory: dict[int, list]  # {stage: [example][step][x, y]}
    trajectory_labels: list[str]  # legend name of each example followed

    @property
    def blocks(self) -> list[str]:
        return self.layers[1:]

    def summary(self) -> dict[str, float]:
        """Means over the blocks that keep their shape (consecutive layers within a stage)."""
        change = [c for c in self.rel_change if c is not None]
        cosine = [c for c in self.cosine if c is not None]
        within = [self.cka[i][i + 1] for i in range(len(self.layers) - 1) if self.rel_change[i] is not None]
        out = {
            "mean_rel_change": sum(change) / len(change),
            "mean_cosine": sum(cosine) / len(cosine),
            "mean_consecutive_cka": sum(within) / len(within),
        }
        if self.branch_ratio is not None:
            out["mean_branch_ratio"] = sum(self.branch_ratio) / len(self.branch_ratio)
        return out

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "examples": self.examples,
            "residual": self.residual,
            "trained": self.trained,
            "summary": self.summary(),
            "layers": self.layers,
            "stages": self.stages,
            "rel_change": self.rel_change,
            "cosine": self.cosine,
            "branch_ratio": self.branch_ratio,
            "cka": self.cka,
            "response_names": self.response_names,
            "response_std": self.response_std,
            "trajectory": {str(k): v for k, v in self.trajectory.items()},
            "trajectory_labels": self.trajectory_labels,
        }


def analyse(
    model: CifarNet, images: Tensor, label: str, trained: bool, image_names: list[str] | None = None, paths: int = 4
) -> DriftReport:
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
        label=label,
        examples=images.shape[0],
        residual=model.residual,
        trained=trained,
        layers=trace.names,
        stages=trace.stages,
        cka=linear_cka(trace.states).tolist(),
        rel_change=change,
        cosine=cosine,
        branch_ratio=branch_ratio(trace) if model.residual else None,
        response_names=trace.response_names,
        response_std=trace.response_std,
        trajectory=trajectories(trace, count),
        trajectory_labels=list(names),
    )


def pick(reports: list[DriftReport], residual: bool, trained: bool) -> DriftReport | None:
    return next((r for r in reports if r.residual == residual and r.trained == trained), None)


def initial_model(config: RunConfig) -> CifarNet:
    """The run's weights before its first step: the engine's own seeded build."""
    return engine_initial_model(config)


def check_counts(examples: int, paths: int) -> None:
    if not 2 <= examples <= 5000:
        raise UserError(f"examples must be between 2 and 5000, got {examples}")
    if not 1 <= paths <= PATHS_MAX:
        raise UserError(f"paths must be between 1 and {PATHS_MAX}, got {paths}")


def analyse_runs(
    runs: list[tuple[RunConfig, nn.Module | None]], examples: int = 500, paths: int = 4
) -> list[DriftReport]:
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
    images = data.test_x[:examples]  # (N, C, H, W)
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
