"""A running class setup (docs/DEPLOY.md) measured from outside, through its proxy, with real browsers.

N sessions (headless Chromium, one context each) open Plain vs Residual with the same small settings
and press Start within about a second; then one session alone presses Start on a fresh seed. Prints
the time from the first press to the last session showing "finished" for both, their ratio, how many
jobs the store holds for each seed (one comparison = 4 runs, however many pressed), and the memory
(RSS) and CPU time (during the N-session phase, which includes opening the pages) of every worker
process of the engine and of the Streamlit replicas found on this machine.

Against a deployment that is already up (it starts nothing):
    CONVATLAS_STORE=postgresql+psycopg://... CONVATLAS_SCHEDULER=tcp://127.0.0.1:8786 \\
        python bench/bench_class_setup.py --url http://127.0.0.1:8080 --sessions 10 --seed 100
Each run needs seeds not trained before (a finished run is replayed at once, which is not the
measurement): pass a new --seed.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CHROMIUM = "/usr/bin/chromium"
SETTINGS = "pvr_depths=8&pvr_depths=14&pvr_width=4&pvr_epochs=2&pvr_batch=64"


def press_start_and_wait(browser, url: str, sessions: int, seed: int) -> tuple[float, float]:
    """Seconds from the first Start press to the last of `sessions` sessions showing 'finished', and
    the CPU seconds the browser spent meanwhile (opening the pages included; read before they close)."""
    browser_cpu = browser_seconds()
    contexts = [browser.new_context(viewport={"width": 1280, "height": 720}) for _ in range(sessions)]
    pages = [c.new_page() for c in contexts]
    try:
        for page in pages:
            page.goto(f"{url}/Plain_vs_Residual?{SETTINGS}&pvr_seed={seed}")
        for page in pages:
            page.locator(".st-key-pvr_start button").wait_for(timeout=180_000)
            page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=180_000)
        started = time.time()
        for page in pages:
            page.locator(".st-key-pvr_start button").click(no_wait_after=True)
        for page in pages:
            page.get_by_text(re.compile(r"finished · 100%")).first.wait_for(timeout=600_000)
        return time.time() - started, browser_seconds() - browser_cpu
    finally:
        for context in contexts:
            context.close()


def jobs_for_seed(seed: int) -> tuple[int, list[int]]:
    from core.training.store import RunStore

    rows = [r for r in RunStore().list() if r.config.seed == seed and r.config.width == 4]
    return len(rows), sorted(r.attempt for r in rows)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def browser_seconds() -> float:
    """CPU time of this bench's own child processes (Playwright's driver and Chromium), live ones."""
    import psutil

    total = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def processes() -> dict[str, int]:
    """The engine's worker processes (asked through the scheduler; on this machine) and the
    `streamlit run` replicas on this machine: name -> pid."""
    from distributed import Client

    with Client(os.environ["CONVATLAS_SCHEDULER"], timeout=30, set_as_default=False) as client:
        found = {f"worker {name}": pid for name, pid in client.run(os.getpid).items()}
    out = subprocess.run(["pgrep", "-f", "streamlit run app.py"], capture_output=True, text=True).stdout
    return found | {f"streamlit replica pid {p}": int(p) for p in out.split()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the proxy (or one replica), e.g. http://127.0.0.1:8080")
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--seed", type=int, default=100, help="seeds SEED (N sessions) and SEED+1 (one session)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        procs = processes()
        cpu = {name: cpu_seconds(pid) for name, pid in procs.items()}
        wall = time.time()
        many, browser_cpu = press_start_and_wait(browser, args.url, args.sessions, args.seed)
        wall = time.time() - wall
        cpu = {name: cpu_seconds(pid) - cpu[name] for name, pid in procs.items()}
        one, _ = press_start_and_wait(browser, args.url, 1, args.seed + 1)
        browser.close()
    rows_many, attempts_many = jobs_for_seed(args.seed)
    rows_one, _ = jobs_for_seed(args.seed + 1)
    print(f"{args.sessions} sessions pressing Start (seed {args.seed}): all finished after {many:.1f} s")
    print(f"1 session pressing Start (seed {args.seed + 1}): finished after {one:.1f} s")
    print(f"ratio {args.sessions} sessions / 1 session: {many / one:.2f}x")
    print(
        f"runs in the store: seed {args.seed}: {rows_many} (attempts {attempts_many}); seed {args.seed + 1}: {rows_one}"
    )
    print(
        f"{args.sessions}-session phase: {wall:.0f} s wall (opening the pages included); the browser's processes used {browser_cpu:.0f} CPU s"
    )
    for name, pid in procs.items():
        print(f"{name}: {rss_mib(pid):.0f} MiB RSS; {cpu[name]:.0f} CPU s during the {args.sessions}-session phase")


if __name__ == "__main__":
    main()
