"""How long the block graph takes, and what collapsing long runs of identical blocks buys.

For each big net and level: time of `to_dot` (from an already computed profile), size of the DOT,
and Graphviz layout time (`dot -Tsvg`), with the default collapse (runs > 12 shown as two, '...',
last) against drawing every block (collapse=0). Prints figures; run from the repository root:

    python bench/bench_graph.py
"""

import shutil
import subprocess
import time

from core.anatomy.graph import to_dot
from core.anatomy.profile import profile


def best_of(fn, repeat=5):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    return min(times), value


def layout_seconds(dot: str) -> float:
    start = time.perf_counter()
    subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, check=True, timeout=600)
    return time.perf_counter() - start


def main():
    have_dot = shutil.which("dot") is not None
    print(f"{'arch':20} {'level':6} {'collapse':>8} {'to_dot ms':>10} {'DOT KiB':>8} {'dot -Tsvg s':>12}")
    for arch in ("resnet34", "resnet152", "densenet201", "inception_v3", "cifar-resnet-1202"):
        result = profile(arch)
        for level in ("block", "layer"):
            for collapse in (12, 0):
                seconds, dot = best_of(lambda: to_dot(result, level, collapse=collapse))
                layout = f"{layout_seconds(dot):12.2f}" if have_dot else f"{'n/a':>12}"
                print(f"{arch:20} {level:6} {collapse:8d} {seconds * 1e3:10.1f} {len(dot) / 1024:8.1f} {layout}")


if __name__ == "__main__":
    main()
