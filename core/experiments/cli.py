"""`python -m core paths|drift|transfer ...`: the experiments on stored or freshly trained runs."""

from __future__ import annotations

import json
import math
import sys
from dataclasses import fields, replace

import pandas as pd

from core.errors import UserError
from core.experiments import drift, paths, transfer, transfer_jobs
from core.training.cli import cli_owner, run_comparison
from core.training.config import RunConfig
from core.training.data import load_dataset
from core.training.estimate import MAX_SEED
from core.training.store import RunStore


def _records(table: pd.DataFrame | None) -> list[dict] | None:
    """DataFrame -> JSON-ready rows (NaN, e.g. a plain net's undeletable block, becomes null)."""
    if table is None:
        return None
    return [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        for row in table.astype(object).to_dict("records")
    ]


def _train_for_cli(spec: str, args):
    """Train `spec` (resnet-56, plain-20, cifar-resnet-110 ...) on the job engine (a stored identical
    run is reused), epochs reported on stderr; returns (run_id, config, model)."""
    name = spec if spec.startswith("cifar-") else f"cifar-{spec}"
    overrides = {"epochs": args.epochs, "final_survival": args.final_survival, "dataset": args.dataset}
    overrides |= {"seed": args.seed, "lr": args.lr}  # None: the recipe
    [run_id] = run_comparison([name], emit=lambda line: print(line, file=sys.stderr, flush=True), **overrides)
    run = RunStore().load(run_id)
    return run_id, run.config, run.model


def _parse_ks(text: str | None) -> list[int] | None:
    if not text:
        return None
    try:
        ks = [int(k) for k in text.split(",")]
    except ValueError:
        raise UserError(f"--k takes whole numbers separated by commas, got {text!r}") from None
    if min(ks) < 0:  # k = 0 is the intact net, the sweep's starting point
        raise UserError(f"--k values must be at least 0, got {min(ks)}")
    return ks


def paths_command(args) -> None:
    """`python -m core paths`: one analysis of a stored or freshly trained run, as text or JSON."""
    ks = _parse_ks(args.k)  # every option is checked before anything is trained or loaded
    if not 1 <= args.samples <= 1000:
        raise UserError(f"--samples must be from 1 to 1000, got {args.samples}")
    if not 0 <= args.seed <= MAX_SEED:
        raise UserError(f"--seed must be from 0 to {MAX_SEED:,}, got {args.seed}")
    if args.run is not None:
        run = RunStore().load(args.run)
        if run.model is None:
            raise UserError(f"run {args.run} was stored without weights; train it again")
        run_id, config, model = args.run, run.config, run.model
    else:
        run_id, config, model = _train_for_cli(args.train, args)
    analysis = "gradient" if args.gradient else args.lesion
    data = load_dataset(config.dataset, seed=config.seed, train_limit=config.train_limit)
    result = paths.analyse(model, data.test_x, data.test_y, analysis, ks, args.samples, args.seed)
    if args.json:
        print(
            json.dumps(
                {
                    "run": run_id,
                    "net": config.label,
                    "dataset": config.dataset,
                    **result,
                    "rows": _records(result["rows"]),
                    "summary": _records(result["summary"]),
                }
            )
        )
        return
    print(
        f"{config.label} (run {run_id}) on {config.dataset}: {result['blocks']} blocks, "
        f"intact test error {result['intact_error']:.2%}"
    )
    print((result["summary"] if result["summary"] is not None else result["rows"]).to_string(index=False))


def parse_spec(spec: str) -> tuple[list[str], dict]:
    """'depth=20,width=16,preact=true,epochs=4' -> (["cifar-plain-20", "cifar-resnet-20"], overrides).

    Keys are RunConfig fields; values take the type of the field's default. `net=resnet` trains one net;
    learning rate, epochs and batch size default to the dataset's recipe, as in `python -m core train`.
    """
    defaults = RunConfig()  # value types of the fields, after the recipe filled lr, epochs, batch size
    types = {f.name: type(getattr(defaults, f.name)) for f in fields(RunConfig)}
    types["train_limit"] = int
    values = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or key not in types:
            raise UserError(f"bad training spec item {item!r}: use key=value with keys {', '.join(types)}")
        kind = types[key]
        try:
            if kind is bool:
                if value.lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                    raise ValueError
                values[key] = value.lower() in ("1", "true", "yes", "on")
            else:
                values[key] = kind(value)
        except ValueError:
            raise UserError(f"bad value {value!r} for {key} in the training spec (expects {kind.__name__})") from None
    nets = [values.pop("net")] if "net" in values else ["plain", "resnet"]
    depth = values.pop("depth", RunConfig.depth)
    return [f"cifar-{net}-{depth}" for net in nets], values


def drift_command(args) -> None:
    """The `drift` subcommand: analyse stored runs, or train a pair first; print a summary or JSON."""
    run_ids, spec, examples, followed, as_json = args.run, args.train, args.examples, args.paths, args.json
    if (run_ids is None) == (spec is None):
        raise UserError("give either --run RUN_ID [RUN_ID ...] or --train SPEC")
    drift.check_counts(examples, followed)  # before any training
    if spec is not None:
        names, overrides = parse_spec(spec)
        run_ids = run_comparison(names, emit=lambda line: print(line, file=sys.stderr, flush=True), **overrides)
    store = RunStore()
    loaded = [store.load(run_id) for run_id in run_ids]
    missing = [r.id for r in loaded if r.model is None]
    if missing:
        raise UserError(f"run {missing[0]} was saved without weights: nothing to analyse")
    reports = drift.analyse_runs([(r.config, r.model) for r in loaded], examples, followed)
    if as_json:
        print(
            json.dumps(
                {
                    "run_ids": run_ids,
                    "dataset": loaded[0].config.dataset,
                    "examples": reports[0].examples,
                    "fidelity": drift.fidelity(reports),
                    "nets": [r.to_dict() for r in reports],
                }
            )
        )
        return
    print(f"{'net':<34} {'rel. change':>11} {'cosine':>7} {'CKA l,l+1':>9} {'‖F(x)‖/‖x‖':>11}")
    for r in reports:
        s = r.summary()
        ratio = f"{s['mean_branch_ratio']:.3f}" if "mean_branch_ratio" in s else "-"
        print(
            f"{r.label:<34} {s['mean_rel_change']:>11.3f} {s['mean_cosine']:>7.3f} "
            f"{s['mean_consecutive_cka']:>9.3f} {ratio:>11}"
        )
    print("(means over the blocks that keep their shape, i.e. consecutive layers within a stage)")


def _ints(text: str, what: str, allow_all: bool = False) -> tuple[int, ...]:
    values = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        if allow_all and part.lower() == "all":
            values.append(transfer.ALL)
            continue
        try:
            value = int(part)
        except ValueError:
            raise UserError(f"{what} takes whole numbers separated by commas, got {part!r}") from None
        if allow_all and value < 1:
            raise UserError(f"{what}: labelled examples per class must be at least 1 (or 'all'), got {value}")
        values.append(value)
    if not values:
        raise UserError(f"{what} needs at least one value")
    return tuple(values)


def transfer_command(args) -> None:
    """`python -m core transfer`: every strategy x labels per class x seed, as a table or JSON. The
    offline comparison runs as a job on the engine (shared with the page: the same settings are one
    sweep); the ImageNet one here."""
    shots = _ints(args.shots, "--shots", allow_all=True)
    seeds = _ints(args.seeds, "--seeds")
    strategies = tuple(s.strip() for s in args.strategies.split(",") if s.strip())
    bad = [s for s in strategies if s not in transfer.STRATEGIES]
    if bad or not strategies:
        raise UserError(f"unknown strategy {bad[0] if bad else ''!r}; choose from {', '.join(transfer.STRATEGIES)}")
    if args.steps is not None and args.steps < 1:
        raise UserError(f"--steps must be at least 1, got {args.steps}")
    recipe = transfer.RECIPE if args.imagenet else transfer.recipe_for(args.dataset)
    recipe = recipe if args.steps is None else replace(recipe, steps=args.steps)

    def progress(fraction, text):
        print(f"\r{fraction:4.0%} {text:<60}", end="", file=sys.stderr, flush=True)

    if args.imagenet:
        transfer.imagenet_source(args.imagenet, args.download)  # the weights first: no data read in vain
        task = transfer.imagenet_task(
            args.dataset if args.dataset not in transfer.DIGITS else "fashion-mnist", args.size, args.download
        )
        result = transfer.imagenet_sweep(args.imagenet, task, shots, seeds, strategies, recipe, args.download, progress)
    else:
        task = transfer.make_task(args.task, args.dataset)
        config = transfer.source_config(task, depth=args.depth, width=args.width, epochs=args.epochs)
        from core.training.estimate import check_config

        check_config(config, task.source)  # a bad depth or width: one sentence before any training
        print(f"source: {config.label} on {task.source.name}", file=sys.stderr, flush=True)
        settings = transfer_jobs.SweepSettings(
            task=args.task,
            dataset=args.dataset,
            depth=args.depth,
            width=args.width,
            source_epochs=args.epochs,
            seeds=seeds,
            steps=recipe.steps,
            shots=shots,
            strategies=strategies,
        )
        emit = lambda line: print(f"\r{line:<70}", end="", file=sys.stderr, flush=True)  # noqa: E731
        result = transfer_jobs.result(transfer_jobs.follow(settings, cli_owner(), emit))
    print(file=sys.stderr)
    head = {
        "task": result.task,
        "description": result.description,
        "source_run": result.source_run,
        "source_reused": result.source_reused,
        "source": result.source_label,
        "source_accuracy": result.source_accuracy,
        "feature_seconds": result.feature_seconds,
        "feature_file": result.feature_path,
        "features_from_disk": result.features_from_disk,
        "steps": result.steps,
    }
    if args.json:
        print(
            json.dumps({**head, "rows": _records(result.table), "ordering": _records(transfer.ordering(result.table))})
        )
        return
    print(f"{result.description}")
    print(
        f"source {result.source_label} (run {result.source_run}): {result.source_accuracy:.1%} on the source test set"
    )
    print(
        f"features: {result.feature_path} ({'read from disk' if result.features_from_disk else f'{result.feature_seconds:.2f} s once'})"
    )
    table = result.table.assign(shots=[("all" if a else s) for s, a in zip(result.table["shots"], result.table["all"])])
    wide = table.pivot_table(index=["seed", "shots"], columns="strategy", values="accuracy", sort=False)
    print((wide[[s for s in strategies]] * 100).round(1).to_string())
    print("training seconds per run (mean):")
    print(result.table.groupby("strategy", sort=False)["train_seconds"].mean().round(3).to_string())
