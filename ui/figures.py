"""Showing figures so they export well into slides (PNG at twice the screen resolution), with the
projector-sized fonts and colours core.charts chose (Streamlit's theme would shrink and recolour them)."""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

EXPORT = {"toImageButtonOptions": {"format": "png", "scale": 2}, "displaylogo": False}


def show(fig: go.Figure, key: str) -> None:
    st.plotly_chart(fig, width="stretch", config=EXPORT, key=key, theme=None)
