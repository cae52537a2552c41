"""Counting speed: ConvAtlas's profile() vs fvcore, ptflops, thop and torchinfo, in the same run.

Scenario of issue 2: the model is already loaded (built once, as a page or notebook would hold it)
and the user asks for its counts at a NEW input size. The other tools run a real forward pass;
profile() reuses the traced structure and applies closed-form rules. Also: time to load (build +
trace + first count) an architecture not seen before.

    make bench   (or: .venv/bin/python bench/bench_count.py)
"""

from __future__ import annotations

import contextlib
import io
import statistics
import time

import torch

from core.anatomy.profile import profile
from core.models import zoo

torch.set_num_threads(max(1, torch.get_num_threads()))
SIZES = [(3, 224, 224), (3, 256, 256), (3, 288, 288), (3, 320, 320)]  # each one new to every tool


def best_of(fn, sizes):
    times = []
    for size in sizes:
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            fn(size)
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def counters(model):
    from fvcore.nn import FlopCountAnalysis
    from ptflops import get_model_complexity_info
    from thop import profile as thop_profile
    from torchinfo import summary

    def fvcore_count(size):
        analysis = FlopCountAnalysis(model, torch.zeros(1, *size))
        analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
        return analysis.total()

    return {
        "convatlas": lambda size: profile(model, size).total_macs,
        "fvcore": fvcore_count,
        "ptflops": lambda size: get_model_complexity_info(model, size, as_strings=False, print_per_layer_stat=False),
        "thop": lambda size: thop_profile(model, inputs=(torch.zeros(1, *size),), verbose=False),
        "torchinfo": lambda size: summary(model, input_size=(1, *size), verbose=0),
    }


def main():
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; times per count at a new input size")
    for name in ("vgg19", "resnet152"):
        model = zoo.build(name)  # built once, real weights, eval mode
        profile(model, (3, 200, 200))  # ConvAtlas traces once per loaded model (counted in 'load' below)
        with torch.no_grad():
            results = {tool: best_of(fn, SIZES) for tool, fn in counters(model).items()}
        ours = results.pop("convatlas")
        fastest_tool, fastest = min(results.items(), key=lambda kv: kv[1][0])
        print(f"\n{name}: ConvAtlas {ours[0] * 1e3:7.2f} ms (median {ours[1] * 1e3:.2f} ms)")
        for tool, (best, median) in results.items():
            print(
                f"  {tool:10s} {best * 1e3:9.1f} ms (median {median * 1e3:.1f} ms)  -> ConvAtlas is {best / ours[0]:6.1f}x faster"
            )
        print(f"  speed-up over the fastest other tool ({fastest_tool}): {fastest[0] / ours[0]:.1f}x (target >= 10x)")
        # the same figure from the other tools, as a sanity check of agreement
        thop_macs = counters(model)["thop"](SIZES[0])[0]
        print(f"  MACs at 224: ConvAtlas {profile(model, SIZES[0]).total_macs:,} vs thop {int(thop_macs):,}")

    print("\nLoading an architecture not seen before (build on meta + trace + first count):")
    for name in ("resnet152", "vgg19", "densenet121", "inception_v3", "xception", "cifar-resnet-110"):
        start = time.perf_counter()
        profile(name)
        print(f"  {name:18s} {(time.perf_counter() - start) * 1e3:7.1f} ms")


if __name__ == "__main__":
    main()
