"""The landing page and lecture mode (shared by every page through ui.page.setup)."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def run_app(**params):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def styles(at) -> str:
    return "\n".join(m.value for m in at.markdown if "<style>" in m.value)


def test_landing_runs_and_links_every_page():
    at = run_app()
    assert not at.exception
    assert at.title[0].value.endswith("ConvAtlas")
    # a link to an existing page resolves to the page's URL name ("Architecture"), else it keeps its path
    links = [el.proto.page for el in at.get("page_link")]
    pages = {p.stem.split("_", 1)[1]: p for p in (ROOT / "pages").glob("*.py")}
    assert "Architecture" in links or "pages/1_Architecture.py" in links
    assert all(link in pages or (ROOT / link).exists() for link in links)


def test_scene_gallery_links_each_scene_with_its_parameters():
    from core.lecture import scenes

    at = run_app()
    links = at.get("page_link")
    scene_links = [el.proto for el in links if el.proto.label == "Open scene"]
    assert len(scene_links) == len(scenes.SCENES) >= 6
    titles = [m.value for m in at.markdown]
    assert "**The degradation problem**" in titles


def test_presentation_view_and_hidden_controls_come_from_the_url():
    plain = run_app()
    assert "font-size: 22px" not in styles(plain)
    at = run_app(present="true", hide="depth,width", theme="dark")
    css = styles(at)
    assert "font-size: 22px" in css and "#0e1117" in css
    assert ".st-key-depth { display: none" in css and ".st-key-width { display: none" in css


def test_hide_ignores_unsafe_keys():
    css = styles(run_app(hide="ok,}body{display:none"))
    assert ".st-key-ok" in css and "body{display" not in css


def test_hide_controls_by_name_lists_the_page_controls_by_label():
    from conftest import open_page

    from core.lecture import urls

    at = open_page("pages/1_Architecture.py", hide="depth")
    picker = at.multiselect(key="hide_names")
    assert picker.options == list(urls.ARCHITECTURE.labels().values())
    assert "Graph level" in picker.options and "level" not in picker.options
    picker.set_value(["level", "h"]).run()
    assert at.session_state["hide"] == "depth,level,h"  # keys typed for other pages stay
    css = styles(at)
    assert ".st-key-level { display: none" in css and ".st-key-h { display: none" in css


def test_presentation_view_has_a_way_out_and_no_stale_fading():
    at = run_app(present="true", theme="dark", arch="x")
    page = "\n".join(m.value for m in at.markdown)
    assert 'class="convatlas-exit"' in page and "present=true" not in page.split("convatlas-exit")[1][:200]
    assert '[data-stale="true"] { opacity: 1' in styles(run_app())


def test_sidebar_names_the_landing_page_home():
    at = run_app()
    labels = [el.proto.label for el in at.sidebar.get("page_link")]
    assert labels[0] == "Home" and "app" not in labels
    assert (ROOT / ".streamlit" / "config.toml").read_text().count("showSidebarNavigation = false") == 1
