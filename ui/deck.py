"""The lecture deck's slide bar, drawn on every page during a deck walk (query parameters `deck` and
`slide`, see core.lecture.urls.DECK_KEYS): Previous · "3 / 10 · title" · Next, the arrow keys and
PageUp/PageDown (what presentation clickers send), and the scene's main figure scrolled into view."""

from __future__ import annotations

import json

import streamlit as st

from core.lecture import scenes, urls

BAR_CSS = """
.st-key-deck_bar { position: fixed; bottom: 8px; right: 12px; z-index: 1000001; width: 440px !important;
  background: rgba(255, 255, 255, 0.96); border: 1px solid #8a8f99; border-radius: 8px; padding: 4px 8px; }
.st-key-deck_bar p { font-size: 15px !important; margin: 0; color: #1b1e27; }
.st-key-deck_bar button { min-height: 2rem; padding: 0 0.6rem; }
.st-key-deck_bar button p, .st-key-deck_bar a p { font-size: 20px !important; }
.st-key-deck_bar [data-testid="stHorizontalBlock"] { gap: 0.5rem; align-items: center; flex-wrap: nowrap; }
"""
BAR_DARK_CSS = """
.st-key-deck_bar { background: rgba(38, 39, 48, 0.96); border-color: #8a8f99; }
.st-key-deck_bar p { color: #fafafa; }
"""
# One listener for the whole browser tab (pages switch without reloading): keys click the bar's buttons.
KEYS_JS = """
<script>
if (!window.convatlasDeckKeys) {
  window.convatlasDeckKeys = true;
  document.addEventListener('keydown', (event) => {
    const t = event.target;
    if (t && t.closest && t.closest('input, textarea, select, [role="slider"], [role="tab"], [contenteditable="true"], [data-baseweb="select"]')) return;
    const which = {ArrowRight: 'next', PageDown: 'next', ArrowLeft: 'prev', PageUp: 'prev'}[event.key];
    const button = which && document.querySelector('.st-key-deck_' + which + ' button');
    if (button && !button.disabled) { event.preventDefault(); button.click(); }
  });
}
</script>
"""
# The scene's main figure, once drawn, scrolled into view (the slide number makes each slide's script new).
SCROLL_JS = """
<script>
(() => {
  const selector = %s, slide = %d, started = Date.now();
  const look = () => {
    const el = document.querySelector(selector);
    const idle = document.querySelector('[data-testid="stApp"][data-test-script-state="notRunning"]');
    if (el && idle) { el.scrollIntoView({block: el.getBoundingClientRect().height < window.innerHeight - 70 ? 'center' : 'start'}); return; }
    if (Date.now() - started < 120000) setTimeout(look, 250);
  };
  setTimeout(look, 300);
})();
</script>
"""


def walk() -> tuple[list[str], int] | None:
    """The deck's scene keys and the current slide index, when this page is shown as a slide."""
    keys = [k for k in st.query_params.get_all("deck") if k in {s.key for s in scenes.SCENES}]
    try:
        slide = int(st.query_params.get("slide", ""))
    except ValueError:
        return None
    return (keys, min(max(slide, 1), len(keys)) - 1) if keys else None


def request(keys: list[str], index: int, theme: str | None = None, present: bool = True) -> None:
    """A button's callback: open slide `index` of the deck `keys` on the next run (`follow`). The
    lecture controls are widgets bound to the URL, so the view is set through their state here."""
    if present:
        st.session_state["present"] = True
    if theme:
        st.session_state["theme"] = theme
    st.session_state["deck_goto"] = (list(keys), index)


def follow() -> None:
    """Called by every page's set-up, before any widget: go where a deck button asked to."""
    goto = st.session_state.pop("deck_goto", None)
    if goto is None:
        return
    keys, index = goto
    scene = scenes.get(keys[index])
    for key in scene.params:  # the scene's values, not what the page's widgets held last time
        st.session_state.pop(key, None)
    st.switch_page(scene.page.path, query_params={**scene.params, "deck": keys, "slide": str(index + 1)})


def bar(dark: bool) -> None:
    """The slide bar (fixed at the bottom right) when the page is a slide of a deck walk."""
    where = walk()
    if where is None:
        return
    keys, index = where
    scene = scenes.get(keys[index])
    with st.container(key="deck_bar"):
        st.markdown(f"<style>{BAR_CSS}{BAR_DARK_CSS if dark else ''}</style>", unsafe_allow_html=True)
        row = st.columns([1, 4, 1, 1], vertical_alignment="center")
        row[0].button(
            "◀",
            key="deck_prev",
            on_click=request,
            args=(keys, index - 1),
            disabled=index == 0,
            help="Previous (← or PageUp)",
        )
        row[1].markdown(f"**{index + 1} / {len(keys)}** · {scene.title}")
        last = index == len(keys) - 1
        row[2].button(
            "▶", key="deck_next", on_click=request, args=(keys, index + 1), disabled=last, help="Next (→ or PageDown)"
        )
        row[3].page_link(
            urls.LECTURE_DECK.path,
            label="☰",
            help="The deck: order, hide, prepare, share",
            query_params={"scenes": keys},
        )
        st.html(KEYS_JS + SCROLL_JS % (json.dumps(f".st-key-{scene.figure}"), index), unsafe_allow_javascript=True)
