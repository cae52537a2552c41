"""Plotly figures built from profiles: readable on a projector (big type, labelled axes with units)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.anatomy.profile import Profile
from core.figures.theme import LOG_TICKS, PALETTE, layout


def _style(fig: go.Figure, height: int, title: str) -> go.Figure:
    return layout(fig, title, height=height, legend="side", margin=dict(l=80, r=30, t=80, b=70))


def _stage_colors(profile: Profile) -> dict[str, str]:
    stages = list(dict.fromkeys(layer.stage for layer in profile.layers))
    return {stage: PALETTE[i % len(PALETTE)] for i, stage in enumerate(stages)}


def _stage_label(profile: Profile, stage: str, sep: str = " ") -> str:
    resolution = profile.stage_resolution.get(stage)
    return f"{stage}{sep}({resolution})" if resolution else stage


def costly_layers(profile: Profile) -> pd.DataFrame:
    """The layers that cost something (weights or multiplies), in network order, with cumulative shares."""
    table = profile.table()
    table = table[(table.macs > 0) | (table.params > 0)].reset_index(drop=True)
    table.insert(0, "position", range(1, len(table) + 1))
    table["cum_macs_pct"] = 100 * table.macs.cumsum() / max(profile.total_macs, 1)
    table["cum_params_pct"] = 100 * table.params.cumsum() / max(profile.total_params, 1)
    return table


def layer_figure(profile: Profile) -> go.Figure:
    """MACs (top) and params (bottom) of every costly layer, coloured by stage."""
    table = costly_layers(profile)
    colors = _stage_colors(profile)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    for stage, part in table.groupby("stage", sort=False):
        hover = [
            f"<b>{n}</b><br>{t} {d}<br>out {o}"
            for n, t, d, o in zip(part.name, part.type, part.detail, part.output_shape)
        ]
        for row, metric in ((1, "macs"), (2, "params")):
            fig.add_trace(
                go.Bar(
                    x=part.position,
                    y=part[metric],
                    name=_stage_label(profile, stage),
                    marker_color=colors[stage],
                    legendgroup=stage,
                    showlegend=row == 1,
                    customdata=hover,
                    hovertemplate="%{customdata}<br>%{y:.3s}<extra></extra>",
                ),
                row=row,
                col=1,
            )
    fig.update_yaxes(title_text="MACs", tickformat="~s", row=1, col=1)
    fig.update_yaxes(title_text="params", tickformat="~s", row=2, col=1)
    fig.update_xaxes(title_text="layer (network order; layers with weights or MACs)", row=2, col=1)
    fig.update_layout(bargap=0.1)
    return _style(fig, 620, f"{profile.arch}: multiply-accumulates and parameters per layer")


def stage_figure(profile: Profile) -> go.Figure:
    """Per-stage MACs and params side by side: where the compute is vs where the weights are."""
    stages = profile.by("stage")
    labels = [_stage_label(profile, s, "<br>") for s in stages.stage]  # two lines: no slanted, clipped labels
    colors = [_stage_colors(profile)[s] for s in stages.stage]
    fig = make_subplots(rows=1, cols=2, subplot_titles=("MACs per stage", "params per stage"), horizontal_spacing=0.1)
    for col, metric in ((1, "macs"), (2, "params")):
        total = stages[metric].sum() or 1
        fig.add_trace(
            go.Bar(
                x=labels,
                y=stages[metric],
                marker_color=colors,
                showlegend=False,
                text=[f"{100 * v / total:.0f}%" for v in stages[metric]],
                textposition="outside",
                hovertemplate="%{x}<br>%{y:.3s}<extra></extra>",
            ),
            row=1,
            col=col,
        )
        fig.update_yaxes(title_text="MACs" if metric == "macs" else "params", tickformat="~s", row=1, col=col)
    return _style(fig, 480, f"{profile.arch}: cost per stage (stages = feature-map resolutions)")


def cumulative_figure(profile: Profile) -> go.Figure:
    """Cumulative share of MACs and params through the network (VGG: compute early, weights late)."""
    table = costly_layers(profile)
    fig = go.Figure()
    for column, label, color in (("cum_macs_pct", "MACs", PALETTE[0]), ("cum_params_pct", "params", PALETTE[1])):
        fig.add_trace(
            go.Scatter(
                x=table.position,
                y=table[column],
                name=label,
                mode="lines",
                line=dict(width=4, color=color),
                customdata=table.name,
                hovertemplate="%{customdata}<br>%{y:.1f}% of " + label + "<extra></extra>",
            )
        )
    fig.update_yaxes(title_text="cumulative share (%)", range=[0, 101])
    fig.update_xaxes(title_text="layer (network order; layers with weights or MACs)")
    return _style(fig, 460, f"{profile.arch}: cumulative MACs and parameters")


def accuracy_scatter(points: pd.DataFrame, selected: list[str]) -> go.Figure:
    """Published 1-crop top-1 vs MACs (log), bubble area ~ params, colour = family; weights from a
    newer training recipe (`comparable` False) as open diamonds in one legend entry; selected models ringed."""
    families = list(dict.fromkeys(points.family))
    colors = {f: PALETTE[i % len(PALETTE)] for i, f in enumerate(families)}
    biggest = points.mparams.max()
    comparable = points.comparable if "comparable" in points else pd.Series(True, index=points.index)
    size = dict(sizemode="area", sizeref=2 * biggest / 60**2, sizemin=5)
    hover = (
        "<b>%{customdata[0]}</b><br>%{x:.3g} G MACs<br>%{customdata[1]:.1f} M params"
        "<br>top-1 %{y:.1f}% (%{customdata[2]})<br>weights: %{customdata[3]}%{customdata[4]}<extra></extra>"
    )

    def custom(part: pd.DataFrame) -> list:
        weights = part.top1_weights if "top1_weights" in part else [""] * len(part)
        caveats = part.caveat if "caveat" in part else [""] * len(part)
        return [
            (a, m, src, w or "", f"<br>⚠ {c}" if c else "")
            for a, m, src, w, c in zip(part.arch, part.mparams, part.top1_source, weights, caveats)
        ]

    fig = go.Figure()
    for family in families:
        part = points[(points.family == family) & comparable]
        if not len(part):
            continue
        fig.add_trace(
            go.Scatter(
                x=part.gmacs,
                y=part.top1,
                mode="markers",
                name=family,
                marker=dict(
                    size=part.mparams, **size, color=colors[family], opacity=0.7, line=dict(width=1, color="white")
                ),
                customdata=custom(part),
                hovertemplate=hover,
            )
        )
    other = points[~comparable]
    if len(other):
        fig.add_trace(
            go.Scatter(
                x=other.gmacs,
                y=other.top1,
                mode="markers",
                name="newer training recipe (not comparable)",
                marker=dict(
                    size=other.mparams,
                    **size,
                    symbol="diamond-open",
                    color=[colors[f] for f in other.family],
                    line=dict(width=2),
                ),
                customdata=custom(other),
                hovertemplate=hover,
            )
        )
    chosen = points[points.arch.isin(selected)]
    if len(chosen):  # a white ring under a black one: visible on light and dark plots alike
        fig.add_trace(
            go.Scatter(
                x=chosen.gmacs,
                y=chosen.top1,
                mode="markers",
                showlegend=False,
                hoverinfo="skip",
                marker=dict(size=30, symbol="circle-open", color="white", line=dict(width=7)),
            )
        )
        fig.add_trace(
            go.Scatter(
                x=chosen.gmacs,
                y=chosen.top1,
                mode="markers+text",
                name="selected",
                text=chosen.arch,
                textposition="middle left",
                textfont=dict(size=18),
                marker=dict(size=26, symbol="circle-open", color="black", line=dict(width=3)),
                hovertemplate="<b>%{text}</b><extra></extra>",
            )
        )
    fig.update_xaxes(
        type="log",
        title_text="multiply-accumulates per image (G, log scale)",
        tickvals=LOG_TICKS,
        ticktext=[f"{t:g}" for t in LOG_TICKS],
    )
    fig.update_yaxes(title_text="published ImageNet top-1 (%, 1 crop)")
    return _style(fig, 640, "Accuracy vs cost (bubble area = parameters)")
