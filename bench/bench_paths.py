"""Single-block lesion sweep of a 56-layer net over the default test set (8x8 digits, 359 images).

Ours: one model in memory, each deletion a forward hook on the block's branch (removed after).
Naive: deep-copy the model per deletion and zero the copy's branch (its last BN scale and shift).
Both sweep all 27 blocks of ResNet-56 and must give the same errors; the ratio is measured in the
same run, so the shared-CPU noise mostly cancels. Weights are untrained: the cost of a forward pass
does not depend on them. Target: <= 10 s for the sweep.
"""
import copy
import time

import torch

from core import paths, zoo
from core.data import load_dataset


def naive_sweep(model, x, y) -> list[float]:
    errors = []
    for i in range(len(model.blocks())):
        lesioned = copy.deepcopy(model)
        last_bn = lesioned.blocks()[i][1].branch[-1]
        last_bn.weight.data.zero_()
        last_bn.bias.data.zero_()
        errors.append(paths.test_error(lesioned, x, y))
    return errors


def best_of(repeats, fn):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main():
    torch.set_flush_denormal(True)
    data = load_dataset("digits")
    x, y = data.test_x, data.test_y
    torch.manual_seed(0)
    model = zoo.build("cifar-resnet-56", in_channels=data.in_channels, num_classes=data.num_classes).eval()
    paths.test_error(model, x, y)  # warm-up
    t_intact, _ = best_of(3, lambda: paths.test_error(model, x, y))
    t_hooks, table = best_of(3, lambda: paths.lesion_single(model, x, y))
    t_naive, naive = best_of(3, lambda: naive_sweep(model, x, y))
    assert table["error"].tolist() == naive, "hooks and copies disagree"
    n = len(table)
    print(f"test set: {len(y)} images {tuple(x.shape[1:])}, ResNet-56 ({n} blocks), threads={torch.get_num_threads()}")
    print(f"one intact forward pass:         {t_intact * 1e3:7.1f} ms")
    print(f"lesion sweep, hooks (ours):      {t_hooks:7.2f} s   ({t_hooks / n * 1e3:.1f} ms per deletion)")
    print(f"lesion sweep, deepcopy per block:{t_naive:7.2f} s   ({t_naive / n * 1e3:.1f} ms per deletion)")
    print(f"speed-up of hooks over copies:   {t_naive / t_hooks:7.2f} x  (target for ours: <= 10 s)")
    params = sum(p.numel() for p in model.parameters())
    print(f"extra memory, hooks: 0 bytes; copies: {params * 4 / 2**20:.1f} MiB of weights per deletion")

    # Random deletion and the gradient measurement on the same net, for the record.
    t_random, _ = best_of(1, lambda: paths.lesion_random(model, x, y, ks=list(range(0, 28, 3)), samples=5))
    t_grad, _ = best_of(1, lambda: paths.gradient_by_length(model, x, y))
    print(f"random deletion, k=0,3..27 x 5 samples: {t_random:.2f} s")
    print(f"gradient by path length, k=0..27 (128 inputs): {t_grad:.2f} s")


if __name__ == "__main__":
    main()
