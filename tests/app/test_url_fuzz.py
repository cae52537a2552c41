"""Hostile links, generated from the URL registry (core.lecture.urls): every URL-bound key of every page
gets every hostile value, and the page must neither crash nor silently drop it.

Each page is opened once per hostile value; in run i the j-th key gets value (i + j) mod n, so across
the runs every key meets every value (a new key in the registry is covered without editing this file).
A value the widget did not take must be named in a warning ("Link parameter `key=…` ignored: …").
"""

from __future__ import annotations

import math

import pytest
from conftest import ROOT, widget_keys
from streamlit.testing.v1 import AppTest

from core.lecture import urls
from ui.url_guard import NOTICE

HOSTILE = (
    "inf",
    "-inf",
    "nan",
    "1e309",
    "-1",
    "0",
    "99999999999999999999",
    "",
    "x" * 10_000,
    "<script>alert(1)</script>**b**`c`$x$",
    "ünï☃\u202e",
    "1.5",
    "true",
    "resnet5000",
)
# later keys render only in some state: the values that reveal them (the rest stay hostile)
REVEAL = {urls.ARCHITECTURE.path: {"arch": "cifar-resnet-20"}}
# ... and some only with trained runs in the store (the `stored` fixture): each dict is one set of cases
REVEAL_STORED = {
    urls.ENSEMBLE_OF_PATHS.path: [{"paths_analysis": "random"}, {"paths_analysis": "reorder"}, {}],
    urls.REPRESENTATION_DRIFT.path: [{"source": "Pick stored runs"}],
}


def cases():
    for page in urls.PAGES:
        keys = page.keys + urls.LECTURE_KEYS
        for i in range(len(HOSTILE)):
            yield pytest.param(
                page, {k: HOSTILE[(i + j) % len(HOSTILE)] for j, k in enumerate(keys)}, id=f"{page.url_path}-{i}"
            )
        reveal = REVEAL.get(page.path)
        if reveal:
            for i in range(len(HOSTILE)):
                query = {k: HOSTILE[(i + j) % len(HOSTILE)] for j, k in enumerate(page.later_keys)}
                yield pytest.param(page, {**query, **reveal}, id=f"{page.url_path}-later-{i}")


def stored_cases():
    for path, reveals in REVEAL_STORED.items():
        page = next(p for p in urls.PAGES if p.path == path)
        for r, reveal in enumerate(reveals):
            hostile = [k for k in page.later_keys if k not in reveal]
            for i in range(len(HOSTILE)):
                query = {k: HOSTILE[(i + j) % len(HOSTILE)] for j, k in enumerate(hostile)}
                yield pytest.param(page, {**query, **reveal}, id=f"{page.url_path}-stored-{r}-{i}")


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """A home whose store holds a ResNet-8 and a plain-8 trained one epoch (seconds): the state in which
    the pages draw their run pickers and analyses."""
    from core.training.config import RunConfig
    from core.training.engine import train
    from core.training.store import RunStore

    home = tmp_path_factory.mktemp("home")
    store = RunStore(home / "runs.sqlite")
    for net in ("plain", "resnet"):
        config = RunConfig(net=net, depth=8, epochs=1)
        store.save(config, *reversed(train(config)))
    return home


def accepted(shown, asked: str) -> bool:
    """Did the widget take the link's value? (compared loosely: types differ between URL and widget;
    an empty `?key=` gives no value, so the default is what it asks for)"""
    if asked == "":
        return True
    if isinstance(shown, list | tuple):
        return ",".join(map(str, shown)) == asked or (len(shown) == 1 and accepted(shown[0], asked))
    if shown is None or shown == "":
        return asked == ""
    if str(shown).lower() == asked.lower():
        return True
    try:
        return math.isfinite(float(asked)) and float(shown) == float(asked)
    except (TypeError, ValueError, OverflowError):
        return False


@pytest.mark.parametrize(("page", "query"), list(cases()))
def test_hostile_link_values_are_refused_in_words(page, query, tmp_path, monkeypatch):
    monkeypatch.setenv("CONVATLAS_HOME", str(tmp_path))
    check_hostile_link(page, query)


@pytest.mark.parametrize(("page", "query"), list(stored_cases()))
def test_hostile_link_values_with_stored_runs_are_refused_in_words(page, query, stored, monkeypatch):
    monkeypatch.setenv("CONVATLAS_HOME", str(stored))
    at = check_hostile_link(page, query)
    drawn = widget_keys(at)
    assert any(k in drawn for k in page.later_keys), f"{page.title} {short(query)}: no run-dependent control drawn"


def check_hostile_link(page, query: dict) -> AppTest:
    """Open `page` with `query`: no exception, and every value a widget did not take named in a warning."""
    at = AppTest.from_file(str(ROOT / page.path), default_timeout=180)
    at.query_params.update(query)
    at.run()
    assert not at.exception, f"{page.title} {short(query)}: {at.exception[0].message}"
    notices = [line.removeprefix("- ") for w in at.warning for line in w.value.splitlines() if NOTICE in line]
    rendered = widget_keys(at)
    for key, asked in query.items():
        if key not in rendered or key not in at.session_state:
            continue  # not drawn in this state (e.g. the page stopped at a refused combination)
        if accepted(at.session_state[key], asked):
            continue
        assert any(f"`{key}=" in n for n in notices), (
            f"{page.title}: ?{key}={asked[:40]!r} not taken (shows {at.session_state[key]!r}) and not named: {notices}"
        )
    for n in notices:  # quoted back inert and short
        assert "<script>" not in n or "`" in n
        assert len(n) < 600
    return at


def short(query: dict) -> str:
    return "&".join(f"{k}={v[:12]}" for k, v in query.items())


def test_unknown_architecture_is_named_not_replaced_silently(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVATLAS_HOME", str(tmp_path))
    at = AppTest.from_file(str(ROOT / urls.ARCHITECTURE.path), default_timeout=180)
    at.query_params.update(arch="resnet5000", h="inf", w="1e309")
    at.run()
    assert not at.exception
    text = " ".join(w.value for w in at.warning)
    assert "`arch=resnet5000` ignored" in text and "resnet50" in text  # with a near name
    assert "`h=inf` ignored" in text and "`w=1e309` ignored" in text
    assert "1 to 8192" in text


def test_short_dataset_name_is_accepted(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVATLAS_HOME", str(tmp_path))
    at = AppTest.from_file(str(ROOT / urls.PLAIN_VS_RESIDUAL.path), default_timeout=180)
    at.query_params.update(pvr_dataset="cifar10", pvr_seed="inf")
    at.run()
    assert not at.exception
    assert at.session_state["pvr_dataset"] == "cifar10"
    assert any("`pvr_seed=inf` ignored" in w.value for w in at.warning)
