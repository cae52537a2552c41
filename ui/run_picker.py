"""Pick stored runs: one widget for every page that analyses runs from the store."""

from __future__ import annotations

import streamlit as st

from core.training.store import RunInfo


def select(
    label: str,
    runs: list[RunInfo],
    key: str,
    multiple: bool = False,
    default: list[int] | None = None,
    bind: bool = True,
):
    """A selectbox (or multiselect) over `runs`, labelled '#id net · dataset · epochs · test error'.
    Returns the chosen run id (or ids)."""
    by_id = {r.id: r for r in runs}

    def describe(run_id: int) -> str:
        return by_id[run_id].describe()

    if multiple:
        return st.multiselect(label, list(by_id), default=default, format_func=describe, key=key)
    return st.selectbox(label, list(by_id), format_func=describe, key=key, bind="query-params" if bind else None)
