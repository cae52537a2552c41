"""AppTest of the Plain vs Residual page: defaults, start, live update, stop, resume, replay, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import open_page
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages" / "4_Plain_vs_Residual.py")
TINY = {"pvr_depths": (8, 14), "pvr_width": 4, "pvr_epochs": 2, "pvr_batch": 32}  # ~90 steps a run: several ticks


@pytest.fixture
def page(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVATLAS_HOME", str(tmp_path))
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    assert not at.exception
    return at


def tiny(at: AppTest) -> AppTest:
    for key, value in TINY.items():
        at.session_state[key] = value
    return at.run()


def figure(at: AppTest, key: str) -> dict:
    charts = [c for c in at.get("plotly_chart") if key in c.proto.id]
    assert charts, f"no chart {key}"
    return json.loads(charts[0].proto.spec)


def test_defaults_are_the_degradation_demo(page):
    assert page.session_state["pvr_depths"] == (20, 56) and page.session_state["pvr_dataset"] == "digits"
    assert any("estimated" in c.value for c in page.caption)
    assert not page.error and "Start" in page.info[0].value


def test_start_live_update_stop_resume_and_replay(page):
    at = tiny(page)
    at.button(key="pvr_start").click().run()
    assert at.session_state["pvr_running"] and not at.exception
    first = at.session_state["pvr_trainer"].fraction
    at.run()  # one fragment tick per run in AppTest
    assert at.session_state["pvr_trainer"].fraction > first
    train_error = figure(at, "pvr_fig_train_error")
    assert [t["name"] for t in train_error["data"]] == [
        "plain-8 (w4)",
        "ResNet-8 (w4)",
        "plain-14 (w4)",
        "ResNet-14 (w4)",
    ]
    assert [t["line"]["dash"] for t in train_error["data"]] == ["dash", "solid", "dash", "solid"]
    assert train_error["layout"]["yaxis"]["title"]["text"] == "training error (%)"

    at.button(key="pvr_stop").click().run()
    assert not at.session_state["pvr_running"]
    stored = at.session_state["pvr_saved_ids"]
    assert len(stored) == 4  # a stopped comparison is kept
    fraction = at.session_state["pvr_trainer"].fraction
    at.run()
    assert at.session_state["pvr_trainer"].fraction == fraction  # stopped means stopped

    at.button(key="pvr_resume").click().run()
    for _ in range(60):
        if not at.session_state["pvr_running"]:
            break
        at.run()
    assert at.session_state["pvr_trainer"].done and not at.exception
    assert "trains" in at.success[0].value  # the degradation sentence
    grad = figure(at, "pvr_fig_grad")
    assert grad["layout"]["yaxis"]["type"] == "log" and len(grad["data"]) == 8  # 4 runs x (init, trained)

    from core.training.store import RunStore

    runs = RunStore().list()
    assert len(runs) == 4 and {r.status for r in runs} == {"finished"}  # the stopped save was replaced
    at.button(key="pvr_replay_btn").click().run()
    assert at.session_state["pvr_view"] == "replay" and not at.exception
    assert len(figure(at, "pvr_fig_test_error")["data"]) == 4


def test_absurd_depth_gets_a_message_with_time_and_memory(page):
    page.session_state["pvr_custom_depth"] = 5000
    page.run()
    assert "beyond the 1202-layer maximum" in page.error[0].value
    assert "GiB" in page.error[0].value and "would need about" in page.error[0].value
    assert page.button(key="pvr_start").disabled


def test_missing_dataset_is_a_clear_message(page, tmp_path):
    page.session_state["pvr_dataset"] = "cifar10"
    page.session_state["pvr_limit"] = 100
    page.session_state["pvr_epochs"] = 1
    page.run()
    page.button(key="pvr_start").click().run()
    assert not page.exception and "cifar10 is not in" in page.error[0].value


def test_page_from_the_app(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVATLAS_HOME", str(tmp_path))
    at = open_page("pages/4_Plain_vs_Residual.py")
    assert at.title[0].value.endswith("Plain vs Residual")


def test_finished_shows_only_once_the_runs_are_stored(page):
    """A lecturer who closes the tab the moment "finished · 100%" shows keeps the runs: every run
    of the script that draws "finished" finds them in the store already."""
    from core.training.store import RunStore

    at = tiny(page)
    at.session_state["pvr_epochs"] = 1
    at.button(key="pvr_start").click().run()
    seen_finished = False
    for _ in range(500):
        texts = [p.proto.text for p in at.get("progress")]
        if any(t.startswith("finished") for t in texts):
            seen_finished = True
            stored = RunStore().list(status="finished")
            assert len(stored) == 4, f"'finished' shown with {len(stored)} of 4 runs stored"
        if not at.session_state["pvr_running"]:
            break
        at.run()
    at.run()
    assert seen_finished or any(p.proto.text.startswith("finished") for p in at.get("progress"))
    assert len(RunStore().list(status="finished")) == 4
