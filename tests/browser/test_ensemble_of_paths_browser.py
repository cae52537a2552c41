"""Real browser: open Ensemble of Paths, unravel 4 blocks, train two tiny nets with the page's own
button (configuration from the URL), then look at the lesion and reorder tabs."""

from conftest import assert_no_exception, screenshot, wait_idle


def test_ensemble_of_paths_in_a_browser(app_url, page):
    page.goto(
        f"{app_url}/Ensemble_of_Paths?unravel_n=4&train_dataset=digits&train_res_depth=8&train_plain_depth=8&train_epochs=1&train_sd=false"
    )
    wait_idle(page)
    assert_no_exception(page)
    page.wait_for_selector("[data-testid='stGraphVizChart'] svg", timeout=30_000)
    assert page.locator("[data-testid='stGraphVizChart']").nth(1).locator("g.node").count() == 2**4 + 1
    assert page.get_by_text("No trained run yet").count() == 1
    screenshot(page, "paths_unraveled")

    page.locator(".st-key-paths_start button").click()
    page.wait_for_selector(".st-key-paths_runs", timeout=240_000)  # appears once the runs are stored
    wait_idle(page, timeout_ms=240_000)
    assert_no_exception(page)
    assert page.locator(".st-key-paths_runs").get_by_text("ResNet-8").count() == 1
    chart = page.locator("[data-testid='stPlotlyChart']").last
    chart.scroll_into_view_if_needed()
    assert page.get_by_text("Delete one block at test time").count() >= 1  # the default analysis
    screenshot(page, "paths_single_lesion")
    page.locator(".st-key-paths_analysis").get_by_text("Which paths carry the gradient").click()
    wait_idle(page)
    assert_no_exception(page)
    page.get_by_text("total gradient by path length").first.scroll_into_view_if_needed()
    screenshot(page, "paths_gradient")
