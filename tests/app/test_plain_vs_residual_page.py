"""AppTest of the Plain vs Residual page: defaults, start, live update, stop, resume, replay, bad input."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from conftest import open_page
from streamlit.testing.v1 import AppTest

from core.training.config import RECIPES

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages" / "4_Plain_vs_Residual.py")
TINY = {
    "pvr_depths": (8, 14),
    "pvr_width": 4,
    "pvr_epochs": 2,
    "pvr_batch": 32,
    "pvr_dataset": "digits",
}  # ~90 steps a run: several ticks


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
    """The degradation scene's settings: plain-20/56 and ResNet-20/56 by the digits32 recipe."""
    ss, recipe = page.session_state, RECIPES["digits32"]
    assert ss["pvr_depths"] == (20, 56) and ss["pvr_dataset"] == "digits32" and ss["pvr_width"] == recipe.width
    assert (ss["pvr_epochs"], ss["pvr_lr"], ss["pvr_batch"]) == (recipe.epochs, recipe.lr, recipe.batch_size)
    assert any("estimated" in c.value for c in page.caption)
    assert not page.error and "Start" in page.info[0].value


def test_quick_preset_takes_the_digits_recipe(page):
    """The quick preset sets the 8x8 digits' recipe, and the estimate follows the new cost."""
    default = next(c.value for c in page.caption if "estimated" in c.value)
    page.button(key="pvr_preset_1").click().run()
    ss, recipe = page.session_state, RECIPES["digits"]
    assert (ss["pvr_dataset"], ss["pvr_width"]) == ("digits", recipe.width)
    assert (ss["pvr_epochs"], ss["pvr_lr"], ss["pvr_batch"]) == (recipe.epochs, recipe.lr, recipe.batch_size)
    assert not page.exception and not page.error
    assert next(c.value for c in page.caption if "estimated" in c.value) != default


def run_until(at: AppTest, done, runs: int = 600) -> AppTest:
    """Rerun the page (as the fragment's timer would) until `done(at)`, then once more: `done` may read the
    engine's board, a second ahead of the page's last run (CI once saw the job failed, the page not yet)."""
    for _ in range(runs):
        if done(at):
            return at.run()
        time.sleep(0.25)
        at.run()
    raise AssertionError("the page never got there")


def job(at: AppTest):
    from core.training import jobs

    return jobs.BOARD.view(at.session_state["pvr_ids"])


def test_start_live_update_stop_resume_and_replay(page):
    at = tiny(page)
    at.session_state["pvr_epochs"] = 12  # long enough to stop mid-way (two run, two wait in the queue)
    at.run()
    at.button(key="pvr_start").click().run()
    assert at.session_state["pvr_watching"] and len(at.session_state["pvr_ids"]) == 4 and not at.exception
    run_until(at, lambda at: job(at).fraction > 0)  # trained by the engine's workers, not this session
    train_error = figure(at, "pvr_fig_train_error")
    assert [t["name"] for t in train_error["data"]] == [
        "plain-8 (w4)",
        "ResNet-8 (w4)",
        "plain-14 (w4)",
        "ResNet-14 (w4)",
    ]
    assert [t["line"]["dash"] for t in train_error["data"]] == ["dash", "solid", "dash", "solid"]
    assert train_error["layout"]["yaxis"]["title"]["text"] == "training error (%)"
    assert at.button(key="pvr_stop").label == "■ Stop"  # this session started them: its Stop cancels

    at.button(key="pvr_stop").click().run()
    run_until(at, lambda at: not job(at).active)
    from core.training.store import RunStore

    stored = RunStore().list()
    assert len(stored) == 4 and {r.status for r in stored} <= {"stopped", "finished"}  # kept, not lost
    fraction = job(at).fraction
    assert fraction < 1
    time.sleep(1.5)
    at.run()
    assert job(at).fraction == fraction  # stopped means stopped

    at.button(key="pvr_resume").click().run()
    run_until(at, lambda at: job(at).done and not at.session_state["pvr_watching"] or job(at).done)
    at.run()
    assert not at.exception
    assert "trains" in at.success[0].value  # the degradation sentence
    grad = figure(at, "pvr_fig_grad")
    assert grad["layout"]["yaxis"]["type"] == "log" and len(grad["data"]) == 8  # 4 runs x (init, trained)

    runs = RunStore().list()
    assert len(runs) == 4 and {r.status for r in runs} == {"finished"}  # the stopped runs resumed, not retrained
    assert {r.epochs_done for r in runs} == {12}
    at.button(key="pvr_replay_btn").click().run()
    assert at.session_state["pvr_view"] == "replay" and not at.exception
    assert len(figure(at, "pvr_fig_test_error")["data"]) == 4


def test_two_sessions_pressing_start_share_one_set_of_jobs(page):
    """A class on one link: the second session attaches to the first one's runs, its Stop only stops
    watching, and both see the same curves."""
    first, second = tiny(page), tiny(AppTest.from_file(PAGE, default_timeout=120).run())
    first.session_state["pvr_epochs"] = second.session_state["pvr_epochs"] = 6
    first.run()
    second.run()
    first.button(key="pvr_start").click().run()
    second.button(key="pvr_start").click().run()
    assert first.session_state["pvr_ids"] == second.session_state["pvr_ids"]
    from core.training.store import RunStore

    assert len(RunStore().list()) == 4  # one set of jobs
    assert second.button(key="pvr_stop").label == "■ Stop watching"
    second.button(key="pvr_stop").click().run()
    assert not second.session_state["pvr_watching"]
    assert "go on" in second.caption[-1].value or any("go on" in c.value for c in second.caption)
    run_until(first, lambda at: job(at).done)
    assert {r.status for r in RunStore().list()} == {"finished"}  # the watcher's Stop stopped nothing
    second.run()
    curves = [figure(at, "pvr_fig_train_error")["data"] for at in (first.run(), second)]
    assert [t["y"] for t in curves[0]] == [t["y"] for t in curves[1]]


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
    run_until(page, lambda at: not job(at).active)  # the worker finds no data and says so
    assert not page.exception and "cifar10 is not in" in page.error[0].value


def test_page_from_the_app(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVATLAS_HOME", str(tmp_path))
    at = open_page("pages/4_Plain_vs_Residual.py")
    assert at.title[0].value.endswith("Plain vs Residual")


def test_finished_shows_only_once_the_runs_are_stored(page):
    """A lecturer who closes the tab the moment "finished · 100%" shows keeps the runs: the page reads
    its progress from the store, so "finished" is what the store holds."""
    from core.training.store import RunStore

    at = tiny(page)
    at.session_state["pvr_epochs"] = 1
    at.run()
    at.button(key="pvr_start").click().run()
    seen_finished = False
    for _ in range(600):
        texts = [p.proto.text for p in at.get("progress")]
        if any(t.startswith("finished") for t in texts):
            seen_finished = True
            stored = RunStore().list(status="finished")
            assert len(stored) == 4, f"'finished' shown with {len(stored)} of 4 runs stored"
            break
        time.sleep(0.25)
        at.run()
    assert seen_finished
