"""Page set-up shared by every page: wide layout, projector-friendly type, lecture mode, navigation,
one way to show errors."""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import threading
from pathlib import Path

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from core.errors import UserError
from core.lecture import urls
from ui import deck, present, url_guard

ROOT = Path(__file__).resolve().parents[1]
CSS = (ROOT / "assets" / "style.css").read_text()
HOME = ("app.py", "Home", "🧭")  # Streamlit would label the entry script "app" (its file name)
_frozen = {"modules": 0, "lock": threading.Lock()}


def freeze_long_lived() -> None:
    """Streamlit collects garbage after every script run (gc.collect(2), runner.postScriptGC). With torch,
    timm and plotly loaded that scans ~460k long-lived objects: ~0.45 s, half a page open's server CPU
    (bench/bench_load.py). Frozen, they are skipped and a collection scans only what is new: ~2 ms.
    Done again whenever a run has imported more modules. A frozen object is still freed when its last
    reference goes; only garbage cycles that were alive at a freeze stay (a few times per process)."""
    with _frozen["lock"]:
        if len(sys.modules) > _frozen["modules"]:
            gc.collect()
            gc.freeze()
            _frozen["modules"] = len(sys.modules)


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
    freeze_long_lived()  # the page's imports have run
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
    from core.training.store import StoreError

    # a store that cannot be opened: the pages that use it say so (open_store), the others work without it
    with contextlib.suppress(StoreError):
        _install(str(convatlas_home()), os.environ.get("CONVATLAS_STORE"), os.environ.get("CONVATLAS_SCENE_RUNS"))


@st.cache_resource(max_entries=8, show_spinner="Loading the lecture scenes' runs…")
def _install(home: str, store_setting: str | None, folder_setting: str | None) -> tuple[int, ...]:
    from core.lecture import scenes

    return tuple(scenes.install_shipped())


def show_user_error(exc: Exception) -> None:
    """Bad input: the message alone, in a box the user can read from the back of a room."""
    st.error(str(exc), icon="⚠️")


def open_store():
    """The run store, or, when it cannot be opened, its problem in one sentence, a button that moves a
    damaged SQLite file aside (kept, renamed), and the page stops there."""
    from core.training.store import RunStore, StoreError, move_aside

    try:
        return RunStore()
    except StoreError as exc:
        show_user_error(exc)
        if st.button("Move the damaged run store aside (the file is kept, renamed)", key="store_move_aside"):
            try:
                st.success(f"Moved it to {move_aside()}; a new empty store is used from now on.", icon="✅")
            except UserError as error:
                show_user_error(error)
        st.stop()


def report_damaged(store) -> None:
    """Rows the last `store.list()` could not read: named, with the command that deletes them."""
    for run_id, reason in store.damaged:
        st.warning(
            f"Run #{run_id} is damaged and left out: {reason}. Delete it with `python -m core runs --delete {run_id}`.",
            icon="🩹",
        )
