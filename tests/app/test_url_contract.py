"""The URL contract (core.lecture.urls) against the pages themselves: a renamed widget key, a key
missing from the registry, or a scene pointing at a control its page does not have fails here."""

import ast

import pytest
from conftest import ROOT, widget_keys
from streamlit.testing.v1 import AppTest

from core.lecture import scenes, urls


def run_page(page: urls.Page, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / page.path), default_timeout=120)
    at.query_params.update(query or {})
    at.run()
    assert not at.exception, at.exception
    return at


def bound_literal_keys(path) -> set[str]:
    """Keys written as literals in calls that bind a widget to the URL."""
    keys = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            kw = {k.arg: k.value for k in node.keywords}
            if "bind" in kw and isinstance(kw.get("key"), ast.Constant):
                keys.add(kw["key"].value)
    return keys


@pytest.mark.parametrize("page", urls.PAGES, ids=lambda p: p.url_path)
def test_every_registered_key_is_a_widget_of_its_page(page, tmp_path, monkeypatch):
    monkeypatch.setenv("CONVATLAS_HOME", str(tmp_path))
    missing = set(page.keys + urls.LECTURE_KEYS) - widget_keys(run_page(page))
    assert not missing, f"{page.title}: registered but not a widget: {sorted(missing)}"


@pytest.mark.parametrize("page", urls.PAGES, ids=lambda p: p.url_path)
def test_every_url_bound_widget_is_registered(page):
    unlisted = bound_literal_keys(ROOT / page.path) - set(page.keys + page.later_keys)
    assert not unlisted, f"{page.title}: bound to the URL but not in core.lecture.urls: {sorted(unlisted)}"


def test_lecture_keys_are_the_lecture_panel():
    assert bound_literal_keys(ROOT / "ui" / "present.py") == set(urls.LECTURE_KEYS)


def test_a_page_refuses_a_key_it_does_not_bind():
    with pytest.raises(ValueError, match="no URL-bound control"):
        urls.COST_LAB.params(calculater="Direct vs bottleneck")


@pytest.mark.parametrize("scene", [s for s in scenes.SCENES if s.params], ids=lambda s: s.key)
def test_each_scene_parameter_sets_a_widget_of_its_page(scene, tmp_path, monkeypatch):
    monkeypatch.setenv("CONVATLAS_HOME", str(tmp_path))
    at = run_page(scene.page, scene.params)
    assert set(scene.params) <= widget_keys(at)
    for key, value in scene.params.items():
        if key in at.session_state:  # the widget took the link's value
            shown = at.session_state[key]
            assert (list(shown) if isinstance(value, list) else shown) == value
