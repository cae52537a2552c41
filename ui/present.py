"""Lecture mode, shared by every page through `ui.page.setup`.

URL parameters (so a prepared link opens exactly that view):
  present=true      presentation view: large type, sidebar collapsed, no export clutter, an
                    "Exit presentation" link always on screen (the header and its sidebar button are hidden)
  theme=dark        dark page and plots (default light); our own CSS, every text at WCAG AA contrast
  hide=key1,key2    hide those controls (each widget's container carries the CSS class st-key-<key>);
                    the Lecture-mode panel lists the page's controls by their labels
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode

import streamlit as st

from core.lecture import urls

# Results never fade: Streamlit dims elements of a running script or fragment to 33% ("stale"), which
# makes live curves flicker every tick and hides a result while a slider moves.
BASE_CSS = """
[data-stale="true"] { opacity: 1 !important; transition: none !important; }
"""
PRESENT_CSS = """
html, body, [data-testid="stAppViewContainer"] { font-size: 22px; }
h1 { font-size: 3.2rem !important; } h2 { font-size: 2.4rem !important; } h3 { font-size: 1.9rem !important; }
[data-testid="stMetricValue"] { font-size: 2.8rem; }
[data-testid="stMetricValue"] > div { overflow: visible; text-overflow: clip; white-space: nowrap; }
[data-testid="stMetricLabel"] [data-testid="stMarkdownContainer"] { overflow: visible; text-overflow: clip; white-space: normal; }
[data-testid="stHeader"] { display: none; }
[data-testid="stMainBlockContainer"] { padding-top: 1.2rem; padding-bottom: 4rem; }
/* a graph fits the screen's width; a tall one pans inside its box (ui.graphs) */
[data-testid="stGraphVizChart"] svg { max-width: 100%; height: auto; }
a.convatlas-exit {
  position: fixed; top: 8px; right: 12px; z-index: 1000002; padding: 4px 12px; border-radius: 6px;
  font-size: 15px; text-decoration: none; font-weight: 600;
  background: #ffffff; color: #1f3d7a; border: 2px solid #1f3d7a; }
a.convatlas-exit:hover { background: #1f3d7a; color: #ffffff; }
"""
# Dark theme: the page, every text, and every light surface Streamlit draws (alerts, buttons, inputs,
# menus, code, expanders) — contrast >= 4.5:1 checked in the browser (tests/browser/lecture_checks.py).
DARK_BG, DARK_FG, DARK_SURFACE, DARK_BORDER = "#0e1117", "#fafafa", "#262730", "rgba(250, 250, 250, 0.3)"
DARK_CSS = f"""
html, body, [data-testid="stApp"], [data-testid="stAppViewContainer"], [data-testid="stHeader"],
[data-testid="stSidebar"], [data-testid="stBottomBlockContainer"], [data-testid="stMain"] {{
  background-color: {DARK_BG}; color: {DARK_FG}; color-scheme: dark; }}
[data-testid="stApp"] :is(p, li, span, label, h1, h2, h3, h4, h5, h6, summary, td, th, small, strong, em, div, code, a),
[data-baseweb="popover"] :is(li, div, span, p), [data-baseweb="tooltip"] :is(div, p, span) {{ color: {DARK_FG}; }}
[data-testid="stApp"] a:not(.convatlas-exit) {{ color: #8fc1ff; }}
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] * {{ color: #c8cbd3 !important; }}
/* alerts: a tinted dark box, light text */
[data-testid="stAlertContainer"] {{ background-color: {DARK_SURFACE} !important; }}
[data-testid="stAlertContentInfo"], [data-testid="stAlertContentInfo"] * {{ color: #cfe8ff !important; }}
[data-testid="stAlertContentSuccess"], [data-testid="stAlertContentSuccess"] * {{ color: #d5f7df !important; }}
[data-testid="stAlertContentWarning"], [data-testid="stAlertContentWarning"] * {{ color: #fff4c2 !important; }}
[data-testid="stAlertContentError"], [data-testid="stAlertContentError"] * {{ color: #ffd9d9 !important; }}
[data-testid="stAlert"]:has([data-testid="stAlertContentInfo"]) [data-testid="stAlertContainer"] {{
  background-color: #112a45 !important; }}
[data-testid="stAlert"]:has([data-testid="stAlertContentSuccess"]) [data-testid="stAlertContainer"] {{
  background-color: #113a22 !important; }}
[data-testid="stAlert"]:has([data-testid="stAlertContentWarning"]) [data-testid="stAlertContainer"] {{
  background-color: #3d3510 !important; }}
[data-testid="stAlert"]:has([data-testid="stAlertContentError"]) [data-testid="stAlertContainer"] {{
  background-color: #4a1a1a !important; }}
/* metrics: label, value and delta */
[data-testid="stMetric"] {{ background-color: transparent; }}
[data-testid="stMetricLabel"] *, [data-testid="stMetricValue"], [data-testid="stMetricValue"] * {{ color: {DARK_FG} !important; }}
[data-testid="stMetricDelta"], [data-testid="stMetricDelta"] * {{ color: #c8cbd3 !important; background-color: transparent !important; }}
/* buttons (secondary, download, popover, form), surfaces and inputs */
[data-testid="stApp"] button:is([kind="secondary"], [kind="secondaryFormSubmit"], [kind="tertiary"]),
[data-testid="stPopoverButton"], [data-testid="stBaseButton-secondary"] {{
  background-color: {DARK_SURFACE} !important; border-color: {DARK_BORDER} !important; }}
[data-testid="stApp"] button:is([kind="secondary"], [kind="tertiary"]) *,
[data-testid="stPopoverButton"] * {{ color: {DARK_FG} !important; }}
[data-testid="stApp"] button[kind="primary"] {{ background-color: #c0392b !important; border-color: #c0392b !important; }}
[data-testid="stApp"] button[kind="primary"] * {{ color: #ffffff !important; }}
/* a progress bar's empty track dark, so that 0% does not look like 100% */
[data-testid="stProgressBarTrack"] {{ background-color: #3a3f4b !important; }}
/* a disabled button must look disabled (Start while runs train): the colours above would hide it */
[data-testid="stApp"] button:disabled {{ opacity: 0.4 !important; cursor: not-allowed !important; }}
[data-testid="stApp"] code, [data-testid="stCode"] pre, [data-testid="stCode"] pre * {{ background-color: #1b1e27 !important; color: {DARK_FG} !important; }}
[data-testid="stExpander"] details, [data-testid="stExpander"] summary {{ background-color: {DARK_BG}; border-color: {DARK_BORDER}; }}
[data-baseweb="select"] > div, [data-baseweb="input"], [data-baseweb="base-input"], [data-baseweb="textarea"],
[data-testid="stNumberInputContainer"], [data-testid="stNumberInputContainer"] *, [data-testid="stApp"] input,
[data-testid="stApp"] textarea, [data-baseweb="popover"] ul, [data-baseweb="popover"] li, [data-baseweb="menu"],
[data-testid="stPopoverBody"] {{
  background-color: {DARK_SURFACE} !important; color: {DARK_FG} !important; border-color: {DARK_BORDER}; }}
[data-testid="stTextInputRootElement"], [data-testid="stTextInputRootElement"] div,
:is([data-testid="stSelectbox"], [data-testid="stMultiSelect"])
  div:not([data-baseweb="tag"], [data-baseweb="tag"] *, [data-testid="stWidgetLabel"], [data-testid="stWidgetLabel"] *),
[data-testid="stElementToolbar"] div, [data-testid="stCode"] div {{ background-color: {DARK_SURFACE} !important; }}
[data-testid="stApp"] input::placeholder {{ color: #b0b3bb !important; }}
:is([data-testid="stSelectbox"], [data-testid="stMultiSelect"]) [data-baseweb="select"] svg {{ color: #c8cbd3; fill: #c8cbd3; }}
[data-testid="stVerticalBlockBorderWrapper"], [data-testid="stTabs"] [role="tablist"] {{ border-color: {DARK_BORDER}; }}
[data-testid="stTable"] :is(table, td, th) {{ background-color: {DARK_BG}; border-color: {DARK_BORDER}; }}
[data-testid="stSliderTickBarMin"], [data-testid="stSliderTickBarMax"] {{ color: #c8cbd3 !important; }}
[data-testid="stFileUploaderDropzone"] {{ background-color: {DARK_SURFACE} !important; }}
[data-testid="stFileUploaderDropzoneInstructions"], [data-testid="stFileUploaderDropzoneInstructions"] * {{
  color: {DARK_FG} !important; }}
a.convatlas-exit {{ background: {DARK_SURFACE}; color: #cfe8ff !important; border-color: #8fc1ff; }}
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
    rules = [BASE_CSS, PRESENT_CSS if presenting() else "", DARK_CSS if dark() else ""]
    rules += [f".st-key-{key} {{ display: none !important; }}" for key in hidden_keys()]
    return "\n".join(rules)


def _query(drop: tuple[str, ...] = ()) -> str:
    params = {k: st.query_params.get_all(k) for k in st.query_params if k not in drop}
    return urlencode([(k, v) for k, values in params.items() for v in values])


def share_url() -> str:
    """This view's link: the page's URL with every bound control in the query string."""
    base, query = st.context.url or "", _query()
    return f"{base}?{query}" if query else base


def exit_link() -> str:
    """The way out of presentation view: a link on every page, fixed at the top right corner, to this
    view without `present` (the header, and with it the expand-sidebar button, is hidden)."""
    query = _query(drop=("present",))
    href = html.escape(f"?{query}" if query else "?", quote=True)
    return f'<a class="convatlas-exit" href="{href}" target="_self" title="Leave presentation view">✕ Exit presentation</a>'


def _hide_by_name(page: urls.Page | None) -> None:
    """The page's URL-bound controls by their labels; picking some writes their keys into `hide`."""
    if page is None:
        return
    labels = page.labels()
    current = [k for k in hidden_keys() if k in labels]
    st.session_state["hide_names"] = current  # follows the URL (and the keys field below)

    def picked() -> None:
        others = [k for k in hidden_keys() if k not in labels]  # keys typed for other pages stay
        st.session_state["hide"] = ",".join(others + st.session_state["hide_names"])

    st.multiselect(
        "Hide controls",
        list(labels),
        format_func=labels.get,
        key="hide_names",
        on_change=picked,
        help="Hidden in this view and in its link — a classroom link shows only what the lecture needs.",
    )


def lecture_sidebar(page: urls.Page | None = None) -> None:
    with st.sidebar.expander("🎓 Lecture mode", expanded=False):
        st.toggle(
            "Presentation view",
            key="present",
            bind="query-params",
            help="Large type for a projector; the link opens in this view.",
        )
        st.radio("Theme", ["light", "dark"], key="theme", bind="query-params", horizontal=True)
        _hide_by_name(page)
        st.text_input(
            "Hide controls (keys, comma-separated)",
            key="hide",
            bind="query-params",
            help="e.g. depth,width — hidden in the linked view, as in TensorFlow Playground's classroom links.",
        )
        st.caption("Link to exactly this view:")
        st.code(share_url(), language=None, wrap_lines=True)
