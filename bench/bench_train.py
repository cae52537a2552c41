"""Training speed: the page's four-run comparison, and the engine vs a minimal hand-written loop.

1. plain-20/56 + ResNet-20/56 by a dataset's recipe (the page's presets: `--dataset digits --width 16`,
   the quick one, target <= 30 s on a 2-core CPU; `--dataset digits32 --width 8`, CIFAR's geometry,
   target <= 2 min): total wall time through `PairedTrainer`, and each run's final errors.
2. The engine's loop vs the obvious alternative, a bare PyTorch loop with the same model, optimiser,
   batch order and per-epoch test pass, on the same nets in the same process (alternating, best of
   `--repeats`): the ratio is the cost of the engine's bookkeeping (target: <= 1.2). A CPU figure:
   the bare loop has no channels_last/bf16, so on CUDA the ratio would compare different recipes.

`python bench/bench_train.py [--dataset digits] [--width 16] [--epochs 2] [--repeats 2] [--skip-comparison]`; `--device cuda` with
`--synthetic-cifar` times ResNet-56 epochs on CIFAR-10-sized random data (no download needed).
"""

from __future__ import annotations

import argparse
import math
import os
import time

import torch
import torch.nn.functional as F

from core.training.config import RunConfig
from core.training.data import Dataset, load_dataset
from core.training.device import configure_cpu
from core.training.engine import PairedTrainer, build_model, epoch_plan

FOUR = ["cifar-plain-20", "cifar-plain-56", "cifar-resnet-20", "cifar-resnet-56"]


def engine_run(config: RunConfig, data: Dataset) -> float:
    start = time.perf_counter()
    trainer = PairedTrainer([config], data)
    while not trainer.advance(max_seconds=0.5):  # the page's chunking
        pass
    return time.perf_counter() - start


def hand_run(config: RunConfig, data: Dataset) -> float:
    """What one would write by hand: same init seed, optimiser, schedule and batch order."""
    start = time.perf_counter()
    device = torch.device("cuda" if config.device == "cuda" else "cpu")
    torch.manual_seed(config.seed)
    model = build_model(config).train().to(device)
    decay = [p for p in model.parameters() if p.ndim > 1]
    rest = [p for p in model.parameters() if p.ndim <= 1]
    opt = torch.optim.SGD(
        [
            {"params": decay, "weight_decay": config.weight_decay},
            {"params": rest, "weight_decay": config.weight_decay if config.decay_bn else 0.0},
        ],
        lr=config.lr,
        momentum=config.momentum,
    )
    x_all, y_all = data.train_x.to(device), data.train_y.to(device)
    bs = config.batch_size
    steps = len(y_all) // bs
    for epoch in range(config.epochs):
        order, _, _ = epoch_plan(len(y_all), config.seed, epoch, False)
        model.train()
        for i in range(steps):
            frac = (epoch * steps + i) / (steps * config.epochs)
            if config.schedule == "cosine":
                lr = config.lr * 0.5 * (1 + math.cos(math.pi * frac))
            else:
                lr = config.lr * 0.1 ** ((frac >= 0.5) + (frac >= 0.75))
            for g in opt.param_groups:
                g["lr"] = lr
            idx = order[i * bs : (i + 1) * bs].to(device)
            loss = F.cross_entropy(model(x_all[idx]), y_all[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            test_error = (model(data.test_x.to(device)).argmax(1) != data.test_y.to(device)).float().mean().item()
    assert 0 <= test_error <= 1
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="digits", help="digits (the quick preset) or digits32")
    parser.add_argument("--width", type=int, default=16, help="16 with digits, 8 with digits32 (the presets)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per run in the engine-vs-hand part")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--skip-comparison", action="store_true")
    parser.add_argument("--synthetic-cifar", action="store_true")
    args = parser.parse_args()
    threads = configure_cpu() if args.device == "cpu" else 0
    print(
        f"# bench_train: device={args.device} threads={threads} load={os.getloadavg()[0]:.1f} torch={torch.__version__}"
    )
    data = load_dataset(args.dataset)

    if not args.skip_comparison:
        configs = [RunConfig.from_arch(n, dataset=args.dataset, width=args.width, device=args.device) for n in FOUR]
        c = configs[0]
        PairedTrainer(configs, data)  # first-use costs (optimizer import, kernels) out of the timing
        start, cpu_start = time.perf_counter(), time.process_time()
        trainer = PairedTrainer(configs, data)
        while not trainer.advance(max_seconds=0.5):
            pass
        total, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        # CPU seconds used: on a shared machine, the wall time a quiet one would need with these threads
        print(
            f"four-run comparison ({c.dataset}, {c.epochs} epochs, width {c.width}, batch {c.batch_size}, lr {c.lr:g}, "
            f"{c.schedule}): {total:.1f} s wall, "
            f"{cpu:.1f} s CPU ({threads} thread{'s' if threads > 1 else ''})"
        )
        for r in trainer.runs:
            e = r.history.epochs[-1]
            print(
                f"  {r.config.label:<10} train err {100 * e['train_error']:5.1f}%  test err "
                f"{100 * e['test_error']:5.1f}%  {e['seconds']:5.1f} s  {e['images_per_s']:6.0f} img/s"
            )

    for name in ("cifar-plain-20", "cifar-resnet-56"):
        config = RunConfig.from_arch(
            name, dataset=args.dataset, width=args.width, epochs=args.epochs, device=args.device
        )
        engine, hand = [], []
        for _ in range(args.repeats):  # alternate so load drifts hit both alike
            engine.append(engine_run(config, data))
            hand.append(hand_run(config, data))
        print(
            f"{name}, {args.epochs} epochs: engine {min(engine):.2f} s, hand-written {min(hand):.2f} s, "
            f"ratio {min(engine) / min(hand):.3f} (best of {args.repeats})"
        )

    if args.synthetic_cifar:
        g = torch.Generator().manual_seed(0)
        fake = Dataset(
            "cifar10",
            torch.randn(50_000, 3, 32, 32, generator=g),
            torch.randint(0, 10, (50_000,), generator=g),
            torch.randn(10_000, 3, 32, 32, generator=g),
            torch.randint(0, 10, (10_000,), generator=g),
            10,
            3,
            32,
            augment=True,
        )
        config = RunConfig.from_arch("cifar-resnet-56", dataset="cifar10", epochs=2, batch_size=128, device=args.device)
        trainer = PairedTrainer([config], fake)
        while not trainer.advance(max_seconds=5.0):
            pass
        for e in trainer.runs[0].history.epochs:
            print(
                f"ResNet-56 CIFAR-10-sized synthetic data, epoch {e['epoch']}: {e['seconds']:.1f} s cumulative, "
                f"{e['images_per_s']:.0f} img/s"
            )


if __name__ == "__main__":
    main()
