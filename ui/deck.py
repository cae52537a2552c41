"""The lecture deck's slide bar, drawn on every page during a deck walk (query parameters `deck` and
`slide`, see core.lecture.urls.DECK_KEYS): Previous · "3 / 10 · title" · Next, the arrow keys and
PageUp/PageDown (what presentation clickers send), and the scene's main figure scrolled into view."""

from __future__ import annotations

import html
import json
from urllib.parse import urlencode

import streamlit as st

from core.lecture import scenes, urls

BAR_CSS = """
.st-key-deck_bar { position: fixed; bottom: 8px; right: 12px; z-index: 1000001; width: auto !important; max-width: 560px;
  background: #ffffff; border: 1px solid #6b7080; border-radius: 8px; padding: 2px 6px; }
.st-key-deck_bar .deck-row { display: flex; align-items: center; gap: 10px; font-size: 16px; line-height: 1.3; }
.st-key-deck_bar .deck-row a, .st-key-deck_bar .deck-off { font-size: 22px; text-decoration: none; padding: 0 8px;
  border-radius: 6px; color: #1f3d7a; border: 1px solid #1f3d7a; }
.st-key-deck_bar .deck-off { visibility: hidden; }
.st-key-deck_bar .deck-count { color: #1b1e27; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 380px; }
.st-key-deck_bar [data-testid="stMarkdownContainer"] p { margin: 0; }
"""
BAR_DARK_CSS = """
.st-key-deck_bar { background: #262730; }
.st-key-deck_bar .deck-count, .st-key-deck_bar .deck-count b { color: #fafafa !important; }
.st-key-deck_bar .deck-row a { color: #cfe8ff !important; border-color: #8fc1ff; }
"""
# One listener per loaded document (a slide is a page load): the keys click the bar's links.
KEYS_JS = """
<script>
if (!window.convatlasDeckKeys) {
  window.convatlasDeckKeys = true;
  document.addEventListener('keydown', (event) => {
    const t = event.target;
    if (t && t.closest && t.closest('input, textarea, select, [role="slider"], [role="tab"], [contenteditable="true"], [data-baseweb="select"]')) return;
    const which = {ArrowRight: 'next', PageDown: 'next', ArrowLeft: 'prev', PageUp: 'prev'}[event.key];
    const link = which && document.querySelector('.st-key-deck_bar a.deck-' + which);
    if (link) { event.preventDefault(); link.click(); }
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
    if (el && idle) {  // again a little later: charts drawn above it after the run can push it down
      const show = () => el.scrollIntoView({block: el.getBoundingClientRect().height < window.innerHeight - 70 ? 'center' : 'start'});
      [0, 700, 1800].forEach((ms) => setTimeout(show, ms));
      return;
    }
    // a slide's first open may analyse for minutes on a slow machine (the lesion slide: three 32x32
    // nets); keep looking until its run ends, not a fixed short time
    if (Date.now() - started < 1800000) setTimeout(look, 250);
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


def href(keys: list[str], index: int, theme: str, present: bool = True) -> str:
    """The link to slide `index` of the deck `keys`: the scene's page with the scene's parameters, the
    deck's and the lecture view's. A link, loaded afresh: the page's widgets take the link's values
    (Streamlit refuses to switch to a page with values for widgets bound to the URL, and a widget that
    already holds a value would keep it)."""
    scene = scenes.get(keys[index])
    query = {**scene.params, "deck": keys, "slide": str(index + 1), "theme": theme}
    if present:
        query["present"] = "true"
    return f"{scene.page.url_path}?{urlencode(query, doseq=True)}"


def link(label: str, url: str | None, css_class: str, tooltip: str) -> str:
    if url is None:
        return f'<span class="{css_class} deck-off" aria-disabled="true">{label}</span>'
    url = html.escape(url, quote=True)
    return f'<a class="{css_class}" href="{url}" target="_self" title="{tooltip}">{label}</a>'


def bar(dark: bool, present: bool) -> None:
    """The slide bar (fixed at the bottom right) when the page is a slide of a deck walk."""
    where = walk()
    if where is None:
        return
    keys, index = where
    scene = scenes.get(keys[index])
    theme = "dark" if dark else "light"
    previous = href(keys, index - 1, theme, present) if index > 0 else None
    following = href(keys, index + 1, theme, present) if index < len(keys) - 1 else None
    # the deck page's multiselect is bound to the URL by the scenes' titles (Streamlit writes the labels)
    titles = [scenes.get(k).title for k in keys]
    deck_page = f"{urls.LECTURE_DECK.url_path}?{urlencode({'scenes': titles, 'theme': theme}, doseq=True)}"
    items = [
        link("◀", previous, "deck-prev", "Previous slide (← or PageUp)"),
        f'<span class="deck-count"><b>{index + 1} / {len(keys)}</b> · {html.escape(scene.title)}</span>',
        link("▶", following, "deck-next", "Next slide (→ or PageDown)"),
        link("☰", deck_page, "deck-menu", "The deck: order, hide, prepare, share"),
    ]
    style = f"<style>{BAR_CSS}{BAR_DARK_CSS if dark else ''}</style>"
    with st.container(key="deck_bar"):
        st.markdown(style + f'<div class="deck-row">{"".join(items)}</div>', unsafe_allow_html=True)
        st.html(KEYS_JS + SCROLL_JS % (json.dumps(f".st-key-{scene.figure}"), index), unsafe_allow_javascript=True)
