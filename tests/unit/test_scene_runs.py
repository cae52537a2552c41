"""The scene runs that ship with the app (assets/scene_runs): they are exactly the scenes' current
runs, small, and a fresh run store gets them once; the export writes what the import reads."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch

from core.experiments import transfer_jobs as TJ
from core.lecture import scenes
from core.training.config import RunConfig
from core.training.data import load_dataset
from core.training.store import RunStore, read_run_file, run_digest

MAX_BYTES = 6 * 2**20  # the repository stays lean


def test_shipped_runs_are_the_scenes_current_runs():
    """Fails when a scene's configuration (or the recipe behind its defaults) changed since the files
    were written: regenerate them with `python -m core scene --export assets/scene_runs`."""
    shipped = scenes.shipped(scenes.SHIPPED)
    for scene in scenes.SCENES:
        if scene.runs:
            assert [c for _, c in shipped.get(scene.key, [])] == list(scene.runs), (
                f"assets/scene_runs is outdated for scene {scene.key!r}: run `{scenes.EXPORT_COMMAND}`"
            )
    assert scenes.stale(scenes.SHIPPED) == []


def test_shipped_files_are_complete_and_small():
    index = json.loads((scenes.SHIPPED / scenes.INDEX).read_text())
    digests = {d for entry in index["scenes"].values() for d in entry["runs"]}
    expected = {f"{d}.json.gz" for d in digests} | {f"{d}.safetensors" for d in index["weights"]} | {scenes.INDEX}
    files = {p.name: p.stat().st_size for p in scenes.SHIPPED.iterdir()}
    expected |= {f"sweep-{key}.json.gz" for key in index["sweeps"].values()}
    assert set(files) == expected  # nothing missing, nothing left over
    assert sum(files.values()) < MAX_BYTES
    for scene in scenes.SCENES:  # the trained nets ship where a page analyses them
        for config in scene.runs:
            _, history, weights = read_run_file(scenes.SHIPPED, run_digest(config))
            assert len(history.epochs) == config.epochs
            assert (weights is not None) or not scene.needs_weights


def test_fresh_store_gets_every_scene_once(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVATLAS_HOME", str(tmp_path))
    monkeypatch.setenv("CONVATLAS_SCENE_RUNS", str(scenes.SHIPPED))
    store = RunStore()
    assert scenes.missing_runs(scenes.get("degradation"), store)
    new = scenes.install_shipped(store)
    distinct = {run_digest(c) for s in scenes.SCENES for c in s.runs}
    assert len(new) == len(distinct)
    assert all(scenes.missing_runs(s, store) == [] for s in scenes.SCENES)
    assert all(not scenes.sweep_missing(s, store) for s in scenes.SCENES)  # the transfer comparison too
    assert scenes.install_shipped(store) == []  # once
    store.delete(new[0])
    assert scenes.install_shipped(store) == []  # a run the user deleted stays deleted
    # the restored ResNet-56 (float16 weights) scores what its history says, to within one image
    lesion = scenes.get("lesion")
    run = store.load(store.find([lesion.runs[0]], with_weights=True)[0])
    data = load_dataset(run.config.dataset, seed=run.config.seed)
    with torch.no_grad():
        wrong = (run.model(data.test_x).argmax(1) != data.test_y).sum().item()
    assert abs(wrong - run.history.epochs[-1]["test_error"] * len(data.test_y)) <= 1


def test_export_then_install_and_a_changed_scene_is_stale(tmp_path, monkeypatch):
    tiny = dict(depth=8, width=4, epochs=1, batch_size=128, train_limit=256)
    scene = scenes.Scene(
        "tiny",
        "Tiny",
        scenes.get("degradation").page,
        {},
        "caption",
        (RunConfig(net="plain", **tiny),),
        needs_weights=True,
    )
    curves = dataclasses.replace(scene, key="tiny-curves", runs=(RunConfig(net="resnet", **tiny),), needs_weights=False)
    sweep = TJ.SweepSettings(
        task="split", dataset="digits", width=4, source_epochs=1, steps=4, shots=(1,), strategies=("frozen",)
    )
    compared = dataclasses.replace(scene, key="tiny-sweep", runs=(), needs_weights=False, sweep=sweep)
    monkeypatch.setenv("CONVATLAS_HOME", str(tmp_path / "exporter"))  # where the sweep's source net is kept
    monkeypatch.setattr(scenes, "SCENES", [scene, curves, compared])
    index = scenes.export(tmp_path / "out", emit=lambda line: None)
    assert set(index["scenes"]) == {"tiny", "tiny-curves"} and list(index["weights"]) == [run_digest(scene.runs[0])]
    assert index["sweeps"] == {"tiny-sweep": sweep.key}
    assert scenes.stale(tmp_path / "out") == []
    again = scenes.export(tmp_path / "out", emit=lambda line: None, sweeps_only=True)  # the run files stay
    assert again == index and (tmp_path / "out" / f"{run_digest(scene.runs[0])}.safetensors").exists()
    home = tmp_path / "home"
    store = RunStore(home / "runs.sqlite")
    assert len(scenes.install_shipped(store, tmp_path / "out")) == 2
    shipped_sweep = TJ.find(sweep, store)
    assert shipped_sweep.status == "finished" and len(shipped_sweep.rows) == 1 and TJ.result(shipped_sweep).steps == 4
    (plain,) = [r for r in store.list() if r.config.net == "plain"]
    assert plain.has_weights and plain.comparison == "scene: Tiny" and plain.status == "finished"
    assert not next(r for r in store.list() if r.config.net == "resnet").has_weights
    # the scene changes (as when the recipe or the default dataset does): its files no longer match
    changed = dataclasses.replace(scene, runs=(RunConfig(net="plain", **{**tiny, "epochs": 2}),))
    monkeypatch.setattr(
        scenes, "SCENES", [changed, curves, dataclasses.replace(compared, sweep=sweep.__class__(steps=5))]
    )
    assert scenes.stale(tmp_path / "out") == ["tiny", "tiny-sweep"]
    fresh = RunStore(tmp_path / "fresh.sqlite")
    assert len(scenes.install_shipped(fresh, tmp_path / "out")) == 1  # only the scene that still matches
    assert scenes.missing_runs(changed, fresh) == list(changed.runs)


def test_scene_runs_can_be_switched_off(monkeypatch, tmp_path):
    monkeypatch.setenv("CONVATLAS_SCENE_RUNS", "off")
    assert scenes.scene_runs_folder() is None and scenes.install_shipped(RunStore(tmp_path / "r.sqlite")) == []
    monkeypatch.delenv("CONVATLAS_SCENE_RUNS")
    assert scenes.scene_runs_folder() == scenes.SHIPPED


def test_unreadable_run_file_is_one_sentence(tmp_path):
    from core.errors import UserError

    with pytest.raises(UserError, match="not a readable run file"):
        read_run_file(tmp_path, "absent")
    (tmp_path / "abc.json.gz").write_bytes(b"garbage")
    with pytest.raises(UserError, match="not a readable run file"):
        read_run_file(tmp_path, "abc")
