"""Sweeps: an experiment of many small training runs whose result is a table (the transfer comparison),
run as one job on the engine and kept in the run store's `sweeps` table.

One row per settings key, shared by every session and replica: a second Run of the same settings
attaches to the sweep that is queued, running or finished; a stopped, failed or interrupted one is
queued again and continues after its last finished run (the rows are written as each run finishes).
The experiment's own module says what a row is and runs it (`core.experiments.transfer_jobs`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from core.training.store import ACTIVE, RunStore, StoreError, sweeps_table

RESUMABLE = ("stopped", "interrupted", "failed")


@dataclass
class SweepInfo:
    id: int
    key: str
    kind: str
    status: str
    settings: dict
    rows: list[dict]
    meta: dict
    owner: str | None
    updated: float | None
    attempt: int
    error: str | None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


def _info(row) -> SweepInfo:
    return SweepInfo(
        row.id,
        row.key,
        row.kind,
        row.status,
        json.loads(row.settings),
        json.loads(row.rows),
        json.loads(row.meta),
        row.owner,
        row.updated,
        row.attempt or 0,
        row.error,
    )


class SweepStore:
    """The sweeps of one run store (same database, same URL)."""

    def __init__(self, store: RunStore | None = None):
        self.store = store or RunStore()
        self.url = self.store.url

    def get(self, key: str) -> SweepInfo | None:
        row = self.store._run(lambda db: db.execute(sa.select(sweeps_table).where(sweeps_table.c.key == key)).first())
        return _info(row) if row else None

    def list(self, kind: str | None = None) -> list[SweepInfo]:
        query = sa.select(sweeps_table).order_by(sweeps_table.c.id)
        if kind:
            query = query.where(sweeps_table.c.kind == kind)
        return [_info(r) for r in self.store._run(lambda db: db.execute(query).all())]

    def submit(self, key: str, kind: str, settings: dict, owner: str | None) -> SweepInfo:
        """The sweep of `key`: queued, running or finished (attached to), resumable (queued again, a new
        attempt), or new (queued). Whoever gets `status == 'queued'` with a new attempt launches it."""
        now = time.time()

        def work(db):
            row = db.execute(sa.select(sweeps_table).where(sweeps_table.c.key == key)).first()
            if row is None:
                db.execute(
                    sweeps_table.insert().values(
                        key=key,
                        kind=kind,
                        status="queued",
                        settings=json.dumps(settings, sort_keys=True),
                        rows="[]",
                        meta="{}",
                        owner=owner,
                        created=now,
                        updated=now,
                        attempt=1,
                    )
                )
            elif row.status in ACTIVE:
                db.execute(sweeps_table.update().where(sweeps_table.c.id == row.id).values(cancel=0))
            elif row.status in RESUMABLE:
                db.execute(
                    sweeps_table.update()
                    .where(sweeps_table.c.id == row.id, sweeps_table.c.status.in_(RESUMABLE))
                    .values(
                        status="queued",
                        cancel=0,
                        owner=owner,
                        attempt=sweeps_table.c.attempt + 1,
                        error=None,
                        updated=now,
                    )
                )
            return db.execute(sa.select(sweeps_table).where(sweeps_table.c.key == key)).first()

        for _ in range(5):  # another session inserted the same key between our read and write
            try:
                return _info(self.store._run(work, write=True))
            except sa_exc.IntegrityError:
                continue
        raise StoreError("could not submit the sweep: the store is too busy")

    def claim(self, sweep_id: int, attempt: int) -> SweepInfo | None:
        """A worker takes the sweep (queued → running), or None: another attempt owns it, or it was
        stopped before it started, or it is done."""

        def work(db):
            mine = (sweeps_table.c.id == sweep_id) & (sweeps_table.c.attempt == attempt)
            db.execute(
                sweeps_table.update()
                .where(mine, sweeps_table.c.status == "queued", sweeps_table.c.cancel != 0)
                .values(status="stopped", updated=time.time())
            )
            took = db.execute(
                sweeps_table.update()
                .where(mine, sweeps_table.c.status == "queued")
                .values(status="running", updated=time.time())
            )
            return (
                db.execute(sa.select(sweeps_table).where(sweeps_table.c.id == sweep_id)).first()
                if took.rowcount
                else None
            )

        row = self.store._run(work, write=True)
        return _info(row) if row else None

    def write(
        self, sweep_id: int, attempt: int, rows: list[dict], meta: dict | None = None, status: str | None = None
    ) -> bool:
        """The worker's progress: every finished row (and at the end the meta and final status).
        Returns whether a Stop was asked for."""
        values = {"rows": json.dumps(rows), "updated": time.time()}
        if meta is not None:
            values["meta"] = json.dumps(meta)
        if status is not None:
            values["status"] = status

        def work(db):
            mine = (sweeps_table.c.id == sweep_id) & (sweeps_table.c.attempt == attempt)
            db.execute(sweeps_table.update().where(mine, sweeps_table.c.status == "running").values(**values))
            return bool(db.scalar(sa.select(sweeps_table.c.cancel).where(sweeps_table.c.id == sweep_id)))

        return self.store._run(work, write=True)

    def fail(self, sweep_id: int, attempt: int, reason: str) -> None:
        self.store._run(
            lambda db: db.execute(
                sweeps_table.update()
                .where(sweeps_table.c.id == sweep_id, sweeps_table.c.attempt == attempt)
                .values(status="failed", error=reason[:500], updated=time.time())
            ),
            write=True,
        )

    def request_stop(self, sweep_id: int, owner: str | None) -> bool:
        """The starter's Stop (another session's Stop does nothing: it only watched)."""
        query = sweeps_table.update().where(sweeps_table.c.id == sweep_id, sweeps_table.c.status.in_(ACTIVE))
        if owner is not None:
            query = query.where(sweeps_table.c.owner == owner)
        return self.store._run(lambda db: db.execute(query.values(cancel=1)).rowcount > 0, write=True)

    def mark_interrupted(self, sweep_id: int, older_than: float) -> bool:
        """A running or queued sweep whose worker is gone (no write since `older_than`) can be continued."""
        query = sweeps_table.update().where(
            sweeps_table.c.id == sweep_id, sweeps_table.c.status.in_(ACTIVE), sweeps_table.c.updated < older_than
        )
        return self.store._run(lambda db: db.execute(query.values(status="interrupted")).rowcount > 0, write=True)

    def import_finished(self, key: str, kind: str, settings: dict, rows: list[dict], meta: dict) -> bool:
        """A finished sweep that ships with the app (a lecture scene's), once per store: not over an
        existing row of the same key. Returns whether it was imported."""
        values = dict(key=key, kind=kind, status="finished", settings=json.dumps(settings, sort_keys=True))
        values.update(rows=json.dumps(rows), meta=json.dumps(meta), created=time.time(), updated=time.time())

        def work(db):
            if db.execute(sa.select(sweeps_table.c.id).where(sweeps_table.c.key == key)).first():
                return False
            db.execute(sweeps_table.insert().values(**values))
            return True

        try:
            return self.store._run(work, write=True)
        except sa_exc.IntegrityError:  # another process imported it first
            return False
