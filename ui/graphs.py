"""Every graph goes through `show`: drawn in the browser, and exportable as DOT and SVG for slides
(SVG rendered by Graphviz's dot only when clicked)."""

from __future__ import annotations

import hashlib

import streamlit as st

from ui import cached, present


def show(dot: str, key: str, name: str, across: bool = False, **chart_args) -> None:
    """The graph in a container keyed by `key` (class st-key-<key>, e.g. for a lecture scene's figure);
    inside, a container keyed by the DOT itself, so a changed graph is a fresh element — the renderer
    reused the previous level's shapes (boxes drawn without border or fill after switching level).
    `across`: in presentation view a tall graph is laid out left to right."""
    if across and present.presenting() and dot.count(" [label=") > 12:
        # a tall graph runs left to right on a 16:9 projector (then fits its width), not down a thin column
        dot = dot.replace("rankdir=TB", "rankdir=LR", 1)
    digest = hashlib.sha1(dot.encode()).hexdigest()[:12]
    with st.container(key=key), st.container(key=f"{key}-{digest}"):
        st.graphviz_chart(dot, **chart_args)
    if present.presenting():
        return
    with st.popover("Export graph", icon=":material/download:"):
        st.download_button(
            "SVG", lambda: cached.dot_to_svg(dot), f"{name}.svg", "image/svg+xml", key=f"{key}-svg", on_click="ignore"
        )
        st.download_button("DOT", dot, f"{name}.dot", "text/vnd.graphviz", key=f"{key}-dot", on_click="ignore")
