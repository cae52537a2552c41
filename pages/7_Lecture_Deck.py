"""Lecture Deck: the scenes in the course's order as slides — reorder, hide, add, prepare, share, present."""

import streamlit as st

from core.lecture import scenes
from core.training.store import RunStore
from ui import deck, present, training_panel
from ui.page import setup

setup("Lecture Deck", "🎬")
st.title("🎬 Lecture Deck")
st.markdown(
    "The lecture scenes as slides, in the course's order. **→ / PageDown** (what a presentation clicker "
    "sends) opens the next slide, **← / PageUp** the previous one; each slide is its page, opened at the "
    "scene's figure. The way out of presentation view stays at the top right."
)

by_key = {s.key: s for s in scenes.SCENES}
keys = st.multiselect(
    "Scenes in the deck, in order (remove one to hide it; add it back at the end)",
    list(by_key),
    default=list(scenes.COURSE_ORDER),
    format_func=lambda k: by_key[k].title,
    key="scenes",
    bind="query-params",
)


def move(index: int, step: int) -> None:
    order = list(st.session_state.scenes)
    order[index], order[index + step] = order[index + step], order[index]
    st.session_state.scenes = order


store = RunStore()
missing = scenes.missing_configs(keys, store)
for i, key in enumerate(keys):
    scene = by_key[key]
    row = st.columns([0.6, 6, 2.2, 1, 1, 1.4], vertical_alignment="center")
    row[0].markdown(f"**{i + 1}**")
    row[1].markdown(f"**{scene.title}** — {scene.page.title}  \n{scene.caption}")
    todo = len(scenes.missing_runs(scene, store)) if scene.runs else 0
    row[2].markdown("no training" if not scene.runs else "💾 runs stored" if not todo else f"⏳ {todo} run(s) to train")
    row[3].button("▲", key=f"deck_up_{key}", on_click=move, args=(i, -1), disabled=i == 0, help="Earlier")
    row[4].button("▼", key=f"deck_down_{key}", on_click=move, args=(i, 1), disabled=i == len(keys) - 1, help="Later")
    row[5].button("Open", key=f"deck_open_{key}", on_click=deck.request, args=(keys, i), help="Start the deck here")

st.subheader("Prepare the deck")
if not missing and not training_panel.trainer("prep"):
    st.success("Every scene's runs are stored: the deck replays at once.", icon="💾")
else:
    st.markdown(
        f"{len(missing)} run(s) to train for the scenes above: "
        + (", ".join(f"{c.label} ({c.dataset}, {c.epochs} epochs)" for c in missing) or "none left")
        + ". **▶ Prepare** trains them all here (no terminal step) and stores them; the scenes then replay."
    )
    training_panel.controls("prep", missing, disabled=not missing, start_label="▶ Prepare")
    training_panel.live("prep")

st.subheader("Present and share")
start = st.columns([1, 1, 3])
start[0].button(
    "▶ Start the deck",
    key="deck_go",
    type="primary",
    on_click=deck.request,
    args=(keys, 0),
    disabled=not keys,
    width="stretch",
)
start[1].button(
    "Start in the dark theme",
    key="deck_go_dark",
    on_click=deck.request,
    args=(keys, 0, "dark"),
    disabled=not keys,
    width="stretch",
)
st.caption("A link to this deck (its order and hidden scenes):")
st.code(present.share_url(), language=None, wrap_lines=True)
first = by_key[keys[0]] if keys else None
if first:
    st.caption("A link straight to its first slide, in presentation view:")
    query = {**first.params, "deck": keys, "slide": "1", "present": "true"}
    st.page_link(first.page.path, label=f"Slide 1: {first.title}", icon="▶️", query_params=query)
