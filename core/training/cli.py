"""`python -m core train`: train CIFAR-family nets side by side, one line per run per epoch."""

from __future__ import annotations

import json
import sys
import time

from core.training.config import RunConfig
from core.training.engine import PairedTrainer
from core.training.store import RunStore


def run_comparison(
    arch_names: list[str], save: bool = False, emit=print, json_lines: bool = False, **overrides
) -> list[int]:
    """The `python -m core train` command: train the named nets side by side, emitting one line
    (JSON object or text) per run per epoch as it completes; optionally keep the runs in the store.
    Returns the stored run ids."""
    configs = [RunConfig.from_arch(name.strip(), **overrides) for name in arch_names if name.strip()]
    trainer = PairedTrainer(configs)

    def on_epoch(i: int, row: dict) -> None:
        config = configs[i]
        if json_lines:
            emit(json.dumps({"run": config.arch_name, "label": config.label, **row}))
        else:
            emit(
                f"{config.label:<14} epoch {row['epoch']:>3}/{config.epochs}  loss {row['train_loss']:.3f}  "
                f"train err {100 * row['train_error']:5.1f}%  test err {100 * row['test_error']:5.1f}%  "
                f"{row['seconds']:6.1f} s  {row['images_per_s']:6.0f} img/s"
            )

    trainer.on_epoch = on_epoch
    while not trainer.advance(max_seconds=2.0):
        pass
    if not save:
        return []
    store, tag = RunStore(), f"cli-{time.strftime('%Y%m%d-%H%M%S')}"
    return [store.save(config, history, model, comparison=tag) for config, model, history in trainer.results()]


def train_command(args) -> None:
    ids = run_comparison(
        args.runs.split(","),
        save=args.save,
        json_lines=args.json,
        dataset=args.dataset,
        width=args.width,
        epochs=args.epochs,
        seed=args.seed,
        lr=args.lr,
        batch_size=args.batch_size,
        preact=args.preact,
        shortcut=args.shortcut,
        final_survival=args.final_survival,
        device=args.device,
        train_limit=args.train_limit,
        warmup=args.warmup,
        schedule=args.schedule,
        weight_decay=args.weight_decay,
        decay_bn=args.decay_bn,
    )
    if ids:
        print(f"saved runs {', '.join(map(str, ids))} to the run store", file=sys.stderr)
