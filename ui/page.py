"""Page set-up shared by every page: wide layout, projector-friendly type, lecture mode, one way to show errors."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui import present, url_guard

ROOT = Path(__file__).resolve().parents[1]
CSS = (ROOT / "assets" / "style.css").read_text()


def setup(title: str, icon: str = "🧭") -> None:
    st.set_page_config(
        page_title=f"{title} · ConvAtlas",
        page_icon=icon,
        layout="wide",
        initial_sidebar_state="collapsed" if present.presenting() else "auto",
    )
    url_guard.begin_page()  # before any URL-bound widget: hostile link values are refused in words
    present.lecture_sidebar()
    st.markdown(f"<style>{CSS}\n{present.css()}</style>", unsafe_allow_html=True)


def show_user_error(exc: Exception) -> None:
    """Bad input: the message alone, in a box the user can read from the back of a room."""
    st.error(str(exc), icon="⚠️")
