"""Real browser: the Plain vs Residual page trains (on the job engine), updates live, stops, resumes,
and two tabs training at the same time each get their own results."""

from __future__ import annotations

import re
import time

from conftest import assert_no_exception, screenshot, wait_idle

TINY = "pvr_dataset=digits&pvr_depths=8&pvr_depths=14&pvr_width=4&pvr_batch=32"  # settings come from the URL (bound widgets)


def open_page(page, app_url: str, query: str) -> None:
    page.goto(f"{app_url}/Plain_vs_Residual?{query}")
    wait_idle(page)
    assert_no_exception(page)


def wait_text(page, pattern: str, timeout_ms: int = 180_000) -> None:
    page.get_by_text(re.compile(pattern)).first.wait_for(timeout=timeout_ms)


def test_start_live_stop_resume(page, app_url):
    open_page(page, app_url, TINY + "&pvr_epochs=30")  # long enough to watch it train and stop it
    page.locator(".st-key-pvr_start button").click()
    wait_text(page, r"training · [1-9]\d?%")  # live progress while training
    page.wait_for_selector("[data-testid='stPlotlyChart']", timeout=60_000)
    screenshot(page, "plain_vs_residual_training")
    clicked = time.time()
    page.locator(".st-key-pvr_stop button").click()
    wait_text(page, r"stopped · \d+%", timeout_ms=10_000)
    stop_seconds = time.time() - clicked
    stopped_text = page.get_by_text(re.compile(r"stopped · \d+%")).first.inner_text()
    page.wait_for_timeout(1500)
    assert page.get_by_text(stopped_text).count() >= 1  # no progress while stopped
    print(f"stop took {stop_seconds:.2f} s")
    page.locator(".st-key-pvr_resume button").click()
    wait_text(page, r"finished · 100%")
    # the panel settles (Start pressable again) after the page's own rerun that shows the finished runs
    page.wait_for_selector(".st-key-pvr_start button:not([disabled])", timeout=60_000)
    wait_idle(page)
    assert_no_exception(page)
    assert page.get_by_text(re.compile("trains (better than|worse than|as well as)")).count() >= 1
    screenshot(page, "plain_vs_residual_finished")
    # While a rerun replaces a fragment's output Streamlit keeps the earlier copies (data-retained): in the
    # end the gradient-flow chart is on screen once
    page.wait_for_function(
        "() => [...document.querySelectorAll('.st-key-pvr_fig_grad')].filter((e) => e.offsetParent).length === 1",
        timeout=60_000,
    )
    grad = page.locator(".st-key-pvr_fig_grad >> visible=true")
    grad.scroll_into_view_if_needed()
    grad.screenshot(path=str(screenshot(page, "plain_vs_residual_gradient_flow")))  # the chart alone


def test_two_tabs_train_at_once(browser, app_url):
    tabs = []
    for width in (4, 8):
        context = browser.new_context(viewport={"width": 1600, "height": 1000})
        tab = context.new_page()
        open_page(
            tab, app_url, f"pvr_dataset=digits&pvr_depths=8&pvr_depths=14&pvr_width={width}&pvr_epochs=2&pvr_batch=64"
        )
        tabs.append((context, tab, width))
    for _, tab, _ in tabs:
        tab.locator(".st-key-pvr_start button").click()
    for _, tab, width in tabs:
        wait_text(tab, r"finished · 100%")
        wait_idle(tab)
        assert_no_exception(tab)
        table = tab.locator("[data-testid='stDataFrame']").first.inner_text()
        other = 8 if width == 4 else 4
        assert tab.get_by_text(f"plain-14 (w{width})").count() + table.count(f"(w{width})") >= 1
        assert f"(w{other})" not in table
    screenshot(tabs[1][1], "plain_vs_residual_second_tab")
    for context, _, _ in tabs:
        context.close()
