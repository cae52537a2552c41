"""N simultaneous sessions opening one page, against a real `streamlit run` server: how long each waits,
how many are served at all, and the server's CPU time per session and its memory.

Each session is a headless Chromium page (one browser, one context per session, opened at once); a
session is served when the app marks its script run finished ([data-test-script-state=notRunning])
with the page's graph drawn, and dropped if that does not happen within the timeout or the page shows
the "connection" error. Server CPU is read from /proc (user+system of the server process) before the
sessions open and after the last one finished; memory is the server's RSS at the end.

Compare two checkouts in one run (same machine, same minute): the obvious alternative is the code
before this change, e.g. a worktree of main:
    python bench/bench_load.py --sessions 20 --tree /work/main --tree .
`--static-proxy` puts nginx in front, as docs/DEPLOY.md does, serving Streamlit's frontend bundle from
disk (each new browser fetches ~40 files, ~10 MB): the server's CPU is then the sessions' own, and
nginx's CPU is printed beside it. `--replicas R` starts R servers behind that nginx, each browser pinned
to one by DEPLOY.md's cookie; CPU per session is then summed over the replicas, and `split` says how the
sessions' CPU divided between them. `--floor` first measures a two-line Streamlit page under the same
page name and settings: what any Streamlit page costs per open, the part no page of ours can cut.
Run: python bench/bench_load.py [--sessions 20 50 100] [--page Architecture] [--tree DIR ...] [--static-proxy]
                                [--replicas 2] [--floor]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Server:
    def __init__(self, tree: Path):
        self.port = free_port()
        self.home = tempfile.mkdtemp(prefix="convatlas-bench-")
        env = {**os.environ, "CONVATLAS_HOME": self.home, "PYTHONPATH": str(tree)}
        self.log = open(Path(self.home) / "server.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.address", "127.0.0.1", "--server.port", str(self.port),
             "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
            cwd=tree, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2).read() == b"ok":
                    return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise SystemExit(f"server did not start (log: {self.log.name})")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


class StaticProxy:
    """nginx in front of the servers as docs/DEPLOY.md configures it: `/static/` from Streamlit's package
    folder, the rest proxied (WebSocket included), each browser pinned to one server by a cookie."""

    def __init__(self, upstreams: list[str]):
        import streamlit

        self.port = free_port()
        self.prefix = Path(tempfile.mkdtemp(prefix="convatlas-nginx-"))
        static = Path(streamlit.__file__).parent / "static" / "static"
        (self.prefix / "nginx.conf").write_text(
            f"""daemon off; worker_processes 1; pid {self.prefix}/nginx.pid; error_log {self.prefix}/error.log;
events {{ worker_connections 1024; }}
http {{
  include /etc/nginx/mime.types; access_log off;
  client_body_temp_path {self.prefix}/client_body; proxy_temp_path {self.prefix}/proxy;
  fastcgi_temp_path {self.prefix}/fastcgi; uwsgi_temp_path {self.prefix}/uwsgi; scgi_temp_path {self.prefix}/scgi;
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
  map $cookie_convatlas_replica $convatlas_affinity {{ "" $request_id; default $cookie_convatlas_replica; }}
  upstream convatlas {{ hash $convatlas_affinity consistent; {" ".join(f"server {u};" for u in upstreams)} }}
  server {{
    listen 127.0.0.1:{self.port};
    location /static/ {{ alias {static}/; expires max; }}
    location / {{
      proxy_pass http://convatlas; proxy_http_version 1.1; proxy_buffering off; proxy_read_timeout 3600s;
      proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade;
      add_header Set-Cookie "convatlas_replica=$convatlas_affinity; Path=/; HttpOnly; SameSite=Lax" always;
    }}
  }}
}}"""
        )
        for folder in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.prefix / folder).mkdir()
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(nginx).exists():
            raise SystemExit("--static-proxy needs nginx (apt-get install nginx)")
        self.proc = subprocess.Popen([nginx, "-p", str(self.prefix), "-c", str(self.prefix / "nginx.conf")])
        self.url = f"http://127.0.0.1:{self.port}"
        for _ in range(50):
            try:
                urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2)
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit("nginx did not start")

    def cpu_seconds(self) -> float:
        """Master and workers (the workers are the master's children)."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        return sum(cpu_seconds(int(pid)) for pid in [self.proc.pid, *children])

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        shutil.rmtree(self.prefix, ignore_errors=True)


async def open_session(browser, url: str, timeout_s: float) -> float | None:
    context = await browser.new_context(viewport={"width": 1280, "height": 720})
    page = await context.new_page()
    start = time.perf_counter()
    try:
        await page.goto(url, timeout=timeout_s * 1000)
        await page.wait_for_selector(
            "[data-testid='stGraphVizChart'], [data-testid='stAlert']", timeout=timeout_s * 1000
        )
        await page.wait_for_selector(
            "[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout_s * 1000
        )
        return time.perf_counter() - start
    except Exception:  # noqa: BLE001 — a timeout or a closed connection: not served
        return None
    finally:
        await context.close()


async def wave(url: str, sessions: int, timeout_s: float) -> list[float | None]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        try:
            return await asyncio.gather(*(open_session(browser, url, timeout_s) for _ in range(sessions)))
        finally:
            await browser.close()


def measure(tree: Path, page: str, counts: list[int], timeout_s: float, static_proxy: bool, replicas: int) -> list[str]:
    servers, proxy, rows = [], None, []
    try:
        for _ in range(replicas):  # one by one, so a failed start still stops the ones before it
            servers.append(Server(tree))
        proxy = StaticProxy([f"127.0.0.1:{s.port}" for s in servers]) if static_proxy or replicas > 1 else None
        url = f"{(proxy or servers[0]).url}/{page}"
        for server in servers:  # warm: imports, zoo registry, the page's analysis cached
            asyncio.run(wave(f"{server.url}/{page}", 1, timeout_s))
        for n in counts:
            before = [cpu_seconds(s.proc.pid) for s in servers]
            nginx_before = proxy.cpu_seconds() if proxy else 0.0
            start = time.perf_counter()
            times = asyncio.run(wave(url, n, timeout_s))
            wall = time.perf_counter() - start
            cpu = [cpu_seconds(s.proc.pid) - b for s, b in zip(servers, before, strict=True)]
            nginx = f"{(proxy.cpu_seconds() - nginx_before) / n:8.3f} s" if proxy else "       -  "
            split = "/".join(f"{100 * c / max(sum(cpu), 1e-9):.0f}" for c in cpu) + " %"
            served = sorted(t for t in times if t is not None)
            median = f"{statistics.median(served):6.1f}" if served else "     -"
            worst = f"{served[-1]:6.1f}" if served else "     -"
            rss = "+".join(f"{rss_mib(s.proc.pid):.0f}" for s in servers)
            rows.append(
                f"{tree.name:<10} {n:>8} {len(served):>6} {median} s {worst} s {sum(cpu) / n:8.3f} s {nginx} "
                f"{split:>9} {wall:7.1f} s {rss:>10} MiB"
            )
            print(rows[-1], flush=True)
    finally:
        if proxy:
            proxy.stop()
        for server in servers:
            server.stop()
    return rows


FLOOR_PAGE = """import gc
import streamlit as st
if not gc.get_freeze_count():  # as ui.page.setup does: Streamlit's collection after each run stays cheap
    gc.collect(); gc.freeze()
st.title("A two-line page")
st.info("Streamlit's own cost per page open")
"""


def floor_tree(page: str) -> Path:
    """A checkout-shaped folder whose app and page `page` are two lines each, with our Streamlit settings."""
    tree = Path(tempfile.mkdtemp(prefix="convatlas-floor-")) / "floor"
    (tree / "pages").mkdir(parents=True)
    shutil.copytree(ROOT / ".streamlit", tree / ".streamlit")
    (tree / "app.py").write_text(FLOOR_PAGE)
    (tree / "pages" / f"1_{page}.py").write_text(FLOOR_PAGE)
    return tree


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, nargs="+", default=[20])
    parser.add_argument("--page", default="Architecture")
    parser.add_argument("--tree", type=Path, action="append", help="checkout to serve (default: this one)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds a session may wait")
    parser.add_argument("--static-proxy", action="store_true", help="nginx serves the frontend bundle")
    parser.add_argument("--replicas", type=int, default=1, help="servers behind nginx (implies --static-proxy)")
    parser.add_argument("--floor", action="store_true", help="first, a two-line Streamlit page (tree 'floor')")
    args = parser.parse_args()
    trees = ([floor_tree(args.page)] if args.floor else []) + (args.tree or [ROOT])
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; page /{args.page}")
    print(
        f"{'tree':<10} {'sessions':>8} {'served':>6} {'median':>8} {'worst':>8} {'CPU/sess':>10} {'nginx/sess':>10}"
        f" {'split':>9} {'wall':>9} {'RSS':>14}"
    )
    for tree in trees:
        measure(tree.resolve(), args.page, args.sessions, args.timeout, args.static_proxy, args.replicas)


if __name__ == "__main__":
    main()
