"""Lecture scenes: the gallery's links open each scene, and a prepared scene replays from the store."""

from pathlib import Path
from urllib.parse import urlencode

import pytest
from conftest import assert_no_exception, screenshot, wait_idle

from core.lecture import scenes
from core.training.config import History

ROOT = Path(__file__).resolve().parents[2]


def fake_history(error: float) -> History:
    """A one-epoch history (what the page draws), so the test needs no training."""
    return History(
        steps=[{"step": 10, "epoch": 1.0, "loss": 1.0, "error": error, "lr": 0.02}],
        epochs=[
            {
                "epoch": 1,
                "step": 10,
                "train_loss": 1.0,
                "train_error": error,
                "test_loss": 1.0,
                "test_error": error,
                "lr": 0.02,
                "seconds": 1.0,
                "images_per_s": 100.0,
            }
        ],
        grad_layers=["stem.0"],
        grad_norms=[{"step": 0, "epoch": 0.0, "norms": [1.0]}],
    )


def _scene_url(base: str, scene) -> str:
    return f"{base}/{scene.page.url_path}" + (f"?{urlencode(scene.params, doseq=True)}" if scene.params else "")


@pytest.mark.parametrize("key", [s.key for s in scenes.SCENES])
def test_each_scene_opens_in_the_browser(app_url, page, key):
    page.goto(_scene_url(app_url, scenes.get(key)))
    wait_idle(page, timeout_ms=120_000)
    assert_no_exception(page)
    screenshot(page, f"scene-{key}")
