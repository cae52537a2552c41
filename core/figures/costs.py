"""Figures of the Cost Lab's calculators (plotly, from `core.anatomy.costs` comparisons)."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.anatomy.costs import Comparison
from core.figures.theme import layout
from core.units import human

# one colour per layer name, so a shared layer looks the same in every bar
LAYER_COLORS = ["#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#B279A2", "#FF9DA6", "#9D755D"]


def comparison_figure(comparison: Comparison) -> go.Figure:
    """MACs above params, one horizontal bar per design (names read on a projector), each bar stacked
    from its layers (named inside when they fit), the total at its end."""
    designs = comparison.designs[::-1]  # first design on top
    names = [d.name for d in designs]
    colours: dict[str, str] = {}  # one colour per layer name, so a shared layer looks the same in every bar
    for layer in (layer for d in comparison.designs for layer in d.layers):
        colours.setdefault(layer.name, LAYER_COLORS[len(colours) % len(LAYER_COLORS)])
    fig = make_subplots(
        rows=2, cols=1, vertical_spacing=0.22, subplot_titles=("Multiply-accumulates (MACs)", "Parameters")
    )
    for row, metric in ((1, "macs"), (2, "params")):
        for design in designs:
            for layer in design.layers:
                value = getattr(layer, metric)
                fig.add_trace(
                    go.Bar(
                        y=[design.name],
                        x=[value],
                        orientation="h",
                        marker_color=colours[layer.name],
                        showlegend=False,
                        name=layer.name,
                        text=[layer.name],
                        textposition="inside",
                        insidetextanchor="middle",
                        textangle=0,
                        hovertemplate=f"{design.name}<br>{layer.name}: {human(value, textbook=True)}<extra></extra>",
                    ),
                    row=row,
                    col=1,
                )
        totals = [getattr(d, metric) for d in designs]
        fig.add_trace(
            go.Scatter(
                y=names,
                x=totals,
                mode="text",
                text=[f" {human(t, textbook=True)}" for t in totals],
                textposition="middle right",
                textfont=dict(size=18),
                showlegend=False,
                hoverinfo="skip",
                cliponaxis=False,  # a total at the bar's end is drawn whole, past the plot area if need be
            ),
            row=row,
            col=1,
        )
        fig.update_xaxes(
            range=[0, max(totals) * 1.5], exponentformat="SI", nticks=5, tickfont=dict(size=15), row=row, col=1
        )
        fig.update_yaxes(tickfont=dict(size=16), row=row, col=1)  # explicit: Streamlit's theme shrinks ticks
    return layout(
        fig,
        height=170 + 110 * len(designs),
        margin=dict(t=60, b=20, l=10, r=40),
        barmode="stack",
        bargap=0.25,
        uniformtext=dict(minsize=12, mode="hide"),
    )
