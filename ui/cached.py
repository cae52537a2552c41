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


@st.cache_data(max_entries=1, show_spinner=False)
def timm_names() -> list[str]:
    """timm:<name> of every CNN family in timm's registry (imports timm on first use only)."""
    return zoo.timm_names()


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


# An uploaded ONNX file: keyed by its digest (the leading underscore keeps Streamlit from hashing the
# bytes again on every call).
@st.cache_resource(max_entries=4, show_spinner=False)
def onnx_profile(digest: str, name: str, input_size: tuple | None, _data: bytes) -> Profile:
    from core.anatomy.onnx_file import profile_onnx

    return profile_onnx(_data, name, input_size)


@st.cache_resource(max_entries=8, show_spinner=False)
def onnx_dot(digest: str, name: str, input_size: tuple | None, level: str, _data: bytes) -> str:
    return graph.to_dot(onnx_profile(digest, name, input_size, _data), level=level)


@st.cache_resource(max_entries=4, show_spinner=False)
def onnx_figures(digest: str, name: str, input_size: tuple | None, _data: bytes) -> dict:
    p = onnx_profile(digest, name, input_size, _data)
    return {"stage": charts.stage_figure(p), "layer": charts.layer_figure(p), "cumulative": charts.cumulative_figure(p)}
