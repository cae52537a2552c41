"""Training jobs on the Dask engine (core.training.jobs): one job per run key, Stop and resume, a worker
killed mid-run, a scheduler and a worker as separate processes, and seeds that never cross threads."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import replace

import pytest
import torch

from core.errors import UserError
from core.training import engine, jobs
from core.training.config import RunConfig
from core.training.store import RunStore

TINY = RunConfig(net="resnet", depth=8, width=4, epochs=2, batch_size=32, train_limit=256, device="cpu")
# ~1 s an epoch on one worker thread: long enough to stop or kill mid-run
LONGER = RunConfig(net="resnet", depth=20, width=8, epochs=6, batch_size=32, device="cpu", seed=3)


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVATLAS_HOME", str(tmp_path))
    monkeypatch.delenv("CONVATLAS_STORE", raising=False)
    jobs.BOARD.forget()
    return RunStore()


def wait(ids, store, until=lambda v: not v.active, timeout=240):
    deadline = time.time() + timeout
    while time.time() < deadline:
        view = jobs.BOARD.view(ids, store)
        if until(view):
            return view
        time.sleep(0.3)
    raise AssertionError(f"timed out: {[(r.status, r.step) for r in view.runs]}")


def reference_epochs(config: RunConfig) -> list[dict]:
    """The same run trained in this process, uninterrupted, one thread (as a worker trains)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _, history = engine.train(config)
    finally:
        torch.set_num_threads(threads)
    return history.epochs


def same_curve(epochs: list[dict], reference: list[dict]) -> None:
    assert [e["epoch"] for e in epochs] == [e["epoch"] for e in reference]
    for got, want in zip(epochs, reference):
        for name in ("train_loss", "train_error", "test_loss", "test_error"):
            assert got[name] == pytest.approx(want[name], rel=1e-5, abs=1e-7), (got["epoch"], name)


def test_run_key_depends_on_config_engine_and_device():
    assert jobs.run_key(TINY, "cpu") == jobs.run_key(replace(TINY), "cpu")
    assert jobs.run_key(TINY, "cpu") != jobs.run_key(TINY, "cuda")
    assert jobs.run_key(TINY, "cpu") != jobs.run_key(replace(TINY, seed=1), "cpu")
    with pytest.raises(UserError, match="no GPU worker"):
        jobs.device_class(replace(TINY, device="cuda"), gpu_workers=False)


def test_eight_concurrent_submitters_are_one_job_and_a_finished_key_replays(store):
    results, errors = [], []

    def press_start(i):
        try:
            results.append(jobs.submit([TINY], owner=f"session-{i}", store=store))
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=press_start, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len({tuple(r) for r in results}) == 1
    [run_id] = results[0]
    view = wait([run_id], store)
    assert view.runs[0].status == "finished" and len(store.list()) == 1
    assert store.load(run_id).model is not None
    same_curve(view.runs[0].history.epochs, reference_epochs(TINY))  # a worker trains what this process would
    started = time.time()
    assert jobs.submit([TINY], owner="late", store=store) == [run_id]  # replayed, not trained again
    assert time.time() - started < 5 and len(store.list()) == 1


def test_stop_by_its_starter_keeps_the_epochs_and_resume_goes_on_to_the_same_curve(store):
    [run_id] = jobs.submit([LONGER], owner="alice", store=store)
    wait([run_id], store, until=lambda v: v.runs[0].epoch >= 1)
    assert not jobs.stop([run_id], owner="bob", store=store)  # bob only watched: nothing stops
    assert jobs.stop([run_id], owner="alice", store=store)
    view = wait([run_id], store)
    stopped = view.runs[0]
    assert stopped.status == "stopped" and 1 <= stopped.epoch < LONGER.epochs
    assert store.load(run_id).model is not None  # the weights trained so far are kept
    assert not store.delete(run_id, owner="bob") and store.list(ids=[run_id])  # only its owner may delete
    assert jobs.submit([LONGER], owner="bob", store=store) == [run_id]  # resumes the same row
    view = wait([run_id], store)
    assert view.runs[0].status == "finished"
    same_curve(view.runs[0].history.epochs, reference_epochs(LONGER))  # as if never stopped


def test_a_worker_killed_mid_run_is_resumed_from_its_last_epoch(store):
    config = replace(LONGER, seed=4)
    [run_id] = jobs.submit([config], owner="alice", store=store)
    wait([run_id], store, until=lambda v: v.runs[0].epoch >= 2)
    client = jobs.client()
    busy = [w for w, keys in client.processing().items() if any(f"run{run_id}-" in k for k in keys)]
    assert busy, "the job is on no worker"
    pid = client.run(os.getpid, workers=busy)[busy[0]]
    os.kill(pid, signal.SIGKILL)
    view = wait([run_id], store)
    assert view.runs[0].status == "finished"
    same_curve(view.runs[0].history.epochs, reference_epochs(config))  # nothing lost, nothing doubled


def test_a_queued_job_stopped_before_it_starts_never_trains(store):
    configs = [replace(LONGER, seed=10 + i, epochs=2) for i in range(jobs.local_workers() + 1)]
    ids = jobs.submit(configs, owner="alice", store=store)
    last = ids[-1]  # more runs than workers: the last one waits in the queue
    assert jobs.BOARD.view([last], store).runs[0].status == "queued"
    assert jobs.stop([last], owner="alice", store=store)
    wait(ids, store)
    [info] = store.list(ids=[last])
    assert info.status == "stopped" and info.step == 0


def test_quota_bounds_what_one_session_can_queue(store, monkeypatch):
    monkeypatch.setattr(jobs, "QUOTA", 2)
    configs = [replace(LONGER, seed=20 + i) for i in range(3)]
    jobs.submit(configs[:2], owner="greedy", store=store)
    with pytest.raises(UserError, match="the limit is 2"):
        jobs.submit(configs[2:], owner="greedy", store=store)
    jobs.stop([r.id for r in store.list()], owner="greedy", store=store)
    wait([r.id for r in store.list()], store)


def test_a_running_row_whose_worker_is_gone_shows_interrupted(store):
    """A training process killed with the whole engine (the app or the CLI) leaves a row 'running':
    once it is stale and unknown to the engine, watchers see it interrupted (and may resume it)."""
    info = store.submit(TINY, jobs.run_key(TINY, "cpu"), "gone", None, quota=0)
    assert store.claim(info.id, info.attempt) is not None  # a worker took it ... and died
    with store.engine.begin() as db:
        db.exec_driver_sql("UPDATE runs SET updated = 0 WHERE id = ?", (info.id,))
    board = jobs.Board()
    assert board.view([info.id], store).runs[0].status == "interrupted"
    [again] = jobs.submit([TINY], owner="someone", store=store)
    # resumed as fresh: a stale 'updated' would get it marked interrupted before the engine has the task
    assert store.list(ids=[again])[0].updated > time.time() - 5
    assert again == info.id and wait([again], store).runs[0].status == "finished"


def test_the_board_reads_the_store_once_a_second_however_many_sessions_watch(store, monkeypatch):
    info = store.submit(TINY, "k", "a", None, quota=0)
    reads = []
    original = RunStore.list

    def counting(self, *args, **kwargs):
        reads.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(RunStore, "list", counting)
    board = jobs.Board(max_age=1.0)
    for _ in range(300):  # 300 sessions polling at once
        assert board.view([info.id], store).runs[0].status == "queued"
    assert len(reads) == 1


def test_same_seed_same_weights_and_drop_pattern_whatever_runs_in_other_threads():
    """The server's threads share torch's default generator: builds and stochastic depth must not."""
    config = RunConfig(net="resnet", depth=14, width=4, final_survival=0.5, epochs=1, batch_size=32, device="cpu")
    solo = engine.initial_model(config).state_dict()
    builds, stop = [], threading.Event()

    def noise():  # another session drawing random numbers the whole time
        while not stop.is_set():
            torch.manual_seed(123)
            torch.rand(1000)

    def build():
        for _ in range(5):
            builds.append(engine.initial_model(config).state_dict())

    workers = [threading.Thread(target=noise)] + [threading.Thread(target=build) for _ in range(3)]
    for t in workers:
        t.start()
    for t in workers[1:]:
        t.join()
    stop.set()
    workers[0].join()
    assert len(builds) == 15
    assert all(torch.equal(b[k], solo[k]) for b in builds for k in solo)

    torch.set_num_threads(1)
    solo_steps = [s["loss"] for s in engine.train(config)[1].steps]
    curves = []
    threads = [threading.Thread(target=lambda: curves.append(engine.train(config)[1].steps)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all([s["loss"] for s in c] == solo_steps for c in curves)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_scheduler_and_a_worker_started_as_separate_processes(store, tmp_path, monkeypatch):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    log = open(tmp_path / "cluster.log", "w")  # noqa: SIM115 (closed below)
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "DASK_DISTRIBUTED__DASHBOARD__LINK": ""},
    )
    worker = None
    try:
        worker = subprocess.Popen(
            [sys.executable, "-m", "core", "worker", address, "--threads", "1"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        monkeypatch.setenv("CONVATLAS_SCHEDULER", address)
        monkeypatch.setattr(jobs, "_client", None)  # this test's own client, to the scheduler above
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if jobs.client().scheduler_info()["workers"]:
                    break
            except UserError:
                pass
            time.sleep(0.5)
        config = replace(TINY, seed=7)
        [run_id] = jobs.submit([config], owner="remote", store=store)
        assert wait([run_id], store).runs[0].status == "finished"
        jobs.client().close()
    finally:
        for process in (worker, scheduler):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)
        log.close()
