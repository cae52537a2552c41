"""The landing page and lecture mode (shared by every page through ui.page.setup)."""

from pathlib import Path

from conftest import assert_no_exception, screenshot, wait_idle
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def run_app(**params):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def styles(at) -> str:
    return "\n".join(m.value for m in at.markdown if "<style>" in m.value)


def test_landing_in_browser(app_url, page):
    page.goto(app_url)
    wait_idle(page)
    assert_no_exception(page)
    assert page.get_by_text("ConvAtlas").first.is_visible()
    screenshot(page, "landing")
    page.goto(f"{app_url}/?present=true&theme=dark")
    wait_idle(page)
    assert_no_exception(page)
    screenshot(page, "landing-presentation-dark")
