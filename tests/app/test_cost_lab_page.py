"""Cost Lab page: AppTest (numbers, bad input, presets, links) and a real browser with screenshots."""

import json
from pathlib import Path

import pytest
from conftest import open_page
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]

PAGE = "pages/3_Cost_Lab.py"


def open_cost_lab(**query) -> AppTest:
    return open_page(PAGE, **query)


def page_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [m.value for m in at.latex] + [m.value for m in at.info]
    parts += [f"{m.label} {m.value} {m.delta}" for m in at.metric]
    return "\n".join(parts)


@pytest.fixture(scope="module")
def default_page():
    return open_cost_lab()


def test_default_inception_numbers_on_the_page(default_page):
    text = page_text(default_page)
    assert "120.4M" in text and "12.4M" in text and "2.4M" in text and "10.0M" in text
    assert r"28 \cdot 28 \cdot 32 \cdot 5 \cdot 5 \cdot 192 = 120{,}422{,}400" in text
    metrics = {m.label: m.value for m in default_page.metric}
    assert metrics["Direct 5×5"] == "120.4M MACs" and metrics["1×1 to 16, then 5×5"] == "12.4M MACs"
    assert not default_page.error


def test_every_calculator_has_its_chart_and_closed_forms(default_page):
    figures = [json.loads(chart.proto.spec) for chart in default_page.get("plotly_chart")]
    assert len(figures) == 7  # one per calculator, two for factorisation
    totals = [[label.strip() for label in t["text"]] for t in figures[1]["data"] if t["type"] == "scatter"]
    assert totals == [["12.4M", "120.4M"], ["15.9K", "153.6K"]]
    text = page_text(default_page)
    assert r"\frac{1}{C_{out}} + \frac{1}{k^2}" in text  # separable closed form
    assert "receptive field 5×5" in text and "receptive field 7×7" in text
    assert len(default_page.dataframe) == 2  # the Inception module's per-layer tables


@pytest.mark.parametrize(
    "key,value,message",
    [
        ("c1_k", 99, "larger than the padded input"),
        ("c1_g", 3, "not both divisible by 3"),
        ("c1_h", 0, "Input height H must be"),
        ("c1_cout", -4, "Output channels C_out must be"),
    ],
)
def test_bad_sizes_show_a_message_not_a_traceback(default_page, key, value, message):
    at = default_page
    at.number_input(key=key).set_value(value).run()
    assert not at.exception
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    at.number_input(key=key).set_value({"c1_k": 3, "c1_g": 1, "c1_h": 32, "c1_cout": 128}[key]).run()
    assert not at.error


def test_preset_loads_googlenet_widths(default_page):
    at = default_page
    at.selectbox(key="in_preset").set_value("5b").run()
    assert not at.exception
    assert at.slider(key="in_cin").value == 832 and at.slider(key="in_size").value == 7
    assert [at.slider(key=k).value for k in ("in_1x1", "in_3x3red", "in_3x3", "in_5x5red", "in_5x5", "in_pool")] == [
        384,
        192,
        384,
        48,
        128,
        128,
    ]
    assert "outputs **1024** channels" in page_text(at)


def test_link_reproduces_a_view():
    at = open_cost_lab(bn_red="32", bn_cin="256")
    metrics = {m.label: m.value for m in at.metric}
    # 28*28*32*256 + 28*28*32*25*32 = 6.4M + 20.1M
    assert metrics["1×1 to 32, then 5×5"] == "26.5M MACs"


def test_link_naming_only_a_preset_opens_that_module():
    at = open_cost_lab(calculator="Inception module", in_preset="4e", in_k="3")
    assert at.slider(key="in_cin").value == 528 and at.slider(key="in_5x5").value == 128
    assert "outputs **832** channels" in page_text(at)
