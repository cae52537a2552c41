"""The one training panel of every page that trains: Start · Stop · Resume, progress with ETA.

Training runs as jobs on the engine (core.training.jobs), never in this session's thread. A page
names its panel with a short key (the session-state and widget-key prefix): `<key>_start`,
`<key>_stop`, `<key>_resume` are the buttons, `<key>_ids` the run ids this session watches,
`<key>_watching` whether it follows them. Start submits the page's configurations: a run that
another session already queued, trains or finished is attached to (one job, however many press
Start), a stopped one resumes. Stop cancels the runs this session started (they keep what they
trained) and, for runs someone else started, only stops watching. Progress comes from the store,
so a closed tab loses nothing and a reopened page picks the runs up where they are.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import streamlit as st

from core.errors import UserError
from core.training import jobs
from core.training.config import History, RunConfig
from core.units import format_duration
from ui.page import show_user_error

POLL_SECONDS = 1.0  # the page redraws progress this often (the board reads the store once a second)
Runs = list[tuple[RunConfig, History]]


def owner() -> str:
    """This browser session's identity in the store: it may stop and delete the runs it started."""
    return st.session_state.setdefault("convatlas_owner", f"session-{uuid.uuid4().hex[:12]}")


def job(key: str) -> jobs.JobView | None:
    ids = st.session_state.get(f"{key}_ids")
    return jobs.BOARD.view(ids) if ids else None


def running(key: str) -> bool:
    j = job(key) if st.session_state.get(f"{key}_watching") else None
    return bool(j and j.active)


def start(key: str, configs: list[RunConfig]) -> None:
    ss = st.session_state
    ss[f"{key}_error"] = ss[f"{key}_note"] = None
    tag = f"{time.strftime('%Y-%m-%d %H:%M')} {', '.join(c.label for c in configs)} #{uuid.uuid4().hex[:6]}"
    try:
        with st.spinner("Submitting to the training engine (its first start takes a few seconds)…"):
            ids = jobs.submit(configs, owner(), comparison=tag)
    except UserError as exc:  # limits, quota, an engine that cannot be reached
        ss[f"{key}_error"] = str(exc)
        return
    ss[f"{key}_ids"], ss[f"{key}_configs"], ss[f"{key}_watching"] = ids, list(configs), True
    ss[f"{key}_notified"] = False


def stop(key: str) -> None:
    ss = st.session_state
    if jobs.stop(ss.get(f"{key}_ids", []), owner()):
        ss[f"{key}_note"] = "stopping at the next chunk; what was trained is kept"
    else:  # someone else's runs: they go on for their starter
        ss[f"{key}_watching"] = False
        ss[f"{key}_note"] = "stopped watching; these runs belong to the session that started them and go on"


def resume(key: str) -> None:
    start(key, st.session_state.get(f"{key}_configs", []))


def discard(key: str) -> None:
    """Forget the watched runs (e.g. the page's settings changed under them); they stay in the store."""
    for suffix in ("ids", "configs", "watching", "notified", "note"):
        st.session_state.pop(f"{key}_{suffix}", None)


def controls(key: str, configs: list[RunConfig], disabled: bool = False, start_label: str = "▶ Start") -> list:
    """Start / Stop / Resume in a row; returns the row's columns (a fourth, wide one for a caption)."""
    # Started here, not in a callback: a callback would get the settings of the run that drew the button.
    if st.session_state.get(f"{key}_start") and not disabled:
        start(key, configs)
    j, on = job(key), running(key)
    mine = bool(j) and any(r.info.owner == owner() for r in j.runs)
    columns = st.columns([1, 1, 1, 3])
    columns[0].button(start_label, key=f"{key}_start", type="primary", disabled=on or disabled, width="stretch")
    columns[1].button(
        "■ Stop" if mine or not on else "■ Stop watching",
        key=f"{key}_stop",
        on_click=stop,
        args=(key,),
        disabled=not on,
        width="stretch",
    )
    columns[2].button(
        "↻ Resume",
        key=f"{key}_resume",
        on_click=resume,
        args=(key,),
        width="stretch",
        disabled=on or j is None or j.done,
    )
    if st.session_state.get(f"{key}_error"):
        show_user_error(UserError(st.session_state[f"{key}_error"]))
    if st.session_state.get(f"{key}_note"):
        st.caption(st.session_state[f"{key}_note"])
    return columns


STATUS_WORDS = {
    "queued": "queued",
    "running": "training",
    "finished": "finished",
    "stopped": "stopped",
    "interrupted": "interrupted (its worker stopped; Resume goes on from the last epoch)",
    "failed": "failed",
}


def _progress(j: jobs.JobView, watching: bool) -> None:
    statuses = {r.status for r in j.runs}
    status = (
        "finished"
        if j.done
        else "training"
        if "running" in statuses and watching
        else "queued"
        if statuses <= {"queued"} and watching
        else next(STATUS_WORDS[s] for s in ("failed", "interrupted", "stopped", "running", "queued") if s in statuses)
    )
    eta = j.eta_seconds
    text = f"{status} · {j.fraction:.0%}" + (f" · ETA {format_duration(eta)}" if eta and j.active else "")
    st.progress(j.fraction, text=text)
    for column, run in zip(st.columns(len(j.runs)), j.runs):
        epochs = run.config.epochs
        epoch = min(run.epoch + (run.status == "running"), epochs)  # the epoch under way; a queued run is at 0
        word = "" if run.status in ("running", "finished") else f" · {run.status}"
        column.progress(min(1.0, run.step / run.total_steps), text=f"{run.config.label}: epoch {epoch}/{epochs}{word}")
    for run in j.runs:
        if run.status == "failed":
            show_user_error(UserError(f"{run.config.label} failed: {run.info.error}"))


def live(
    key: str, view: Callable[[Runs, bool], None] | None = None, on_finished: Callable[[list[int]], None] | None = None
) -> bool:
    """Progress and the page's live `view(runs, running)` of the watched runs, redrawn by a fragment
    while they train. `on_finished(run_ids)` runs once, when every run has finished (and is stored).
    Returns False when nothing is watched."""
    if job(key) is None:
        return False
    was_running = running(key)

    def tick() -> None:
        j = job(key)
        if j is None:  # discarded by another widget's callback
            return
        on = running(key)
        if j.done and not st.session_state.get(f"{key}_notified"):
            st.session_state[f"{key}_notified"] = True
            if on_finished:
                on_finished(j.ids)
        _progress(j, st.session_state.get(f"{key}_watching", False))
        if view:
            view([(r.config, r.history) for r in j.runs], on)
        if was_running and not on:
            st.rerun()  # a full run: the buttons change and the fragment timer stops

    (st.fragment(run_every=POLL_SECONDS)(tick) if was_running else tick)()
    return True
