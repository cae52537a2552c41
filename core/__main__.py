"""`python -m core ...`: the command line over the library (contract in DESIGN.md).

Exit status 0 on success, 2 with a one-line message on bad input — never a traceback.
Each subcommand's work lives in its feature module; this file only declares the arguments.
"""
from __future__ import annotations

import argparse
import json
import sys

from core.errors import UserError


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own errors: one line, exit 2
        raise UserError(message)


def cmd_list(args) -> None:
    from core import zoo

    rows = [zoo.get(n) for n in zoo.names()]
    if args.json:
        print(json.dumps([{"name": a.name, "family": a.family, "year": a.year,
                           "input": list(a.input_size), "top1": a.top1} for a in rows]))
        return
    width = max(len(a.name) for a in rows)
    for a in rows:
        print(f"{a.name:<{width}}  {a.family:<22} {'x'.join(map(str, a.input_size))}")


def parse_input(text: str | None):
    if text is None:
        return None
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise UserError(f"--input must be three whole numbers C,H,W (e.g. 3,224,224); got {text!r}") from None


def parse_options(pairs: list[str]) -> dict:
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise UserError(f"--set takes KEY=VALUE (e.g. width=32); got {pair!r}")
        options[key] = int(value) if value.lstrip("-").isdigit() else {"true": True, "false": False}.get(value.lower(), value)
    return options


def cmd_count(args) -> None:
    from core.profile import profile

    result = profile(args.arch, parse_input(args.input), **parse_options(args.set))
    if args.json:
        print(json.dumps(result.to_json()))
        return
    table = result.table()[["name", "type", "stage", "detail", "output_shape", "params", "macs"]]
    print(table.to_string(index=False, formatters={"params": "{:,}".format, "macs": "{:,}".format}))
    c, h, w = result.input_size
    print(f"\n{result.arch} at {c}x{h}x{w}: {result.total_macs:,} MACs ({result.total_macs / 1e9:.3f} G), "
          f"{result.total_params:,} params ({result.total_params / 1e6:.2f} M), depth {result.depth}")


def cmd_graph(args) -> None:
    from core.graph import to_dot, to_svg
    from core.profile import profile

    result = profile(args.arch, parse_input(args.input), **parse_options(args.set))
    dot = to_dot(result, args.level, collapse=args.collapse)
    print(to_svg(dot) if args.svg else dot, end="")

def cmd_train(args) -> None:
    from core.train import default_lr, run_comparison

    ids = run_comparison(args.runs.split(","), save=args.save, json_lines=args.json, dataset=args.dataset,
                         width=args.width, epochs=args.epochs, seed=args.seed,
                         lr=default_lr(args.dataset) if args.lr is None else args.lr,
                         batch_size=args.batch_size, preact=args.preact, shortcut=args.shortcut,
                         final_survival=args.final_survival, device=args.device, train_limit=args.train_limit,
                         warmup=args.warmup, schedule=args.schedule)
    if ids:
        print(f"saved runs {', '.join(map(str, ids))} to the run store", file=sys.stderr)


def cmd_drift(args) -> None:
    from core import drift

    drift.command(args.run, args.train, args.examples, args.paths, args.json)


def cmd_scene(args) -> None:
    from core import scenes

    if args.name is None:
        for scene in scenes.SCENES:
            todo = len(scenes.missing_runs(scene))
            state = "ready" if not todo else f"{todo} run(s) to train"
            print(f"{scene.key:24s} {scene.title}  [{state if scene.runs else 'no training'}]")
        return
    scenes.prepare(args.name, emit=lambda line: print(line, file=sys.stderr))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m core", description="ConvAtlas: explore deep CNN architectures.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("list", help="zoo names with family and default input")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("count", help="per-layer multiply-accumulates (MACs) and parameters, with totals")
    p.add_argument("arch")
    p.add_argument("--input", help="C,H,W (default: the architecture's own input size)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="constructor option, e.g. --set width=32 --set shortcut=B (CIFAR nets)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_count)

    p = sub.add_parser("graph", help="block graph as Graphviz DOT (stage, block or layer level)")
    p.add_argument("arch")
    p.add_argument("--level", choices=["stage", "block", "layer"], default="block")
    p.add_argument("--input", help="C,H,W (default: the architecture's own input size)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="constructor option, e.g. --set shortcut=B (CIFAR nets)")
    p.add_argument("--collapse", type=int, default=12, metavar="N",
                   help="draw runs of more than N identical blocks as first two, '...', last (0: never)")
    p.add_argument("--svg", action="store_true", help="render with Graphviz's dot and print SVG instead")
    p.set_defaults(func=cmd_graph)

    p = sub.add_parser("train", help="train CIFAR-family nets side by side (same data order and seed)")
    p.add_argument("--runs", default="cifar-plain-20,cifar-plain-56,cifar-resnet-20,cifar-resnet-56",
                   help="comma-separated cifar-plain-N / cifar-resnet-N names")
    p.add_argument("--dataset", default="digits", help="digits (offline), mnist, fashion-mnist, cifar10")
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lr", type=float, default=None, help="default: 0.02 on digits, 0.1 (the paper's) otherwise")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--preact", action="store_true", help="pre-activation blocks")
    p.add_argument("--shortcut", choices=("A", "B"), default="A")
    p.add_argument("--final-survival", type=float, default=1.0, help="stochastic depth (1.0 = off)")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--warmup", default="auto", choices=("auto", "on", "off"),
                   help="lr/10 until training error < 80%% (auto: depth >= 110, as in the paper)")
    p.add_argument("--schedule", default="step", choices=("step", "cosine", "constant"))
    p.add_argument("--train-limit", type=int, default=None, help="train on a subset of this many images")
    p.add_argument("--save", action="store_true", help="keep the runs in the run store")
    p.add_argument("--json", action="store_true", help="one JSON object per run per epoch")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("drift", help="representation drift of plain vs residual nets (CKA, per-block change)")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", type=int, nargs="+", metavar="RUN_ID", help="stored runs to analyse")
    source.add_argument("--train", metavar="SPEC",
                        help="train a plain and a residual net first, e.g. depth=20,width=16,epochs=8,preact=false")
    p.add_argument("--examples", type=int, default=500, help="test images analysed (default 500)")
    p.add_argument("--paths", type=int, default=4, help="examples followed through depth (default 4)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_drift)

    p = sub.add_parser("paths", help="ensemble-of-paths analyses (Veit et al. 2016) of a trained CIFAR-family net")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", type=int, metavar="RUN_ID", help="a run from the run store")
    source.add_argument("--train", metavar="SPEC", help="train first, e.g. resnet-56 or plain-20 (kept in the store)")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--lesion", choices=["single", "random", "reorder"], default="single",
                      help="delete each block / k random blocks / swap k random pairs (default single)")
    what.add_argument("--gradient", action="store_true", help="gradient magnitude by path length instead")
    p.add_argument("--k", help="values of k for random/reorder, comma-separated (default: about 10 up to the most)")
    p.add_argument("--samples", type=int, default=5, help="random draws per k (default 5)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=8, help="with --train (default 8)")
    p.add_argument("--lr", type=float, default=0.02, help="with --train (default 0.02, measured on the digits)")
    p.add_argument("--final-survival", type=float, default=1.0,
                   help="with --train: stochastic depth, survival of the last block (0.5 as in the paper; 1 = off)")
    p.add_argument("--dataset", default="digits", help="with --train (default digits, offline)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_paths)

    p = sub.add_parser("scene", help="list lecture scenes, or precompute one scene's training runs")
    p.add_argument("name", nargs="?", help="scene to prepare (omit to list the scenes)")
    p.set_defaults(func=cmd_scene)
    return parser


def _paths(args) -> None:
    from core import paths

    paths.cli(args)


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        args.func(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `python -m core count vgg19 | head`
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
