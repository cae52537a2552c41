"""`python -m core runs --copy-to URL`: a store moved into another database keeps every run, id, history,
weight and shipped mark; a run that was training arrives interrupted; a non-empty or bad target is
refused in one line."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from core import cli
from core.training import engine, jobs
from core.training.config import History, RunConfig
from core.training.store import RunStore

CONFIG = RunConfig(net="resnet", depth=8, width=4, epochs=1, batch_size=32, device="cpu")


def history(error: float) -> History:
    h = History()
    h.epochs.append({"epoch": 1, "train_loss": 1.0, "train_error": error, "test_loss": 1.1, "test_error": error})
    return h


@pytest.fixture
def source(tmp_path, monkeypatch):
    """The default store (the SQLite file in CONVATLAS_HOME) with a finished run with weights, a
    deleted one (an id gap), a run a worker was training, and a shipped-run mark."""
    monkeypatch.setenv("CONVATLAS_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CONVATLAS_STORE", raising=False)
    store = RunStore()
    model = engine.initial_model(CONFIG)
    finished = store.save(CONFIG, history(0.25), model, comparison="c1", owner="alice")
    store.delete(store.save(CONFIG, history(0.5), None))
    busy = store.submit(replace(CONFIG, seed=5), "key-5", "bob", "c2", quota=0)
    store.claim(busy.id, busy.attempt)
    store.import_shipped("digest-1", replace(CONFIG, seed=9), history(0.1), None, "scene")
    return store, finished, busy.id


def test_copy_keeps_ids_histories_weights_and_marks(source, tmp_path, capsys):
    store, finished, busy = source
    target_url = f"sqlite:///{tmp_path / 'copy.sqlite'}"
    assert cli.main(["runs", "--copy-to", target_url]) == 0
    assert "copied 3 runs" in capsys.readouterr().err
    target = RunStore(target_url)
    old, new = store.list(), target.list()
    assert [r.id for r in new] == [r.id for r in old] and len(new) == 3
    assert {r.id: r.status for r in new}[busy] == "interrupted"  # its job belonged to the old engine
    for a, b in zip(old, new):
        assert (a.label, a.config, a.owner, a.key, a.comparison, a.attempt) == (
            b.label,
            b.config,
            b.owner,
            b.key,
            b.comparison,
            b.attempt,
        )
    copied = target.load(finished)
    assert copied.history == store.load(finished).history
    original = store.load(finished).model.state_dict()
    assert all(torch.equal(copied.model.state_dict()[k], v) for k, v in original.items())
    assert target.shipped_digests() == {"digest-1"}
    later = target.save(CONFIG, history(0.3))  # new runs go on after the copied ids
    assert later > max(r.id for r in old)
    [resumed] = [r.id for r in target.list() if r.key == "key-5"]
    assert target.submit(target.load(busy, with_model=False).config, "key-5", "carol", None, 0).id == resumed


def test_copy_refuses_a_non_empty_target_the_store_itself_and_a_non_url(source, tmp_path, capsys):
    store, _, _ = source
    target_url = f"sqlite:///{tmp_path / 'copy.sqlite'}"
    assert cli.main(["runs", "--copy-to", target_url]) == 0
    capsys.readouterr()
    for argv, words in [
        (["runs", "--copy-to", target_url], "already holds 3 runs"),
        (["runs", "--copy-to", store.url], "the store itself"),
        (["runs", "--copy-to", "copy.sqlite"], "is not a database URL"),
        (["runs", "--copy-to", "nosuchdb://x/y"], "is not a database URL"),
    ]:
        assert cli.main(argv) == 2
        err = capsys.readouterr().err
        assert words in err and len(err.strip().splitlines()) == 1, err


def test_jobs_module_is_not_needed_to_copy(source, tmp_path, monkeypatch):
    """A copy talks to two databases only: no engine is started."""

    def refuse(*args, **kwargs):
        raise AssertionError("the copy reached the job engine")

    monkeypatch.setattr(jobs, "client", refuse)
    assert cli.main(["runs", "--copy-to", f"sqlite:///{tmp_path / 'other.sqlite'}"]) == 0


def test_copy_into_postgresql_keeps_ids_and_the_id_sequence_goes_on(source, postgres_url):
    """The class move: the SQLite file into a fresh PostgreSQL database (the fixture's server)."""
    import uuid

    import sqlalchemy as sa

    store, finished, busy = source
    name = f"copy_{uuid.uuid4().hex[:8]}"
    server = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with server.connect() as db:
        db.exec_driver_sql(f"CREATE DATABASE {name}")
    server.dispose()
    target_url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
    assert cli.main(["runs", "--copy-to", target_url]) == 0
    target = RunStore(target_url)
    assert [r.id for r in target.list()] == [r.id for r in store.list()]
    assert {r.id: r.status for r in target.list()}[busy] == "interrupted"
    original = store.load(finished).model.state_dict()
    assert all(torch.equal(target.load(finished).model.state_dict()[k], v) for k, v in original.items())
    assert target.save(CONFIG, history(0.3)) == max(r.id for r in store.list()) + 1  # setval after explicit ids
    target.engine.dispose()
