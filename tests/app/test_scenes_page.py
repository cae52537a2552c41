"""Lecture scenes: the gallery's links open each scene, and a prepared scene replays from the store."""

import json
from pathlib import Path

import pytest
from conftest import fake_history
from streamlit.testing.v1 import AppTest

from core.errors import UserError
from core.lecture import scenes
from core.training.store import RunStore

ROOT = Path(__file__).resolve().parents[2]


def test_scenes_cover_the_issue_and_point_at_existing_pages():
    titles = " | ".join(s.title for s in scenes.SCENES)
    for needed in (
        "degradation problem",
        "120M → 12.4M",
        "VGG-19 vs plain-34 vs ResNet-34",
        "Lesion a ResNet",
        "Representation drift",
        "Depthwise-separable",
    ):
        assert needed in titles
    assert all((ROOT / s.page.path).exists() and s.caption for s in scenes.SCENES)
    with pytest.raises(UserError, match="unknown scene"):
        scenes.get("nope")


def test_prepared_degradation_scene_replays_on_the_page(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVATLAS_HOME", str(tmp_path))
    scene = scenes.get("degradation")
    assert len(scenes.missing_runs(scene)) == 4
    store = RunStore()
    for config in scene.runs:
        store.save(config, fake_history(0.5 if config.net == "plain" and config.depth == 56 else 0.1))
    assert scenes.missing_runs(scene) == [] and store.find(list(scene.runs))
    assert scenes.prepare("degradation", emit=lambda line: None) == []  # nothing left to train
    exported = json.loads(store.export_json(list(store.find(list(scene.runs)))))
    assert [r["config"]["depth"] for r in exported] == [20, 20, 56, 56] and exported[0]["history"]["epochs"]

    at = AppTest.from_file(str(ROOT / "pages" / "4_Plain_vs_Residual.py"), default_timeout=60).run()
    assert not at.exception
    assert any("stored runs" in info.value for info in at.info)
    assert at.get("plotly_chart")  # the curves, straight from the store


def test_fresh_machine_replays_the_shipped_scene_runs(tmp_path, monkeypatch):
    """`make app` on a new laptop: an empty home, the runs of assets/scene_runs — every training
    scene shows its results without training."""
    monkeypatch.setenv("CONVATLAS_HOME", str(tmp_path))
    monkeypatch.setenv("CONVATLAS_SCENE_RUNS", str(scenes.SHIPPED))
    landing = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not landing.exception
    ready = [c.value for c in landing.caption if "runs stored: replays at once" in c.value]
    assert len(ready) == sum(1 for s in scenes.SCENES if s.runs)

    pvr = AppTest.from_file(str(ROOT / "pages" / "4_Plain_vs_Residual.py"), default_timeout=60).run()
    assert not pvr.exception
    assert any("stored runs" in info.value for info in pvr.info)
    assert any("stored: no training wait" in c.value for c in pvr.caption) and not pvr.warning  # no time to warn of
    sentence = [s.value for s in pvr.success]
    assert sentence and sentence[0].startswith("plain-56 trains") and "ResNet-56 trains" in sentence[0]

    # its first open computes three lesion analyses on the 32x32 test set (~30 s on 2 quiet cores)
    paths_page = AppTest.from_file(str(ROOT / "pages" / "5_Ensemble_of_Paths.py"), default_timeout=300).run()
    assert not paths_page.exception
    said = " ".join(m.value for m in paths_page.markdown)
    assert "deletions cost at most" in said and "ResNet-56" in said
    assert any("plain-56 (w8) ended at" in c.value for c in paths_page.caption)  # the stored run's own numbers
    assert store_has_all_scene_runs()

    assert any("comparison stored: shows at once" in c.value for c in landing.caption)
    transfer = scenes.get("transfer")
    page = AppTest.from_file(str(ROOT / transfer.page.path), default_timeout=60)
    page.query_params.update(transfer.params)
    page.run()
    assert not page.exception and len(page.get("plotly_chart")) == 2  # the shipped comparison, no Run needed
    assert page.button(key="tl_start").disabled and "mean of 3 seed" in page.metric[0].help


def store_has_all_scene_runs() -> bool:
    store = RunStore()
    return all(not scenes.missing_runs(s, store) and not scenes.sweep_missing(s, store) for s in scenes.SCENES)


def test_the_deck_page_says_which_comparison_is_still_to_run(tmp_path, monkeypatch):
    """The transfer scene shows a sweep, not runs: the deck page says whether it is stored, and how to run it."""
    monkeypatch.setenv("CONVATLAS_HOME", str(tmp_path))
    at = AppTest.from_file(str(ROOT / "pages" / "8_Lecture_Deck.py"), default_timeout=60).run()
    assert not at.exception
    said = " ".join(m.value for m in at.markdown)
    assert "⏳ comparison to run" in said and "Comparisons to run: **Transfer learning: freeze or fine-tune?**" in said
    scenes.install_shipped_sweeps(RunStore(), scenes.SHIPPED)
    at.run()
    said = " ".join(m.value for m in at.markdown)
    assert "💾 comparison stored" in said and "Comparisons to run" not in said
