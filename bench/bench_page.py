"""How fast the Architecture and Compare pages re-render (AppTest: the whole script, as a rerun runs it).

Each change is timed with the page's caches warm (what a user gets when switching back and forth) and
with the page's caches cleared first (the obvious alternative: recompute profile, DOT, tables and figures on
every rerun; core's traced structures stay, so this is the cost of the derived data alone).
Run: python bench/bench_page.py
"""

import statistics
import time
from pathlib import Path

import streamlit as st
from streamlit.logger import set_log_level
from streamlit.testing.v1 import AppTest

from core import memo

ROOT = Path(__file__).resolve().parents[1]
REPEATS = 5
set_log_level("error")  # st.cache_data.clear() outside a server logs every call


def timed(at, change) -> float:
    start = time.perf_counter()
    change(at).run()
    assert not at.exception, at.exception
    return time.perf_counter() - start


def median_of(at, changes, clear: bool) -> float:
    times = []
    for _ in range(REPEATS):
        for change in changes:
            if clear:
                st.cache_data.clear()
                for cache in memo.CACHES:  # the page's bounded caches (ui.cached), core's structures excepted
                    if not cache.name.startswith("core."):
                        cache.cache_clear()
                st.cache_resource.clear()  # the figures are shared via cache_resource
            times.append(timed(at, change))
    return statistics.median(times)


def main():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    start = time.perf_counter()
    at.switch_page("pages/1_Architecture.py").run()
    print(
        f"Architecture page, first render in a fresh process (imports, zoo, first trace): "
        f"{time.perf_counter() - start:.2f} s"
    )
    archs = ["resnet34", "vgg19", "resnet152", "googlenet", "cifar-resnet-110"]
    for name in archs:  # trace each once: the benchmark is about re-rendering, not first tracing
        at.selectbox(key="arch").set_value(name).run()
    start = time.perf_counter()
    at.selectbox(key="arch").set_value("densenet121").run()
    print(
        f"switch to an architecture never seen before (densenet121, includes its trace): "
        f"{time.perf_counter() - start:.2f} s\n"
    )

    cases = {
        "architecture (5 nets in turn)": [lambda a, n=n: a.selectbox(key="arch").set_value(n) for n in archs],
        "graph level (stage/block/layer)": [
            lambda a, lv=lv: a.radio(key="level").set_value(lv) for lv in ("stage", "block", "layer")
        ],
        "input size (192/224/256 px high)": [
            lambda a, h=h: a.number_input(key="h").set_value(h) for h in (192, 224, 256)
        ],
    }
    print(f"{'Architecture page, change of':36} {'cached':>9} {'uncached':>9} {'speed-up':>9}")
    for label, changes in cases.items():
        at.selectbox(key="arch").set_value("resnet152").run()  # the biggest of the five
        warm = median_of(at, changes, clear=False)
        cold = median_of(at, changes, clear=True)
        print(f"{label:36} {warm:8.3f}s {cold:8.3f}s {cold / warm:8.1f}x")
    at.number_input(key="h").set_value(None).run()

    at.switch_page("pages/2_Compare.py")
    start = time.perf_counter()
    at.run()
    print(f"\nCompare page, first render (includes the zoo's accuracy scatter): {time.perf_counter() - start:.2f} s")
    trios = [
        ["vgg19", "plain34", "resnet34"],
        ["resnet50", "resnet50-paper"],
        ["googlenet", "googlenet-5x5", "inception_v3"],
    ]
    changes = [lambda a, t=t: a.multiselect(key="archs").set_value(t) for t in trios]
    warm = median_of(at, changes, clear=False)
    cold = median_of(at, changes[:1], clear=True)
    print(f"{'Compare page, change of selection':36} {warm:8.3f}s {cold:8.3f}s {cold / warm:8.1f}x")


if __name__ == "__main__":
    main()
