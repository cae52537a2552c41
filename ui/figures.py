"""Every plotly figure goes through `show`: the session's plot theme (light, dark, presentation) and
exports for slides (PNG from the chart's camera button at 3x scale; PNG and SVG downloads rendered
on click by kaleido with Debian's chromium)."""

from __future__ import annotations

import os
import re

import plotly.graph_objects as go
import streamlit as st

from core.memo import MiB, bounded
from ui import present

CHROMIUM = "/usr/bin/chromium"
BASE = dict(font=dict(size=16), title_font=dict(size=20), legend=dict(font=dict(size=15)))
PRESENTATION = dict(font=dict(size=22), title_font=dict(size=28), legend=dict(font=dict(size=20)))


class _Same:
    """Wraps a figure for a cache key: equal only to itself (the id in the key does the matching)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __hash__(self):
        return id(self.value)

    def __eq__(self, other):
        return isinstance(other, _Same) and other.value is self.value


def styled(fig: go.Figure) -> go.Figure:
    """A copy of `fig` in the session's theme: readable from the back of a lecture hall."""
    fig = go.Figure(fig)
    fig.update_layout(template="plotly_dark" if present.dark() else "plotly_white", **BASE)
    big = present.presenting()
    if big:
        fig.update_layout(**PRESENTATION)
        fig.update_traces(selector=dict(type="scatter"), line_width=4)
        legend = fig.layout.legend
        if legend.orientation == "h" and legend.y is not None and legend.y < 0:  # below the plot
            fig.update_layout(legend_y=legend.y - 0.1)  # clear of the larger x-axis title
    # Streamlit's chart theme shrinks tick labels; set them so they scale with the view
    fig.update_xaxes(tickfont_size=20 if big else 15, title_font_size=24 if big else 17)
    fig.update_yaxes(tickfont_size=20 if big else 15, title_font_size=24 if big else 17)
    return fig


class _SpecOnce(go.Figure):
    """A figure whose plotly spec is computed once. `st.plotly_chart` calls `to_dict()` on every run, which
    deep-copies the figure and base64-encodes every array: the largest part of a page's server CPU when
    every session shows the same cached figure."""

    def __init__(self, fig: go.Figure):
        super().__init__(fig)
        self._spec = super().to_dict()

    def to_dict(self) -> dict:
        # fresh trace dicts: plotly.io.to_json pops each trace's "uid" from what it is given
        return {**self._spec, "data": [dict(trace) for trace in self._spec["data"]]}


@bounded(max_entries=64, max_bytes=128 * MiB, weigh=lambda pair: 3 * len(pair[1].to_json()))
def _styled_shared(fig_id: int, fig: _Same, dark: bool, big: bool) -> tuple:
    """A shared figure's styled copy and its spec, once per theme (styling copies and validates: ~0.5 s for
    ResNet's). Keyed by the figure's id, and the entry holds the figure, so the id cannot be reused while it
    lives."""
    return fig.value, _SpecOnce(styled(fig.value))


def _export(fig: go.Figure, fmt: str) -> bytes:
    os.environ.setdefault("BROWSER_PATH", CHROMIUM)  # kaleido drives the machine's chromium, no download
    return fig.to_image(format=fmt, width=1600, height=900, scale=1 if fmt == "svg" else 2)


def _clicked(key: str, on_click) -> None:
    points = st.session_state[key].selection.points
    if points and points[0].get("customdata") is not None:
        on_click(points[0]["customdata"])


def show(fig: go.Figure, key: str, name: str | None = None, shared: bool = False, on_click=None) -> None:
    """`shared`: `fig` is a cached object every session sees (never changed): its styled copy is cached too.
    `on_click`: called with the clicked point's customdata (a linked view picks what was clicked)."""
    if shared:
        fig = _styled_shared(id(fig), _Same(fig), present.dark(), present.presenting())[1]
    else:
        fig = styled(fig)
    filename = re.sub(r"[^A-Za-z0-9_-]+", "_", name or key).strip("_") or "figure"
    # theme=None: keep the template and projector fonts set above (Streamlit's theme would replace them)
    clicks = {}
    if on_click is not None:
        clicks = dict(on_select=lambda: _clicked(key, on_click), selection_mode="points")
    st.plotly_chart(
        fig,
        key=key,
        theme=None,
        config={"displaylogo": False, "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 3}},
        **clicks,
    )
    if present.presenting():
        return
    with st.popover("Export figure", icon=":material/download:"):
        if not os.path.exists(os.environ.get("BROWSER_PATH", CHROMIUM)):
            st.caption(
                "PNG and SVG downloads need chromium (installed by `make app` as root); "
                "the chart's camera button still saves a PNG."
            )
            return
        for fmt in ("png", "svg"):
            st.download_button(
                f"{fmt.upper()}",
                data=lambda fmt=fmt: _export(fig, fmt),
                file_name=f"{filename}.{fmt}",
                mime="image/svg+xml" if fmt == "svg" else "image/png",
                key=f"{key}-{fmt}",
                on_click="ignore",
            )
