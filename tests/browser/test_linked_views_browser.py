"""Real browser: the linked views. A click on a block in the Architecture graph picks it (its cost share,
and on a trained net its lesion effect and gradient); a click on a bar of the Ensemble page deletes
that block and the error changes at once; a second click restores it."""

import pytest
from conftest import assert_no_exception, screenshot, wait_idle


@pytest.fixture(scope="module")
def trained(app_home):
    """A ResNet-20 trained one epoch on the digits (seconds), in the browser server's store."""
    from core.training.config import RunConfig
    from core.training.engine import train
    from core.training.store import RunStore

    config = RunConfig(net="resnet", depth=20, epochs=1)
    model, history = train(config)
    return RunStore(app_home / "runs.sqlite").save(config, history, model)


def click_bar(page, chart, index: int) -> None:
    """Plotly's drag layer lies over the bars: click the bar's position, as a person does."""
    box = chart.locator("g.point path").nth(index).bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_clicking_a_block_in_the_architecture_graph_links_its_costs_and_lesion(app_url, page, trained):
    page.goto(f"{app_url}/Architecture?arch=cifar-resnet-20&level=block")
    wait_idle(page, timeout_ms=120_000)
    assert_no_exception(page)
    node = page.locator(".st-key-arch-graph g.node[class~='block=stage2.0']").first
    node.wait_for(timeout=30_000)
    node.click()
    page.get_by_text("Block MACs").wait_for(timeout=60_000)
    wait_idle(page, timeout_ms=120_000)
    assert_no_exception(page)
    assert page.locator(".st-key-block input").input_value() == "stage2.0"
    assert page.get_by_text("Test error with it deleted").count() == 1
    assert page.get_by_text("Gradient norm").count() >= 1
    assert "block=stage2.0" in page.url  # the picked block is in the link
    # the picked block is outlined in the graph
    assert page.locator(".st-key-arch-graph g.node.picked").count() >= 1
    screenshot(page, "linked_architecture_block")

    strip = page.locator(".st-key-linked-strip-" + str(trained) + " [data-testid='stPlotlyChart']")
    strip.scroll_into_view_if_needed()
    click_bar(page, strip, 0)  # stage1.0
    page.wait_for_function("() => location.search.includes('block=stage1.0')", timeout=60_000)
    wait_idle(page, timeout_ms=60_000)
    assert page.locator(".st-key-block input").input_value() == "stage1.0"
    picked = page.locator(".st-key-arch-graph g.node.picked")  # the outline moved with the pick
    assert picked.count() >= 1 and all("block=stage1.0" in (g.get_attribute("class") or "") for g in picked.all())


def test_clicking_a_bar_deletes_that_block_and_a_second_click_restores_it(app_url, page, trained):
    page.goto(f"{app_url}/Ensemble_of_Paths?paths_analysis=pick")
    wait_idle(page, timeout_ms=120_000)
    assert_no_exception(page)
    page.get_by_text("0 blocks deleted").wait_for(timeout=60_000)
    strip = page.locator("[data-testid='stPlotlyChart']").last
    strip.scroll_into_view_if_needed()
    click_bar(page, strip, 1)
    page.get_by_text("1 block deleted").wait_for(timeout=60_000)
    wait_idle(page)
    assert page.get_by_text("Deleted: stage1.1").count() == 1
    screenshot(page, "linked_ensemble_delete")
    strip = page.locator("[data-testid='stPlotlyChart']").last
    click_bar(page, strip, 1)
    page.get_by_text("0 blocks deleted").wait_for(timeout=60_000)
    assert_no_exception(page)
