"""The drift command line, the Representation Drift page under AppTest, and in a real browser.

Tiny configurations (depth 8, width 8, 1 epoch) keep training to a second or two.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import app_page, drive, watched

from core.cli import main
from core.training.store import RunStore

ROOT = Path(__file__).resolve().parents[2]

PAGE = "pages/6_Representation_Drift.py"

TINY = "depth=8,width=8,epochs=1"


def test_cli_trains_a_pair_then_reanalyses_the_stored_runs(home, capsys):
    assert main(["drift", "--train", TINY, "--examples", "120", "--paths", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dataset"] == "digits" and out["examples"] == 120 and len(out["run_ids"]) == 2
    nets = out["nets"]
    assert [(n["residual"], n["trained"]) for n in nets] == [(False, True), (False, False), (True, True), (True, False)]
    assert len(nets[0]["cka"]) == 4 and len(nets[0]["trajectory"]["1"]) == 2  # stem + 3 blocks; 2 paths
    assert out["fidelity"] == {"trained": True, "at_init": True}  # the claim of the page, tiny nets
    assert main(["drift", "--run", str(out["run_ids"][1])]) == 0  # text summary of a stored run
    text = capsys.readouterr().out
    assert "ResNet-8 (w8) · trained" in text and "ResNet-8 (w8) · at init" in text


@pytest.mark.parametrize(
    "argv, message",
    [
        (["drift", "--run", "99"], "no stored run with id 99"),
        (["drift", "--train", "depth=x"], "bad value 'x' for depth"),
        (["drift", "--train", "colour=red"], "bad training spec item"),
        (["drift", "--train", "depth=21"], "6n+2"),
        (["drift", "--train", TINY, "--paths", "99"], "paths must be between"),
        (["drift"], "one of the arguments --run --train is required"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(home, capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_page_shows_init_at_once_then_trains_and_compares(home):
    at = app_page(PAGE, {"depth": "8", "width": "8", "epochs": "1"})
    assert not at.exception
    assert [c.proto.spec for c in at.get("plotly_chart")]  # at-init figures before any training
    assert len(at.dataframe[0].value) == 2
    at.button(key="drift_start").click().run()
    drive(at, "drift")  # the engine's workers train the pair; the page follows
    assert not at.exception and watched(at, "drift").done
    table = at.dataframe[0].value
    assert list(table["net"]) == [
        "plain-8 (w8) · trained",
        "plain-8 (w8) · at init",
        "ResNet-8 (w8) · trained",
        "ResNet-8 (w8) · at init",
    ]
    specs = {c.proto.id: json.loads(c.proto.spec) for c in at.get("plotly_chart")}
    heatmaps = [s for s in specs.values() if s["data"][0]["type"] == "heatmap"]
    assert len(heatmaps) == 2  # trained and at-init tabs
    assert all(len(s["data"][0]["z"]) == 4 for s in heatmaps)
    # the stored pair is found again: no training needed on a fresh session
    again = app_page(PAGE, {"depth": "8", "width": "8", "epochs": "1"})
    assert len(again.dataframe[0].value) == 4
    assert not [b for b in again.button if b.key == "drift_start"]
    # the same runs picked by hand from the store
    picked = app_page(PAGE, {"source": "Pick stored runs", "paths": "2"})
    assert not picked.exception and not picked.error
    assert [s.value for s in picked.selectbox if s.key in ("plain_run", "residual_run")] == [1, 2]
    assert list(picked.dataframe[0].value["net"]) == list(table["net"])


def test_page_picking_from_an_empty_store_says_what_to_do(home):
    at = app_page(PAGE, {"source": "Pick stored runs"})
    assert not at.exception
    assert "needs a finished plain run and a finished residual run" in at.error[0].value


def test_page_stop_keeps_the_partial_runs_but_shows_no_unfinished_net(home):
    at = app_page(PAGE, {"depth": "8", "width": "8", "epochs": "30"})
    at.button(key="drift_start").click().run()
    assert watched(at, "drift").active and at.get("progress")
    drive(at, "drift", until=lambda job: job.fraction > 0)
    at.button(key="drift_stop").click().run()
    drive(at, "drift")
    assert not at.exception
    assert [r.status for r in RunStore().list()] == ["stopped", "stopped"]  # nothing trained is lost
    assert len(at.dataframe[0].value) == 2  # still the nets at initialisation: stopped runs are not analysed
    assert not at.button(key="drift_resume").disabled
