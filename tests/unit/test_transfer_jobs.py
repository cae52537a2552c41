"""The transfer comparison as one shared job (core.experiments.transfer_jobs, core.training.sweeps): the
same settings from many sessions are one sweep, its rows are those the experiment gives in this
process, a Stop keeps the finished rows and Continue trains only the rest, a sweep whose worker is
gone reads as interrupted, and a shipped sweep is imported once."""

from __future__ import annotations

import threading
import time

import pytest

from core.errors import UserError
from core.experiments import transfer_jobs as TJ
from core.training.store import RunStore, sweeps_table
from core.training.sweeps import SweepStore

TINY = TJ.SweepSettings(
    task="split", dataset="digits", width=8, source_epochs=1, steps=6, shots=(1, 3), strategies=("scratch", "frozen")
)
COLUMNS = ["strategy", "shots", "all", "labels", "seed"]


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVATLAS_HOME", str(tmp_path))
    monkeypatch.delenv("CONVATLAS_STORE", raising=False)
    return RunStore()


def wait(settings, store, until=lambda info: not info.active, timeout=240):
    deadline = time.time() + timeout
    while time.time() < deadline:
        info = TJ.find(settings, store)
        if info is not None and until(info):
            return info
        time.sleep(0.3)
    raise AssertionError(f"timed out: {info and (info.status, len(info.rows), info.error)}")


def test_settings_round_trip_and_key_and_bad_values():
    assert TJ.SweepSettings.from_dict(TINY.to_dict()) == TINY
    assert TINY.key == TJ.SweepSettings.from_dict(TINY.to_dict()).key
    assert TINY.key != TJ.SweepSettings(**{**TINY.__dict__, "seeds": (2,)}).key
    assert TINY.runs == 4
    for bad in ({"task": "nope"}, {"seeds": ()}, {"steps": 0}, {"shots": (-1,)}, {"strategies": ("magic",)}):
        with pytest.raises(UserError):
            TJ.SweepSettings(**bad)


def test_many_sessions_pressing_run_are_one_sweep_with_the_experiments_numbers(store):
    infos, errors = [], []

    def press_run(i):
        try:
            infos.append(TJ.submit(TINY, owner=f"session-{i}", store=store))
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=press_run, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len({i.id for i in infos}) == 1
    info = wait(TINY, store)
    assert info.status == "finished", info.error
    assert len(SweepStore(store).list()) == 1 and len(info.rows) == TINY.runs
    result = TJ.result(info)
    assert result.source_label and 0 <= result.source_accuracy <= 1 and result.steps == TINY.steps
    # the same experiment in this process (the stored source net is reused): the same runs, the same numbers
    here = TINY.run()
    assert here.source_reused and here.source_run == result.source_run
    assert result.table[COLUMNS].equals(here.table[COLUMNS])
    assert result.table["accuracy"].tolist() == pytest.approx(here.table["accuracy"].tolist(), abs=0.03)
    started = time.time()
    assert TJ.submit(TINY, owner="late", store=store).status == "finished"  # attached, not trained again
    assert time.time() - started < 5


def test_stop_keeps_the_finished_rows_and_continue_trains_only_the_rest(store):
    strategies = ("scratch", "frozen", "last1")
    settings = TJ.SweepSettings(
        task="split", dataset="digits", width=8, source_epochs=1, steps=300, shots=(1, 3), strategies=strategies
    )
    first = TJ.submit(settings, owner="alice", store=store)
    info = wait(settings, store, until=lambda i: len(i.rows) >= 2 or not i.active)
    assert info.active, "finished before it could be stopped"
    assert not TJ.stop(info, owner="bob", store=store)  # bob only watched
    assert TJ.stop(info, owner="alice", store=store)
    stopped = wait(settings, store)
    assert stopped.status == "stopped" and 2 <= len(stopped.rows) < settings.runs
    kept = stopped.rows
    again = TJ.submit(settings, owner="bob", store=store)
    assert again.id == first.id and again.attempt == first.attempt + 1
    done = wait(settings, store)
    assert done.status == "finished" and len(done.rows) == settings.runs
    assert done.rows[: len(kept)] == kept  # continued after them, not from the start
    runs = [(r["strategy"], r["shots"], r["seed"]) for r in done.rows]
    assert len(set(runs)) == len(runs)  # nothing trained twice


def test_a_running_sweep_whose_worker_is_gone_reads_interrupted_and_continues(store):
    sweeps = SweepStore(store)
    info = sweeps.submit(TINY.key, TJ.KIND, TINY.to_dict(), owner="alice")  # never handed to the engine
    assert sweeps.claim(info.id, info.attempt) is not None
    assert TJ.check_interrupted(sweeps.get(TINY.key), store).status == "running"  # written just now
    store._run(lambda db: db.execute(sweeps_table.update().values(updated=time.time() - 600)), write=True)
    assert TJ.check_interrupted(sweeps.get(TINY.key), store).status == "interrupted"
    TJ.submit(TINY, owner="bob", store=store)
    assert wait(TINY, store).status == "finished"


def test_a_shipped_sweep_is_imported_once(store):
    sweeps = SweepStore(store)
    rows = [{"strategy": "frozen", "shots": 1, "seed": 1, "accuracy": 0.5}]
    assert sweeps.import_finished("k1", TJ.KIND, {"a": 1}, rows, {"steps": 3})
    assert not sweeps.import_finished("k1", TJ.KIND, {"a": 1}, [], {})
    got = sweeps.get("k1")
    assert got.status == "finished" and got.rows == rows and got.meta == {"steps": 3}
