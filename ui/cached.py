"""Cached wrappers around core for the pages: every derived thing is keyed by (arch, input size,
options[, level]) so switching back and forth re-renders from memory."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.anatomy import compare, graph
from core.anatomy.profile import Profile, profile
from core.figures import architecture as charts
from core.models import zoo

Options = tuple  # sorted (key, value) pairs: hashable for the cache


@st.cache_data(max_entries=1, show_spinner=False)
def names_by_family() -> dict[str, list[str]]:
    return zoo.families()


@st.cache_data(max_entries=64, show_spinner=False)
def arch_profile(arch: str, input_size: tuple | None = None, options: Options = ()) -> Profile:
    return profile(arch, input_size, **dict(options))


@st.cache_data(max_entries=64, show_spinner=False)
def arch_dot(arch: str, input_size: tuple | None, options: Options, level: str) -> str:
    return graph.to_dot(arch_profile(arch, input_size, options), level=level)


@st.cache_data(max_entries=32, show_spinner=False)
def side_by_side_dot(arch: str, level: str) -> str:
    """For a narrow column: no title line (wider than the drawing, it would shrink it to fit)."""
    return graph.to_dot(arch_profile(arch), level=level, title=False)


@st.cache_data(max_entries=16, show_spinner=False)
def dot_to_svg(dot: str) -> str:
    return graph.to_svg(dot)


# Figures are read-only here (ui.figures.show styles a copy), so they are shared rather than unpickled
# on every rerun (~0.1 s for ResNet-152's).
@st.cache_resource(max_entries=32, show_spinner=False)
def arch_figures(arch: str, input_size: tuple | None, options: Options) -> dict:
    p = arch_profile(arch, input_size, options)
    return {"stage": charts.stage_figure(p), "layer": charts.layer_figure(p), "cumulative": charts.cumulative_figure(p)}


@st.cache_data(max_entries=1, show_spinner=False)
def accuracy_points() -> pd.DataFrame:
    return compare.accuracy_points()


@st.cache_resource(max_entries=16, show_spinner=False)
def accuracy_figure(selected: tuple[str, ...]):
    return charts.accuracy_scatter(accuracy_points(), list(selected))
