"""Run store: every training run's configuration, metric history and final weights, in one SQLite file.

`$CONVATLAS_HOME/runs.sqlite` by default. WAL mode and a busy timeout make two writers (two browser
tabs, a tab and the CLI) safe: each call opens its own short connection and commits in one
transaction. Weights are stored as safetensors bytes (plain tensors, no pickle), so loading a run
never executes code from the file; the model is rebuilt from its configuration through the zoo.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors
from torch import nn

from core.errors import UserError
from core.training.config import History, RunConfig
from core.training.data import convatlas_home
from core.training.engine import build_model

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,
    label TEXT NOT NULL,
    status TEXT NOT NULL,          -- finished | stopped
    comparison TEXT,               -- runs trained together share this tag
    config TEXT NOT NULL,          -- RunConfig as JSON
    history TEXT NOT NULL,         -- History as JSON
    weights BLOB                   -- safetensors bytes of the state dict
);
CREATE TABLE IF NOT EXISTS shipped (
    digest TEXT PRIMARY KEY,       -- a run file that ships with the app (assets/scene_runs), imported once
    run_id INTEGER
)"""


@dataclass
class RunInfo:
    """One row of `RunStore.list()`: enough for a table, without weights or history."""

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


class RunStore:
    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else convatlas_home() / "runs.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)
            db.commit()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA busy_timeout=30000")
        return db

    def save(
        self,
        config: RunConfig,
        history: History,
        model: nn.Module | None = None,
        status: str = "finished",
        comparison: str | None = None,
    ) -> int:
        weights = None
        if model is not None:
            state = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
            weights = save_safetensors(state)
        with closing(self._connect()) as db, db:
            return self._insert(db, config, history, weights, status, comparison)

    @staticmethod
    def _insert(db, config: RunConfig, history: History, weights: bytes | None, status: str, comparison) -> int:
        cur = db.execute(
            "INSERT INTO runs (created, label, status, comparison, config, history, weights) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                time.time(),
                config.label,
                status,
                comparison,
                json.dumps(config.to_dict()),
                json.dumps(history.to_dict()),
                weights,
            ),
        )
        return int(cur.lastrowid)

    def shipped_digests(self) -> set[str]:
        """Run files (by digest) already imported into this store."""
        with closing(self._connect()) as db:
            return {row[0] for row in db.execute("SELECT digest FROM shipped")}

    def import_shipped(
        self, digest: str, config: RunConfig, history: History, weights: bytes | None, comparison: str
    ) -> int | None:
        """A finished run that ships with the app, imported once per store (by its file's digest): not
        again after the user deleted it, and not when the store already has a finished run of this
        configuration. Returns the new run id, or None."""
        with closing(self._connect()) as db, db:
            if db.execute("SELECT 1 FROM shipped WHERE digest = ?", (digest,)).fetchone():
                return None
            have = self.find([config], with_weights=weights is not None)
            run_id = None if have else self._insert(db, config, history, weights, "finished", comparison)
            db.execute("INSERT INTO shipped (digest, run_id) VALUES (?, ?)", (digest, run_id or have[0]))
            return run_id

    def list(self, status: str | None = None) -> list[RunInfo]:
        """All runs (or those with this status, e.g. "finished"), newest first."""
        with closing(self._connect()) as db:
            rows = db.execute(
                "SELECT id, created, label, status, comparison, config, "
                "json_extract(history, '$.epochs'), weights IS NOT NULL FROM runs ORDER BY id DESC"
            ).fetchall()
        out = []
        for id_, created, label, run_status, comparison, config, epochs, has_weights in rows:
            epochs = json.loads(epochs or "[]")
            last = epochs[-1] if epochs else {}
            out.append(
                RunInfo(
                    id_,
                    created,
                    label,
                    run_status,
                    comparison,
                    RunConfig.from_dict(json.loads(config)),
                    len(epochs),
                    last.get("train_error"),
                    last.get("test_error"),
                    bool(has_weights),
                )
            )
        return [r for r in out if status is None or r.status == status]

    def find(self, configs: list[RunConfig], with_weights: bool = False) -> tuple[int, ...] | None:
        """The newest finished run of each configuration (with weights, if asked), or None unless every
        one has one: how a page replays a comparison that was already trained (by a scene, the CLI or
        another tab)."""
        runs = [r for r in self.list(status="finished") if r.has_weights or not with_weights]
        ids = [next((r.id for r in runs if r.config == c), None) for c in configs]
        return None if None in ids else tuple(ids)

    def load(self, run_id: int, with_model: bool = True) -> Run:
        with closing(self._connect()) as db:
            row = db.execute(
                "SELECT id, created, label, status, comparison, config, history, weights FROM runs WHERE id = ?",
                (int(run_id),),
            ).fetchone()
        if row is None:
            raise UserError(f"no stored run with id {run_id}")
        id_, created, label, status, comparison, config, history, weights = row
        config = RunConfig.from_dict(json.loads(config))
        model = None
        if with_model and weights is not None:
            model = build_model(config)
            model.load_state_dict(load_safetensors(weights))
            model.eval()
        return Run(id_, created, label, status, comparison, config, History.from_dict(json.loads(history)), model)

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

    def delete(self, run_id: int) -> None:
        with closing(self._connect()) as db, db:
            db.execute("DELETE FROM runs WHERE id = ?", (int(run_id),))


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
