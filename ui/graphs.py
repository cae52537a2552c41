"""Every graph goes through `show`: drawn in the browser, and exportable as DOT and SVG for slides
(SVG rendered by Graphviz's dot only when clicked)."""

from __future__ import annotations

import hashlib

import streamlit as st

from ui import cached, present

PRESENT_HEIGHT = 460  # px: with a heading above, inside a 1280×720 projector view


def show(dot: str, key: str, name: str, **chart_args) -> None:
    """The graph in a container keyed by `key` (class st-key-<key>, e.g. for a lecture scene's figure);
    inside, a container keyed by the DOT itself, so a changed graph is a fresh element — the renderer
    reused the previous level's shapes (boxes drawn without border or fill after switching level).
    In presentation view the graph sits in a box of the screen's height, at a readable scale (fitted
    to the width), and pans by scrolling inside the box — not a 5,000-pixel column, nor shrunk to dust."""
    digest = hashlib.sha1(dot.encode()).hexdigest()[:12]
    height = PRESENT_HEIGHT if present.presenting() else "content"
    with st.container(key=key, height=height), st.container(key=f"{key}-{digest}"):
        st.graphviz_chart(dot, **chart_args)
    if present.presenting():
        return
    with st.popover("Export graph", icon=":material/download:"):
        st.download_button(
            "SVG", lambda: cached.dot_to_svg(dot), f"{name}.svg", "image/svg+xml", key=f"{key}-svg", on_click="ignore"
        )
        st.download_button("DOT", dot, f"{name}.dot", "text/vnd.graphviz", key=f"{key}-dot", on_click="ignore")
