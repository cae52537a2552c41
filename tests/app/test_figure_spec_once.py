"""A shared figure's plotly spec is computed once, not on every page open (ui.figures._SpecOnce), and what
Streamlit sends is the same as for the figure itself."""

import plotly.graph_objects as go
import plotly.io as pio
from plotly.basedatatypes import BaseFigure

from ui.figures import _SpecOnce


def figure() -> go.Figure:
    fig = go.Figure(go.Scatter(x=list(range(500)), y=[i * i for i in range(500)], name="squares", uid="a"))
    fig.add_bar(x=["conv", "fc"], y=[3, 1], uid="b")
    return fig.update_layout(title="Cost per layer", template="plotly_white")


def test_the_spec_sent_is_the_figures_own():
    fig = figure()
    once = _SpecOnce(fig)
    # streamlit: plotly.io.to_json(figure, validate=False), after to_dict(); twice, as two page opens would
    assert pio.to_json(once, validate=False) == pio.to_json(fig, validate=False)
    assert pio.to_json(once, validate=False) == pio.to_json(fig, validate=False)
    assert once.to_dict()["data"][0]["uid"] == "a"  # to_json pops uids from what it is given, not from the cache


def test_no_page_open_serialises_the_figure_again(monkeypatch):
    once, plain = _SpecOnce(figure()), figure()
    calls = []
    real = BaseFigure.to_dict
    monkeypatch.setattr(BaseFigure, "to_dict", lambda self: calls.append(self) or real(self))
    for _ in range(3):
        pio.to_json(once, validate=False)
    assert calls == []
    pio.to_json(plain, validate=False)  # the check can fail: an ordinary figure serialises itself
    assert calls == [plain]
