"""Lecture mode, shared by every page through `ui.page.setup`.

URL parameters (so a prepared link opens exactly that view):
  present=true      presentation view: large type, sidebar collapsed, no export clutter
  theme=dark        dark page and plots (default light)
  hide=key1,key2    hide those controls (each widget's container carries the CSS class st-key-<key>)
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import streamlit as st

PRESENT_CSS = """
html, body, [data-testid="stAppViewContainer"] { font-size: 22px; }
h1 { font-size: 3.2rem !important; } h2 { font-size: 2.4rem !important; } h3 { font-size: 1.9rem !important; }
[data-testid="stMetricValue"] { font-size: 2.8rem; }
[data-testid="stHeader"] { display: none; }
"""
DARK_CSS = """
[data-testid="stAppViewContainer"], [data-testid="stHeader"], [data-testid="stSidebar"] {
  background-color: #0e1117; color: #fafafa; }
[data-testid="stAppViewContainer"] p, [data-testid="stAppViewContainer"] h1, [data-testid="stAppViewContainer"] h2,
[data-testid="stAppViewContainer"] h3, [data-testid="stAppViewContainer"] label, [data-testid="stSidebar"] * { color: #fafafa; }
[data-testid="stAppViewContainer"] [data-testid="stAlert"] :is(p, li) { color: #31333f; }
"""


def _param(name: str) -> str:
    return str(st.session_state.get(name, st.query_params.get(name, "")))


def presenting() -> bool:
    return _param("present").lower() in ("true", "1", "yes")


def dark() -> bool:
    return _param("theme") == "dark"


def hidden_keys() -> list[str]:
    return [k for k in re.split(r"[,\s]+", _param("hide")) if re.fullmatch(r"[A-Za-z0-9_-]+", k)]


def css() -> str:
    rules = [PRESENT_CSS if presenting() else "", DARK_CSS if dark() else ""]
    rules += [f".st-key-{key} {{ display: none !important; }}" for key in hidden_keys()]
    return "\n".join(rules)


def share_url() -> str:
    """This view's link: the page's URL with every bound control in the query string."""
    base = st.context.url or ""
    params = {k: st.query_params.get_all(k) for k in st.query_params}
    query = urlencode([(k, v) for k, values in params.items() for v in values])
    return f"{base}?{query}" if query else base


def lecture_sidebar() -> None:
    with st.sidebar.expander("🎓 Lecture mode", expanded=False):
        st.toggle(
            "Presentation view",
            key="present",
            bind="query-params",
            help="Large type for a projector; the link opens in this view.",
        )
        st.radio("Theme", ["light", "dark"], key="theme", bind="query-params", horizontal=True)
        st.text_input(
            "Hide controls (keys, comma-separated)",
            key="hide",
            bind="query-params",
            help="e.g. depth,width — hidden in the linked view, as in TensorFlow Playground's classroom links.",
        )
        st.caption("Link to exactly this view:")
        st.code(share_url(), language=None, wrap_lines=True)
