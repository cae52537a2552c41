"""Figures of the representation-drift analyses (plotly, from `DriftReport` data)."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.experiments.drift import DriftReport
from core.figures.theme import EXAMPLE_COLORS, PLAIN_COLOR, RESIDUAL_COLOR, layout


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


def change_figure(reports: list[DriftReport]) -> go.Figure:
    """Per-block ||F(x)||/||x|| (residual nets) and relative change of the representation."""
    change = "Relative change ‖x<sub>l</sub> − x<sub>l−1</sub>‖ / ‖x<sub>l−1</sub>‖"
    fig = make_subplots(1, 2, subplot_titles=("Residual branch ‖F(x)‖ / ‖x‖", change))
    for r in reports:
        x = list(range(1, len(r.blocks) + 1))
        if r.branch_ratio is not None:
            fig.add_scatter(
                x=x,
                y=r.branch_ratio,
                name=r.label,
                legendgroup=r.label,
                showlegend=False,
                mode="lines+markers",
                line=_style(r),
                row=1,
                col=1,
            )
        fig.add_scatter(
            x=x,
            y=r.rel_change,
            name=r.label,
            legendgroup=r.label,
            mode="lines+markers",
            line=_style(r),
            hovertext=r.blocks,
            row=1,
            col=2,
        )
    _stage_lines(fig, reports[0], 2)
    _block_axis(fig, reports[0])
    fig.update_yaxes(title_text="ratio of norms (dimensionless)", rangemode="tozero")
    return layout(fig, height=460, legend="above", margin=dict(l=60, r=20, t=60, b=60))


def similarity_figure(reports: list[DriftReport]) -> go.Figure:
    """Cosine similarity between the input and output of each block that keeps the shape."""
    fig = make_subplots(1, 1)
    for r in reports:
        fig.add_scatter(
            x=list(range(1, len(r.blocks) + 1)),
            y=r.cosine,
            name=r.label,
            mode="lines+markers",
            line=_style(r),
            hovertext=r.blocks,
        )
    _stage_lines(fig, reports[0], 1)
    _block_axis(fig, reports[0])
    fig.update_yaxes(title_text="cosine(x<sub>l−1</sub>, x<sub>l</sub>)", range=[0, 1.02])
    return layout(fig, height=420, legend="above", margin=dict(l=60, r=20, t=60, b=60))


def cka_figure(plain: DriftReport, residual: DriftReport) -> go.Figure:
    """Linear CKA between all pairs of representations, plain and residual side by side."""
    fig = make_subplots(1, 2, subplot_titles=(plain.label, residual.label), horizontal_spacing=0.12)
    for col, r in ((1, plain), (2, residual)):
        fig.add_heatmap(
            z=r.cka,
            x=r.layers,
            y=r.layers,
            zmin=0,
            zmax=1,
            colorscale="Viridis",
            colorbar=dict(title="CKA"),
            showscale=col == 2,
            hovertemplate="%{y} vs %{x}: CKA %{z:.2f}<extra></extra>",
            row=1,
            col=col,
        )
        for k in range(1, len(r.stages)):
            if r.stages[k] != r.stages[k - 1] and r.stages[k - 1] > 0:  # stage boundary before layer k
                for axis in ("x", "y"):
                    kw = (
                        dict(x0=k - 0.5, x1=k - 0.5, y0=-0.5, y1=len(r.layers) - 0.5)
                        if axis == "x"
                        else dict(y0=k - 0.5, y1=k - 0.5, x0=-0.5, x1=len(r.layers) - 0.5)
                    )
                    fig.add_shape(type="line", line=dict(color="white", width=2, dash="dash"), row=1, col=col, **kw)
    fig.update_yaxes(autorange="reversed", scaleanchor=None)
    fig.update_xaxes(tickangle=-60, tickfont=dict(size=11))
    fig.update_yaxes(tickfont=dict(size=11))
    return layout(fig, height=560, legend="above", margin=dict(l=60, r=20, t=60, b=60))


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
                fig.add_scatter(
                    x=xs,
                    y=ys,
                    mode="lines+markers",
                    name=r.trajectory_labels[e],
                    legendgroup=str(e),
                    showlegend=row == 1 and col == 1,
                    line=dict(color=color, width=2),
                    marker=dict(size=sizes, color=color),
                    hovertext=[f"step {k}" for k in range(len(path))],
                    row=row,
                    col=col,
                )
    fig.update_xaxes(title_text="PC 1", showticklabels=False)
    fig.update_yaxes(title_text="PC 2", showticklabels=False)
    return layout(fig, height=760, legend="above", margin=dict(l=60, r=20, t=60, b=60))


def std_figure(reports: list[DriftReport]) -> go.Figure:
    """Std of layer responses (He et al. 2016, Fig. 7): per 3x3 layer in order, and sorted."""
    fig = make_subplots(1, 2, subplot_titles=("Layer responses in order", "Sorted (largest first)"))
    for r in reports:
        x = list(range(1, len(r.response_std) + 1))
        fig.add_scatter(
            x=x,
            y=r.response_std,
            name=r.label,
            legendgroup=r.label,
            mode="lines",
            line=_style(r),
            hovertext=r.response_names,
            row=1,
            col=1,
        )
        fig.add_scatter(
            x=x,
            y=sorted(r.response_std, reverse=True),
            name=r.label,
            legendgroup=r.label,
            showlegend=False,
            mode="lines",
            line=_style(r),
            row=1,
            col=2,
        )
    fig.update_xaxes(title_text="layer index (3×3 convs)", row=1, col=1)
    fig.update_xaxes(title_text="rank", row=1, col=2)
    fig.update_yaxes(title_text="std of response", rangemode="tozero")
    return layout(fig, height=460, legend="above", margin=dict(l=60, r=20, t=60, b=60))


def std_summary(reports: list[DriftReport]) -> str | None:
    """He et al. 2016, Fig. 7 in one sentence from these reports: the mean std of the layer responses
    of each trained residual net against the trained plain net, and whether it is smaller (the
    paper's finding) — or None without a trained plain and residual pair."""
    trained = [r for r in reports if r.trained and r.response_std]
    plain = next((r for r in trained if not r.residual), None)
    residual = next((r for r in trained if r.residual), None)
    if plain is None or residual is None:
        return None
    mean = lambda r: sum(r.response_std) / len(r.response_std)  # noqa: E731
    p, q = mean(plain), mean(residual)
    if q < 0.95 * p:
        verdict = "smaller, as He et al. found (Fig. 7)"
    elif q > 1.05 * p:
        verdict = "larger — the opposite of He et al.'s Fig. 7"
    else:
        verdict = "about the same — He et al.'s Fig. 7 (residual smaller) does not appear here"
    return (
        f"Trained nets here: mean std of the layer responses {q:.2f} for {residual.label} vs {p:.2f} for "
        f"{plain.label}: {verdict}."
    )
