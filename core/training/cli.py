"""`python -m core train`, `runs` and `worker`: training jobs from a terminal.

`train` submits to the same engine and store as the pages (an identical run queued, running or
finished anywhere is attached to, not trained again) and prints one line per run per epoch as the
epochs arrive. Ctrl-C stops the runs it started; they keep what they trained and the same command
resumes them.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import subprocess
import sys
import time

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from core.errors import UserError
from core.training import jobs
from core.training.config import RunConfig
from core.training.store import ACTIVE, RunStore, StoreError, move_aside, runs_table, shipped_table

POLL_SECONDS = 0.5


def cli_owner() -> str:
    return f"cli:{getpass.getuser()}@{socket.gethostname()}"


def run_comparison(arch_names: list[str], emit=print, json_lines: bool = False, **overrides) -> list[int]:
    """The `python -m core train` command: submit the named nets, emit one line (JSON object or text)
    per run per epoch as it completes. Returns the run ids (the runs are in the store)."""
    configs = [RunConfig.from_arch(name.strip(), **overrides) for name in arch_names if name.strip()]
    if not configs:
        raise UserError("--runs names no net; give e.g. cifar-plain-20,cifar-resnet-20")
    return follow(configs, f"cli-{time.strftime('%Y%m%d-%H%M%S')}", emit, json_lines)


def follow(configs: list[RunConfig], comparison: str, emit=print, json_lines: bool = False) -> list[int]:
    """Submit runs to the engine as this terminal's user and emit each epoch as it arrives; returns
    the run ids once all are finished (a run that stops or fails is a UserError naming it)."""
    owner = cli_owner()
    ids = jobs.submit(configs, owner, comparison=comparison)
    printed = dict.fromkeys(ids, 0)
    try:
        while True:
            view = jobs.BOARD.view(ids)
            for run in view.runs:
                for row in run.history.epochs[printed[run.info.id] :]:
                    emit(_line(run.config, row, json_lines))
                printed[run.info.id] = len(run.history.epochs)
            if not view.active:
                break
            time.sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        jobs.stop(ids, owner)
        raise UserError("stopped: the runs keep what they trained; the same command resumes them") from None
    for run in view.runs:
        if run.status != "finished":
            detail = f": {run.info.error}" if run.info.error else ""
            raise UserError(f"{run.config.label} (run {run.info.id}) is {run.status}{detail}")
    return ids


def _line(config: RunConfig, row: dict, json_lines: bool) -> str:
    if json_lines:
        return json.dumps({"run": config.arch_name, "label": config.label, **row})
    return (
        f"{config.label:<14} epoch {row['epoch']:>3}/{config.epochs}  loss {row['train_loss']:.3f}  "
        f"train err {100 * row['train_error']:5.1f}%  test err {100 * row['test_error']:5.1f}%  "
        f"{row['seconds']:6.1f} s  {row['images_per_s']:6.0f} img/s"
    )


def train_command(args) -> None:
    ids = run_comparison(
        args.runs.split(","),
        json_lines=args.json,
        dataset=args.dataset,
        width=args.width,
        epochs=args.epochs,
        seed=args.seed,
        lr=args.lr,
        batch_size=args.batch_size,
        preact=args.preact,
        shortcut=args.shortcut,
        final_survival=args.final_survival,
        device=args.device,
        train_limit=args.train_limit,
        warmup=args.warmup,
        schedule=args.schedule,
        weight_decay=args.weight_decay,
        decay_bn=args.decay_bn,
    )
    print(f"runs {', '.join(map(str, ids))} are in the run store", file=sys.stderr)


def runs_command(args) -> None:
    """List the stored runs (and any damaged ones), delete one, copy the store, or move a damaged store aside."""
    if args.copy_to:
        source = RunStore()
        copied = copy_store(source, args.copy_to)
        print(f"copied {copied} runs from {_safe(source.url)} to {_safe(args.copy_to)}", file=sys.stderr)
        return
    if args.move_aside:
        print(f"moved the run store to {move_aside()}; a new empty one is made on next use", file=sys.stderr)
        return
    store = RunStore()
    if args.delete is not None:
        if not store.delete(args.delete):
            known = store.list(ids=[args.delete])
            raise UserError(
                f"run {args.delete} is {known[0].status}: stop it first" if known else f"no stored run {args.delete}"
            )
        print(f"deleted run {args.delete}", file=sys.stderr)
        return
    for run in store.list():
        print(run.describe() + (f" · {run.error}" if run.error else ""))
    for run_id, reason in store.damaged:
        print(f"#{run_id} is damaged: {reason} (python -m core runs --delete {run_id})", file=sys.stderr)


def _safe(url: str) -> str:
    return sa.make_url(url).render_as_string(hide_password=True)


def copy_store(source: RunStore, target_url: str) -> int:
    """Copy every run (ids, histories, weights, checkpoints) and the shipped-run marks of `source` into
    the empty store at `target_url` (e.g. a SQLite file into PostgreSQL), in one transaction of the
    target, one row at a time. A run still queued or running in `source` arrives `interrupted` (its
    job belongs to the old engine; Start resumes it from its last epoch). Returns the runs copied."""
    if "://" not in target_url:
        raise UserError(
            f"{target_url!r} is not a database URL: give e.g. postgresql+psycopg://user@host/convatlas "
            "or sqlite:////path/to/runs.sqlite"
        )
    try:
        target = RunStore(target_url)
    except sa_exc.ArgumentError:
        raise UserError(
            f"{target_url!r} is not a database URL (e.g. postgresql+psycopg://user@host/convatlas)"
        ) from None
    if target.url == source.url:
        raise UserError("the target is the store itself; give another database URL")
    have = target._run(lambda db: db.scalar(sa.select(sa.func.count()).select_from(runs_table)))
    if have:
        raise UserError(f"{_safe(target.url)} already holds {have} runs; copy into an empty store")
    ids = source._run(lambda db: list(db.scalars(sa.select(runs_table.c.id).order_by(runs_table.c.id))))
    shipped = source._run(lambda db: [dict(r._mapping) for r in db.execute(sa.select(shipped_table))])

    def work(db):
        for run_id in ids:
            row = source._run(
                lambda src, i=run_id: src.execute(sa.select(runs_table).where(runs_table.c.id == i)).first()
            )
            values = dict(row._mapping)
            if values["status"] in ACTIVE:
                values["status"] = "interrupted"
            db.execute(runs_table.insert().values(**values))
        if shipped:
            db.execute(shipped_table.insert(), shipped)
        if ids and db.dialect.name == "postgresql":  # explicit ids: the id sequence goes on after them
            db.execute(sa.text("SELECT setval(pg_get_serial_sequence('runs', 'id'), :top)"), {"top": max(ids)})

    try:
        target._run(work, write=True)
    except sa_exc.IntegrityError as exc:  # not expected in an empty store: say so in one line
        raise StoreError(f"copying into {_safe(target.url)} failed: {str(exc.orig).splitlines()[0]}") from None
    return len(ids)


def worker_command(args) -> None:
    """A Dask worker for the training engine (one job at a time, `--threads` torch threads), against
    a remote scheduler: `python -m core worker tcp://scheduler:8786 [--gpu]`."""
    if args.workers < 1 or args.threads < 1:
        raise UserError(f"--workers and --threads must be at least 1, got {args.workers} and {args.threads}")
    if "://" not in args.scheduler:
        raise UserError(f"the scheduler address looks like tcp://host:8786, got {args.scheduler!r}")
    command = [sys.executable, "-m", "distributed.cli.dask_worker", args.scheduler, "--nthreads", "1"]
    command += ["--nworkers", str(args.workers), "--name", args.name or socket.gethostname()]
    if args.gpu:
        command += ["--resources", "GPU=1"]
    env = {**os.environ, "CONVATLAS_THREADS": str(args.threads)}
    try:
        sys.exit(subprocess.call(command, env=env))
    except KeyboardInterrupt:
        sys.exit(130)
