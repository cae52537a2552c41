"""ConvAtlas landing page: what it is and a card per page."""

import streamlit as st

from core.lecture import urls  # the registry only: no torch import
from ui.page import install_scene_runs, open_store, setup

setup("ConvAtlas", "🧭", scene_runs=False)  # the cards first; scene runs below
st.title("🧭 ConvAtlas")
st.markdown(
    "An interactive explorer of deep CNN architectures — ResNet, Inception, Xception, VGG, MobileNet "
    "and more. Move the sliders for depth and width and *see* why these designs work."
)

columns = st.columns(3)
for i, page in enumerate(urls.PAGES):
    with columns[i % 3].container(border=True):
        st.page_link(page.path, label=page.title, icon=page.icon)
        st.caption(page.blurb)

st.header("Scenes for a lecture")
st.caption(
    "Each opens a page set up for one point of the lecture. The runs of the scenes that train ship with "
    "the app and replay at once (`python -m core scene NAME` trains any that are missing); presentation "
    "view is in the sidebar's Lecture mode."
)
from core.lecture import scenes  # noqa: E402  (after the cards: the landing page shows before torch loads)

install_scene_runs()
store = open_store()  # a damaged store: its message and a way out, below the cards

columns = st.columns(3)
for i, scene in enumerate(scenes.SCENES):
    with columns[i % 3].container(border=True):
        st.markdown(f"**{scene.title}**")
        st.caption(scene.caption)
        st.page_link(scene.page.path, label="Open scene", icon="▶️", query_params=scene.params)
        if scene.runs:
            todo = len(scenes.missing_runs(scene, store))
            st.caption(
                "💾 runs stored: replays at once"
                if not todo
                else f"⏳ {todo} run(s) to train first: `python -m core scene {scene.key}`"
            )
        if scene.sweep is not None:
            st.caption(
                "💾 comparison stored: shows at once"
                if not scenes.sweep_missing(scene, store)
                else f"⏳ its comparison to run first: `python -m core scene {scene.key}`"
            )
