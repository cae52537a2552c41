"""Page set-up shared by every page: wide layout, projector-friendly type, lecture mode, navigation,
one way to show errors."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from core.lecture import urls
from ui import deck, present, url_guard

ROOT = Path(__file__).resolve().parents[1]
CSS = (ROOT / "assets" / "style.css").read_text()
HOME = ("app.py", "Home", "🧭")  # Streamlit would label the entry script "app" (its file name)


def navigation() -> None:
    """The sidebar's page list, labelled by title (Streamlit's own, hidden by .streamlit/config.toml,
    names the landing page after its file); the numbered pages folder keeps every page's deep link."""
    with st.sidebar:
        try:
            st.page_link(HOME[0], label=HOME[1], icon=HOME[2])
        except StreamlitPageNotFoundError:  # a page run on its own (AppTest of one page): no app around it
            return
        for page in urls.PAGES:
            st.page_link(page.path, label=page.title, icon=page.icon)


def setup(title: str, icon: str = "🧭", scene_runs: bool = True) -> None:
    """`scene_runs`: import the shipped scene runs into the run store first (the landing page does it
    itself, after its cards, so they show before torch loads)."""
    st.set_page_config(
        page_title=f"{title} · ConvAtlas",
        page_icon=icon,
        layout="wide",
        initial_sidebar_state="collapsed" if present.presenting() else "auto",
    )
    url_guard.begin_page()  # before any URL-bound widget: hostile link values are refused in words
    navigation()
    present.lecture_sidebar(next((p for p in urls.PAGES if p.title == title), None))
    way_out = present.exit_link() if present.presenting() else ""
    st.markdown(f"<style>{CSS}\n{present.css()}</style>{way_out}", unsafe_allow_html=True)
    deck.bar(present.dark(), present.presenting())
    if scene_runs:
        install_scene_runs()


def install_scene_runs() -> None:
    """The scene runs that ship with the app, in the run store: once per process and store."""
    from core.training.data import convatlas_home  # here: the landing page calls setup before torch loads

    _install(str(convatlas_home()), os.environ.get("CONVATLAS_SCENE_RUNS"))


@st.cache_resource(max_entries=8, show_spinner="Loading the lecture scenes' runs…")
def _install(home: str, folder_setting: str | None) -> tuple[int, ...]:
    from core.lecture import scenes

    return tuple(scenes.install_shipped())


def show_user_error(exc: Exception) -> None:
    """Bad input: the message alone, in a box the user can read from the back of a room."""
    st.error(str(exc), icon="⚠️")
