"""The drift command line, the Representation Drift page under AppTest, and in a real browser.

Tiny configurations (depth 8, width 8, 1 epoch) keep training to a second or two.
"""

from __future__ import annotations

from pathlib import Path

from conftest import SCREENSHOTS, assert_no_exception, screenshot, wait_idle

ROOT = Path(__file__).resolve().parents[2]

PAGE = "pages/6_Representation_Drift.py"

TINY = "depth=8,width=8,epochs=1"


def test_page_in_browser(app_url, page):
    page.goto(f"{app_url}/Representation_Drift?depth=8&width=8&epochs=1&paths=3")
    wait_idle(page)
    assert_no_exception(page)
    assert page.get_by_text("1 · Per-block change").count() == 1
    page.locator(".st-key-drift_start button").click()
    page.get_by_role("tab", name="Trained").first.wait_for(timeout=90_000)
    wait_idle(page)
    assert_no_exception(page)
    charts = page.locator("[data-testid='stPlotlyChart'] >> visible=true")  # the "Trained" tabs are open
    assert charts.count() == 5
    screenshot(page, "representation_drift")
    for i, name in enumerate(["change", "similarity", "cka", "trajectory", "std"]):  # below the fold
        charts.nth(i).scroll_into_view_if_needed()
        charts.nth(i).screenshot(path=str(SCREENSHOTS / f"representation_drift_{name}.png"))
