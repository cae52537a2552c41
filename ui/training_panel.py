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


# --- a sweep: one job of many small runs whose result is a table (core.training.sweeps) ---------------


def _submit_sweep(key: str, submit: Callable[[str], object]) -> None:
    st.session_state[f"{key}_error"] = None
    try:
        with st.spinner("Submitting to the training engine (its first start takes a few seconds)…"):
            submit(owner())
    except UserError as exc:  # limits, an engine that cannot be reached
        st.session_state[f"{key}_error"] = str(exc)


def _stop_sweep(key: str, info, stop: Callable[[object, str], bool]) -> None:
    if stop(info, owner()):
        st.session_state[f"{key}_note"] = "stopping after the run under way; the finished runs are kept"


def sweep_panel(
    key: str,
    find: Callable[[], object],
    submit: Callable[[str], object],
    stop: Callable[[object, str], bool],
    total: int,
    start_label: str = "▶ Run",
):
    """Run · Stop · Continue and progress for the sweep `find()` returns (a SweepInfo, or None before its
    first Run). Run submits it (`submit(owner)`): the same settings from any session are one sweep; Stop
    (its starter's) keeps the finished runs; Continue trains only the rest. Returns the sweep's info."""
    from core.training.sweeps import RESUMABLE  # noqa: PLC0415

    if st.session_state.get(f"{key}_start"):  # submitted here: a callback would get the previous settings
        _submit_sweep(key, submit)
    info = find()
    resumable = info is not None and info.status in RESUMABLE
    on = info is not None and info.active
    mine = info is not None and info.owner == owner()
    columns = st.columns([2, 1, 3])
    columns[0].button(
        f"▶ Continue ({len(info.rows)} of {total} runs done)" if resumable else start_label,
        key=f"{key}_start",
        type="primary",
        disabled=on or (info is not None and info.status == "finished"),
        width="stretch",
    )
    columns[1].button(
        "■ Stop",
        key=f"{key}_stop",
        on_click=_stop_sweep,
        args=(key, info, stop),
        disabled=not (on and mine),
        help=None if mine or not on else "Started by another session: it goes on for everyone watching",
        width="stretch",
    )
    if st.session_state.get(f"{key}_error"):
        show_user_error(UserError(st.session_state[f"{key}_error"]))
    if on:
        started = st.session_state.setdefault(f"{key}_since", {}).setdefault(
            info.key, (time.monotonic(), len(info.rows))
        )

        def tick() -> None:
            now = find()
            if now is None or not now.active:
                st.session_state.pop(f"{key}_since", None)
                st.rerun()  # a full run: the results (or the stopped state) and the buttons change
            done = len(now.rows)
            t0, n0 = started
            eta = (time.monotonic() - t0) / (done - n0) * (total - done) if done > n0 else None
            word = "queued" if now.status == "queued" else now.meta.get("phase", "training")
            text = f"{done} of {total} runs · {word}" + (f" · about {format_duration(eta)} left" if eta else "")
            st.progress(done / total, text=text)
            if st.session_state.get(f"{key}_note"):
                st.caption(st.session_state[f"{key}_note"])

        st.fragment(run_every=POLL_SECONDS)(tick)()
    elif info is not None and info.status == "failed":
        show_user_error(UserError(f"the comparison failed: {info.error}"))
    return info
