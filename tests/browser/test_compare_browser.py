"""Page "Compare": AppTest (the ResNet paper's trio by default, aligned stage table, scatter) and a real browser."""

import pytest
from conftest import assert_no_exception, open_page, screenshot, wait_idle


@pytest.fixture(scope="module")
def at():
    return open_page("pages/2_Compare.py", timeout=180)


def test_browser_compare(app_url, page):
    page.goto(f"{app_url}/Compare")
    wait_idle(page, timeout_ms=120_000)
    assert_no_exception(page)
    graphs = page.locator("[data-testid='stGraphVizChart'] svg")
    graphs.nth(2).wait_for(timeout=60_000)  # graphviz lays out in the browser, after the script is done
    assert graphs.count() == 3
    page.set_viewport_size({"width": 1600, "height": 3200})
    wait_idle(page)
    screenshot(page, "compare_default")
    page.goto(f"{app_url}/Compare?archs=googlenet&archs=googlenet-5x5&cmp_level=stage")
    wait_idle(page, timeout_ms=120_000)
    assert_no_exception(page)
    graphs.nth(1).wait_for(timeout=60_000)
    assert graphs.count() == 2
