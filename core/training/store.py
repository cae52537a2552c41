"""Run store: every training run's configuration, progress, metric history and weights, in one database.

SQLAlchemy over SQLite by default (`$CONVATLAS_HOME/runs.sqlite`, the file earlier versions wrote;
its rows are migrated in place) or any database URL in `CONVATLAS_STORE`
(`postgresql+psycopg://user@host/convatlas` for a class: every server replica and every worker
shares it). Same code path for both.

A row is a run and, while it trains, its job: `queued` → `running` (a worker writes the history,
the latest weights and a resume checkpoint as it goes) → `finished` | `stopped` | `failed`; a
running row whose worker is gone is `interrupted` and resumes from its last checkpoint. `key` is
the run key (jobs.run_key): at most one queued or running row per key (a partial unique index), so
identical submissions from any number of sessions and replicas become one job.

Weights are safetensors bytes (plain tensors, no pickle), so loading a run never executes code from
the database; the model is rebuilt from its configuration through the zoo. A damaged row is skipped
and reported (`damaged`), a damaged database raises one `StoreError` that says how to move it aside.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors
from sqlalchemy import exc as sa_exc
from torch import nn

from core.errors import UserError
from core.training.config import History, RunConfig
from core.training.data import convatlas_home
from core.training.engine import build_model
from core.training.estimate import MAX_STORED_BYTES

ACTIVE = ("queued", "running")  # a job in the engine
STATUSES = (*ACTIVE, "finished", "stopped", "interrupted", "failed")

metadata = sa.MetaData()
runs_table = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),  # one of STATUSES
    sa.Column("comparison", sa.Text),  # runs started together share this tag
    sa.Column("config", sa.Text, nullable=False),  # RunConfig as JSON
    sa.Column("history", sa.Text, nullable=False),  # History as JSON
    sa.Column("weights", sa.LargeBinary),  # safetensors bytes of the state dict (latest, or final)
    sa.Column("key", sa.Text),  # run key: canonical config + engine version + device class
    sa.Column("owner", sa.Text),  # the session (or CLI user) that started it: may stop and delete it
    sa.Column("updated", sa.Float),  # last write by its worker (a heartbeat while running)
    sa.Column("step", sa.Integer, server_default="0"),
    sa.Column("total_steps", sa.Integer, server_default="0"),
    sa.Column("epochs_done", sa.Integer, server_default="0"),
    sa.Column("train_error", sa.Float),  # of the last epoch, for lists without the history
    sa.Column("test_error", sa.Float),
    sa.Column("cancel", sa.Integer, server_default="0"),  # the starter asked to stop: honoured at the next chunk
    sa.Column("attempt", sa.Integer, server_default="0"),  # bumped by each (re)submission; the job carries it
    sa.Column("checkpoint", sa.LargeBinary),  # optimizer, generator and position: resume where it stopped
    sa.Column("error", sa.Text),  # why it failed
)
one_job_per_key = sa.Index(
    "one_job_per_key",
    runs_table.c.key,
    unique=True,
    sqlite_where=runs_table.c.status.in_(ACTIVE),
    postgresql_where=runs_table.c.status.in_(ACTIVE),
)
shipped_table = sa.Table(
    "shipped",  # a run file that ships with the app (assets/scene_runs), imported once
    metadata,
    sa.Column("digest", sa.Text, primary_key=True),
    sa.Column("run_id", sa.Integer),
)
sweeps_table = sa.Table(  # an experiment that trains many small runs and keeps a table (core.training.sweeps)
    "sweeps",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.Text, nullable=False, unique=True),  # its settings' digest: one sweep per key
    sa.Column("kind", sa.Text, nullable=False),  # which experiment, e.g. "transfer"
    sa.Column("status", sa.Text, nullable=False),  # one of STATUSES
    sa.Column("settings", sa.Text, nullable=False),  # JSON
    sa.Column("rows", sa.Text, nullable=False),  # JSON list: one row per finished run, appended as they finish
    sa.Column("meta", sa.Text, nullable=False),  # JSON: what the experiment measured besides the rows
    sa.Column("owner", sa.Text),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("updated", sa.Float),  # the worker's last write
    sa.Column("cancel", sa.Integer, server_default="0"),
    sa.Column("attempt", sa.Integer, server_default="0"),
    sa.Column("error", sa.Text),
)
SUMMARY = [  # columns of a list row: no weights, no history
    runs_table.c[name]
    for name in [
        "id",
        "created",
        "label",
        "status",
        "comparison",
        "config",
        "key",
        "owner",
        "updated",
        "step",
        "total_steps",
        "epochs_done",
        "train_error",
        "test_error",
        "cancel",
        "attempt",
        "error",
    ]
]


class StoreError(UserError):
    """The store cannot be opened or written: one sentence, with what to do."""


class _Raced(Exception):
    """Another submitter changed the row between our read and our write: read again."""


def store_url() -> str:
    """`CONVATLAS_STORE`, or the SQLite file in the data folder."""
    return os.environ.get("CONVATLAS_STORE") or f"sqlite:///{convatlas_home() / 'runs.sqlite'}"


@dataclass
class RunInfo:
    """One row of `RunStore.list()`: enough for a table or a progress bar, without weights or history."""

    id: int
    created: float
    label: str
    status: str
    comparison: str | None
    config: RunConfig
    epochs_done: int
    final_train_error: float | None
    final_test_error: float | None
    has_weights: bool = True
    key: str | None = None
    owner: str | None = None
    updated: float | None = None
    step: int = 0
    total_steps: int = 0
    cancel: bool = False
    attempt: int = 0
    error: str | None = None

    def describe(self) -> str:
        """One line for pickers: '#12 ResNet-56 · digits · 8 epochs · 1.7% test error'."""
        error = f"{self.final_test_error:.1%} test error" if self.final_test_error is not None else "no test error"
        stopped = "" if self.status == "finished" else f" · {self.status}"
        return f"#{self.id} {self.label} · {self.config.dataset} · {self.epochs_done} epochs · {error}{stopped}"


@dataclass
class Run:
    id: int
    created: float
    label: str
    status: str
    comparison: str | None
    config: RunConfig
    history: History
    model: nn.Module | None  # eval mode, weights restored (None if the run was saved without weights)


_engines: dict[str, sa.Engine] = {}
_engines_lock = threading.Lock()


def _after_fork_in_child() -> None:
    """A forked process must not use its parent's pooled connections (two processes on one socket):
    each engine gets a new, empty pool; the parent's connections stay the parent's."""
    global _engines_lock
    _engines_lock = threading.Lock()
    for engine in _engines.values():
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_after_fork_in_child)


def _engine(url: str) -> sa.Engine:
    """One engine (connection pool) per URL per process; the schema is created and migrated once."""
    with _engines_lock:
        if url not in _engines:
            _engines[url] = _open(url)
        return _engines[url]


def _open(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(connection, _record):  # WAL: readers never wait for a writer
            connection.execute("PRAGMA busy_timeout=30000")
            connection.execute("PRAGMA journal_mode=WAL")
    else:
        engine = sa.create_engine(  # a host that drops packets: a message in 10 s, not the OS TCP timeout
            url, pool_pre_ping=True, connect_args={"connect_timeout": 10} if url.startswith("postgresql") else {}
        )
    for attempt in range(6):
        try:
            with engine.begin() as db:
                metadata.create_all(db)  # CREATE ... IF NOT EXISTS, also of the partial index
            _migrate(engine)
            with engine.begin() as db:  # create_all indexes only the tables it makes: not a migrated one
                one_job_per_key.create(db, checkfirst=True)
            return engine
        except sa_exc.DBAPIError as exc:
            # replicas and workers opening a new (or old) store at once: one of them creates each table,
            # column and index, the others fail on it; look again (nothing is left to do by then)
            reason = str(getattr(exc, "orig", exc))
            if attempt < 5 and ("already exists" in reason or "duplicate" in reason):
                time.sleep(0.05 * (attempt + 1))
                continue
            engine.dispose()
            raise _store_error(url, exc) from None


def _migrate(engine: sa.Engine) -> None:
    """Stores written before jobs had only id…weights: add the new columns and fill the summaries."""
    have = {c["name"] for c in sa.inspect(engine).get_columns("runs")}
    missing = [c for c in runs_table.columns if c.name not in have]
    if not missing:
        return
    with engine.begin() as db:
        for column in missing:
            kind = column.type.compile(engine.dialect)
            default = f" DEFAULT {column.server_default.arg}" if column.server_default is not None else ""
            db.execute(sa.text(f"ALTER TABLE runs ADD COLUMN {column.name} {kind}{default}"))
        for id_, history in db.execute(sa.select(runs_table.c.id, runs_table.c.history)).all():
            try:
                epochs = json.loads(history).get("epochs") or []
            except (ValueError, AttributeError):
                continue  # damaged: reported by list()
            last = epochs[-1] if epochs else {}
            db.execute(
                runs_table.update()
                .where(runs_table.c.id == id_)
                .values(epochs_done=len(epochs), train_error=last.get("train_error"), test_error=last.get("test_error"))
            )


def _store_error(url: str, exc: Exception) -> StoreError:
    reason = str(getattr(exc, "orig", exc)).splitlines()[0]
    where = sa.make_url(url).render_as_string(hide_password=True)
    if "too big" in reason:  # SQLite: a row (weights and checkpoint together) beyond its length limit
        return StoreError(f"could not write to the run store {where}: {reason} (train a narrower or shallower net)")
    if "full" in reason or "No space" in reason or "I/O" in reason or "too large" in reason.lower():
        return StoreError(f"could not write to the run store {where}: {reason} (free some disk space)")
    if url.startswith("sqlite"):
        return StoreError(
            f"the run store {where} cannot be read ({reason}); move it aside with "
            f"`python -m core runs --move-aside` (a new empty store is made; the old file is kept)"
        )
    return StoreError(f"the run store {where} cannot be reached ({reason}); check CONVATLAS_STORE")


def _info(row) -> RunInfo:
    """A SUMMARY row (plus `weights IS NOT NULL`) as a RunInfo."""
    values = row._mapping
    summary = {c.name: values[c.name] for c in SUMMARY}
    return RunInfo(
        **{k: v for k, v in summary.items() if k not in ("config", "train_error", "test_error", "cancel")},
        config=RunConfig.from_dict(json.loads(summary["config"])),
        final_train_error=summary["train_error"],
        final_test_error=summary["test_error"],
        cancel=bool(summary["cancel"]),
        has_weights=bool(row[-1]),
    )


def _summary(history: History) -> dict:
    last = history.epochs[-1] if history.epochs else {}
    return {
        "history": json.dumps(history.to_dict()),
        "epochs_done": len(history.epochs),
        "train_error": last.get("train_error"),
        "test_error": last.get("test_error"),
    }


def weights_bytes(model: nn.Module) -> bytes:
    return save_safetensors({k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()})


class RunStore:
    def __init__(self, url: str | Path | None = None):
        """`url`: a database URL, or a path to a SQLite file; default `store_url()`."""
        if url is None:
            url = store_url()
        elif "://" not in str(url):
            url = f"sqlite:///{Path(url)}"
        self.url = str(url)
        self.engine = _engine(self.url)
        self.damaged: list[tuple[int, str]] = []  # (run id, what is wrong) met by the last list()

    def _run(self, work, write: bool = False):
        """One transaction; database failures become one StoreError sentence."""
        try:
            with self.engine.begin() if write else self.engine.connect() as db:
                return work(db)
        except sa_exc.IntegrityError:
            raise
        except sa_exc.DBAPIError as exc:
            raise _store_error(self.url, exc) from None

    # --- finished runs -----------------------------------------------------------------------------

    def save(
        self,
        config: RunConfig,
        history: History,
        model: nn.Module | None = None,
        status: str = "finished",
        comparison: str | None = None,
        owner: str | None = None,
    ) -> int:
        """Keep a run trained outside the job engine (an analysis, an import). Returns its id."""
        weights = weights_bytes(model) if model is not None else None
        return self._run(lambda db: self._insert(db, config, history, weights, status, comparison, owner), write=True)

    @staticmethod
    def _insert(db, config, history, weights, status, comparison, owner=None, key=None) -> int:
        if weights is not None and len(weights) > MAX_STORED_BYTES:
            raise StoreError(f"{config.label}'s weights ({len(weights) / 2**30:.2f} GiB) are too big for the run store")
        row = {
            "created": time.time(),
            "updated": time.time(),
            "label": config.label,
            "status": status,
            "comparison": comparison,
            "config": json.dumps(config.to_dict()),
            "weights": weights,
            "owner": owner,
            "key": key,
            **_summary(history),
        }
        return int(db.execute(runs_table.insert().values(**row)).inserted_primary_key[0])

    def shipped_digests(self) -> set[str]:
        """Run files (by digest) already imported into this store."""
        return self._run(lambda db: set(db.scalars(sa.select(shipped_table.c.digest))))

    def import_shipped(
        self, digest: str, config: RunConfig, history: History, weights: bytes | None, comparison: str
    ) -> int | None:
        """A finished run that ships with the app, imported once per store (by its file's digest): not
        again after the user deleted it, and not when the store already has a finished run of this
        configuration. Returns the new run id, or None."""
        have = self.find([config], with_weights=weights is not None)

        def work(db):
            if db.execute(sa.select(shipped_table).where(shipped_table.c.digest == digest)).first():
                return None
            run_id = None if have else self._insert(db, config, history, weights, "finished", comparison)
            db.execute(shipped_table.insert().values(digest=digest, run_id=run_id or have[0]))
            return run_id

        try:
            return self._run(work, write=True)
        except sa_exc.IntegrityError:  # another process (a replica starting too) imported it first
            return None

    def list(self, status: str | None = None, ids: list[int] | None = None) -> list[RunInfo]:
        """All runs (or those with this status, or these ids), newest first. Rows that cannot be
        read are left out and named in `self.damaged`."""
        query = sa.select(*SUMMARY, runs_table.c.weights.is_not(None)).order_by(runs_table.c.id.desc())
        if status is not None:
            query = query.where(runs_table.c.status == status)
        if ids is not None:
            query = query.where(runs_table.c.id.in_([int(i) for i in ids]))
        rows = self._run(lambda db: db.execute(query).all())
        out, self.damaged = [], []
        for row in rows:
            try:
                out.append(_info(row))
            except (ValueError, TypeError) as exc:
                self.damaged.append((row.id, f"its configuration is not readable ({exc})"))
        return out

    def find(self, configs: list[RunConfig], with_weights: bool = False) -> tuple[int, ...] | None:
        """The newest finished run of each configuration (with weights, if asked), or None unless every
        one has one: how a page replays a comparison that was already trained (by a scene, the CLI or
        another session)."""
        runs = [r for r in self.list(status="finished") if r.has_weights or not with_weights]
        ids = [next((r.id for r in runs if r.config == c), None) for c in configs]
        return None if None in ids else tuple(ids)

    def load(self, run_id: int, with_model: bool = True) -> Run:
        """A run with its history (and model). A missing or damaged run is a UserError naming it."""
        columns = [runs_table.c[n] for n in ["id", "created", "label", "status", "comparison", "config", "history"]]
        if with_model:
            columns.append(runs_table.c.weights)
        row = self._run(lambda db: db.execute(sa.select(*columns).where(runs_table.c.id == int(run_id))).first())
        if row is None:
            raise UserError(f"no stored run with id {run_id}")
        try:
            config = RunConfig.from_dict(json.loads(row.config))
            history = History.from_dict(json.loads(row.history))
            model = build_model(config) if with_model and row.weights is not None else None
        except (ValueError, TypeError, AttributeError, KeyError) as exc:  # UserError is a ValueError
            raise UserError(
                f"run #{run_id} is damaged ({str(exc).splitlines()[0][:200]}); "
                f"delete it with `python -m core runs --delete {run_id}`"
            ) from None
        if model is not None:
            try:
                model.load_state_dict(load_safetensors(row.weights))
            except (SafetensorError, RuntimeError, ValueError) as exc:
                reason = str(exc).splitlines()[0][:200]
                raise UserError(
                    f"run #{run_id} ({row.label}) has weights that do not fit its net ({reason}); "
                    f"delete it with `python -m core runs --delete {run_id}`"
                ) from None
            model.eval()
        return Run(row.id, row.created, row.label, row.status, row.comparison, config, history, model)

    def export_json(self, run_ids: list[int]) -> str:
        """Runs as JSON (configuration and metric history, no weights): for notebooks and slides."""
        runs = [self.load(i, with_model=False) for i in run_ids]
        return json.dumps(
            [
                {
                    "id": r.id,
                    "label": r.label,
                    "status": r.status,
                    "comparison": r.comparison,
                    "config": r.config.to_dict(),
                    "history": r.history.to_dict(),
                }
                for r in runs
            ]
        )

    def delete(self, run_id: int, owner: str | None = None) -> bool:
        """Delete a run that is not training. With `owner`, only a run that owner started (a session
        deletes only its own runs; the CLI, with no owner, deletes any). Returns whether it went."""
        query = runs_table.delete().where(runs_table.c.id == int(run_id), runs_table.c.status.not_in(ACTIVE))
        if owner is not None:
            query = query.where(runs_table.c.owner == owner)
        return self._run(lambda db: db.execute(query).rowcount > 0, write=True)

    # --- jobs: the engine's side (core.training.jobs) ----------------------------------------------

    def submit(self, config: RunConfig, key: str, owner: str | None, comparison: str | None, quota: int) -> RunInfo:
        """The row for run `key`: an existing queued, running or finished one (attached to), a stopped
        or interrupted one (queued again, to resume from its checkpoint), or a new queued row.
        `quota` bounds how many queued or running jobs one owner may have."""
        for _ in range(5):  # a concurrent submitter may insert the same key between our read and write
            try:
                return self._run(lambda db: self._submit(db, config, key, owner, comparison, quota), write=True)
            except (sa_exc.IntegrityError, _Raced):
                continue
        raise StoreError(f"could not submit {config.label}: the store is too busy")

    def _submit(self, db, config, key, owner, comparison, quota) -> RunInfo:
        rows = db.execute(
            sa.select(runs_table.c.id, runs_table.c.status, runs_table.c.weights.is_not(None))
            .where(runs_table.c.key == key)
            .order_by(runs_table.c.id.desc())
        ).all()
        for id_, status, has_weights in rows:
            if status in ACTIVE:  # a stop requested by its starter (not acted on yet) is undone by a new Start
                attach = runs_table.update().where(runs_table.c.id == id_, runs_table.c.status.in_(ACTIVE))
                if db.execute(attach.values(cancel=0)).rowcount == 0:
                    raise _Raced  # it stopped or finished meanwhile
                return self._info(db, id_)
            if status == "finished" and has_weights:
                return self._info(db, id_)
        if owner is not None and quota:
            active = db.scalar(
                sa.select(sa.func.count()).where(runs_table.c.owner == owner, runs_table.c.status.in_(ACTIVE))
            )
            if active >= quota:
                raise UserError(
                    f"you already have {active} runs queued or training (the limit is {quota}); wait or stop some"
                )
        resumable = next((id_ for id_, status, _ in rows if status in ("stopped", "interrupted")), None)
        if resumable is not None:
            resumed = db.execute(
                runs_table.update()
                .where(runs_table.c.id == resumable, runs_table.c.status.in_(("stopped", "interrupted")))
                .values(
                    status="queued",
                    cancel=0,
                    owner=owner,
                    attempt=runs_table.c.attempt + 1,
                    error=None,
                    updated=time.time(),
                )
            )
            if resumed.rowcount == 0:
                raise _Raced  # another submitter resumed it first: attach to that attempt, do not bump it again
            return self._info(db, resumable)
        run_id = self._insert(db, config, History(), None, "queued", comparison, owner, key)
        db.execute(runs_table.update().where(runs_table.c.id == run_id).values(attempt=1))
        return self._info(db, run_id)

    @staticmethod
    def _info(db, run_id: int) -> RunInfo:
        return _info(
            db.execute(sa.select(*SUMMARY, runs_table.c.weights.is_not(None)).where(runs_table.c.id == run_id)).first()
        )

    def claim(self, run_id: int, attempt: int) -> tuple[RunConfig, bytes | None, bytes | None, History] | None:
        """A worker takes the job: (config, weights, checkpoint, history) to resume from, or None when
        the row is finished, stopped, deleted or belongs to a newer attempt (nothing to do)."""

        def work(db):
            stopped = db.execute(  # stopped by its starter before any worker took it: it never starts
                runs_table.update()
                .where(
                    runs_table.c.id == run_id,
                    runs_table.c.attempt == attempt,
                    runs_table.c.status == "queued",
                    runs_table.c.cancel != 0,
                )
                .values(status="stopped", updated=time.time())
            )
            if stopped.rowcount:
                return None
            done = db.execute(
                runs_table.update()
                .where(
                    runs_table.c.id == run_id,
                    runs_table.c.attempt == attempt,
                    runs_table.c.status.in_((*ACTIVE, "interrupted")),
                )
                .values(status="running", updated=time.time())
            )
            if done.rowcount == 0:
                return None
            row = db.execute(
                sa.select(
                    runs_table.c.config, runs_table.c.weights, runs_table.c.checkpoint, runs_table.c.history
                ).where(runs_table.c.id == run_id)
            ).first()
            return (
                RunConfig.from_dict(json.loads(row.config)),
                row.weights,
                row.checkpoint,
                History.from_dict(json.loads(row.history)),
            )

        return self._run(work, write=True)

    def heartbeat(
        self,
        run_id: int,
        attempt: int,
        history: History,
        step: int,
        total_steps: int,
        weights: bytes | None = None,
        checkpoint: bytes | None = None,
        status: str = "running",
    ) -> bool:
        """A worker's progress: history so far (and at epoch ends the weights and checkpoint) in one
        transaction. Returns whether the starter asked to stop (or the run was deleted)."""
        values = {
            "step": step,
            "total_steps": total_steps,
            "updated": time.time(),
            "status": status,
            **_summary(history),
        }
        if weights is not None:
            values["weights"] = weights
        if checkpoint is not None or status == "finished":
            values["checkpoint"] = checkpoint  # a finished run needs none

        def work(db):
            if status == "running":  # a watcher that thought the worker gone is corrected
                query = runs_table.update().where(runs_table.c.id == run_id, runs_table.c.attempt == attempt)
                query = query.where(runs_table.c.status.in_((*ACTIVE, "interrupted")))
            else:
                query = runs_table.update().where(runs_table.c.id == run_id, runs_table.c.attempt == attempt)
            if db.execute(query.values(**values)).rowcount == 0:
                return True  # deleted, or taken over by a newer attempt: stop
            return bool(db.scalar(sa.select(runs_table.c.cancel).where(runs_table.c.id == run_id)))

        return self._run(work, write=True)

    def fail(self, run_id: int, attempt: int, reason: str) -> None:
        self._run(
            lambda db: db.execute(
                runs_table.update()
                .where(runs_table.c.id == run_id, runs_table.c.attempt == attempt)
                .values(status="failed", error=reason[:2000], updated=time.time())
            ),
            write=True,
        )

    def request_stop(self, run_id: int, owner: str | None) -> bool:
        """The starter's Stop: a running job stops at its next chunk and keeps what it trained; a queued
        one is stopped before it starts. Anyone else only stops watching: returns False for them."""

        def work(db):
            mine = [runs_table.c.id == int(run_id)] + ([runs_table.c.owner == owner] if owner is not None else [])
            queued = db.execute(
                runs_table.update().where(*mine, runs_table.c.status == "queued").values(status="stopped")
            )
            running = db.execute(runs_table.update().where(*mine, runs_table.c.status == "running").values(cancel=1))
            return queued.rowcount + running.rowcount > 0

        return self._run(work, write=True)

    def mark_interrupted(self, run_ids: list[int], older_than: float) -> int:
        """Running rows whose worker has written nothing since `older_than` (and that the engine no
        longer knows): interrupted, to be resumed or deleted."""
        query = (
            runs_table.update()
            .where(runs_table.c.id.in_(run_ids), runs_table.c.status.in_(ACTIVE), runs_table.c.updated < older_than)
            .values(status="interrupted")
        )
        return self._run(lambda db: db.execute(query).rowcount, write=True)

    def history(self, run_id: int) -> History | None:
        text = self._run(lambda db: db.scalar(sa.select(runs_table.c.history).where(runs_table.c.id == int(run_id))))
        try:
            return None if text is None else History.from_dict(json.loads(text))
        except (ValueError, TypeError, AttributeError):
            return None

    def histories(self, run_ids: list[int]) -> dict[int, History]:
        """Histories of several runs in one query (damaged ones left out)."""
        rows = self._run(
            lambda db: db.execute(
                sa.select(runs_table.c.id, runs_table.c.history).where(runs_table.c.id.in_([int(i) for i in run_ids]))
            ).all()
        )
        out = {}
        for id_, text in rows:
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                out[id_] = History.from_dict(json.loads(text))
        return out


def move_aside(url: str | None = None) -> Path:
    """Rename a damaged SQLite store (`runs.sqlite` → `runs.sqlite.damaged-<time>`) so a new one is
    made; returns the new name. The file is kept for whoever wants to recover from it."""
    url = url or store_url()
    if not url.startswith("sqlite"):
        raise UserError("only a SQLite store can be moved aside; repair a server database with its own tools")
    path = Path(url.split("///", 1)[1])
    if not path.exists():
        raise UserError(f"there is no store at {path}")
    target = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    for n in range(2, 1000):  # never over an earlier one moved aside in the same second
        if not target.exists():
            break
        target = target.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}-{n}")
    with _engines_lock:
        engine = _engines.pop(url, None)
    if engine is not None:
        engine.dispose()
    path.rename(target)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.rename(target.with_name(target.name + suffix))
    return target


# --- run files: runs that ship with the app (assets/scene_runs) -------------------------------------

RUN_FILE_FORMAT = 1


def run_digest(config: RunConfig) -> str:
    """A run file's name: a hash of its configuration (the same run shared by two scenes is one file)."""
    return hashlib.sha256(json.dumps(config.to_dict(), sort_keys=True).encode()).hexdigest()[:16]


def write_run_file(folder: Path, config: RunConfig, history: History, state: dict | None) -> str:
    """`<digest>.json.gz` (configuration and history; gzip without a timestamp, so the same run gives
    the same bytes) and, with `state`, `<digest>.safetensors` (those tensors as given). Returns the digest."""
    digest = run_digest(config)
    weights = f"{digest}.safetensors" if state is not None else None
    if state is not None:
        (folder / weights).write_bytes(save_safetensors({k: v.contiguous() for k, v in state.items()}))
    body = {"format": RUN_FILE_FORMAT, "config": config.to_dict(), "history": history.to_dict(), "weights": weights}
    (folder / f"{digest}.json.gz").write_bytes(gzip.compress(json.dumps(body).encode(), mtime=0))
    return digest


def read_run_file(folder: Path, digest: str) -> tuple[RunConfig, History, bytes | None]:
    """(configuration, history, safetensors bytes or None) of a run file written by `write_run_file`."""
    try:
        body = json.loads(gzip.decompress((folder / f"{digest}.json.gz").read_bytes()))
    except (OSError, ValueError) as exc:
        raise UserError(f"{folder / digest}.json.gz is not a readable run file: {exc}") from None
    if body.get("format") != RUN_FILE_FORMAT:
        raise UserError(f"{folder / digest}.json.gz has run-file format {body.get('format')!r}, not {RUN_FILE_FORMAT}")
    weights = (folder / body["weights"]).read_bytes() if body.get("weights") else None
    return RunConfig.from_dict(body["config"]), History.from_dict(body["history"]), weights
