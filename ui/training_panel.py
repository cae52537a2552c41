"""The one training panel of every page that trains: Start · Stop · Resume, progress with ETA, save.

A page names its panel with a short key (the session-state prefix and the widget-key prefix):
`<key>_start`, `<key>_stop`, `<key>_resume` are the buttons, `<key>_trainer` the `PairedTrainer`,
`<key>_running` whether it advances, `<key>_saved_ids` the runs it stored. While running, a fragment
advances the trainer a slice of time per tick and redraws the progress and the page's live view, so
Stop answers within one slice. Stop keeps the runs trained so far (status "stopped"); Resume goes
on; a finished comparison replaces that save. The runs are in the store before "finished" shows.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import streamlit as st

from core.errors import UserError
from core.training.config import History, RunConfig
from core.training.engine import PairedTrainer
from core.training.store import RunStore
from core.units import format_duration
from ui.page import show_user_error

TICK_SECONDS = 0.3  # training per fragment run: Stop acts within about this long
Runs = list[tuple[RunConfig, History]]


def trainer(key: str) -> PairedTrainer | None:
    return st.session_state.get(f"{key}_trainer")


def running(key: str) -> bool:
    return st.session_state.get(f"{key}_running", False)


def start(key: str, configs: list[RunConfig]) -> None:
    ss = st.session_state
    ss[f"{key}_error"] = None
    try:
        ss[f"{key}_trainer"] = PairedTrainer(configs)
    except UserError as exc:  # e.g. a dataset that is not on this machine
        ss[f"{key}_error"] = str(exc)
        return
    ss[f"{key}_running"], ss[f"{key}_saved_ids"] = True, []
    ss[f"{key}_tag"] = (
        f"{time.strftime('%Y-%m-%d %H:%M')} {', '.join(c.label for c in configs)} #{uuid.uuid4().hex[:6]}"
    )


def _save(key: str, status: str) -> None:
    """Keep the comparison in the store; replaces this comparison's earlier (stopped) save."""
    ss, store = st.session_state, RunStore()
    for run_id in ss.get(f"{key}_saved_ids", []):
        store.delete(run_id)
    ss[f"{key}_saved_ids"] = [
        store.save(c, h, m, status=status, comparison=ss[f"{key}_tag"]) for c, m, h in ss[f"{key}_trainer"].results()
    ]


def stop(key: str) -> None:
    st.session_state[f"{key}_running"] = False
    if trainer(key) is not None:
        _save(key, "stopped")


def resume(key: str) -> None:
    st.session_state[f"{key}_running"] = True


def discard(key: str) -> None:
    """Forget the trainer (e.g. the page's settings changed under it); stored runs stay."""
    for suffix in ("trainer", "running", "saved_ids", "tag"):
        st.session_state.pop(f"{key}_{suffix}", None)


def controls(key: str, configs: list[RunConfig], disabled: bool = False, start_label: str = "▶ Start") -> list:
    """Start / Stop / Resume in a row; returns the row's columns (a fourth, wide one for a caption)."""
    # Started here, not in a callback: a callback would get the settings of the run that drew the button.
    if st.session_state.get(f"{key}_start") and not disabled:
        start(key, configs)
    t, on = trainer(key), running(key)
    columns = st.columns([1, 1, 1, 3])
    columns[0].button(
        start_label,
        key=f"{key}_start",
        type="primary",
        disabled=on or disabled,
        width="stretch",
    )
    columns[1].button("■ Stop", key=f"{key}_stop", on_click=stop, args=(key,), disabled=not on, width="stretch")
    columns[2].button(
        "↻ Resume",
        key=f"{key}_resume",
        on_click=resume,
        args=(key,),
        width="stretch",
        disabled=on or t is None or t.done,
    )
    if st.session_state.get(f"{key}_error"):
        show_user_error(UserError(st.session_state[f"{key}_error"]))
    return columns


def _progress(t: PairedTrainer, status: str) -> None:
    eta = t.eta_seconds
    text = f"{status} · {t.fraction:.0%}" + (f" · ETA {format_duration(eta)}" if eta and not t.done else "")
    st.progress(t.fraction, text=text)
    for column, run in zip(st.columns(len(t.runs)), t.runs):
        epoch = min(run.epoch + (not run.done), run.config.epochs)
        column.progress(run.step / run.total_steps, text=f"{run.config.label}: epoch {epoch}/{run.config.epochs}")


def live(
    key: str, view: Callable[[Runs, bool], None] | None = None, on_finished: Callable[[list[int]], None] | None = None
) -> bool:
    """Progress and the page's live `view(runs, running)` of the current trainer, advanced by a
    fragment while running. `on_finished(run_ids)` runs once the finished runs are stored.
    Returns False when there is no trainer to show."""
    if trainer(key) is None:
        return False

    def tick() -> None:
        t = trainer(key)
        if t is None:  # discarded by another widget's callback
            return
        if running(key):
            try:
                t.advance(max_seconds=TICK_SECONDS)
            except UserError as exc:
                st.session_state[f"{key}_running"] = False
                show_user_error(exc)
                return
            if t.done:  # store first: "finished" shows only once the runs are safe
                st.session_state[f"{key}_running"] = False
                _save(key, "finished")
                if on_finished:
                    on_finished(st.session_state[f"{key}_saved_ids"])
                st.rerun()  # a full run: the buttons change and the fragment timer stops
        _progress(t, "finished" if t.done else "training" if running(key) else "stopped")
        if view:
            view([(r.config, r.history) for r in t.runs], running(key))

    (st.fragment(run_every=0.1)(tick) if running(key) else tick)()
    return True
