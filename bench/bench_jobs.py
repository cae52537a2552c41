"""Training as shared jobs (core.training.jobs) against the obvious alternative, training inside each session.

1. N sessions press Start with identical settings (a four-run comparison): with jobs, N threads call
   `jobs.submit` at once (what N training panels do) and wait; before, each session trained its own
   copy (`PairedTrainer` in its own thread, as the panel did until now). Prints the jobs executed and
   the wall time to the last finished session, against one session alone.
2. A depth x width sweep on one worker vs two (the embedded engine, `CONVATLAS_WORKERS`): the speed-up.

Each measurement starts from an empty store in a temporary CONVATLAS_HOME; the embedded engine is
started (and its workers' imports paid) before the clock starts.
Run: python bench/bench_jobs.py [--sessions 20] [--skip-before]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COMPARISON = dict(depths=(8, 14), width=4, epochs=3, batch_size=32)  # the page's tiny demo, a few seconds
SWEEP = [(depth, width) for depth in (8, 14, 20) for width in (4, 8)]


def comparison(seed: int = 0):
    from core.training.config import RunConfig

    c = COMPARISON
    return [
        RunConfig(net=net, depth=d, width=c["width"], epochs=c["epochs"], batch_size=c["batch_size"], seed=seed)
        for d in c["depths"]
        for net in ("plain", "resnet")
    ]


def fresh_home() -> None:
    os.environ["CONVATLAS_HOME"] = tempfile.mkdtemp(prefix="convatlas-bench-jobs-")
    from core.training import jobs

    jobs.BOARD.forget()


def wait_all(ids, store) -> None:
    from core.training import jobs

    while jobs.BOARD.view(ids, store).active:
        time.sleep(0.2)


def sessions_with_jobs(n: int, seed: int) -> tuple[float, int]:
    """(seconds to the last session seeing all four runs finished, runs trained)."""
    from core.training import jobs
    from core.training.store import RunStore

    fresh_home()
    store = RunStore()
    configs, done = comparison(seed), []

    def session(i: int) -> None:
        ids = jobs.submit(configs, owner=f"session-{i}", store=store)
        wait_all(ids, store)
        done.append(time.perf_counter())

    start = time.perf_counter()
    threads = [threading.Thread(target=session, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    trained = sum(r.attempt for r in store.list())  # every (re)start of a run is one attempt
    return max(done) - start, trained


def sessions_training_themselves(n: int, seed: int) -> float:
    """Seconds to the last session done when each trains its own copy in its own thread (before)."""
    from core.training.engine import PairedTrainer

    done = []

    def session() -> None:
        trainer = PairedTrainer(comparison(seed))
        while not trainer.advance(max_seconds=0.3):  # the old panel's tick
            pass
        done.append(time.perf_counter())

    start = time.perf_counter()
    threads = [threading.Thread(target=session) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return max(done) - start


def sweep(workers: int) -> float:
    """Seconds for the sweep on an embedded engine of `workers` workers (a fresh process: one engine each)."""
    code = f"""
import os, sys, tempfile, time
sys.path.insert(0, {str(ROOT)!r})
os.environ["CONVATLAS_HOME"] = tempfile.mkdtemp()
os.environ["CONVATLAS_WORKERS"] = "{workers}"
from core.training import jobs
from core.training.config import RunConfig
from core.training.store import RunStore
jobs.client().submit(sum, [1]).result()  # engine up and a worker warm
configs = [RunConfig(net="resnet", depth=d, width=w, epochs=2, batch_size=32, seed=1) for d, w in {SWEEP!r}]
start = time.perf_counter()
ids = jobs.submit(configs, owner="bench")
while jobs.BOARD.view(ids).active:
    time.sleep(0.2)
print(time.perf_counter() - start)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=1800)
    if out.returncode:
        raise SystemExit(out.stderr)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--skip-before", action="store_true", help="skip N sessions training their own copies")
    args = parser.parse_args()
    from core.training import jobs

    fresh_home()
    jobs.client().submit(sum, [1]).result()  # start the engine outside the timings
    sessions_with_jobs(1, seed=99)  # warm-up: the workers import torch and load the data once
    one, one_trained = sessions_with_jobs(1, seed=1)
    many, many_trained = sessions_with_jobs(args.sessions, seed=2)
    runs = len(comparison())
    print(f"machine: {os.cpu_count()} cores, embedded engine with {jobs.local_workers()} workers")
    print(f"comparison: {runs} runs ({', '.join(c.label for c in comparison())}), {COMPARISON['epochs']} epochs")
    print(f"jobs   · 1 session : {one:6.1f} s, {one_trained} runs trained")
    print(
        f"jobs   · {args.sessions} sessions: {many:6.1f} s, {many_trained} runs trained "
        f"(identical Start presses: one set of jobs; {many / one:.2f}x the time of one session)"
    )
    if not args.skip_before:
        alone = sessions_training_themselves(1, seed=1)
        crowd = sessions_training_themselves(args.sessions, seed=2)
        print(f"before · 1 session : {alone:6.1f} s, {runs} runs trained (in the session's thread)")
        print(
            f"before · {args.sessions} sessions: {crowd:6.1f} s, {runs * args.sessions} runs trained "
            f"({crowd / alone:.1f}x the time of one session)"
        )
        print(f"ratio  · {args.sessions} sessions, before / jobs: {crowd / many:.1f}x faster with shared jobs")
    one_worker, two_workers = sweep(1), sweep(2)
    print(f"sweep  · {len(SWEEP)} runs (depth x width), one worker: {one_worker:6.1f} s")
    print(f"sweep  · {len(SWEEP)} runs, two workers: {two_workers:6.1f} s ({one_worker / two_workers:.2f}x speed-up)")


if __name__ == "__main__":
    main()
