"""Page "Architecture": AppTest (figures on the page, bad input as a message) and a real browser."""

import json

import pytest
from conftest import open_page

from core.anatomy.profile import profile
from core.units import human


@pytest.fixture(scope="module")
def at():
    return open_page("pages/1_Architecture.py")


def metrics(app) -> dict:
    return {m.label: m.value for m in app.metric}


def open_tab(app, label: str, timeout: float = 120):
    """Only the open cost tab is drawn: pick one as a click on it would."""
    app.session_state["costs"] = label
    return app.run(timeout=timeout)


def test_default_view_shows_resnet34(at):
    shown = metrics(at)
    assert shown["Parameters"] == "21.8 M" and shown["Multiply-accumulates"] == "3.66 G"
    assert shown["Depth"] == "34" and shown["Published top-1"] == "73.3 %"
    assert "digraph" in at.get("graphviz_chart")[0].proto.spec
    assert any("plain34" in b.label for b in at.button)  # its plain twin
    # the open tab alone is drawn: per stage, its table and its chart
    assert [t.label for t in at.tabs] == ["Per stage", "Per layer", "Charts per layer"]
    assert len(at.get("plotly_chart")) == 1 and len(at.dataframe) == 1
    stages = at.dataframe[0].value.set_index("stage")
    assert stages.loc["total", "macs"] == 3_663_761_408 and stages.loc["stage5", "resolution"] == "7x7"
    layers = open_tab(at, "Per layer").dataframe[0].value
    assert list(layers.name) == [l.name for l in profile("resnet34").layers]  # every layer, in network order
    assert not at.get("plotly_chart")
    figures = [json.loads(c.proto.spec) for c in open_tab(at, "Charts per layer").get("plotly_chart")]
    assert len(figures) == 2 and not at.dataframe
    stage_figure = json.loads(open_tab(at, "Per stage").get("plotly_chart")[0].proto.spec)
    assert all(f["layout"]["font"]["size"] >= 16 for f in [*figures, stage_figure])


def test_a_link_opens_a_cost_tab():
    app = open_page("pages/1_Architecture.py", arch="vgg19", costs="Charts per layer")
    assert not app.exception and len(app.get("plotly_chart")) == 2 and not app.dataframe
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in app.get("plotly_chart")]
    assert all("vgg19" in t for t in titles), titles


def test_switch_architecture_level_and_size(at):
    at.selectbox(key="arch").set_value("vgg19").run()
    assert metrics(at)["Multiply-accumulates"] == "19.6 G" and not at.exception
    block_dot = at.get("graphviz_chart")[0].proto.spec
    at.radio(key="level").set_value("stage").run()
    assert at.get("graphviz_chart")[0].proto.spec != block_dot
    at.number_input(key="h").set_value(448).run()
    at.number_input(key="w").set_value(448).run()
    assert metrics(at)["Input"] == "3×448×448"
    assert metrics(at)["Multiply-accumulates"] == human(profile("vgg19", (3, 448, 448)).total_macs) == "78.2 G"


@pytest.mark.parametrize(
    "h,message",
    # 0, -5 and 100,000 are outside the box's 1-8192 (refused by the widget, and by ui.url_guard in a link)
    [(8, "smallest square input it accepts is 32x32"), (16, "smallest square input it accepts is 32x32")],
)
def test_bad_sizes_are_messages_not_tracebacks(at, h, message):
    at.selectbox(key="arch").set_value("vgg19").run()
    at.number_input(key="w").set_value(None).run()
    at.number_input(key="h").set_value(h).run()
    assert not at.exception
    assert len(at.error) == 1 and message in at.error[0].value
    at.number_input(key="h").set_value(None).run()
    assert not at.error


def test_cifar_options_and_twin_button(at):
    at.selectbox(key="arch").set_value("cifar-resnet-20").run()
    assert metrics(at)["Parameters"] == "270 K"  # the paper's 0.27M at width 16, option A
    at.radio(key="shortcut").set_value("B").run()
    with_projections = metrics(at)["Parameters"]
    at.slider(key="width").set_value(32).run()
    assert with_projections != "270 K" and metrics(at)["Parameters"] != with_projections
    at.selectbox(key="arch").set_value("resnet50").run()
    at.button(key="open-resnet50-paper").click().run()
    assert at.selectbox(key="arch").value == "resnet50-paper"
    assert metrics(at)["Multiply-accumulates"] == "3.86 G"
    # Streamlit's "default value but also Session State" warning (shown in the app, logged) is gone
    assert not [w for w in at.warning if "Session State" in w.value]


def test_uploaded_onnx_file_shows_its_graph_and_table(cifar_onnx):
    app = open_page("pages/1_Architecture.py")
    app.file_uploader(key="onnx_upload").set_value(
        (cifar_onnx.name, cifar_onnx.read_bytes(), "application/octet-stream")
    )
    open_tab(app, "Per layer", timeout=180)
    assert not app.exception and not app.error
    want = profile("cifar-resnet-20")
    shown = metrics(app)
    assert shown["Parameters"] == human(want.total_params) and shown["Multiply-accumulates"] == human(want.total_macs)
    assert shown["Input"] == "3×32×32" and shown["Published top-1"] == "—"
    assert any(cifar_onnx.name in i.value for i in app.info)
    dot = app.get("graphviz_chart")[0].proto.spec
    assert dot.startswith("digraph") and "skip" in dot  # residual blocks drawn with their shortcuts
    layers = app.dataframe[0].value
    assert layers.macs.sum() == want.total_macs and layers.params.sum() == want.total_params
    assert {"stage1", "stage2", "stage3", "head"} <= set(layers.stage)
    app.file_uploader(key="onnx_upload").set_value(("broken.onnx", cifar_onnx.read_bytes()[:5000], "x")).run()
    assert not app.exception and len(app.error) == 1 and "ONNX" in app.error[0].value


def test_timm_family_searches_all_of_timm():
    app = open_page("pages/1_Architecture.py")
    assert "timm:resnet50d" not in app.selectbox(key="arch").options  # the curated zoo by default
    app.selectbox(key="family").set_value("timm: every CNN (search)").run(timeout=180)
    box = app.selectbox(key="arch")
    assert box.value == "timm:resnet50d" and len(box.options) > 500
    assert not app.exception and metrics(app)["Parameters"] == human(profile("timm:resnet50d").total_params)


def test_twin_button_logs_no_session_state_warning(caplog):
    app = open_page("pages/1_Architecture.py", arch="resnet50")
    app.button(key="open-resnet50-paper").click().run()
    assert app.selectbox(key="arch").value == "resnet50-paper"
    assert "Session State" not in caplog.text and not [w for w in app.warning if "Session State" in w.value]


def test_published_accuracy_only_at_its_input_size(at):
    at.selectbox(key="arch").set_value("resnet50").run()
    at.number_input(key="h").set_value(None).run()
    at.number_input(key="w").set_value(None).run()
    assert metrics(at)["Published top-1"] == "76.1 %"
    at.number_input(key="h").set_value(64).run()
    at.number_input(key="w").set_value(64).run()
    assert metrics(at)["Published top-1"] == "—"


def test_weighted_layers_only_filter(at):
    at.selectbox(key="arch").set_value("resnet18").run()
    at.number_input(key="h").set_value(None).run()
    at.number_input(key="w").set_value(None).run()
    everything = len(open_tab(at, "Per layer").dataframe[0].value)
    at.toggle(key="layer_weighted").set_value(True).run()
    weighted = at.dataframe[0].value
    assert set(weighted.type) == {"Conv2d", "Linear"} and len(weighted) == 21 < everything
    at.selectbox(key="layer_stage").set_value("stage2").run()
    assert len(at.dataframe[0].value) == 4  # stage2 of ResNet-18: 2 blocks x 2 convs
    open_tab(at, "Charts per layer")
    assert "layer_weighted" not in [t.key for t in at.toggle]
    open_tab(at, "Per layer")  # the filters are as they were left
    assert at.toggle(key="layer_weighted").value and at.selectbox(key="layer_stage").value == "stage2"
    assert len(at.dataframe[0].value) == 4 and not [w for w in at.warning if "Session State" in w.value]


@pytest.fixture(scope="module")
def trained_home(tmp_path_factory):
    """A run store holding a ResNet-20 trained one epoch on the digits (seconds)."""
    from core.training.config import RunConfig
    from core.training.engine import train
    from core.training.store import RunStore

    home = tmp_path_factory.mktemp("home")
    config = RunConfig(net="resnet", depth=20, epochs=1)
    model, history = train(config)
    RunStore(home / "runs.sqlite").save(config, history, model)
    return home


def test_a_picked_block_shows_its_cost_share_and_on_a_trained_net_its_lesion(trained_home, monkeypatch):
    monkeypatch.setenv("CONVATLAS_HOME", str(trained_home))
    app = open_page("pages/1_Architecture.py", arch="cifar-resnet-20", block="stage2.0")
    shown = metrics(app)
    blocks = app.session_state["block"], shown["Block MACs"], shown["Block parameters"]
    result = profile("cifar-resnet-20")
    rows = [r for r in result.layers if r.block == "stage2.0"]
    assert blocks == ("stage2.0", human(sum(r.macs for r in rows)), human(sum(r.params for r in rows)))
    assert any(t.value.startswith("**stage2.0**") for t in app.toast)  # seen wherever the click was
    assert shown["Trained run"] == "#1" and shown["Test error with it deleted"].endswith("%")
    assert "points vs intact" in next(m.delta for m in app.metric if m.label == "Test error with it deleted")
    strip = json.loads(app.get("plotly_chart")[0].proto.spec)  # the strip: one bar per block, the picked one orange
    bars = strip["data"][1]  # behind it, a transparent full-height bar per block (to click a short one)
    assert len(bars["x"]) == 9 and bars["marker"]["color"][3] == "#e8590c"
    assert [c[0] for c in bars["customdata"]][3] == "stage2.0"

    app.selectbox(key="arch").set_value("cifar-resnet-32").run()  # another net with that block: kept
    assert app.session_state["block"] == "stage2.0" and "Trained run" not in metrics(app)
    assert any("No trained cifar-resnet-32" in c.value for c in app.caption)
    app.selectbox(key="arch").set_value("resnet50").run()  # a net without it: nothing picked
    assert app.session_state["block"] is None and "Block MACs" not in metrics(app)
    app.selectbox(key="block").set_value("layer3.2").run()
    rows = [r for r in profile("resnet50").layers if r.block == "layer3.2"]
    assert metrics(app)["Block parameters"] == human(sum(r.params for r in rows))
    assert any("on the CIFAR nets" in c.value for c in app.caption)
