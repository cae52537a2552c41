"""AppTest of the Ensemble of Paths page: the unraveled view without any run, then the analyses on
two tiny nets trained with the engine into a temporary run store."""

import json
from pathlib import Path

import pytest
from conftest import drive, fake_history, watched
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]

PAGE = "pages/5_Ensemble_of_Paths.py"


def open_page(home, monkeypatch) -> AppTest:
    monkeypatch.setenv("CONVATLAS_HOME", str(home))
    at = AppTest.from_file(str(ROOT / PAGE), default_timeout=120)
    return at.run()


@pytest.fixture(scope="module")
def trained_home(tmp_path_factory):
    """A run store holding ResNet-8 and plain-8, one epoch each on the digits (seconds)."""
    from core.training.config import RunConfig
    from core.training.engine import train
    from core.training.store import RunStore

    home = tmp_path_factory.mktemp("home")
    store = RunStore(home / "runs.sqlite")
    for net in ("resnet", "plain"):
        config = RunConfig(net=net, depth=8, epochs=1)
        model, history = train(config)
        store.save(config, history, model)
    return home


def ids(at) -> list[int]:
    from core.training.store import RunStore

    return [r.id for r in RunStore().list(status="finished")]


def by_label(picker, run_id: int) -> str:
    from core.training.store import RunStore

    return RunStore().load(run_id, with_model=False).config.label


def figure(at, title_start: str) -> dict:
    figures = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return next(f for f in figures if f["layout"]["title"]["text"].startswith(title_start))


def test_unraveled_view_without_runs(tmp_path, monkeypatch):
    at = open_page(tmp_path, monkeypatch)
    assert not at.exception
    stacked, unraveled = (g.proto.spec for g in at.get("graphviz_chart"))
    assert unraveled.count("-> out") == 8 and stacked.count("style=dashed") == 3  # default n = 3
    assert any("H_{3}(x_{1} + H_{2}(x_{1}))" in l.value for l in at.latex)
    lengths = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert len(lengths["data"][0]["x"]) == 55  # ResNet-110: 54 blocks, lengths 0..54
    assert any("No trained run yet" in i.value for i in at.info)

    at.slider(key="unravel_n").set_value(5).run()
    assert at.get("graphviz_chart")[1].proto.spec.count("-> out") == 32


def test_analyses_on_stored_runs(trained_home, monkeypatch):
    at = open_page(trained_home, monkeypatch)
    assert not at.exception, at.exception
    # one epoch leaves plain-8 at ~79% test error: not a default pick (it has not learned), but pickable
    picker = at.multiselect(key="paths_runs")
    assert [by_label(picker, i) for i in picker.value] == ["ResNet-8"]
    picker.set_value(sorted(picker.value + [i for i in ids(at) if i not in picker.value])).run()
    assert len(at.multiselect(key="paths_runs").value) == 2
    single = figure(at, "Delete one block")  # the default analysis
    bars = [t for t in single["data"] if t["type"] == "bar"]
    assert len(bars) == 2  # one panel per net
    fixed = [t for t in single["data"] if t["type"] == "scatter"]
    assert len(fixed) == 1 and fixed[0]["x"] == [2, 3]  # plain-8's two downsampling layers
    assert len(bars[0]["y"]) == 3 and all(0 <= e <= 100 for e in bars[0]["y"])

    at.radio(key="paths_analysis").set_value("gradient").run()
    assert not at.exception
    gradient = figure(at, "Which paths carry the gradient")
    assert gradient["data"][0]["x"] == [0, 1, 2, 3]  # ResNet-8: paths of length 0..3

    at.radio(key="paths_analysis").set_value("random").run()
    sweep = figure(at, "Delete k random blocks")
    assert sweep["data"][0]["x"][0] == 0 and sweep["data"][0]["x"][-1] == 1  # plain-8 allows only 1

    at.radio(key="paths_analysis").set_value("reorder").run()
    assert [e.value for e in at.error] == [
        "these nets have no two blocks of the same shape in one stage to swap; pick deeper nets"
    ]


def test_train_button_starts_the_engine(tmp_path, monkeypatch):
    at = open_page(tmp_path, monkeypatch)
    at.selectbox(key="train_dataset").set_value("digits").run()  # the quick data: seconds
    at.selectbox(key="train_res_depth").set_value(8)
    at.selectbox(key="train_plain_depth").set_value(8)
    at.number_input(key="train_epochs").set_value(1)
    at.checkbox(key="train_sd").uncheck()
    at.button(key="paths_start").click().run()
    assert not at.exception
    job = watched(at, "paths")
    assert [r.config.label for r in job.runs] == ["ResNet-8", "plain-8"]
    assert job.runs[0].config.lr == 0.02  # the rate measured to train these nets on the digits
    drive(at, "paths")  # trained by the engine's workers; the page follows
    assert not at.exception
    assert set(at.session_state["paths_ids"]) >= set(at.multiselect(key="paths_runs").value) > set()


def test_first_pick_skips_a_plain_net_that_never_learned(tmp_path, monkeypatch):
    """Newest plain-56 at chance (84% error) must not be the default: the plain run that learned is."""
    from core.training.config import RunConfig
    from core.training.engine import build_model
    from core.training.store import RunStore

    store = RunStore(tmp_path / "runs.sqlite")
    plain20 = store.save(
        RunConfig(net="plain", depth=8, epochs=1), fake_history(0.04), build_model(RunConfig("plain", 8))
    )
    resnet = store.save(
        RunConfig(net="resnet", depth=8, epochs=1), fake_history(0.02), build_model(RunConfig("resnet", 8))
    )
    store.save(RunConfig(net="plain", depth=14, epochs=1), fake_history(0.84), build_model(RunConfig("plain", 14)))
    at = open_page(tmp_path, monkeypatch)
    assert not at.exception, at.exception
    assert at.multiselect(key="paths_runs").value == [resnet, plain20]
    assert not at.warning  # no "has not learned" warning for a default pick


def test_first_pick_is_on_the_chosen_training_data(tmp_path, monkeypatch):
    """A fresh machine holds the lesion scene's 32x32 runs and, newer, the drift scene's 8x8 ones: the
    analysis opens on the runs of the training data chosen (digits32 by default), not the newest."""
    from core.training.config import RunConfig
    from core.training.engine import build_model
    from core.training.store import RunStore

    store = RunStore(tmp_path / "runs.sqlite")
    wide = dict(dataset="digits32", epochs=1)
    resnet32 = store.save(
        RunConfig("resnet", 8, **wide), fake_history(0.02), build_model(RunConfig("resnet", 8, **wide))
    )
    plain32 = store.save(RunConfig("plain", 8, **wide), fake_history(0.04), build_model(RunConfig("plain", 8, **wide)))
    for net in ("resnet", "plain"):  # newer, on the 8x8 digits
        store.save(RunConfig(net, 8, epochs=1), fake_history(0.03), build_model(RunConfig(net, 8)))
    at = open_page(tmp_path, monkeypatch)
    assert not at.exception, at.exception
    assert at.multiselect(key="paths_runs").value == [resnet32, plain32]


def test_train_trains_only_what_is_not_stored_and_shows_the_new_runs(trained_home, monkeypatch):
    at = open_page(trained_home, monkeypatch)
    at.selectbox(key="train_dataset").set_value("digits").run()
    at.selectbox(key="train_res_depth").set_value(8)
    at.selectbox(key="train_plain_depth").set_value(8)
    at.number_input(key="train_epochs").set_value(1)
    at.run()  # ResNet-8 and plain-8 of 1 epoch are stored; the stochastic-depth ResNet-8 is not
    assert any("Stored already: ResNet-8, plain-8" in c.value for c in at.caption)
    before = set(at.multiselect(key="paths_runs").options)
    at.button(key="paths_start").click().run()
    assert [r.config.label for r in watched(at, "paths").runs] == ["ResNet-8 (sd 0.5)"]
    drive(at, "paths")
    assert not at.exception, at.exception
    new = set(at.session_state["paths_ids"])
    assert new and new <= set(at.multiselect(key="paths_runs").value)  # the analysis shows the new run
    assert len(at.multiselect(key="paths_runs").options) == len(before) + 1
    at.run()
    assert at.button(key="paths_start").disabled  # everything stored: nothing to train


def test_deleting_the_blocks_you_pick_measures_the_error_at_once(trained_home, monkeypatch):
    """The linked view: each pick (a click on the strip in the browser) toggles a block; the error with
    the picked set deleted is measured on the spot and equals deleting those blocks by hand."""
    from core.experiments import paths
    from core.training.data import load_dataset
    from core.training.store import RunStore

    at = open_page(trained_home, monkeypatch)
    at.radio(key="paths_analysis").set_value("pick").run()
    run_id = at.selectbox(key="pick_run").value
    shown = {m.label: m for m in at.metric}
    assert shown["0 blocks deleted"].value == shown["Intact net"].value
    strip = figure(at, "#")
    assert [c[0] for c in strip["data"][1]["customdata"]] == ["stage1.0", "stage2.0", "stage3.0"]

    at.session_state[f"paths_deleted_{run_id}"] = ["stage1.0", "stage3.0"]  # two clicks
    at.run()
    assert not at.exception
    run = RunStore().load(run_id)
    data = load_dataset(run.config.dataset, seed=run.config.seed)
    expected = paths.error_without(run.model, data.test_x, data.test_y, ["stage1.0", "stage3.0"])
    shown = {m.label: m for m in at.metric}
    assert shown["2 blocks deleted"].value == f"{expected:.1%}"
    assert "If their effects added up" in shown
    colours = figure(at, "#")["data"][1]["marker"]["color"]
    assert colours[0] == colours[2] == "#e8590c" != colours[1]
    at.button(key="pick_restore").click().run()
    assert "0 blocks deleted" in {m.label for m in at.metric}


def test_training_data_choice_sets_its_recipe(tmp_path, monkeypatch):
    """The lesion scene's data (digits at 32x32) is the default; picking the 8x8 digits takes their
    epochs."""
    from core.training.config import RECIPES

    at = open_page(tmp_path, monkeypatch)
    assert at.selectbox(key="train_dataset").value == "digits32"
    assert at.number_input(key="train_epochs").value == RECIPES["digits32"].epochs
    at.selectbox(key="train_dataset").set_value("digits").run()
    assert at.number_input(key="train_epochs").value == RECIPES["digits"].epochs and not at.exception
