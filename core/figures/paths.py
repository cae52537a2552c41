"""Figures of the ensemble-of-paths experiments (plotly, built from the tables of core.experiments)."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.experiments.unravel import central_range, path_lengths
from core.figures.theme import CHANCE_COLOR, LOG_AXIS, RANGE_COLOR, SERIES, layout


def lengths_figure(n_blocks: int, mass: float = 0.95):
    """Binomial distribution of path lengths in a residual net of n blocks, the plain net's single
    path of full length beside it, and the range holding `mass` of all paths shaded."""
    table = path_lengths(n_blocks)
    lo, hi = central_range(table["length"].tolist(), table["paths"].tolist(), mass)
    fig = go.Figure()
    fig.add_vrect(
        x0=lo - 0.5,
        x1=hi + 0.5,
        fillcolor=RANGE_COLOR,
        line_width=0,
        annotation_text=f"{mass:.0%} of paths: length {lo}–{hi}",
        annotation_position="top left",
    )
    fig.add_bar(
        x=table["length"].tolist(),
        y=(table["fraction"] * 100).tolist(),
        name=f"residual net: 2^{n_blocks} paths",
        marker_color="#1f5fbf",
        customdata=table["paths"].tolist(),
        hovertemplate="length %{x}: %{customdata:,} paths (%{y:.2f}%)<extra></extra>",
    )
    fig.add_bar(
        x=[n_blocks],
        y=[100],
        name="plain net: 1 path, full length",
        marker_color="#d62728",
        width=0.6,
        hovertemplate="plain net: the one path of length %{x}<extra></extra>",
    )
    fig.update_yaxes(
        type="log",
        range=[math.log10(max(table["fraction"].min() * 100, 1e-6)) - 0.3, 2.2],
        exponentformat="power",
        dtick=1,
    )
    return layout(
        fig,
        f"Path lengths in a net of {n_blocks} blocks",
        x_title="path length (blocks whose branch it goes through)",
        y_title="share of paths (%, log scale)",
        barmode="overlay",
    )


def gradient_figure(table: pd.DataFrame, label: str, mass: float = 0.9):
    """Veit Fig. 6: gradient magnitude of one path of length k (log) and total gradient per length,
    with the 'effective paths' range holding `mass` of the total shaded."""
    lo, hi = central_range(table["length"].tolist(), table["total_gradient"].tolist(), mass)
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.1,
        subplot_titles=("gradient magnitude of one path", f"total gradient by path length — effective: {lo}–{hi}"),
    )
    fig.add_scatter(
        x=table["length"].tolist(),
        y=table["gradient_per_path"].tolist(),
        mode="lines+markers",
        name="one path of length k",
        line_color="#1f5fbf",
        row=1,
        col=1,
    )
    fig.add_bar(
        x=table["length"].tolist(),
        y=(table["share"] * 100).tolist(),
        name="total (paths × magnitude)",
        marker_color="#1f5fbf",
        row=1,
        col=2,
    )
    fig.add_scatter(
        x=table["length"].tolist(),
        y=(table["paths"] / table["paths"].sum() * 100).tolist(),
        mode="lines",
        name="share of paths (for comparison)",
        line=dict(color="#999999", dash="dash"),
        row=1,
        col=2,
    )
    fig.add_vrect(x0=lo - 0.5, x1=hi + 0.5, fillcolor=RANGE_COLOR, line_width=0, row=1, col=2)
    fig.update_yaxes(**LOG_AXIS, title_text="‖∂loss/∂x₀‖ (log)", row=1, col=1)
    fig.update_yaxes(title_text="share of the total gradient (%)", row=1, col=2)
    fig.update_xaxes(title_text="path length k (blocks)", row=1, col=1)
    fig.update_xaxes(title_text="path length k (blocks)", row=1, col=2)
    return layout(fig, f"Which paths carry the gradient — {label}")


def single_lesion_figure(results: dict[str, dict], num_classes: int = 10):
    """Test error after deleting each single block: one panel per net (widths in proportion to the
    number of blocks), downsampling blocks hatched, intact error dotted, chance dashed grey."""
    sizes = [len(r["rows"]) for r in results.values()]
    fig = make_subplots(
        rows=1,
        cols=len(results),
        shared_yaxes=True,
        horizontal_spacing=0.04,
        # in proportion to the blocks, but never squeezed below half the widest panel (plain-20 beside ResNet-56)
        column_widths=[max(s, max(sizes) / 2) for s in sizes],
        subplot_titles=list(results),
    )
    for col, ((label, result), color) in enumerate(zip(results.items(), SERIES), start=1):
        rows = result["rows"]
        note = rows["downsampling"].map({True: " (downsampling)", False: ""})
        ok = rows[rows["deletable"]]
        fig.add_bar(
            x=(ok["index"] + 1).tolist(),
            y=(ok["error"] * 100).tolist(),
            name=label,
            marker_color=color,
            marker_pattern_shape=["/" if d else "" for d in ok["downsampling"]],
            customdata=list(zip(ok["block"], note[ok.index])),
            hovertemplate="%{customdata[0]}%{customdata[1]}: %{y:.1f}% error<extra></extra>",
            showlegend=False,
            row=1,
            col=col,
        )
        fixed = rows[~rows["deletable"]]  # plain downsampling layers: nothing else has their output shape
        if len(fixed):
            fig.add_scatter(
                x=(fixed["index"] + 1).tolist(),
                y=[3] * len(fixed),
                mode="markers+text",
                marker=dict(symbol="x", size=14, color=color),
                text=["fixed"] * len(fixed),
                textposition="top center",
                customdata=fixed["block"].tolist(),
                showlegend=False,
                hovertemplate="%{customdata}: downsampling layer, cannot be deleted<extra></extra>",
                row=1,
                col=col,
            )
        fig.add_hline(
            y=result["intact_error"] * 100,
            line=dict(color="black", dash="dot"),
            row=1,
            col=col,
            annotation_text=f"intact {result['intact_error']:.1%}",
            annotation_position="top left",
        )
        fig.add_hline(
            y=100 * (1 - 1 / num_classes),
            line=dict(color=CHANCE_COLOR, dash="dash"),
            row=1,
            col=col,
            annotation_text="chance",
            annotation_position="bottom right",
        )
        fig.update_xaxes(
            title_text="deleted block", range=[0.4, len(rows) + 0.6], dtick=max(1, len(rows) // 9), row=1, col=col
        )
    fig.update_yaxes(range=[0, 100])
    fig.update_yaxes(title_text="test error (%)", row=1, col=1)
    return layout(fig, "Delete one block at test time (hatched: downsampling block)", bargap=0.15)


def sweep_figure(results: dict[str, dict], x_title: str, title: str, num_classes: int = 10):
    """Mean test error vs k with the spread over samples (±1 std band, min–max whiskers), one line per net."""
    fig = go.Figure()
    for (label, result), color in zip(results.items(), SERIES):
        s = result["summary"]
        fig.add_scatter(
            x=s["k"].tolist(),
            y=(s["mean"] * 100).tolist(),
            mode="lines+markers",
            name=label,
            line_color=color,
            error_y=dict(
                type="data",
                symmetric=False,
                array=((s["max"] - s["mean"]) * 100).tolist(),
                arrayminus=((s["mean"] - s["min"]) * 100).tolist(),
                thickness=1.5,
            ),
            hovertemplate="k=%{x}: %{y:.1f}% mean error<extra>" + label + "</extra>",
        )
        band = pd.concat([s["k"], s["k"][::-1]])
        edge = pd.concat([(s["mean"] + s["std"]) * 100, ((s["mean"] - s["std"]) * 100)[::-1]])
        fig.add_scatter(
            x=band.tolist(),
            y=edge.clip(lower=0).tolist(),
            fill="toself",
            fillcolor=color,
            opacity=0.15,
            line_width=0,
            showlegend=False,
            hoverinfo="skip",
        )
    fig.add_hline(
        y=100 * (1 - 1 / num_classes),
        line=dict(color=CHANCE_COLOR, dash="dash"),
        annotation_text="chance",
        annotation_position="bottom right",
    )
    fig.update_yaxes(range=[0, 100])
    # the axis title short enough for the figure's height; what the marks mean goes under the title
    subtitle = "mean, ±1 std band, min–max bars"
    return layout(
        fig,
        f"{title}<br><sup>{subtitle}</sup>",
        x_title=x_title,
        y_title="test error (%)",
        margin=dict(l=80, r=30, t=90, b=60),
    )


# --- what the runs show, in words (numbers from the analyses' own tables) ---------------------------

FEW_POINTS = 5.0  # "a few points" of test error: the most a single deletion may cost to "barely matter"


UNLEARNED = 0.5  # intact test error from which a net is taken as not having learned (the page warns too)


def single_lesion_summary(results: dict[str, dict]) -> str:
    """One sentence per net on deleting single blocks: how many deletions cost at most FEW_POINTS
    points of test error, the median cost, and the worst block; says so where most cost more."""
    parts = []
    for label, result in results.items():
        rows = result["rows"][result["rows"].deletable]
        if rows.empty:
            continue
        cost = 100 * (rows.error - result["intact_error"])
        few = int((cost <= FEW_POINTS).sum())
        worst = rows.loc[cost.idxmax()]
        where = " (a downsampling block)" if worst.downsampling else ""
        if result["intact_error"] >= UNLEARNED:
            verdict = "this net has not learned, so its deletions say nothing about paths"
        elif not result.get("residual", True):
            verdict = (
                "a plain net breaks, as Veit et al. found"
                if few <= len(rows) / 2
                else "most deletions barely matter even in this plain net"
            )
        elif few > len(rows) / 2:
            verdict = "most single deletions barely matter"
        else:
            verdict = "most single deletions cost more than a few points — not the small effect Veit et al. report"
        parts.append(
            f"{label} (intact {100 * result['intact_error']:.1f}% test error): {few} of {len(rows)} deletions cost "
            f"at most {FEW_POINTS:g} points (median +{cost.median():.1f}); the worst, {worst.block}{where}, "
            f"gives {100 * worst.error:.0f}% — {verdict}."
        )
    return " ".join(parts)


def sweep_summary(results: dict[str, dict], what: str = "deleted blocks") -> str:
    """One sentence per net on a k-sweep (random deletions or swaps): mean error at the smallest and
    largest k, the range at the first k > 0, and whether the mean rises smoothly — it does not when
    one step between neighbouring k is more than twice the average step (a curve that jumps, e.g. at
    the first few deletions, and then levels off)."""
    parts = []
    for label, result in results.items():
        summary = result["summary"]
        if summary is None or len(summary) < 2:
            continue
        means = 100 * summary["mean"].to_numpy()
        ks = summary["k"].tolist()
        rise = means[-1] - means[0]
        steps = means[1:] - means[:-1]
        biggest = int(steps.argmax())
        first = summary.iloc[1]
        text = (
            f"{label}: {means[0]:.1f}% at k = {ks[0]}, {means[1]:.1f}% on average at k = {ks[1]} "
            f"(range {100 * first['min']:.0f}–{100 * first['max']:.0f}%), {means[-1]:.0f}% at k = {ks[-1]} {what}"
        )
        average = rise / len(steps)
        if result["intact_error"] >= UNLEARNED:
            text += (
                f" — this net has not learned (intact {100 * result['intact_error']:.0f}%), so the curve says nothing."
            )
        elif rise <= 0:
            text += " — the error does not rise."
        elif len(steps) < 2:
            text += "."
        elif steps[biggest] > 2 * average:
            text += (
                f" — not a smooth rise: {steps[biggest]:.0f} of its {rise:.0f} points come between k = {ks[biggest]} "
                f"and k = {ks[biggest + 1]} ({steps[biggest] / average:.1f}× the average step)."
            )
        else:
            text += f" — a smooth rise (no step between neighbouring k is more than twice the average, {average:.1f} points)."
        parts.append(text)
    return " ".join(parts)


PICKED_COLOR = "#e8590c"  # the linked views' picked block (ui.graphs outlines it in the graph alike)
STRIP_VALUES = {
    "error": ("test error (%)", 100.0),
    "grad_norm": ("‖∂L/∂W‖", 1.0),
}


def block_strip(effects: dict, value: str, picked: set[str] | frozenset = frozenset(), title: str | None = None):
    """One bar per block of a trained net (core.experiments.paths.block_effects): its lesion error or
    its gradient norm; the picked blocks orange, the rest blue (downsampling hatched), blocks that
    cannot be deleted marked. Each bar's customdata[0] is its block name (a click picks it)."""
    y_title, scale = STRIP_VALUES[value]
    rows = effects["rows"]
    shown = rows if value != "error" else rows[rows["deletable"]]
    fig = go.Figure()
    names = list(zip(shown["block"], shown["downsampling"].map({True: " (downsampling)", False: ""})))
    top = float((shown[value] * scale).max()) if len(shown) else 1.0
    fig.add_bar(  # a transparent full-height bar behind each block: a block that barely matters is clickable too
        x=(shown["index"] + 1).tolist(),
        y=[top] * len(shown),
        marker_color="rgba(0, 0, 0, 0)",
        customdata=names,
        hovertemplate="%{customdata[0]}%{customdata[1]}<extra></extra>",
        showlegend=False,
    )
    fig.add_bar(
        x=(shown["index"] + 1).tolist(),
        y=(shown[value] * scale).tolist(),
        marker_color=[PICKED_COLOR if b in picked else SERIES[0] for b in shown["block"]],
        marker_pattern_shape=["/" if d else "" for d in shown["downsampling"]],
        customdata=names,
        hovertemplate="%{customdata[0]}%{customdata[1]}: %{y:.3g}<extra></extra>",
        showlegend=False,
    )
    fixed = rows[~rows["deletable"]] if value == "error" else rows.iloc[0:0]
    if len(fixed):  # plain downsampling layers: nothing else has their output shape
        fig.add_scatter(
            x=(fixed["index"] + 1).tolist(),
            y=[0] * len(fixed),
            mode="markers",
            marker=dict(symbol="x", size=14, color=CHANCE_COLOR),
            customdata=list(zip(fixed["block"], [" (downsampling layer: cannot be deleted)"] * len(fixed))),
            hovertemplate="%{customdata[0]}%{customdata[1]}<extra></extra>",
            showlegend=False,
        )
    if value == "error":
        fig.add_hline(y=effects["intact_error"] * 100, line_dash="dot")  # the intact net (captions say so)
    fig.update_layout(barmode="overlay")
    return layout(
        fig, title, height=320, x_title="block (input → output)", y_title=y_title, margin=dict(l=80, r=20, t=50, b=60)
    )
