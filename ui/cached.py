"""Cached wrappers around core for the pages: every derived thing is keyed by (arch, input size,
options[, level]) so switching back and forth re-renders from memory, and what every session renders
identically (the analysis, its tables, the DOT text, the styled figures) is computed once per process.

Every cache is bounded in entries and in bytes (core.memo; `python bench/bench_memory.py` measures a
server against the ceiling): profiles 64 / 96 MiB, tables 64 / 96 MiB, DOT 128 / 16 MiB, SVG 16 / 32 MiB,
figures 32 / 96 MiB; core's traced structures 64 / 384 MiB (core.anatomy.profile); trained nets 4
(a few MiB each: CIFAR nets at width 16) and their analyses 64 + 32 + 256 entries of small tables.
Values are shared between sessions, not copied: pages treat them as read-only.
"""

from __future__ import annotations

import pickle
import threading

import pandas as pd
import streamlit as st

from core.anatomy import compare, graph
from core.anatomy.profile import Profile, profile
from core.errors import UserError
from core.experiments import paths
from core.figures import architecture as charts
from core.memo import MiB, bounded
from core.models import zoo
from core.training.data import load_dataset
from core.training.store import RunStore

Options = tuple  # sorted (key, value) pairs: hashable for the cache


def _pickled(value) -> int:
    """Bytes of a value as stored (a pickle is a fair, cheap-enough proxy of its size in memory)."""
    return 2 * len(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def _figures_size(figures: dict) -> int:
    return sum(3 * len(f.to_json()) for f in figures.values())


@st.cache_data(max_entries=1, show_spinner=False)
def names_by_family() -> dict[str, list[str]]:
    return zoo.families()


@st.cache_data(max_entries=1, show_spinner=False)
def timm_names() -> list[str]:
    """timm:<name> of every CNN family in timm's registry (imports timm on first use only)."""
    return zoo.timm_names()


@bounded(max_entries=64, max_bytes=96 * MiB, weigh=_pickled)
def arch_profile(arch: str, input_size: tuple | None = None, options: Options = ()) -> Profile:
    return profile(arch, input_size, **dict(options))


@bounded(max_entries=64, max_bytes=96 * MiB, weigh=_pickled)
def arch_tables(arch: str, input_size: tuple | None, options: Options) -> dict:
    """The Architecture page's tables and CSV download, once per net (not per page open)."""
    return tables_of(arch_profile(arch, input_size, options))


def tables_of(p: Profile) -> dict:
    return {
        "stages": compare.stage_summary(p),
        "layers": compare.layer_table(p),
        "blocks": compare.block_table(p),
        "csv": p.table().to_csv(index=False),
    }


@bounded(max_entries=128, max_bytes=16 * MiB, weigh=len)
def arch_dot(arch: str, input_size: tuple | None, options: Options, level: str) -> str:
    return graph.to_dot(arch_profile(arch, input_size, options), level=level)


@bounded(max_entries=64, max_bytes=8 * MiB, weigh=len)
def side_by_side_dot(arch: str, level: str) -> str:
    """For a narrow column: no title line (wider than the drawing, it would shrink it to fit)."""
    return graph.to_dot(arch_profile(arch), level=level, title=False)


@bounded(max_entries=16, max_bytes=32 * MiB, weigh=len)
def dot_to_svg(dot: str) -> str:
    return graph.to_svg(dot)


# Figures are read-only here (ui.figures.show styles a copy, itself cached per theme), so they are
# shared rather than rebuilt or unpickled on every rerun (~0.1 s for ResNet-152's).
@bounded(max_entries=32, max_bytes=96 * MiB, weigh=_figures_size)
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


# --- trained runs: the Ensemble page's analyses and the Architecture page's linked view ------------
# Keyed by (run id, created): SQLite hands a deleted newest run's id to the next run.
@st.cache_resource(max_entries=4, show_spinner=False)
def _trained(run_id: int, created: float) -> tuple:
    """A stored net, its test set, and a lock: every analysis hooks the one shared net, so one at a time."""
    run = RunStore().load(run_id)
    if run.model is None:
        raise UserError(f"run {run_id} was stored without weights; train it again")
    c = run.config
    data = load_dataset(c.dataset, seed=c.seed, train_limit=c.train_limit)
    return run.model.eval(), data.test_x, data.test_y, threading.Lock()


@st.cache_data(max_entries=64, show_spinner=False)
def run_analysis(run_id: int, created: float, analysis: str, ks: tuple | None, samples: int, seed: int) -> dict:
    model, x, y, lock = _trained(run_id, created)
    with lock:
        return paths.analyse(model, x, y, analysis, list(ks) if ks else None, samples, seed)


@st.cache_data(max_entries=32, show_spinner=False)
def block_effects(run_id: int, created: float) -> dict:
    """Each block's lesion error and gradient norm (paths.block_effects)."""
    model, x, y, lock = _trained(run_id, created)
    with lock:
        return paths.block_effects(model, x, y)


@st.cache_data(max_entries=256, show_spinner=False)
def error_without(run_id: int, created: float, names: tuple[str, ...]) -> float:
    model, x, y, lock = _trained(run_id, created)
    with lock:
        return paths.error_without(model, x, y, names)
