"""The Transfer Learning page in a real browser: run a short comparison (a job on the engine), stop it,
continue it, look at it."""

from __future__ import annotations

import re

from conftest import SCREENSHOTS, assert_no_exception, screenshot, wait_idle


def test_page_in_browser(app_url, page):
    page.goto(f"{app_url}/Transfer_Learning?tl_dataset=digits&tl_steps=25&tl_shots=1")  # the quick 8x8 set
    wait_idle(page, timeout_ms=240_000)  # the first run of a fresh server imports torch
    assert_no_exception(page)
    assert page.get_by_text("source: digits 0–9; target: the same ten digits, mirrored").count() >= 1
    screenshot(page, "transfer_learning_fresh")
    page.get_by_role("button", name="▶ Run the comparison").first.click()
    # the source net is trained, then runs finish one by one
    page.get_by_text(re.compile(r"\b[1-9]\d* of 25 runs ·")).first.wait_for(timeout=480_000)
    page.get_by_role("button", name="■ Stop").click()
    page.get_by_text("Stopped after").wait_for(timeout=120_000)  # at the next finished run, the runs kept
    wait_idle(page)
    assert_no_exception(page)
    screenshot(page, "transfer_learning_stopped")
    page.get_by_role("button", name=re.compile(r"▶ Continue \(\d+ of 25 runs done\)")).click()
    header = page.get_by_text("1 · Target accuracy against the number of labels")
    header.wait_for(timeout=480_000)
    wait_idle(page, timeout_ms=120_000)
    assert_no_exception(page)
    header.scroll_into_view_if_needed()  # the charts mount as the page scrolls to them
    charts = page.locator("[data-testid='stPlotlyChart']")
    page.wait_for_function("document.querySelectorAll(\"[data-testid='stPlotlyChart']\").length === 2", timeout=60_000)
    assert charts.count() == 2
    screenshot(page, "transfer_learning")
    charts.nth(0).scroll_into_view_if_needed()
    charts.nth(0).screenshot(path=str(SCREENSHOTS / "transfer_learning_accuracy.png"))
    charts.nth(1).scroll_into_view_if_needed()
    charts.nth(1).screenshot(path=str(SCREENSHOTS / "transfer_learning_time.png"))
    page.goto(
        f"{app_url}/Transfer_Learning?tl_dataset=digits&tl_steps=25&present=true&theme=dark"
    )  # new session: fresh page
    wait_idle(page)
    assert_no_exception(page)
    # another session, the same settings: the sweep in the store, shown without a Run
    assert page.get_by_text("1 · Target accuracy against the number of labels").count() == 1
    page.set_viewport_size({"width": 1280, "height": 720})
    screenshot(page, "transfer_learning_present_dark")
