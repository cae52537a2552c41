"""Page "Architecture": AppTest (figures on the page, bad input as a message) and a real browser."""

import pytest
from conftest import assert_no_exception, open_page, screenshot, wait_idle


@pytest.fixture(scope="module")
def at():
    return open_page("pages/1_Architecture.py")


def metrics(app) -> dict:
    return {m.label: m.value for m in app.metric}


def test_browser_switches_architecture_and_level(app_url, page):
    page.goto(f"{app_url}/Architecture")
    wait_idle(page)
    assert_no_exception(page)
    page.locator(".st-key-arch input").click()
    page.keyboard.type("vgg19")
    page.keyboard.press("Enter")
    wait_idle(page)
    page.locator(".st-key-level").get_by_text("stage", exact=True).click()
    wait_idle(page)
    assert_no_exception(page)
    assert "arch=vgg19" in page.url and "level=stage" in page.url  # the view is a shareable link
    assert "19.6 G" in page.get_by_test_id("stMetric").nth(1).inner_text()
    page.wait_for_selector("[data-testid='stGraphVizChart'] svg")
    page.set_viewport_size({"width": 1600, "height": 2600})  # Streamlit scrolls inside the app: show more of it
    wait_idle(page)
    screenshot(page, "architecture_vgg19_stage")


def test_browser_link_reproduces_a_view_and_reports_bad_sizes(app_url, page):
    page.goto(f"{app_url}/Architecture?arch=resnet50-paper&level=block")
    wait_idle(page)
    assert "3.86 G" in page.get_by_test_id("stMetric").nth(1).inner_text()
    page.wait_for_selector("[data-testid='stGraphVizChart'] svg")
    page.get_by_role("tab", name="Charts per layer").click()
    page.set_viewport_size({"width": 1600, "height": 3000})
    wait_idle(page)
    screenshot(page, "architecture_resnet50_paper_block")
    page.goto(f"{app_url}/Architecture?arch=vgg19&h=16")
    wait_idle(page)
    assert_no_exception(page)
    assert "32x32" in page.get_by_test_id("stAlert").first.inner_text()


def test_browser_uploads_an_onnx_file_and_shows_its_graph_and_table(app_url, page, cifar_onnx):
    page.goto(f"{app_url}/Architecture")
    wait_idle(page, timeout_ms=180_000)
    page.get_by_text("Your own model: open an ONNX file").click()
    page.locator(".st-key-onnx_upload input[type='file']").set_input_files(str(cifar_onnx))
    page.get_by_test_id("stAlert").filter(has_text=cifar_onnx.name).wait_for(timeout=180_000)
    wait_idle(page, timeout_ms=180_000)
    page.wait_for_selector("[data-testid='stGraphVizChart'] svg", timeout=180_000)
    assert_no_exception(page)
    assert cifar_onnx.name in page.get_by_test_id("stAlert").first.inner_text()
    assert "40.6 M" in page.get_by_test_id("stMetric").nth(1).inner_text()  # cifar-resnet-20 MACs (zoo count)
    svg = page.locator("[data-testid='stGraphVizChart'] svg")
    assert svg.locator("g.node").count() > 5 and svg.locator("g.edge").count() > 5
    page.get_by_role("tab", name="Per layer", exact=True).click()
    wait_idle(page, timeout_ms=180_000)
    assert page.locator("[data-testid='stDataFrame']").count() >= 1
    page.set_viewport_size({"width": 1600, "height": 2600})
    wait_idle(page, timeout_ms=180_000)
    screenshot(page, "architecture_onnx_upload")
