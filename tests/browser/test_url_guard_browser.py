"""Hostile links in a real browser: the page draws, and the refused values are named at the top."""

from conftest import assert_no_exception, screenshot, wait_idle


def test_browser_hostile_link_is_named_not_crashed(app_url, page):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}/Architecture?arch=resnet5000&h=inf&w=1e309&level=%3Cb%3Ex%3C/b%3E&present=true&theme=dark")
    wait_idle(page, timeout_ms=240_000)  # a cold server: the zoo and the first net load
    assert_no_exception(page)
    text = page.get_by_test_id("stAlert").all_inner_texts()
    joined = " ".join(text)
    assert "arch=resnet5000" in joined and "did you mean resnet50" in joined
    assert "h=inf" in joined and "w=1e309" in joined and "level=<b>x</b>" in joined  # shown as text, not markup
    page.wait_for_selector("[data-testid='stGraphVizChart'] svg")  # the default net is drawn below
    screenshot(page, "url_guard_architecture_present_dark")
    assert "resnet5000" not in page.url  # the refused value is dropped from the link
