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
