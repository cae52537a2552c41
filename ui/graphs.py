"""Every graph goes through `show`: drawn in the browser, and exportable as DOT and SVG for slides
(SVG rendered by Graphviz's dot only when clicked). A graph can be a picker: clicking a node of a block
selects that block (the linked views)."""

from __future__ import annotations

import hashlib

import streamlit as st

from core.anatomy.graph import BLOCK_CLASS
from ui import cached, present

PRESENT_HEIGHT = 460  # px: with a heading above, inside a 1280×720 projector view
HIGHLIGHT = "#e8590c"  # the picked block's outline: orange, apart from every family colour

# No markup of its own: it finds the graph Streamlit drew (by its container's class), makes every node
# that carries a block's class clickable, outlines the picked block, and re-binds when the graph is
# redrawn. The nodes' classes come from core.anatomy.graph (BLOCK_CLASS + block name).
_PICKER_JS = """
export default function(component) {
  const { data, setTriggerValue } = component;
  const root = document.querySelector('.st-key-' + data.container);
  if (!root) return;
  root.picker = { data, send: setTriggerValue };  // the newest run's: older observers read it too
  const blockOf = (g) => {
    const token = Array.from(g.classList).find((c) => c.startsWith(data.prefix));
    return token ? token.slice(data.prefix.length) : null;
  };
  const bind = () => {
    const { data, send } = root.picker;
    root.querySelectorAll('g.node').forEach((g) => {
      const block = blockOf(g);
      if (!block) return;
      const picked = block === data.selected;
      g.querySelectorAll('path, polygon, ellipse').forEach((shape) => {
        shape.style.stroke = picked ? data.colour : '';
        shape.style.strokeWidth = picked ? '4px' : '';
      });
      g.classList.toggle('picked', picked);
      if (g.dataset.pickable) return;
      g.dataset.pickable = '1';
      g.style.cursor = 'pointer';
      g.addEventListener('click', () => root.picker.send('picked', blockOf(g)));
    });
  };
  bind();
  if (root.pickerObserver) return;  // one observer per graph: it re-binds when the graph is redrawn
  root.pickerObserver = new MutationObserver(bind);
  root.pickerObserver.observe(root, { childList: true, subtree: true });
}
"""
_picker = st.components.v2.component("convatlas.block_picker", js=_PICKER_JS, isolate_styles=False)


def _picked(component_key: str, state_key: str) -> None:
    block = (st.session_state.get(component_key) or {}).get("picked")
    if block:
        st.session_state[state_key] = block


def show(dot: str, key: str, name: str, pick: str | None = None, **chart_args) -> None:
    """The graph in a container keyed by `key` (class st-key-<key>, e.g. for a lecture scene's figure);
    inside, a container keyed by the DOT itself, so a changed graph is a fresh element — the renderer
    reused the previous level's shapes (boxes drawn without border or fill after switching level).
    In presentation view the graph sits in a box of the screen's height, at a readable scale (fitted
    to the width), and pans by scrolling inside the box — not a 5,000-pixel column, nor shrunk to dust.
    `pick`: a session-state key; clicking a block's node stores the block's name there (and reruns)."""
    digest = hashlib.sha1(dot.encode()).hexdigest()[:12]
    height = PRESENT_HEIGHT if present.presenting() else "content"
    with st.container(key=key, height=height), st.container(key=f"{key}-{digest}"):
        st.graphviz_chart(dot, **chart_args)
    if pick is not None:
        data = {"container": key, "prefix": BLOCK_CLASS, "selected": st.session_state.get(pick), "colour": HIGHLIGHT}
        _picker(
            key=f"{key}-picker",
            data=data,
            height=0,
            on_picked_change=lambda: _picked(f"{key}-picker", pick),
        )
    if present.presenting():
        return
    with st.popover("Export graph", icon=":material/download:"):
        st.download_button(
            "SVG", lambda: cached.dot_to_svg(dot), f"{name}.svg", "image/svg+xml", key=f"{key}-svg", on_click="ignore"
        )
        st.download_button("DOT", dot, f"{name}.dot", "text/vnd.graphviz", key=f"{key}-dot", on_click="ignore")
