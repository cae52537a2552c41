"""One look for every figure ConvAtlas draws: sizes, margins, legends and colours.

Figures are built here in the light theme at screen sizes; `ui.figures.show` applies the session's
theme (light or dark) and the presentation view's larger type on top, so nothing else sets them.
"""

from __future__ import annotations

import plotly.express as px
import plotly.graph_objects as go

FONT = dict(size=16)
# distinct on a washed-out projector, and in the same order everywhere (stages, depths, nets)
PALETTE = px.colors.qualitative.Bold + px.colors.qualitative.Safe
PLAIN_COLOR, RESIDUAL_COLOR = "#d62728", "#1f77b4"
CHANCE_COLOR, RANGE_COLOR = "#999999", "rgba(31, 95, 191, 0.12)"
# one colour per series (depths of a comparison, nets of a sweep, examples followed): red second, as plain
SERIES = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]
EXAMPLE_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"]
LOG_TICKS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500]
# A log axis labelled at decades only (10⁻², 10⁻¹, 1, …): plotly's own labels of the 2s and 5s between
# decades ("5 2 5 2") were misread by students as the values themselves.
LOG_AXIS = dict(type="log", dtick=1, exponentformat="power", showexponent="all")

LEGENDS = {
    "below": dict(orientation="h", yanchor="top", y=-0.2, x=0),  # curves get the full width
    "above": dict(orientation="h", yanchor="bottom", y=1.08, x=0),
    "side": dict(itemsizing="constant"),
}


def layout(
    fig: go.Figure,
    title: str | None = None,
    height: int = 460,
    x_title: str | None = None,
    y_title: str | None = None,
    legend: str = "below",
    margin: dict | None = None,
    **extra,
) -> go.Figure:
    """The common look. Axis titles given here go on the first axes only (subplots title their own)."""
    fig.update_layout(
        font=FONT,
        height=height,
        template="plotly_white",
        legend=LEGENDS[legend],
        margin=margin or dict(l=70, r=30, t=70, b=60),
        hoverlabel=dict(font_size=16),
        **extra,
    )
    if title:
        fig.update_layout(title=dict(text=title))
    if x_title:
        fig.update_layout(xaxis_title=x_title)
    if y_title:
        fig.update_layout(yaxis_title=y_title)
    fig.update_annotations(font=FONT)
    return fig
