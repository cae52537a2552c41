"""Lecture scenes: the gallery's links open each scene, and a prepared scene replays from the store."""

from pathlib import Path

import pytest
from conftest import assert_no_exception, scene_url, screenshot, wait_idle

from core.lecture import scenes

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("key", [s.key for s in scenes.SCENES])
def test_each_scene_opens_in_the_browser(app_url, page, key):
    page.goto(scene_url(app_url, scenes.get(key)))
    wait_idle(page, timeout_ms=120_000)
    assert_no_exception(page)
    screenshot(page, f"scene-{key}")
