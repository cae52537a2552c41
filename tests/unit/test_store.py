"""The run store's contract, the same test code against SQLite and a real PostgreSQL server
(tests/conftest.py `postgres_url`), plus what only a SQLite file can suffer: a damaged or truncated
file, the schema of earlier versions, a file-size limit during a save.

Concurrency is real: threads share one process's engine (a Streamlit server), forked processes
each open their own (replicas and workers)."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
import torch

from core.errors import UserError
from core.training import store as store_module
from core.training.config import History, RunConfig
from core.training.engine import build_model
from core.training.estimate import MAX_STORED_BYTES, check_config
from core.training.store import RunStore, StoreError, move_aside, weights_bytes

ROOT = Path(__file__).resolve().parents[2]
FORK = multiprocessing.get_context("fork")
CONFIG = RunConfig(net="resnet", depth=8, width=4, epochs=2)
OTHER = RunConfig(net="plain", depth=8, width=4, epochs=2)


def history(epochs: int = 2) -> History:
    rows = [{"epoch": e + 1, "train_error": 0.5 / (e + 1), "test_error": 0.6 / (e + 1)} for e in range(epochs)]
    return History(steps=[{"step": i, "loss": 2.0 - i / 10} for i in range(5)], epochs=rows)


def model(config: RunConfig = CONFIG, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return build_model(config)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    """An empty store: a SQLite file, or a new database on the session's PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'runs.sqlite'}"
        return
    server = sa.make_url(request.getfixturevalue("postgres_url"))
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as db:
        db.execute(sa.text(f"CREATE DATABASE {name}"))
    url = server.set(database=name).render_as_string(hide_password=False)
    yield url
    RunStore(url).engine.dispose()
    with admin.connect() as db:
        db.execute(sa.text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


def raw(url: str, sql: str, **params) -> None:
    """Write behind the store's back, as a damaged disk or an old version would."""
    engine = sa.create_engine(url)
    with engine.begin() as db:
        db.execute(sa.text(sql), params)
    engine.dispose()


def concurrently(n: int, work, processes: bool) -> list:
    """`work(i)` in n threads or n forked processes released together; their results (or exceptions)."""
    if not processes:
        barrier, results = threading.Barrier(n), [None] * n

        def thread(i):
            barrier.wait()
            try:
                results[i] = work(i)
            except Exception as exc:  # reported by the caller's asserts
                results[i] = exc

        threads = [threading.Thread(target=thread, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        return results
    barrier, queue = FORK.Barrier(n), FORK.Queue()

    def process(i):
        barrier.wait()
        try:
            queue.put((i, work(i)))
        except Exception as exc:
            queue.put((i, f"{type(exc).__name__}: {exc}"))

    procs = [FORK.Process(target=process, args=(i,)) for i in range(n)]
    for p in procs:
        p.start()
    try:
        results = dict(queue.get(timeout=180) for _ in procs)
    finally:
        for p in procs:
            p.join(10)
            if p.is_alive():  # stuck: do not leave it behind
                p.kill()
    return [results[i] for i in range(n)]


# --- the contract, on both databases ------------------------------------------------------------------


def test_save_list_find_load_export_delete(url):
    store = RunStore(url)
    net = model()
    first = store.save(CONFIG, history(), net, comparison="c1", owner="ann")
    second = store.save(OTHER, history(1), None, status="stopped", comparison="c1")
    listed = {r.id: r for r in RunStore(url).list()}  # a second store object on the same database
    assert list(listed) == [second, first]  # newest first
    assert listed[first].epochs_done == 2 and listed[first].final_test_error == pytest.approx(0.3)
    assert listed[first].has_weights and not listed[second].has_weights and listed[first].owner == "ann"
    assert listed[second].status == "stopped" and listed[first].config == CONFIG
    assert store.find([CONFIG]) == (first,) and store.find([CONFIG, OTHER]) is None  # OTHER did not finish
    run = store.load(first)
    assert run.history == history() and run.comparison == "c1" and not run.model.training
    x = torch.randn(3, 1, 8, 8)
    assert torch.equal(run.model(x), net.eval()(x))
    exported = json.loads(store.export_json([first, second]))
    assert [e["id"] for e in exported] == [first, second] and exported[0]["history"] == history().to_dict()
    assert store.delete(first) and not store.delete(first)
    assert [r.id for r in store.list()] == [second] and store.find([CONFIG]) is None
    with pytest.raises(UserError, match=f"no stored run with id {first}"):
        store.load(first)
    with pytest.raises(UserError, match=f"no stored run with id {first}"):
        store.export_json([first])


@pytest.mark.parametrize("processes", [False, True], ids=["threads", "processes"])
def test_eight_concurrent_submitters_make_one_job(url, processes):
    RunStore(url)  # the schema exists before the race (its creation races are tested below)

    def submit(i):
        info = RunStore(url).submit(CONFIG, "key-1", f"session-{i}", "c", quota=3)
        return info.id, info.status, info.attempt

    results = concurrently(8, submit, processes)
    assert len(set(results)) == 1, results
    (run_id, status, attempt), *_ = results
    rows = RunStore(url).list()
    assert [(r.id, r.status, r.key, r.attempt) for r in rows] == [(run_id, "queued", "key-1", 1)]
    assert status == "queued" and attempt == 1


def test_finished_key_replays_and_stopped_key_resumes(url):
    store = RunStore(url)
    info = store.submit(CONFIG, "k", "ann", None, quota=5)
    assert store.submit(CONFIG, "k", "bob", None, quota=5).id == info.id  # attached while queued
    config, weights, checkpoint, _ = store.claim(info.id, info.attempt)
    assert config == CONFIG and weights is None and checkpoint is None
    store.heartbeat(info.id, info.attempt, history(1), 5, 10, b"w1", b"c1", status="stopped")
    resumed = store.submit(CONFIG, "k", "bob", None, quota=5)  # a stopped run trains on from its checkpoint
    assert (resumed.id, resumed.status, resumed.attempt, resumed.owner) == (info.id, "queued", 2, "bob")
    assert store.claim(info.id, 1) is None  # the old attempt's job finds nothing to do
    config, weights, checkpoint, resumed_history = store.claim(info.id, 2)
    assert (weights, checkpoint, resumed_history) == (b"w1", b"c1", history(1))
    store.heartbeat(info.id, 2, history(2), 10, 10, weights_bytes(model()), None, status="finished")
    again = store.submit(CONFIG, "k", "carl", None, quota=5)
    assert (again.id, again.status, again.epochs_done) == (info.id, "finished", 2)
    assert len(store.list()) == 1 and store.claim(info.id, 2) is None  # finished: nothing to claim


@pytest.mark.parametrize("processes", [False, True], ids=["threads", "processes"])
def test_concurrent_resumes_of_a_stopped_run_bump_the_attempt_once(url, processes):
    store = RunStore(url)
    info = store.submit(CONFIG, "k", "ann", None, quota=5)
    store.claim(info.id, 1)
    store.heartbeat(info.id, 1, history(1), 5, 10, b"w", b"c", status="stopped")

    def submit(i):
        resumed = RunStore(url).submit(CONFIG, "k", f"s{i}", None, quota=5)
        return resumed.id, resumed.attempt

    results = concurrently(8, submit, processes)
    assert set(results) == {(info.id, 2)}, results  # one new job, not eight attempts racing
    assert [(r.status, r.attempt) for r in store.list()] == [("queued", 2)]


def test_quota_bounds_what_one_owner_queues(url):
    store = RunStore(url)
    store.submit(CONFIG, "k1", "ann", None, quota=2)
    store.submit(OTHER, "k2", "ann", None, quota=2)
    with pytest.raises(UserError, match="already have 2 runs queued or training \\(the limit is 2\\)"):
        store.submit(RunConfig(depth=14, width=4), "k3", "ann", None, quota=2)
    assert store.submit(CONFIG, "k1", "ann", None, quota=2).status == "queued"  # attaching costs nothing
    assert store.submit(RunConfig(depth=14, width=4), "k3", "bob", None, quota=2).owner == "bob"
    assert len(store.list()) == 3


def test_stop_is_the_starters_and_heartbeat_carries_it(url):
    store = RunStore(url)
    queued = store.submit(CONFIG, "k1", "ann", None, quota=5)
    assert not store.request_stop(queued.id, "bob")  # bob only stops watching
    assert not store.list()[0].cancel
    assert store.request_stop(queued.id, "ann")  # a queued job stops before it starts
    assert store.claim(queued.id, queued.attempt) is None
    assert store.list(ids=[queued.id])[0].status == "stopped"

    running = store.submit(OTHER, "k2", "ann", None, quota=5)
    store.claim(running.id, running.attempt)
    assert store.heartbeat(running.id, running.attempt, history(1), 7, 20) is False
    info = store.list(ids=[running.id])[0]
    assert (info.status, info.step, info.total_steps, info.epochs_done) == ("running", 7, 20, 1)
    assert store.history(running.id) == history(1) and store.histories([running.id]) == {running.id: history(1)}
    assert store.request_stop(running.id, None)  # the CLI (no owner) may stop anything
    assert store.heartbeat(running.id, running.attempt, history(1), 8, 20) is True
    assert store.heartbeat(running.id, running.attempt + 1, history(1), 8, 20) is True  # not its attempt: stop
    assert store.list(ids=[running.id])[0].step == 8  # the stale attempt wrote nothing
    assert not store.request_stop(12345, "ann")


def test_a_new_start_undoes_a_stop_that_has_not_acted_yet(url):
    store = RunStore(url)
    info = store.submit(CONFIG, "k", "ann", None, quota=5)
    assert store.request_stop(info.id, "ann")  # a queued job stops at once: no worker needed
    assert store.list()[0].status == "stopped"
    again = store.submit(CONFIG, "k", "bob", None, quota=5)  # someone presses Start before a worker took it
    assert again.id == info.id and not again.cancel and again.attempt == info.attempt + 1
    assert store.claim(info.id, info.attempt) is None  # the first attempt's task, when it runs, does nothing
    assert store.claim(info.id, again.attempt) is not None  # bob's Start trains


def test_interrupted_and_failed_rows(url):
    store = RunStore(url)
    info = store.submit(CONFIG, "k", "ann", None, quota=5)
    store.claim(info.id, 1)
    raw(url, "UPDATE runs SET updated = 0 WHERE id = :i", i=info.id)
    assert store.mark_interrupted([info.id], older_than=time.time() - 60) == 1
    assert store.list()[0].status == "interrupted"
    assert not store.delete(12345) and store.delete(info.id, owner="ann")  # an interrupted run may go
    info = store.submit(CONFIG, "k", "ann", None, quota=5)
    store.claim(info.id, info.attempt)
    store.fail(info.id, info.attempt, "UserError: mnist is not on this worker")
    (row,) = store.list()
    assert row.status == "failed" and "mnist" in row.error
    assert store.submit(CONFIG, "k", "ann", None, quota=5).id != info.id  # a failed run is not resumed


def _heartbeat_forever(url: str, run_id: int, attempt: int) -> None:
    store, weights = RunStore(url), weights_bytes(model())
    epoch = 0
    while True:  # a worker at an epoch end, again and again, until it is killed
        epoch += 1
        store.heartbeat(run_id, attempt, history(epoch), 10 * epoch, 10**6, weights, f"checkpoint {epoch}".encode())


def test_a_worker_killed_mid_write_loses_no_finished_epoch(url):
    store = RunStore(url)
    info = store.submit(CONFIG, "k", "ann", None, quota=5)
    store.claim(info.id, info.attempt)
    worker = FORK.Process(target=_heartbeat_forever, args=(url, info.id, info.attempt))
    worker.start()
    deadline = time.time() + 60
    while store.list()[0].epochs_done < 4 and time.time() < deadline:
        time.sleep(0.05)
    os.kill(worker.pid, signal.SIGKILL)  # mid-run, most likely mid-transaction
    worker.join(10)
    (row,) = store.list()
    assert row.status == "running" and row.epochs_done >= 4
    assert store.mark_interrupted([info.id], older_than=time.time() + 1) == 1
    resumed = store.submit(CONFIG, "k", "bob", None, quota=5)
    assert (resumed.id, resumed.status, resumed.attempt) == (info.id, "queued", 2)
    _, weights, checkpoint, kept = store.claim(info.id, 2)
    epochs = len(kept.epochs)  # the history, weights and checkpoint of one and the same epoch end
    assert epochs >= row.epochs_done and kept == history(epochs) and checkpoint == f"checkpoint {epochs}".encode()
    assert weights == weights_bytes(model()) and store.load(info.id).model is not None


def test_delete_with_an_owner_removes_only_their_finished_runs(url):
    store = RunStore(url)
    ann = store.save(CONFIG, history(), owner="ann")
    bob = store.save(OTHER, history(), owner="bob")
    active = store.submit(RunConfig(depth=14, width=4), "k", "ann", None, quota=5)
    assert not store.delete(bob, owner="ann") and not store.delete(active.id, owner="ann")
    assert not store.delete(active.id)  # not even the CLI deletes a run that is training
    assert store.delete(ann, owner="ann")
    assert {r.id for r in store.list()} == {bob, active.id}


def test_damaged_rows_are_skipped_and_named(url):
    store = RunStore(url)
    good = store.save(CONFIG, history(), model())
    bad_config = store.save(OTHER, history())
    not_a_dict = store.save(OTHER, history())
    raw(url, 'UPDATE runs SET config = \'{"net": "plain", "dep\' WHERE id = :i', i=bad_config)
    raw(url, "UPDATE runs SET config = '[1, 2]' WHERE id = :i", i=not_a_dict)
    assert [r.id for r in store.list()] == [good]
    assert sorted(i for i, _ in store.damaged) == [bad_config, not_a_dict]
    assert all("configuration is not readable" in why for _, why in store.damaged)
    assert store.find([CONFIG]) == (good,) and store.load(good).model is not None
    for run_id in (bad_config, not_a_dict):
        with pytest.raises(UserError, match=f"run #{run_id} is damaged .*--delete {run_id}"):
            store.load(run_id)
    assert store.delete(bad_config)
    store.list()
    assert [i for i, _ in store.damaged] == [not_a_dict]


@pytest.mark.parametrize(
    "damage",
    [
        "malformed history",
        "history not an object",
        "a config the zoo cannot build",
        "a config of an unknown dataset",
        "garbage weights",
        "truncated weights",
        "another net's weights",
    ],
)
def test_loading_a_damaged_run_names_it(url, damage):
    store = RunStore(url)
    run_id = store.save(CONFIG, history(), model())
    good = weights_bytes(model())
    if damage == "malformed history":
        raw(url, "UPDATE runs SET history = '{\"epochs\": [' WHERE id = :i", i=run_id)
    elif damage == "history not an object":
        raw(url, "UPDATE runs SET history = '17' WHERE id = :i", i=run_id)
    elif damage.startswith("a config"):
        bad = {"net": "resnet", "depth": 7} if "zoo" in damage else {"net": "resnet", "dataset": "imagenet-22k"}
        raw(url, "UPDATE runs SET config = :c WHERE id = :i", c=json.dumps(bad), i=run_id)
    else:
        weights = {
            "garbage weights": b"\x00garbage" * 100,
            "truncated weights": good[: len(good) // 2],
            "another net's weights": weights_bytes(model(RunConfig(depth=14, width=4))),
        }[damage]
        raw(url, "UPDATE runs SET weights = :w WHERE id = :i", w=weights, i=run_id)
    with pytest.raises(UserError) as caught:
        store.load(run_id)
    message = str(caught.value)
    assert message.startswith(f"run #{run_id}") and f"--delete {run_id}" in message and "\n" not in message
    if "weights" in damage:  # its history is still there to see
        assert store.load(run_id, with_model=False).history == history()
    assert [r.id for r in store.list()] == [run_id]  # listing is unaffected: the summary columns are fine


def _save_many(url: str, worker: int, n: int) -> list[int]:
    store = RunStore(url)
    return [store.save(CONFIG, history(), model(seed=worker * 100 + k), comparison=f"w{worker}") for k in range(n)]


def _read_until(url: str, n: int) -> list[int]:
    """A reader while the writers write: every row it sees is whole (history and weights)."""
    store, seen, deadline = RunStore(url), set(), time.time() + 120
    while len(seen) < n and time.time() < deadline:
        for info in store.list():
            if info.id not in seen:
                run = store.load(info.id)
                assert run.history == history() and run.model is not None, info.id
                seen.add(info.id)
    return sorted(seen)


def test_two_processes_saving_and_a_reader_lose_nothing(url):
    RunStore(url)
    # three forked processes (no thread of this one running while it forks): two writers, a reader
    writers, writers2, read = concurrently(3, lambda i: _save_many(url, i, 12) if i < 2 else _read_until(url, 24), True)
    assert isinstance(writers, list) and isinstance(writers2, list) and isinstance(read, list), (
        writers,
        writers2,
        read,
    )
    store = RunStore(url)
    all_ids = sorted(writers + writers2)
    assert len(all_ids) == 24 and read == all_ids  # the reader saw every row, each one whole
    assert sorted(r.id for r in store.list()) == all_ids and store.damaged == []
    x = torch.randn(2, 1, 8, 8)
    for worker, ids in enumerate([writers, writers2]):
        for k, run_id in enumerate(ids):
            assert torch.equal(store.load(run_id).model(x), model(seed=worker * 100 + k).eval()(x))


def test_concurrent_shipped_imports_keep_one_run(url):
    RunStore(url)

    def install(i):
        return RunStore(url).import_shipped("digest-1", CONFIG, history(), None, "scene")

    results = concurrently(6, install, processes=True)
    assert not [r for r in results if isinstance(r, str)], results  # no process saw an exception
    assert len([r for r in results if r is not None]) == 1
    assert len(RunStore(url).list()) == 1 and RunStore(url).shipped_digests() == {"digest-1"}


def _open_and_count(url: str) -> int:
    return len(RunStore(url).list())


def test_replicas_opening_a_fresh_store_at_once(url):
    # the first use of a new database by several workers and replicas at the same moment
    results = concurrently(6, lambda i: _open_and_count(url), processes=True)
    assert results == [0] * 6, results


def test_weights_beyond_the_store_limit_are_refused(url, monkeypatch):
    with pytest.raises(UserError, match="too big to keep: ResNet-1202 \\(w64\\)'s 310M parameters"):
        check_config(RunConfig(depth=1202, width=64))
    # 217M parameters: 0.81 GiB of weights fit one value, but not with the checkpoint's momentum in one row
    with pytest.raises(UserError, match="too big to keep: ResNet-56 \\(w256\\)'s 217M parameters .* as much again"):
        check_config(RunConfig(depth=56, width=256))
    store = RunStore(url)
    monkeypatch.setattr(store_module, "MAX_STORED_BYTES", 1000)  # a save that slipped past check_config
    with pytest.raises(StoreError, match="too big for the run store"):
        store.save(CONFIG, history(), model())
    assert store.list() == [] and MAX_STORED_BYTES > 2**29


def test_a_row_beyond_sqlites_length_limit_is_a_message_not_move_it_aside(tmp_path):
    # SQLite's length limit (10^9 bytes by default) holds for a whole row: weights and checkpoint together.
    # Lowered here so that an epoch end of a small net meets it as a big one meets the real limit.
    store = RunStore(tmp_path / "runs.sqlite")
    sa.event.listen(store.engine, "connect", lambda db, _: db.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 300_000))
    store.engine.dispose()
    info = store.submit(CONFIG, "k", "ann", None, quota=5)
    store.claim(info.id, info.attempt)
    store.heartbeat(info.id, info.attempt, history(1), 5, 10, b"w" * 100_000, b"c" * 100_000)
    with pytest.raises(StoreError) as caught:
        store.heartbeat(info.id, info.attempt, history(2), 10, 10, b"w" * 160_000, b"c" * 160_000)
    message = str(caught.value)
    assert "string or blob too big" in message and "narrower or shallower" in message and "move" not in message
    assert store.claim(info.id, info.attempt)[1:] == (b"w" * 100_000, b"c" * 100_000, history(1))  # kept


def test_an_unreachable_server_is_one_sentence_without_the_password():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    with pytest.raises(StoreError) as caught:
        RunStore(f"postgresql+psycopg://ann:s3cret@127.0.0.1:{port}/convatlas")
    message = str(caught.value)
    assert "cannot be reached" in message and "check CONVATLAS_STORE" in message and "s3cret" not in message
    assert "\n" not in message


# --- what only a SQLite file can suffer ---------------------------------------------------------------


def _sqlite_store_with_runs(folder: Path, n: int = 6) -> Path:
    """A store file with n runs (weights included), checkpointed: the whole database in one file."""
    path = folder / "made.sqlite"
    store = RunStore(path)
    for k in range(n):
        store.save(CONFIG, history(), model(seed=k))
    store.engine.dispose()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.mark.parametrize("damage", ["not a database", "truncated header", "truncated half"])
def test_a_damaged_store_file_gets_one_message_and_moves_aside(tmp_path, damage):
    path = tmp_path / "home" / "runs.sqlite"
    path.parent.mkdir()
    made = _sqlite_store_with_runs(tmp_path)
    if damage == "not a database":
        path.write_bytes(b"these are not the runs you are looking for\n" * 400)
    else:
        body = made.read_bytes()
        path.write_bytes(body[:60] if damage == "truncated header" else body[: len(body) // 2])
    url = f"sqlite:///{path}"
    with pytest.raises(StoreError) as caught:
        RunStore(url).list()
    message = str(caught.value)
    assert "python -m core runs --move-aside" in message and "\n" not in message and str(path) in message
    target = move_aside(url)
    assert target.read_bytes()[:40] == path.with_name(target.name).read_bytes()[:40] and not path.exists()
    store = RunStore(url)
    assert store.list() == [] and store.load(store.save(CONFIG, history(), model())).model is not None
    again = move_aside(url)  # the same second: a second name, the first file is kept
    assert again != target and target.exists() and again.exists() and RunStore(url).list() == []


def cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CONVATLAS_HOME": str(home), "PYTHONPATH": str(ROOT)}
    env.pop("CONVATLAS_STORE", None)
    return subprocess.run(
        [sys.executable, "-m", "core", "runs", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_cli_runs_on_a_damaged_store(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "runs.sqlite").write_bytes(b"\x01not sqlite\n" * 500)
    listed = cli(home)
    assert listed.returncode == 2 and "Traceback" not in listed.stderr
    assert len(listed.stderr.strip().splitlines()) == 1 and "--move-aside" in listed.stderr
    moved = cli(home, "--move-aside")
    assert moved.returncode == 0 and "runs.sqlite.damaged-" in moved.stderr
    assert len(list(home.glob("runs.sqlite.damaged-*"))) == 1
    store = RunStore(home / "runs.sqlite")
    keep, damaged = store.save(CONFIG, history()), store.save(OTHER, history())
    raw(store.url, "UPDATE runs SET config = 'oops' WHERE id = :i", i=damaged)
    listed = cli(home)
    assert listed.returncode == 0 and listed.stdout.startswith(f"#{keep} ResNet-8 (w4)")
    assert f"#{damaged} is damaged" in listed.stderr and f"--delete {damaged}" in listed.stderr
    missing = cli(home, "--delete", "999")
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1
    assert "999" in missing.stderr and "Traceback" not in missing.stderr
    deleted = cli(home, "--delete", str(damaged))
    assert deleted.returncode == 0 and [r.id for r in store.list()] == [keep] and store.damaged == []


# The schema of every earlier version (git show 95bb3d3~1:core/training/store.py).
OLD_SCHEMA = """
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


def _old_store(path: Path) -> dict[str, int]:
    """A store as the previous version wrote it: a finished run with weights, a stopped one, a damaged one."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(OLD_SCHEMA)
        ids = {}
        for name, config, status, hist, weights in [
            ("finished", CONFIG, "finished", json.dumps(history(3).to_dict()), weights_bytes(model(seed=7))),
            ("stopped", OTHER, "stopped", json.dumps(history(1).to_dict()), None),
            ("damaged", OTHER, "finished", '{"epochs": [{"epoch"', None),
        ]:
            cur = db.execute(
                "INSERT INTO runs (created, label, status, comparison, config, history, weights) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (time.time(), config.label, status, "old", json.dumps(config.to_dict()), hist, weights),
            )
            ids[name] = cur.lastrowid
        db.execute("INSERT INTO shipped (digest, run_id) VALUES ('d0', ?)", (ids["finished"],))
    return ids


def test_a_store_of_the_previous_version_is_migrated(tmp_path):
    path = tmp_path / "runs.sqlite"
    ids = _old_store(path)
    results = concurrently(4, lambda i: _open_and_count(str(path)), processes=True)  # replicas upgrading at once
    assert results == [3] * 4, results
    store = RunStore(path)
    listed = {r.id: r for r in store.list()}
    finished, stopped = listed[ids["finished"]], listed[ids["stopped"]]
    assert (finished.status, finished.epochs_done, finished.has_weights) == ("finished", 3, True)
    assert finished.final_test_error == pytest.approx(0.2) and finished.final_train_error == pytest.approx(0.5 / 3)
    assert (stopped.status, stopped.epochs_done, stopped.final_test_error) == ("stopped", 1, pytest.approx(0.6))
    run = store.load(ids["finished"])
    x = torch.randn(2, 1, 8, 8)
    assert run.history == history(3) and torch.equal(run.model(x), model(seed=7).eval()(x))
    with pytest.raises(UserError, match=f"run #{ids['damaged']} is damaged"):
        store.load(ids["damaged"])
    assert store.find([CONFIG], with_weights=True) == (ids["finished"],) and store.shipped_digests() == {"d0"}
    # the migrated table has the one-job-per-key index too: identical submissions still make one job
    results = concurrently(8, lambda i: RunStore(path).submit(OTHER, "kk", f"s{i}", None, 5).id, processes=False)
    assert len(set(results)) == 1 and isinstance(results[0], int), results
    with pytest.raises(sa.exc.IntegrityError):
        raw(
            store.url,
            "INSERT INTO runs (created, label, status, config, history, key) VALUES (0, 'x', 'queued', '{}', '{}', 'kk')",
        )


FULL_DISK = """
import resource, sys
from pathlib import Path
from core.errors import UserError
from core.training.config import History, RunConfig
from core.training.engine import build_model
from core.training.store import RunStore

store = RunStore(sys.argv[1])
small, big = RunConfig(depth=8, width=4), RunConfig(depth=20, width=64)
history = History(epochs=[{"epoch": 1, "train_error": 0.1, "test_error": 0.2}])
before = store.save(small, history, build_model(small))
size = sum(p.stat().st_size for p in Path(sys.argv[1]).parent.iterdir())  # the file, its WAL and index
resource.setrlimit(resource.RLIMIT_FSIZE, (size + 64 * 1024, resource.RLIM_INFINITY))
try:
    store.save(big, history, build_model(big))
except UserError as exc:
    print("MESSAGE", exc)
print("AFTER", [r.id for r in store.list()], store.load(before).model is not None)
"""


def test_a_file_size_limit_during_a_save_is_a_message_and_keeps_earlier_runs(tmp_path):
    path = tmp_path / "runs.sqlite"
    earlier = RunStore(path)
    kept = [earlier.save(CONFIG, history(), model(seed=k)) for k in range(3)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", FULL_DISK, str(path)], env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    message = next(line for line in done.stdout.splitlines() if line.startswith("MESSAGE"))
    assert "could not write to the run store" in message and "free some disk space" in message, message
    assert "AFTER" in done.stdout and "True" in done.stdout.split("AFTER")[1]
    store = RunStore(path)
    assert [r.id for r in store.list()][-3:] == kept[::-1] and len(store.list()) == 4  # 3 earlier + the small one
    x = torch.randn(2, 1, 8, 8)
    for k, run_id in enumerate(kept):
        assert torch.equal(store.load(run_id).model(x), model(seed=k).eval()(x))
    with store.engine.connect() as db:  # and the file is a sound database
        assert db.execute(sa.text("PRAGMA integrity_check")).scalar() == "ok"
