"""Architectures side by side: stage-by-stage costs aligned by feature-map resolution, totals, and
published accuracy against cost for the whole zoo."""

from __future__ import annotations

import pandas as pd

from core.anatomy.graph import block_rows
from core.anatomy.profile import WEIGHTED, Profile, profile
from core.models import zoo
from core.units import human

HEAD = "head"


def stage_rows(profiles: list[Profile]) -> pd.DataFrame:
    """One row per (architecture, stage): resolution, output shape, layers, MACs, params (numbers)."""
    rows = []
    for p in profiles:
        for s in p.by("stage").itertuples(index=False):
            rows.append(
                {
                    "arch": p.arch,
                    "stage": s.stage,
                    "resolution": p.stage_resolution.get(s.stage, HEAD),
                    "output": s.output_shape,
                    "layers": s.layers,
                    "macs": int(s.macs),
                    "params": int(s.params),
                }
            )
    return pd.DataFrame(rows, columns=["arch", "stage", "resolution", "output", "layers", "macs", "params"])


def _resolution_order(resolution: str) -> tuple:
    """Largest maps first, the head last (a paper's table reads top-down the same way)."""
    if resolution == HEAD:
        return (1, 0)
    h, w = map(int, resolution.split("x"))
    return (0, -h * w)


def stage_table(profiles: list[Profile]) -> pd.DataFrame:
    """The comparison table: a row per feature-map resolution (so VGG-19's 28x28 stage sits beside
    ResNet-34's), per architecture its output shape, MACs and params in readable units, then totals.
    Two stages of one net at the same resolution (rare) are summed."""
    long = stage_rows(profiles)
    resolutions = sorted(long.resolution.unique(), key=_resolution_order)
    table = pd.DataFrame({"resolution": resolutions + ["total"]})
    for p in profiles:
        mine = (
            long[long.arch == p.arch]
            .groupby("resolution", sort=False)
            .agg(output=("output", "last"), macs=("macs", "sum"), params=("params", "sum"))
        )
        out, macs, params = [], [], []
        for r in resolutions:
            present = r in mine.index
            out.append(mine.output[r] if present else "")
            macs.append(human(mine.macs[r]) if present else "")
            params.append(human(mine.params[r]) if present else "")
        c, h, w = p.input_size
        out.append(f"input {c}x{h}x{w}")
        macs.append(human(p.total_macs))
        params.append(human(p.total_params))
        table[f"{p.arch} output"], table[f"{p.arch} MACs"], table[f"{p.arch} params"] = out, macs, params
    return table


def totals(profiles: list[Profile]) -> pd.DataFrame:
    """Headline figures per architecture (numbers, for sorting and charts)."""
    rows = []
    for p in profiles:
        arch = zoo.get(p.arch)
        rows.append(
            {
                "arch": p.arch,
                "family": arch.family,
                "year": arch.year,
                "input": "x".join(map(str, p.input_size)),
                "depth": p.depth,
                "params": p.total_params,
                "macs": p.total_macs,
                "top1": arch.top1,
                "top1_source": arch.top1_source,
            }
        )
    return pd.DataFrame(rows)


def _with_accuracy(names: list[str] | None) -> list[zoo.Arch]:
    archs = [zoo.get(n) for n in (names if names is not None else zoo.names())]
    return [a for a in archs if a.top1 is not None]


def _plotted(names: list[str] | None) -> list[zoo.Arch]:
    """One protocol on the accuracy axis: 1-crop top-1 of weights trained on ImageNet-1k."""
    return [a for a in _with_accuracy(names) if a.top1_crops == 1 and not a.top1_extra_data]


def left_off(names: list[str] | None = None) -> list[tuple[str, str]]:
    """Models with a published accuracy that the scatter leaves off, each with the reason."""
    out = []
    for a in _with_accuracy(names):
        if a.top1_crops != 1:
            out.append((a.name, f"{a.top1_crops}-crop figure only"))
        elif a.top1_extra_data:
            out.append((a.name, a.top1_caveat or "trained on extra data"))
    return out


def unpublished(names: list[str] | None = None) -> list[str]:
    """Plotted models without published MACs/params: `accuracy_points` profiles these
    (timm's, our paper variants, the ones torchvision counts with aux heads)."""
    return [a.name for a in _plotted(names) if a.published_gmacs is None or a.published_params is None]


def accuracy_points(names: list[str] | None = None) -> pd.DataFrame:
    """Published ImageNet top-1 against MACs and params, one protocol per axis: 1-crop top-1 of
    weights trained on ImageNet-1k (10-crop figures and extra-data weights are `left_off`), and
    `comparable` False where the weights come from a newer training recipe (`caveat` says which).

    torchvision's published figures equal our counts (tests/test_profile.py checks it), so only the
    `unpublished` models are profiled — a few seconds of tracing instead of twenty."""
    to_profile = set(unpublished(names))
    rows = []
    for arch in _plotted(names):
        if arch.name in to_profile:
            result = profile(arch.name)
            macs, params, counted = result.total_macs, result.total_params, "profiled"
        else:
            macs, params, counted = arch.published_gmacs * 1e9, arch.published_params, "published"
        rows.append(
            {
                "arch": arch.name,
                "family": arch.family,
                "top1": arch.top1,
                "top1_source": arch.top1_source,
                "top1_weights": arch.top1_weights,
                "comparable": arch.top1_caveat is None,
                "caveat": arch.top1_caveat or "",
                "gmacs": macs / 1e9,
                "mparams": params / 1e6,
                "counted": counted,
            }
        )
    return pd.DataFrame(rows)


def stage_summary(p: Profile) -> pd.DataFrame:
    """One net's stages: resolution, output, layers, MACs and params with their shares, then a total row."""
    stages = p.by("stage")
    table = pd.DataFrame(
        {
            "stage": stages.stage,
            "resolution": [p.stage_resolution.get(s, HEAD) for s in stages.stage],
            "output": stages.output_shape,
            "layers": stages.layers,
            "macs": stages.macs.astype(int),
            "macs_pct": 100 * stages.macs / max(p.total_macs, 1),
            "params": stages.params.astype(int),
            "params_pct": 100 * stages.params / max(p.total_params, 1),
        }
    )
    total = {
        "stage": "total",
        "resolution": "",
        "output": "",
        "layers": int(stages.layers.sum()),
        "macs": p.total_macs,
        "macs_pct": 100.0,
        "params": p.total_params,
        "params_pct": 100.0,
    }
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


def block_table(p: Profile) -> pd.DataFrame:
    """One row per block as the graph draws it (what a click on the graph picks): stage, weighted and
    all layers, output shape, MACs and params with their shares of the net."""
    rows = [
        {
            "block": name,
            "stage": layers[0].stage,
            "weighted": sum(r.type.startswith(WEIGHTED) for r in layers),
            "layers": len(layers),
            "output": "×".join(map(str, layers[-1].output_shape)),
            "macs": sum(r.macs for r in layers),
            "params": sum(r.params for r in layers),
        }
        for name, layers in block_rows(p).items()
    ]
    table = pd.DataFrame(rows)
    table["macs_pct"] = 100 * table.macs / max(p.total_macs, 1)
    table["params_pct"] = 100 * table.params / max(p.total_params, 1)
    return table


def layer_table(p: Profile) -> pd.DataFrame:
    """Every layer in network order with its share of the net's MACs (for a sortable table)."""
    table = p.table()
    table.insert(0, "#", range(1, len(table) + 1))
    table.insert(table.columns.get_loc("macs") + 1, "macs_pct", 100 * table.macs / max(p.total_macs, 1))
    return table


def counterparts(name: str) -> list[str]:
    """Zoo entries worth seeing beside this one: the paper's version of a torchvision net (and back),
    and the plain twin of a residual net (and back)."""
    twins = {
        f"{name}-paper",
        f"{name}-5x5",
        name.removesuffix("-paper"),
        name.removesuffix("-5x5"),
        name.replace("plain", "resnet"),
        name.replace("resnet", "plain"),
    }
    listed = set(zoo.names())
    return sorted(t for t in twins - {name} if t in listed or zoo.CIFAR_NAME.match(t))
