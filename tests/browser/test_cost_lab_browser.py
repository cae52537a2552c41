"""Cost Lab page: AppTest (numbers, bad input, presets, links) and a real browser with screenshots."""

from pathlib import Path

import pytest
from conftest import assert_no_exception, open_page, screenshot, wait_idle
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]

PAGE = "pages/3_Cost_Lab.py"


def open_cost_lab(**query) -> AppTest:
    return open_page(PAGE, **query)


def page_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [m.value for m in at.latex] + [m.value for m in at.info]
    parts += [f"{m.label} {m.value} {m.delta}" for m in at.metric]
    return "\n".join(parts)


@pytest.fixture(scope="module")
def default_page():
    return open_cost_lab()


def test_browser_cost_lab(app_url, page):
    page.set_viewport_size({"width": 1600, "height": 2400})  # Streamlit scrolls inside the page: show it all
    page.goto(f"{app_url}/Cost_Lab?calculator=Direct+vs+bottleneck")
    wait_idle(page)
    assert_no_exception(page)
    page.get_by_text("1×1 to 16, then 5×5").first.wait_for()
    body = page.locator("[data-testid='stMain']").inner_text()
    assert "120.4M" in body and "12.4M" in body
    page.locator(".js-plotly-plot >> visible=true").first.wait_for()
    screenshot(page, "cost_lab_bottleneck")

    page.get_by_role("tab", name="Inception module").click()
    wait_idle(page)
    page.get_by_text("Naive (no reductions)").first.wait_for()
    page.wait_for_timeout(500)  # let plotly draw
    assert_no_exception(page)
    screenshot(page, "cost_lab_inception")

    for tab in ("Residual blocks", "Depthwise-separable", "Factorisation", "One convolution"):
        page.get_by_role("tab", name=tab).click()
        wait_idle(page)
        page.wait_for_timeout(500)
        assert_no_exception(page)
        screenshot(page, "cost_lab_" + tab.lower().replace(" ", "_").replace("-", "_"))
    page.get_by_role("tab", name="One convolution").click()
    wait_idle(page)
    kernel = page.locator(".st-key-c1_k input")
    kernel.fill("40")
    kernel.press("Enter")
    wait_idle(page)
    page.get_by_text("larger than the padded input").first.wait_for()
    assert_no_exception(page)
    screenshot(page, "cost_lab_bad_kernel")

    page.goto(f"{app_url}/Cost_Lab?present=true&calculator=Factorisation&fa_n3=7")
    wait_idle(page)
    page.get_by_text("3 stacked 3×3").first.wait_for()
    page.wait_for_timeout(500)
    assert_no_exception(page)
    screenshot(page, "cost_lab_presentation")
