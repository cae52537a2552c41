"""Shared fixtures: the app under AppTest, and a real Streamlit server driven by Debian's Chromium."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Tests start from an empty run store unless they ask for the scene runs that ship with the app
# (tests/unit/test_scene_runs.py, tests/app/test_scenes_page.py set this to assets/scene_runs).
os.environ.setdefault("CONVATLAS_SCENE_RUNS", "off")
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_home(tmp_path_factory) -> Path:
    """The browser tests' server's data folder (CONVATLAS_HOME): a test may store runs there."""
    return tmp_path_factory.mktemp("convatlas-home")


@pytest.fixture(scope="session")
def app_url(tmp_path_factory, app_home):
    """`streamlit run app.py` on a free port, with its own data folder; yields the base URL."""
    port = _free_port()
    env = {**os.environ, "CONVATLAS_HOME": str(app_home)}
    log = open(tmp_path_factory.mktemp("server") / "streamlit.log", "w")  # noqa: SIM115 (open for the server's life)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--server.fileWatcherType",
            "none",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail("streamlit server did not become healthy in 90 s")
    yield url
    server.terminate()
    server.wait(timeout=20)


@pytest.fixture(scope="session")
def postgres_url():
    """A real PostgreSQL server (Debian's `postgresql`, installed by `make test`) for this test session:
    initdb into a temporary folder, a free loopback port, the socket in that folder; yields the
    SQLAlchemy URL of an empty database. As root (here and in CI) the server runs as `postgres`."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        pytest.fail("PostgreSQL binaries missing (/usr/lib/postgresql/*/bin): `make test` installs Debian's postgresql")
    bindir = Path(found[-1]).parent
    folder = Path(tempfile.mkdtemp(prefix="convatlas-pg-"))  # not under pytest's root-only tmp folder
    as_server = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(folder, "postgres", "postgres")
        as_server = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    data, log = folder / "data", folder / "server.log"

    def pg(*args):
        subprocess.run([*as_server, *args], check=True, capture_output=True, timeout=120)

    try:
        pg(bindir / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        pg(bindir / "pg_ctl", "-D", data, "-l", log, "-o", options, "-w", "-t", "60", "start")
    except subprocess.CalledProcessError as exc:
        server_log = log.read_text() if log.exists() else ""
        pytest.fail(f"PostgreSQL did not start: {exc.stderr.decode()[-2000:]}{server_log[-2000:]}")
    try:
        pg(bindir / "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "convatlas")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/convatlas"
    finally:
        pg(bindir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: `make test` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture(scope="session")
def cifar_onnx(tmp_path_factory) -> Path:
    """cifar-resnet-20 exported to ONNX (random weights, no BatchNorm folding), for the upload tests."""
    import warnings

    import torch

    from core.models import zoo

    model = zoo.build("cifar-resnet-20")
    with torch.no_grad():
        for t in list(model.parameters()) + list(model.buffers()):
            if t.is_floating_point():
                t.uniform_(0.5, 1.5)  # distinct values: the exporter merges equal tensors
    path = tmp_path_factory.mktemp("onnx") / "my_cifar_resnet20.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, torch.zeros(1, 3, 32, 32), str(path), dynamo=False, do_constant_folding=False)
    return path


def open_page(page: str, timeout: int = 120, **query):
    """AppTest of one page as a user reaches it: the landing page first, then `page` (with URL query)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.query_params.update(query)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def fake_history(error: float):
    """A one-epoch history (what the pages draw), so a test needs no training."""
    from core.training.config import History

    epoch = dict(epoch=1, step=10, train_loss=1.0, train_error=error, test_loss=1.0, test_error=error, lr=0.02)
    return History(
        steps=[{"step": 10, "epoch": 1.0, "loss": 1.0, "error": error, "lr": 0.02}],
        epochs=[{**epoch, "seconds": 1.0, "images_per_s": 100.0}],
        grad_layers=["stem.0"],
        grad_norms=[{"step": 0, "epoch": 0.0, "norms": [1.0]}],
    )


def scene_url(base: str, scene) -> str:
    """A lecture scene's link: its page and URL parameters."""
    from urllib.parse import urlencode

    return f"{base}/{scene.page.url_path}" + (f"?{urlencode(scene.params, doseq=True)}" if scene.params else "")


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh data folder (CONVATLAS_HOME) for one test."""
    monkeypatch.setenv("CONVATLAS_HOME", str(tmp_path))
    return tmp_path


def app_page(path: str, query: dict[str, str], timeout: int = 60):
    """An AppTest of the whole app switched to `path` with these URL parameters (as a link opens it)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.run()
    at.switch_page(path)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def watched(at, key: str):
    """The runs a page's training panel `key` watches, as the engine reports them (core.training.jobs)."""
    from core.training import jobs

    return jobs.BOARD.view(at.session_state[f"{key}_ids"])


def drive(at, key: str, until=None, timeout: float = 300):
    """Rerun an AppTest page, as the panel's fragment timer would, while the engine's workers train the
    panel's runs; stops when `until(job)` holds (default: nothing queued or training any more)."""
    until = until or (lambda job: not job.active)
    deadline = time.time() + timeout
    while not until(watched(at, key)):
        assert time.time() < deadline, f"{key}: still {[r.status for r in watched(at, key).runs]}"
        time.sleep(0.25)
        at.run()
    return at.run()


def wait_idle(page, timeout_ms: int = 60_000) -> None:
    """Wait until the script has finished its run (Streamlit marks the app element)."""
    page.wait_for_timeout(300)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout_ms)


def assert_no_exception(page) -> None:
    boxes = page.locator("[data-testid='stException']")
    assert boxes.count() == 0, boxes.first.inner_text()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def widget_keys(at) -> set[str]:
    """Keys of every widget (and keyed container) the AppTest run rendered."""
    keys, stack = set(), [at._tree]
    while stack:
        node = stack.pop()
        key = getattr(node, "key", None)
        if key and not str(key).startswith("$$"):
            keys.add(str(key))
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            stack.extend(children.values())
    return keys


def pytest_collection_modifyitems(items):
    """Markers by folder: `pytest -m "not browser"` is the fast lane."""
    for item in items:
        folder = item.path.parent.name
        if folder in ("unit", "app", "browser"):
            item.add_marker(getattr(pytest.mark, folder))
