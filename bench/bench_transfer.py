"""The frozen strategy's linear classifier trained on cached features vs the obvious alternative,
running the frozen network on every batch of every step — same classifier init, same batches, same
run; prints both times, the ratio and that both classifiers reach the same accuracy.

    python bench/bench_transfer.py [--task mirrored] [--dataset digits32] [--depth 8] [--steps 400]

Default: the page's offline task (32x32 digits mirrored) with every labelled target image, an untrained
ResNet-8 as the frozen net (the time does not depend on its weights; pass --trained to use the stored
or a freshly trained source run). The one-off feature pass is printed too: it is what the cache costs.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import torch

from core.experiments import transfer
from core.training.device import configure_cpu
from core.training.engine import build_model


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--task", default=transfer.DEFAULT_TASK)
    p.add_argument("--dataset", default=transfer.DEFAULT_DATASET)
    p.add_argument("--depth", type=int, default=8)
    p.add_argument("--steps", type=int, default=None, help="default: the data's recipe")
    p.add_argument("--trained", action="store_true")
    args = p.parse_args()
    threads = configure_cpu()
    task = transfer.make_task(args.task, args.dataset)
    config = transfer.source_config(task, depth=args.depth)
    if args.trained:
        run_id, source, _ = transfer.source_network(task, config)
        key = f"run{run_id}"
    else:
        torch.manual_seed(0)
        source, key = build_model(config).eval(), f"bench-untrained-{config.arch_name}"
    recipe = transfer.recipe_for(args.dataset)
    recipe = recipe if args.steps is None else replace(recipe, steps=args.steps)
    start = time.perf_counter()
    features = transfer.cached_features(source, key, task.target)
    read = time.perf_counter() - start
    feature_pass = features.seconds or read
    fresh = build_model(config)
    cached = transfer.run_strategy("frozen", source, fresh, task, transfer.ALL, 0, features, recipe)
    _, through, acc = transfer.linear_through_network(source, task, transfer.ALL, 0, recipe)
    n = len(task.target.train_y)
    print(
        f"{task.description}; frozen {config.label}; {n} labelled target images; {recipe.steps} steps; {threads} thread(s)"
    )
    print(
        f"feature pass, once:            {feature_pass:8.3f} s ({'computed' if not features.from_disk else 'read from disk'})"
    )
    print(f"linear on cached features:     {cached['train_seconds']:8.3f} s  accuracy {cached['accuracy']:.2%}")
    print(f"linear through the frozen net: {through:8.3f} s  accuracy {acc:.2%}")
    print(f"ratio (through / cached):      {through / cached['train_seconds']:8.1f}x")
    print(f"ratio incl. the feature pass:  {through / (cached['train_seconds'] + feature_pass):8.1f}x")


if __name__ == "__main__":
    main()
