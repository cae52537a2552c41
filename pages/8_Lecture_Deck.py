"""Lecture Deck: the scenes in the course's order as slides — reorder, hide, add, prepare, share, present."""

import streamlit as st

from core.lecture import scenes
from ui import deck, present, training_panel
from ui.page import open_store, setup

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


theme = "dark" if present.dark() else "light"


def open_link(index: int, label: str, theme: str = theme) -> str:
    """A slide as a link (loaded afresh, so its page's controls take the scene's values)."""
    return f'<a class="deck-open" href="{deck.href(keys, index, theme)}" target="_self">{label}</a>'


store = open_store()
missing = scenes.missing_configs(keys, store)
st.markdown(
    "<style>a.deck-open { display: inline-block; padding: 0.25rem 0.8rem; border-radius: 0.5rem; "
    "border: 1px solid #1f3d7a; color: #1f3d7a; text-decoration: none; font-weight: 600; }"
    + ("a.deck-open { border-color: #8fc1ff; color: #cfe8ff !important; }" if present.dark() else "")
    + "</style>",
    unsafe_allow_html=True,
)
for i, key in enumerate(keys):
    scene = by_key[key]
    row = st.columns([0.6, 6, 2.2, 1, 1, 1.4], vertical_alignment="center")
    row[0].markdown(f"**{i + 1}**")
    row[1].markdown(f"**{scene.title}** — {scene.page.title}  \n{scene.caption}")
    todo = len(scenes.missing_runs(scene, store)) if scene.runs else 0
    if scene.sweep is not None:
        row[2].markdown("⏳ comparison to run" if scenes.sweep_missing(scene, store) else "💾 comparison stored")
    else:
        row[2].markdown(
            "no training" if not scene.runs else "💾 runs stored" if not todo else f"⏳ {todo} run(s) to train"
        )
    row[3].button("▲", key=f"deck_up_{key}", on_click=move, args=(i, -1), disabled=i == 0, help="Earlier")
    row[4].button("▼", key=f"deck_down_{key}", on_click=move, args=(i, 1), disabled=i == len(keys) - 1, help="Later")
    row[5].markdown(open_link(i, "Open"), unsafe_allow_html=True)

st.subheader("Prepare the deck")
unrun = [by_key[k] for k in keys if scenes.sweep_missing(by_key[k], store)]
if unrun:
    st.markdown(
        "Comparisons to run: "
        + ", ".join(f"**{s.title}** (open its slide and press **▶ Run the comparison**)" for s in unrun)
        + ". They run as jobs on the training engine; everyone opening the slide then sees the results."
    )
if not missing and not training_panel.job("prep"):
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
if keys:
    st.markdown(
        open_link(0, "▶ Start the deck") + " &nbsp; " + open_link(0, "Start in the dark theme", "dark"),
        unsafe_allow_html=True,
    )
st.caption("A link to this deck (its order and hidden scenes):")
st.code(present.share_url(), language=None, wrap_lines=True)
