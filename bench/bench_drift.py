"""Linear CKA matrix of a 56-layer net on 500 examples: one hooked forward pass + vectorised CKA,
against the obvious alternative (one forward pass per layer pair, CKA computed pair by pair), same run.

    python bench/bench_drift.py

Representations: the stem output and the output of each of the 27 blocks of ResNet-56 (28 layers,
406 pairs incl. the diagonal). Default data: the offline 8x8 digits. A CIFAR-sized 32x32 input is
timed too (the naive path there on a sample of pairs, extrapolated: all 406 would take minutes).
"""

from __future__ import annotations

import statistics
import time

import torch

from core.experiments import drift
from core.models import zoo
from core.training.data import load_dataset
from core.training.device import configure_cpu

EXAMPLES, REPEATS = 500, 3


def timed(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def fast(model, images):
    """What core.experiments.drift does: every representation from one pass, all pairs as one matrix product."""
    trace = drift.gather(model, images)
    return drift.linear_cka(trace.states)


def modules_of(model):
    return [model.stem] + [block for _, block in model.blocks()]


@torch.no_grad()
def two_layers(model, images, i, j):
    """One forward pass that keeps only layers i and j (what a per-pair loop has to do)."""
    kept = {}
    mods = modules_of(model)
    handles = [
        mods[k].register_forward_hook(lambda m, a, out, k=k: kept.__setitem__(k, out.flatten(1).clone()))
        for k in {i, j}
    ]
    model(images)
    for h in handles:
        h.remove()
    return kept[i], kept[j]


def pair_cka(x, y):
    """The same linear CKA, one pair at a time: both centred Gram matrices rebuilt for every pair."""
    xc, yc = x - x.mean(0), y - y.mean(0)
    k, l = xc @ xc.T, yc @ yc.T
    return ((k * l).sum() / (k.norm() * l.norm())).item()


def naive(model, images, pairs):
    out = {}
    for i, j in pairs:
        x, y = two_layers(model, images, i, j)
        out[i, j] = pair_cka(x, y)
    return out


def main():
    configure_cpu()  # as the app does: flush denormals, threads fitted to the machine's load
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    data = load_dataset("digits")
    pool = torch.cat([data.train_x, data.test_x])
    # (title, images, pairs timed on the naive path (None: all), repeats of the fast path)
    cases = [
        ("digits 8x8 (default data)", pool[:EXAMPLES], None, REPEATS),
        ("CIFAR-sized 3x32x32 (random inputs)", torch.randn(EXAMPLES, 3, 32, 32), 6, 1),
    ]
    for title, images, sample, repeats in cases:
        torch.manual_seed(0)
        model = zoo.build("cifar-resnet-56", in_channels=images.shape[1])
        drift.calibrate_batchnorm(model, images)
        layers = len(modules_of(model))
        pairs = [(i, j) for i in range(layers) for j in range(i, layers)]
        t_gather, trace = timed(lambda: drift.gather(model, images), repeats)
        t_cka, matrix = timed(lambda: drift.linear_cka(trace.states), repeats)
        t_fast, _ = timed(lambda: fast(model, images), repeats)
        picked = pairs if sample is None else pairs[:: max(1, len(pairs) // sample)][:sample]
        start = time.perf_counter()
        slow = naive(model, images, picked)
        t_naive = (time.perf_counter() - start) * len(pairs) / len(picked)
        diff = max(abs(slow[i, j] - matrix[i, j].item()) for i, j in picked)
        print(f"\n== ResNet-56, {EXAMPLES} examples, {title}: {layers} layers, {len(pairs)} pairs")
        print(f"one pass, all activations : {t_gather:7.3f} s  (median of {repeats})")
        print(f"vectorised linear CKA     : {t_cka:7.3f} s")
        print(f"CKA matrix, end to end    : {t_fast:7.3f} s  (target on the default data: <= 5 s)")
        extrapolated = "" if sample is None else f"  (timed on {len(picked)} pairs, extrapolated)"
        print(f"naive: pass + CKA per pair: {t_naive:7.3f} s{extrapolated}")
        print(f"speed-up                  : {t_naive / t_fast:7.1f}x   max |CKA difference| {diff:.2e}")


if __name__ == "__main__":
    main()
