"""Figures of the transfer-learning comparison (plotly, built from core.experiments.transfer's tables)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from core.experiments.transfer import STRATEGIES, summary
from core.figures.theme import SERIES, layout

COLORS = dict(zip(STRATEGIES, [SERIES[1], SERIES[0], SERIES[2], SERIES[3], SERIES[4]]))  # scratch red, as "plain"


def _tick(shots: int, is_all: bool) -> str:
    return f"all ({shots})" if is_all else str(shots)


def accuracy_figure(table: pd.DataFrame, highlight: tuple[str, int] | None = None) -> go.Figure:
    """Target test accuracy against labelled examples per class (log x), one line per strategy,
    the mean over seeds with each seed's run as a faint dot. `highlight`: (strategy, shots) ringed."""
    means = summary(table)
    fig = go.Figure()
    for strategy, name in STRATEGIES.items():
        m = means[means["strategy"] == strategy]
        if m.empty:
            continue
        runs = table[table["strategy"] == strategy]
        color = COLORS[strategy]
        fig.add_scatter(
            x=runs["shots"].tolist(),
            y=(runs["accuracy"] * 100).tolist(),
            mode="markers",
            marker=dict(color=color, size=6, opacity=0.35),
            showlegend=False,
            hovertemplate=f"{name}<br>%{{x}} per class, one seed: %{{y:.1f}}%<extra></extra>",
        )
        fig.add_scatter(
            x=m["shots"].tolist(),
            y=(m["accuracy"] * 100).tolist(),
            mode="lines+markers",
            name=name,
            line=dict(color=color, width=3, dash="dot" if strategy == "scratch" else "solid"),
            marker=dict(size=9),
            hovertemplate=f"{name}<br>%{{x}} per class: %{{y:.1f}}% (mean of seeds)<extra></extra>",
        )
    if highlight is not None:
        strategy, shots = highlight
        point = means[(means["strategy"] == strategy) & (means["shots"] == shots)]
        if not point.empty:
            fig.add_scatter(
                x=point["shots"].tolist(),
                y=(point["accuracy"] * 100).tolist(),
                mode="markers",
                marker=dict(size=22, color="rgba(0,0,0,0)", line=dict(color=COLORS[strategy], width=3)),
                name="chosen setting",
                hoverinfo="skip",
            )
    ticks = sorted(set(zip(means["shots"], means["all"])))
    fig.update_xaxes(type="log", tickvals=[s for s, _ in ticks], ticktext=[_tick(s, a) for s, a in ticks])
    return layout(
        fig,
        "Target accuracy vs labelled examples per class",
        height=480,
        x_title="labelled target examples per class (log scale)",
        y_title="target test accuracy (%)",
    )


def time_figure(table: pd.DataFrame, feature_seconds: float) -> go.Figure:
    """Measured training seconds per run, per strategy (mean over the sweep's runs); the cached
    strategy's one-off feature pass drawn as its own bar beside it."""
    t = table.groupby("strategy", sort=False)["train_seconds"].mean()
    names = [STRATEGIES[s] for s in t.index]
    fig = go.Figure()
    fig.add_bar(
        y=names,
        x=t.tolist(),
        orientation="h",
        marker_color=[COLORS[s] for s in t.index],
        text=[f"{v:.2f} s" for v in t],
        textposition="outside",
        name="training, per run",
        hovertemplate="%{y}: %{x:.3f} s per run<extra></extra>",
    )
    if "frozen" in t.index and feature_seconds > 0:
        fig.add_bar(
            y=["features of the target pool (once)"],
            x=[feature_seconds],
            orientation="h",
            marker_color="#999999",
            text=[f"{feature_seconds:.2f} s"],
            textposition="outside",
            name="feature pass, once",
            hovertemplate="one forward pass over the target pool: %{x:.3f} s<extra></extra>",
        )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(range=[0, max(t.max(), feature_seconds) * 1.25])
    return layout(
        fig,
        "Training time per run (measured)",
        height=360,
        x_title="seconds",
        showlegend=False,
        margin=dict(l=280, r=30, t=70, b=60),
    )
