"""Server memory over repeated and varied visits: does it level off below the caches' stated ceiling?

Starts `streamlit run` for each checkout given, then opens (one new browser session each, one after
another) 1. the same heavy link N times, 2. N distinct heavy variants (width x level x input size), and
prints the server's RSS after each visit. The ceiling printed is the sum of the bounded caches' budgets
(core.memo) over the server's RSS after its first visit.
Run: python bench/bench_memory.py [--visits 30] [--tree DIR ...]
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

from bench_load import CHROMIUM, ROOT, Server, cpu_seconds, rss_mib

HEAVY = "Architecture?arch=cifar-resnet-1202&level=layer"


def variants():
    for width, level, side in itertools.product((8, 12, 16, 24, 32, 48, 64), ("layer", "block", "stage"), (32, 40)):
        yield f"Architecture?arch=cifar-resnet-1202&width={width}&level={level}&h={side}&w={side}"


def visit(browser, url: str, timeout_ms: int) -> bool:
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        page.goto(url, timeout=timeout_ms)
        page.wait_for_selector("[data-testid='stGraphVizChart'], [data-testid='stAlert']", timeout=timeout_ms)
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout_ms)
        return True
    except Exception:  # noqa: BLE001
        return False
    finally:
        context.close()


def series(tree: Path, visits: int, timeout_s: float) -> None:
    from playwright.sync_api import sync_playwright

    server = Server(tree)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            for name, urls in (("same link", [HEAVY] * visits), ("variants", list(variants())[:visits])):
                rss, cpu = [], []
                for url in urls:
                    before, start = cpu_seconds(server.proc.pid), time.perf_counter()
                    ok = visit(browser, f"{server.url}/{url}", int(timeout_s * 1000))
                    cpu.append(cpu_seconds(server.proc.pid) - before)
                    rss.append(rss_mib(server.proc.pid))
                    print(f"  {tree.name} {name}: {len(rss):>3} {'ok' if ok else 'TIMEOUT'} "
                          f"{time.perf_counter() - start:6.1f} s  server CPU {cpu[-1]:5.1f} s  RSS {rss[-1]:6.0f} MiB",
                          flush=True)  # fmt: skip
                print(f"{tree.name} {name}: RSS MiB " + " ".join(f"{r:.0f}" for r in rss), flush=True)
                print(f"{tree.name} {name}: server CPU s/visit " + " ".join(f"{c:.1f}" for c in cpu), flush=True)
            browser.close()
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=30)
    parser.add_argument("--tree", type=Path, action="append")
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    try:
        import sys

        sys.path.insert(0, str(ROOT))
        from core import memo
        from core.anatomy import profile  # noqa: F401  (registers its caches)
        from core.training import data  # noqa: F401
        from ui import cached, figures  # noqa: F401

        print(f"bounded caches of this checkout: ceiling {memo.ceiling() / 2**20:.0f} MiB over the first visit")
        for c in memo.CACHES:
            print(f"  {c.name}: {c.max_entries} entries, {c.max_bytes / 2**20:.0f} MiB")
    except ImportError:
        pass
    for tree in args.tree or [ROOT]:
        series(tree.resolve(), args.visits, args.timeout)


if __name__ == "__main__":
    main()
