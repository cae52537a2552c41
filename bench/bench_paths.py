"""Single-block lesion sweep of a 56-layer net over the default test set (8x8 digits, 359 images).

Three ways to get the test error with each of the 27 blocks of ResNet-56 deleted in turn:
  ours   paths.lesion_single: one model, a forward hook per deletion, and the intact prefix
         (the input of every block) computed once, so deletion i runs only blocks i..n
  hooks  a forward hook per deletion, a full forward pass each time
  naive  deep-copy the model per deletion and zero the copy's branch (its last BN scale and shift)
All must give the same errors; the ratios are measured in the same run, so the noise of a shared
CPU mostly cancels. Wall time and this process's CPU time are printed: on a box shared with other
jobs the CPU time is the better guide to an idle machine. Weights are untrained: the cost of a
forward pass does not depend on them. Target for ours: <= 10 s. Each is timed with torch's default
threads and with one thread (what paths.analyse uses for the page and the CLI: on 8x8 maps the
intra-op threads cost more than they give).
"""

import copy
import time

import torch

from core.experiments import paths
from core.models import zoo
from core.training.data import load_dataset


def hooks_sweep(model, x, y) -> list[float]:
    errors = []
    for name, _ in model.blocks():
        with paths.deleted(model, [name]):
            errors.append(paths.test_error(model, x, y))
    return errors


def naive_sweep(model, x, y) -> list[float]:
    errors = []
    for i in range(len(model.blocks())):
        lesioned = copy.deepcopy(model)
        last_bn = lesioned.blocks()[i][1].branch[-1]
        last_bn.weight.data.zero_()
        last_bn.bias.data.zero_()
        errors.append(paths.test_error(lesioned, x, y))
    return errors


def measure(fn, repeats=1):
    """Best wall and CPU seconds of `repeats` calls, and the last result."""
    walls, cpus, result = [], [], None
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus), result


def main():
    torch.set_flush_denormal(True)
    data = load_dataset("digits")
    x, y = data.test_x, data.test_y
    torch.manual_seed(0)
    model = zoo.build("cifar-resnet-56", in_channels=data.in_channels, num_classes=data.num_classes).eval()
    print(f"test set: {len(y)} images {tuple(x.shape[1:])}, ResNet-56 ({len(model.blocks())} blocks)")
    for threads in (torch.get_num_threads(), 1):
        torch.set_num_threads(threads)
        paths.test_error(model, x, y)  # warm-up
        intact = measure(lambda: paths.test_error(model, x, y), 3)
        ours = measure(lambda: paths.lesion_single(model, x, y)["error"].tolist())
        hooks = measure(lambda: hooks_sweep(model, x, y))
        naive = measure(lambda: naive_sweep(model, x, y))
        assert ours[2] == hooks[2] == naive[2], "the three sweeps disagree"
        print(f"\ntorch threads = {threads}            wall s   cpu s")
        print(f"  one intact forward pass      {intact[0]:7.2f} {intact[1]:7.2f}")
        for label, (wall, cpu, _) in (
            ("ours (hooks + shared prefix)", ours),
            ("hooks, full pass each", hooks),
            ("deepcopy per deletion", naive),
        ):
            print(f"  {label:<28} {wall:7.2f} {cpu:7.2f}")
        print(
            f"  naive / ours: {naive[0] / ours[0]:.2f}x wall, {naive[1] / ours[1]:.2f}x cpu;"
            f"  hooks / ours: {hooks[0] / ours[0]:.2f}x wall, {hooks[1] / ours[1]:.2f}x cpu  (target ours <= 10 s)"
        )
    params = sum(p.numel() for p in model.parameters())
    print(f"\nextra memory: hooks 0, copies {params * 4 / 2**20:.1f} MiB of weights per deletion")


if __name__ == "__main__":
    main()
