"""Real browsers, the class setup in miniature: a Dask scheduler and one worker as separate processes,
two Streamlit servers sharing one run store and that scheduler, and 10 sessions (5 per server) that
press Start on the same Plain vs Residual settings at about the same time. One set of jobs is trained,
once, and every session ends with the same curves.

Self-contained: its own store (a SQLite file), scheduler, worker and servers, all stopped at the end.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT, SCREENSHOTS, _free_port, assert_no_exception, wait_idle

SESSIONS_PER_SERVER = 5
# 4 runs (plain/residual × depth 8/14), width 4, 2 epochs: a few seconds each on one worker thread
SETTINGS = "pvr_dataset=digits&pvr_depths=8&pvr_depths=14&pvr_width=4&pvr_epochs=2&pvr_batch=64&pvr_seed=11"
WARM_UP = (
    "from core.training import engine, jobs\n"
    "from core.training.config import RunConfig\n"
    "engine.train(RunConfig(net='plain', depth=8, width=4, epochs=1, batch_size=64, train_limit=128, device='cpu'))"
)
FIGURES = ("pvr_fig_train_error", "pvr_fig_test_error", "pvr_fig_loss", "pvr_fig_grad")


def _spawn(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    """A process in a session (process group) of its own, so it is stopped with every child it starts."""
    with open(log, "w") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _wait_healthy(url: str, process: subprocess.Popen, log: Path, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        assert process.poll() is None, f"{url} exited:\n{log.read_text()[-3000:]}"
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"streamlit server {url} did not become healthy in {seconds:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def class_setup(tmp_path_factory):
    """(server URLs, store URL, scheduler address): a scheduler, one worker, two Streamlit servers."""
    folder = tmp_path_factory.mktemp("class")
    port = _free_port()
    scheduler_address = f"tcp://127.0.0.1:{port}"
    store_url = f"sqlite:///{folder / 'runs.sqlite'}"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CONVATLAS_HOME": str(folder / "home"),
        "CONVATLAS_STORE": store_url,
        "CONVATLAS_SCHEDULER": scheduler_address,
        "DASK_DISTRIBUTED__DASHBOARD__LINK": "",
    }
    processes = []
    try:
        processes.append(
            _spawn(
                [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port)],
                env,
                folder / "scheduler.log",
            )
        )
        processes.append(
            _spawn(
                [sys.executable, "-m", "core", "worker", scheduler_address, "--threads", "1"],
                env,
                folder / "worker.log",
            )
        )
        urls = []
        for i in range(2):
            server_port = _free_port()
            command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"]
            command += ["--server.address", "127.0.0.1", "--server.port", str(server_port)]
            command += ["--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
            processes.append(_spawn(command, env, folder / f"streamlit-{i}.log"))
            urls.append(f"http://127.0.0.1:{server_port}")
        for i, url in enumerate(urls):
            _wait_healthy(url, processes[2 + i], folder / f"streamlit-{i}.log")
        _wait_for_worker(scheduler_address, folder / "worker.log")
        yield urls, store_url, scheduler_address
    finally:
        for process in reversed(processes):
            _stop(process)


def _wait_for_worker(address: str, log: Path, seconds: float = 120) -> None:
    """Until a worker has joined and trained once outside the store (a cold worker's first job spends
    most of a minute on imports and first calls on a busy 2-core machine; the test measures sharing)."""
    from distributed import Client

    with Client(address, timeout=60, set_as_default=False) as client:
        deadline = time.time() + seconds
        while not client.scheduler_info()["workers"]:
            assert time.time() < deadline, f"no worker joined {address}:\n{log.read_text()[-3000:]}"
            time.sleep(0.5)
        client.run(exec, WARM_UP)


def _finished_tasks(address: str) -> list[str]:
    """Keys of the training tasks the scheduler saw finish (its transition log), one entry per execution."""
    from distributed import Client

    def finished(dask_scheduler=None):
        return [
            str(entry[0])
            for entry in dask_scheduler.transition_log
            if str(entry[0]).startswith("convatlas-") and entry[1] == "processing" and entry[2] in ("memory", "erred")
        ]

    with Client(address, timeout=60, set_as_default=False) as client:
        return client.run_on_scheduler(finished)


def _figures(page) -> dict[str, list]:
    """The plotted data of the page's training figures, as the browser holds it (plotly's `gd.data`)."""
    out = {}
    for key in FIGURES:  # while a rerun replaces a fragment's output, Streamlit keeps earlier copies: wait for one
        page.wait_for_function(
            f"() => [...document.querySelectorAll('.st-key-{key}')].filter((e) => e.offsetParent).length === 1",
            timeout=60_000,
        )
        chart = page.locator(f".st-key-{key} >> visible=true").locator(".js-plotly-plot").first
        out[key] = chart.evaluate(
            "gd => gd.data.map(t => ({name: t.name, x: Array.from(t.x || []), y: Array.from(t.y || [])}))"
        )
    return out


def test_ten_sessions_on_two_servers_press_start_one_set_of_jobs_identical_curves(browser, class_setup):
    from core.training.store import RunStore

    urls, store_url, scheduler_address = class_setup
    contexts, pages = [], []
    try:
        for i in range(2 * SESSIONS_PER_SERVER):
            context = browser.new_context(viewport={"width": 1280, "height": 720})
            page = context.new_page()
            contexts.append(context)
            pages.append(page)
            page.goto(f"{urls[i % 2]}/Plain_vs_Residual?{SETTINGS}")
        for page in pages:
            wait_idle(page, timeout_ms=120_000)
            assert_no_exception(page)
            page.locator(".st-key-pvr_start button").wait_for(timeout=60_000)
        started = time.time()
        for page in pages:  # ten Start presses within about a second
            page.locator(".st-key-pvr_start button").click(no_wait_after=True)
        pressed = time.time() - started
        for page in pages:
            page.get_by_text(re.compile(r"finished · 100%")).first.wait_for(timeout=180_000)
        finished = time.time() - started
        for page in pages:
            wait_idle(page, timeout_ms=60_000)
            assert_no_exception(page)
        print(f"10 Start presses took {pressed:.1f} s; all 10 sessions showed 'finished' after {finished:.1f} s")

        store = RunStore(store_url)
        rows = store.list()
        assert len(rows) == 4, [(r.id, r.label, r.status) for r in rows]  # one set of jobs, not ten
        assert {r.status for r in rows} == {"finished"}
        assert [r.attempt for r in rows] == [1, 1, 1, 1]  # each submitted once: the others attached
        assert len({r.key for r in rows}) == 4 and all(r.epochs_done == 2 for r in rows)
        executed = _finished_tasks(scheduler_address)
        assert sorted(executed) == sorted(set(executed)) and len(executed) == 4, executed  # each trained once
        assert {int(re.search(r"-run(\d+)-", k).group(1)) for k in executed} == {r.id for r in rows}

        curves = [_figures(page) for page in pages]
        reference = curves[0]
        labels = sorted(t["name"] for t in reference["pvr_fig_train_error"])
        assert labels == sorted(r.label for r in rows), labels
        assert all(len(t["x"]) > 0 and len(t["y"]) == len(t["x"]) for key in FIGURES for t in reference[key])
        for i, other in enumerate(curves[1:], start=1):
            assert other == reference, f"session {i} (server {i % 2}) plots different curves"
        stored = {r.label: r.id for r in rows}
        test_error = {t["name"]: t["y"] for t in reference["pvr_fig_test_error"]}
        for label, run_id in stored.items():  # the curves are the stored runs' numbers
            epochs = store.load(run_id, with_model=False).history.epochs
            assert test_error[label] == pytest.approx([100 * e["test_error"] for e in epochs])

        page = pages[-1]
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.locator(".st-key-pvr_fig_train_error >> visible=true").scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "shared_jobs_tenth_session_1280x720.png"))
    finally:
        for context in contexts:
            context.close()
