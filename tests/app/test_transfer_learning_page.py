"""The Transfer Learning page under AppTest: a fresh visit, the results of a real (tiny) sweep in the
store, and a stopped one (the page reads sweeps from the run store; a worker writes them)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import open_page

from core.experiments import transfer
from core.experiments import transfer_jobs as TJ
from core.training.sweeps import SweepStore

PAGE = "pages/7_Transfer_Learning.py"


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVATLAS_HOME", str(tmp_path))
    return tmp_path


def test_fresh_visit_names_the_tasks_and_offers_the_run(home):
    at = open_page(PAGE)
    at.selectbox(key="tl_task").set_value("split").run()
    text = " ".join(m.value for m in at.markdown)
    assert "source: digits 0–4; target: digits 5–9" in text
    assert at.button(key="tl_start").label == "▶ Run the comparison" and not at.button(key="tl_start").disabled
    assert "Run the comparison" in at.info[0].value and not at.get("plotly_chart")


def test_results_state_the_numbers_of_the_runs(home):
    task = transfer.make_task("split", "digits")
    config = replace(transfer.source_config(task), width=8, epochs=1)
    result = transfer.sweep(
        task, config, transfer.SHOTS + (transfer.ALL,), seeds=(1,), recipe=transfer.Recipe(steps=5, batch_size=8)
    )
    meta = TJ.meta_of(result)
    settings = TJ.SweepSettings(task="split", dataset="digits")  # the page's controls below
    SweepStore().import_finished(settings.key, TJ.KIND, settings.to_dict(), result.table.to_dict("records"), meta)
    at = open_page(PAGE)
    at.selectbox(key="tl_dataset").set_value("digits")
    at.selectbox(key="tl_task").set_value("split").run()
    assert not at.exception
    means = transfer.summary(result.table)
    frozen_1 = means[(means["strategy"] == "frozen") & (means["shots"] == 1)]["accuracy"].iloc[0]
    scratch_1 = means[(means["strategy"] == "scratch") & (means["shots"] == 1)]["accuracy"].iloc[0]
    assert at.metric[0].value == f"{frozen_1:.1%}" and at.metric[1].value == f"{scratch_1:.1%}"
    text = " ".join(m.value for m in at.markdown)
    assert f"frozen features + linear **{frozen_1:.1%}** vs from scratch **{scratch_1:.1%}**" in text
    assert "trained for this comparison" in text
    assert len(at.get("plotly_chart")) == 2
    assert at.button(key="tl_start").disabled  # these settings are done
    at.slider(key="tl_frozen").set_value(2).run()  # fine-tune the last stage
    last1 = means[(means["strategy"] == "last1") & (means["shots"] == 1)]["accuracy"].iloc[0]
    assert at.metric[0].label == "fine-tune the last stage" and at.metric[0].value == f"{last1:.1%}"
    caption = " ".join(c.value for c in at.caption)
    assert f"{result.recompute_seconds:.2f} s" in caption and "×" in caption


def test_a_stopped_comparison_keeps_its_runs_and_offers_to_continue(home):
    """What a Stop leaves (the runs finished so far, kept in the store): said, shown, and continued."""
    task = transfer.make_task("mirrored", "digits")
    config = replace(transfer.source_config(task), width=8, epochs=1)
    rows = transfer.sweep(task, config, (1,), seeds=(1,), recipe=transfer.Recipe(steps=5, batch_size=8)).table
    settings = TJ.SweepSettings()  # the page's defaults
    sweeps = SweepStore()
    info = sweeps.submit(settings.key, TJ.KIND, settings.to_dict(), owner="someone")
    sweeps.claim(info.id, info.attempt)
    sweeps.write(info.id, info.attempt, rows.to_dict("records"), status="stopped")
    at = open_page(PAGE)
    at.run()
    assert not at.exception
    assert at.button(key="tl_start").label == "▶ Continue (5 of 25 runs done)"
    assert not at.button(key="tl_start").disabled and at.button(key="tl_stop").disabled
    assert any("Stopped after 5 of 25 runs" in w.value for w in at.warning)
    assert len(at.dataframe[0].value) == 5 and not at.get("plotly_chart")
