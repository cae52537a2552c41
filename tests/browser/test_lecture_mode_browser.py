"""Lecture mode in a real browser: every text readable (WCAG AA) in both themes and in presentation
view, the way out of presentation view on every page, graphs that keep their shapes when the level
changes, nets compared at one scale, and live curves that never fade."""

from __future__ import annotations

import pytest
from conftest import assert_no_exception, screenshot, wait_idle
from lecture_checks import assert_labels_bare, assert_readable, assert_way_out_visible

PAGES = [
    "",
    "Architecture?arch=resnet50",
    "Compare?cmp_level=stage",
    "Cost_Lab?calculator=Direct+vs+bottleneck",
    "Plain_vs_Residual",
    "Ensemble_of_Paths",
    "Lecture_Deck",
]


def _open(page, app_url: str, path: str, **extra) -> None:
    query = "&".join(f"{k}={v}" for k, v in extra.items())
    page.goto(f"{app_url}/{path}{('&' if '?' in path else '?') + query if query else ''}")
    wait_idle(page, timeout_ms=180_000)
    page.wait_for_timeout(1000)
    assert_no_exception(page)


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.split("?")[0] or "home")
def test_every_text_readable_and_a_way_out(app_url, page, path, theme):
    page.set_viewport_size({"width": 1280, "height": 720})
    _open(page, app_url, path, theme=theme, present="true")
    assert_way_out_visible(page)
    assert_readable(page, f"{path or 'home'} presenting, {theme}")
    assert_labels_bare(page)
    screenshot(page, f"lecture-{(path.split('?')[0] or 'home').lower()}-{theme}-present")
    _open(page, app_url, path, theme=theme)
    assert page.locator("a.convatlas-exit").count() == 0
    page.get_by_text("🎓 Lecture mode", exact=True).click()  # the panel's controls, share link and code box included
    page.wait_for_timeout(500)
    assert_readable(page, f"{path or 'home'} {theme}, lecture panel open")


def test_exit_presentation_leaves_the_view_and_keeps_the_rest(app_url, page):
    _open(page, app_url, "Architecture?arch=vgg19&level=stage", present="true", theme="dark")
    page.locator("a.convatlas-exit").click()
    page.wait_for_url(lambda url: "present" not in url)
    wait_idle(page)
    assert "arch=vgg19" in page.url and "theme=dark" in page.url
    assert page.locator("a.convatlas-exit").count() == 0
    assert page.get_by_test_id("stHeader").is_visible()


BARE_NODES = """() => Array.from(document.querySelectorAll('[data-testid=stGraphVizChart] g.node')).filter((g) => {
  const drawn = (s) => ['fill', 'stroke'].some((a) => !['', 'none', 'transparent', null].includes(s.getAttribute(a)));
  return !Array.from(g.querySelectorAll('ellipse, polygon, path')).some(drawn);
}).map((g) => g.querySelector('title').textContent)"""


@pytest.mark.parametrize(
    "path,level_key,levels",
    [
        ("Architecture?arch=resnet50", "level", ["stage", "layer", "block", "stage"]),
        ("Compare", "cmp_level", ["block", "stage"]),
    ],
)
def test_graph_nodes_keep_their_shapes_after_switching_level(app_url, page, path, level_key, levels):
    _open(page, app_url, path)
    page.wait_for_selector("[data-testid='stGraphVizChart'] svg g.node")
    for level in levels:
        page.locator(f".st-key-{level_key}").get_by_text(level, exact=True).click()
        wait_idle(page, timeout_ms=120_000)
        page.wait_for_timeout(1500)
        nodes = page.locator("[data-testid='stGraphVizChart'] g.node").count()
        assert nodes > 3
        assert page.evaluate(BARE_NODES) == [], f"{path} at {level}: nodes drawn without a shape"


def test_compare_draws_every_net_at_one_scale(app_url, page):
    _open(page, app_url, "Compare?archs=vgg19&archs=resnet34&archs=resnet50&cmp_level=stage")
    page.wait_for_selector("[data-testid='stGraphVizChart'] svg")
    scales = page.evaluate(
        """() => Array.from(document.querySelectorAll('[data-testid=stGraphVizChart] svg')).map((svg) =>
             svg.getBoundingClientRect().width / svg.viewBox.baseVal.width)"""
    )
    assert len(scales) == 3 and max(scales) - min(scales) < 0.01, scales
    screenshot(page, "compare-one-scale")


def test_live_curves_never_fade(app_url, page):
    """Streamlit dims a fragment's elements to 33% while it reruns (every tick of the training)."""
    # settings no other test uses (a finished job with the same key would replay at once) and epochs enough
    # that it still trains while the charts are watched
    _open(
        page,
        app_url,
        "Plain_vs_Residual?pvr_dataset=digits&pvr_depths=8&pvr_depths=14&pvr_width=6&pvr_batch=32&pvr_epochs=40",
    )
    page.locator(".st-key-pvr_start button").click()
    page.wait_for_selector("[data-testid='stPlotlyChart']", timeout=120_000)
    page.wait_for_selector(".st-key-pvr_stop button:not([disabled])", timeout=60_000)
    lowest = 1.0
    for _ in range(40):
        lowest = min(
            lowest,
            page.evaluate(
                """() => Math.min(1, ...Array.from(document.querySelectorAll('[data-testid=stElementContainer]'))
                     .filter((e) => e.querySelector('[data-testid=stPlotlyChart]'))
                     .map((e) => Number(getComputedStyle(e).opacity)))"""
            ),
        )
        page.wait_for_timeout(100)
    stale = page.locator("[data-stale='true']").count()
    page.locator(".st-key-pvr_stop button").click()
    assert lowest > 0.99, f"charts faded to {lowest} ({stale} stale elements at the end)"
