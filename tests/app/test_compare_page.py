"""Page "Compare": AppTest (the ResNet paper's trio by default, aligned stage table, scatter) and a real browser."""

import json

import pytest
from conftest import open_page


@pytest.fixture(scope="module")
def at():
    return open_page("pages/2_Compare.py", timeout=180)


def test_default_is_the_resnet_papers_figure(at):
    graphs = at.get("graphviz_chart")
    assert len(graphs) == 3 and all("digraph" in g.proto.spec for g in graphs)
    assert [s.value for s in at.subheader][:3] == ["vgg19", "plain34", "resnet34"]
    stages = at.dataframe[0].value.set_index("resolution")
    assert stages.loc["total", "vgg19 MACs"] == "19.6 G"
    assert stages.loc["total", "plain34 MACs"] == "3.64 G" and stages.loc["total", "resnet34 MACs"] == "3.66 G"
    assert stages.loc["224x224", "plain34 output"] == ""  # only VGG works at full resolution
    totals = at.dataframe[1].value.set_index("arch")
    assert totals.loc["resnet34", "depth"] == 34


def test_scatter_covers_the_zoo_and_rings_the_selection(at):
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert figure["layout"]["xaxis"]["type"] == "log"
    ringed = [t for t in figure["data"] if t.get("name") == "selected"][0]
    assert sorted(ringed["text"]) == ["resnet34", "vgg19"]  # plain34: a 10-crop figure only, left off
    families = {t.get("name") for t in figure["data"]} - {"selected", None}
    assert {"VGG", "ResNet", "Inception", "Xception", "MobileNet"} <= families and "Plain" not in families
    assert "newer training recipe (not comparable)" in families
    caption = next(c.value for c in at.caption if "one protocol" in c.value)
    assert "plain34 (10-crop figure only" in caption and "regnet_y_128gf" in caption


def test_selection_changes_and_too_few(at):
    at.multiselect(key="archs").set_value(["resnet50", "resnet50-paper"]).run()
    assert not at.exception and len(at.get("graphviz_chart")) == 2
    stages = at.dataframe[0].value.set_index("resolution")
    assert stages.loc["total", "resnet50 MACs"] == "4.09 G" and stages.loc["total", "resnet50-paper MACs"] == "3.86 G"
    at.multiselect(key="archs").set_value(["resnet50"]).run()
    assert not at.exception and "at least two" in at.info[0].value
    assert len(at.get("plotly_chart")) == 1  # the zoo scatter stays
