"""The transfer comparison as one shared job: settings → a key → one sweep in the run store.

A page or the CLI never trains here: `submit` puts the sweep in the store (core.training.sweeps) and
hands it to the engine; a worker (`run_sweep_job`) trains the source net (or reuses the stored one),
caches its features and trains every strategy, writing each finished run's row as it goes. Two
sessions pressing Run with the same settings watch one sweep; a Stop keeps the finished rows and a
Continue trains only the rest.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, fields, replace

import pandas as pd

from core.errors import UserError
from core.experiments import transfer
from core.training import jobs
from core.training.data import DATASETS, convatlas_home
from core.training.device import describe_machine
from core.training.store import RunStore
from core.training.sweeps import SweepInfo, SweepStore

KIND = "transfer"
# Bump when the same settings would give other numbers, so a new version never shows an old sweep as its own
VERSION = 1
MAX_SEEDS = 5


@dataclass(frozen=True)
class SweepSettings:
    """Everything that decides a transfer comparison's numbers (the page's controls)."""

    task: str = transfer.DEFAULT_TASK
    dataset: str = transfer.DEFAULT_DATASET
    depth: int = 8  # the source net: a CIFAR-family ResNet
    width: int = 16
    source_epochs: int | None = None  # None: the dataset's recipe
    seeds: tuple[int, ...] = (1,)
    steps: int | None = None  # SGD steps per target run; None: the dataset's recipe (resolved, so keys agree)
    shots: tuple[int, ...] = transfer.SHOTS + (transfer.ALL,)
    strategies: tuple[str, ...] = tuple(transfer.STRATEGIES)

    def __post_init__(self):
        if self.steps is None:
            object.__setattr__(self, "steps", transfer.recipe_for(self.dataset).steps)
        if self.task not in transfer.TASKS:
            raise UserError(f"unknown transfer task {self.task!r}; choose one of {', '.join(transfer.TASKS)}")
        if self.dataset not in DATASETS:
            raise UserError(f"unknown dataset {self.dataset!r}; choose one of {', '.join(DATASETS)}")
        if not self.seeds or len(self.seeds) > MAX_SEEDS:
            raise UserError(f"a comparison takes 1 to {MAX_SEEDS} seeds, got {len(self.seeds)}")
        if not 1 <= self.steps <= 10_000:
            raise UserError(f"SGD steps per target run must be 1 to 10000, got {self.steps}")
        if not self.shots or any(k < 0 for k in self.shots):
            raise UserError("labelled examples per class must be at least 1 (or 'all')")
        bad = [s for s in self.strategies if s not in transfer.STRATEGIES]
        if bad or not self.strategies:
            raise UserError(f"unknown strategy {bad[0] if bad else ''!r}; choose from {', '.join(transfer.STRATEGIES)}")

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict) -> SweepSettings:
        known = {f.name for f in fields(cls)}
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items() if k in known})

    @property
    def key(self) -> str:
        body = json.dumps(
            {"settings": self.to_dict(), "version": VERSION, "engine": jobs.ENGINE_VERSION}, sort_keys=True
        )
        return hashlib.sha256(body.encode()).hexdigest()[:24]

    @property
    def runs(self) -> int:
        return len(self.seeds) * len(self.shots) * len(self.strategies)

    @property
    def recipe(self) -> transfer.Recipe:
        return replace(transfer.recipe_for(self.dataset), steps=self.steps)

    def task_data(self) -> transfer.TransferData:
        return transfer.make_task(self.task, self.dataset)

    def source_config(self, task: transfer.TransferData):
        return transfer.source_config(task, depth=self.depth, width=self.width, epochs=self.source_epochs)

    def run(self, progress=None, rows: list | None = None, store: RunStore | None = None) -> transfer.TransferResult:
        """The comparison trained in this process (a worker's job, or the scene export): see transfer.sweep."""
        task = self.task_data()
        return transfer.sweep(
            task,
            self.source_config(task),
            shots=self.shots,
            seeds=self.seeds,
            strategies=self.strategies,
            recipe=self.recipe,
            progress=progress,
            rows=rows,
            store=store,
        )


def find(settings: SweepSettings, store: RunStore | None = None) -> SweepInfo | None:
    return SweepStore(store).get(settings.key)


def submit(settings: SweepSettings, owner: str | None, store: RunStore | None = None) -> SweepInfo:
    """The sweep of these settings: attached to when it is queued, running or finished; continued when
    it was stopped or interrupted; else new. Only a (re)queued sweep goes to the engine."""
    sweeps = SweepStore(store)
    info = sweeps.submit(settings.key, KIND, settings.to_dict(), owner)
    if info.status == "queued":  # the same key twice is one engine task
        key = engine_key(sweeps, info)
        jobs.launch(run_sweep_job, info.id, info.attempt, sweeps.url, str(convatlas_home()), key=key)
    return info


def engine_key(sweeps: SweepStore, info: SweepInfo) -> str:
    """The engine's task key of one attempt at a sweep (a second launch from any session is the same task)."""
    return f"convatlas-{jobs.store_tag(sweeps.store)}-sweep{info.id}-a{info.attempt}"


def follow(settings: SweepSettings, owner: str, emit=print, poll: float = 1.0) -> SweepInfo:
    """Submit the sweep (or attach to it) and emit its progress until it ends; returns it finished.
    Ctrl-C stops it (its finished runs are kept; the same call continues it). For terminals."""
    info, shown = submit(settings, owner), None
    try:
        while info.active:
            said = (len(info.rows), info.meta.get("phase", info.status))
            if said != shown:
                shown = said
                emit(f"{said[0]} of {settings.runs} runs · {said[1]}")
            time.sleep(poll)
            info = check_interrupted(find(settings))
    except KeyboardInterrupt:
        stop(info, owner)
        raise UserError("stopped: the finished runs are kept; the same command continues the comparison") from None
    if info.status != "finished":
        why = f": {info.error}" if info.error else ""
        raise UserError(f"the comparison is {info.status}{why}; the same command continues it")
    return info


def stop(info: SweepInfo, owner: str | None, store: RunStore | None = None) -> bool:
    """The starter's Stop: the sweep ends after the run it is training (its finished rows are kept)."""
    return SweepStore(store).request_stop(info.id, owner)


def check_interrupted(info: SweepInfo, store: RunStore | None = None) -> SweepInfo:
    """A running sweep whose worker is gone (no write for a while, unknown to the engine) reads as
    interrupted, so Continue can pick it up."""
    if not info.active or (info.updated or 0) > time.time() - jobs.STALE_SECONDS:
        return info
    sweeps = SweepStore(store)
    if not jobs.engine_knows(engine_key(sweeps, info)) and sweeps.mark_interrupted(
        info.id, time.time() - jobs.STALE_SECONDS
    ):
        return sweeps.get(info.key)
    return info


def result(info: SweepInfo) -> transfer.TransferResult:
    """The finished sweep as the experiment's result (its table and what it measured besides)."""
    known = {f.name for f in fields(transfer.TransferResult)}
    return transfer.TransferResult(pd.DataFrame(info.rows), **{k: v for k, v in info.meta.items() if k in known})


def measured_on(info: SweepInfo) -> str:
    """The machine the sweep's times were measured on ('' for sweeps stored before this was kept)."""
    return info.meta.get("measured_on", "")


def meta_of(done: transfer.TransferResult) -> dict:
    """What a sweep measured besides its rows (`result` puts them back together), and where its times
    were measured (a shipped sweep was measured on another machine)."""
    meta = {f.name: getattr(done, f.name) for f in fields(done) if f.name != "table"}
    return {**meta, "measured_on": describe_machine()}


class _Stopped(Exception):
    """The starter asked to stop: end after the run that just finished."""


def run_sweep_job(sweep_id: int, attempt: int, store_url: str, home: str) -> str:
    """One transfer comparison, in a worker: claim it, continue after its finished rows, write each
    new row as it finishes, honour a Stop. Returns what happened (for logs)."""
    os.environ["CONVATLAS_HOME"] = home  # the feature cache and downloaded datasets
    store = RunStore(store_url)
    sweeps = SweepStore(store)
    info = sweeps.claim(sweep_id, attempt)
    if info is None:
        return "nothing to do"
    settings = SweepSettings.from_dict(info.settings)
    rows = list(info.rows)

    def progress(_fraction: float, text: str) -> None:  # after each run, and each second of the source's
        if sweeps.write(sweep_id, attempt, rows, meta={"phase": text}):
            raise _Stopped

    def work() -> str:
        try:
            done = settings.run(progress, rows, store)
        except _Stopped:
            sweeps.write(sweep_id, attempt, rows, status="stopped")
            return "stopped"
        sweeps.write(sweep_id, attempt, rows, meta=meta_of(done), status="finished")
        return "finished"

    return jobs.guarded(work, lambda reason: sweeps.fail(sweep_id, attempt, reason))
