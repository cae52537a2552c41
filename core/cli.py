"""`python -m core ...`: the command line over the library (contract in docs/ARCHITECTURE.md).

Exit status 0 on success, 2 with a one-line message on bad input — never a traceback.
This file only declares the arguments; each subcommand's handler lives in its room's `cli` module
and is imported only when that subcommand runs (so `list` does not load the training engine).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from core.errors import UserError


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own errors: one line, exit 2
        raise UserError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m core", description="ConvAtlas: explore deep CNN architectures.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("list", help="zoo names with family and default input")
    p.add_argument("--all", action="store_true", help="also every timm model of a CNN family (timm:NAME)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler="core.models.cli:list_command")

    p = sub.add_parser("count", help="per-layer multiply-accumulates (MACs) and parameters, with totals")
    p.add_argument("arch", help="zoo name, timm:NAME, or a path ending in .onnx")
    p.add_argument("--input", help="C,H,W (default: the architecture's own input size)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="constructor option, e.g. --set width=32 --set shortcut=B (CIFAR nets)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler="core.anatomy.cli:count_command")

    p = sub.add_parser("graph", help="block graph as Graphviz DOT (stage, block or layer level)")
    p.add_argument("arch", help="zoo name, timm:NAME, or a path ending in .onnx")
    p.add_argument("--level", choices=["stage", "block", "layer"], default="block")
    p.add_argument("--input", help="C,H,W (default: the architecture's own input size)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="constructor option, e.g. --set shortcut=B (CIFAR nets)",
    )
    p.add_argument(
        "--collapse",
        type=int,
        default=12,
        metavar="N",
        help="draw runs of more than N identical blocks as first two, '...', last (0: never)",
    )
    p.add_argument("--svg", action="store_true", help="render with Graphviz's dot and print SVG instead")
    p.set_defaults(handler="core.anatomy.cli:graph_command")

    p = sub.add_parser("train", help="train CIFAR-family nets side by side (same data order and seed)")
    p.add_argument(
        "--runs",
        default="cifar-plain-20,cifar-plain-56,cifar-resnet-20,cifar-resnet-56",
        help="comma-separated cifar-plain-N / cifar-resnet-N names",
    )
    p.add_argument(
        "--dataset",
        default="digits",
        help="digits or digits32 (offline, 8x8 / 32x32 RGB), mnist, fashion-mnist, cifar10",
    )
    p.add_argument("--width", type=int, default=16)
    p.add_argument(
        "--epochs", type=int, default=None, help="default: the dataset's recipe (8 on digits, 4 on digits32)"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--lr",
        type=float,
        default=None,
        help="default: the dataset's recipe (0.02 on digits and digits32, 0.1 otherwise)",
    )
    p.add_argument("--batch-size", type=int, default=None, help="default: the dataset's recipe (128; 32 on digits32)")
    p.add_argument("--preact", action="store_true", help="pre-activation blocks")
    p.add_argument("--shortcut", choices=("A", "B"), default="A")
    p.add_argument("--final-survival", type=float, default=1.0, help="stochastic depth (1.0 = off)")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument(
        "--warmup",
        default=None,
        choices=("auto", "on", "off"),
        help="lr/10 until training error < 80%% (auto: depth >= 110, as in the paper; default: the recipe)",
    )
    p.add_argument(
        "--schedule", default=None, choices=("step", "cosine", "constant"), help="default: the dataset's recipe"
    )
    p.add_argument("--weight-decay", type=float, default=None, help="default: the dataset's recipe (1e-4)")
    p.add_argument(
        "--decay-bn",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="weight decay on BatchNorm scales/shifts and biases too, as in the paper (default: the recipe)",
    )
    p.add_argument("--train-limit", type=int, default=None, help="train on a subset of this many images")
    p.add_argument("--json", action="store_true", help="one JSON object per run per epoch")
    p.set_defaults(handler="core.training.cli:train_command")

    p = sub.add_parser(
        "runs", help="list the run store (and damaged rows), delete a run, copy the store, or move a damaged one aside"
    )
    p.add_argument("--delete", type=int, metavar="ID", help="delete this run (the CLI may delete any run)")
    p.add_argument("--move-aside", action="store_true", help="rename a damaged SQLite store; a new one is made")
    p.add_argument(
        "--copy-to",
        metavar="URL",
        help="copy every run of this store into the empty store at URL (e.g. SQLite into PostgreSQL)",
    )
    p.set_defaults(handler="core.training.cli:runs_command")

    p = sub.add_parser("worker", help="a training worker for a remote scheduler (Dask), e.g. tcp://host:8786")
    p.add_argument("scheduler", help="the scheduler's address (dask scheduler prints it)")
    p.add_argument("--workers", type=int, default=1, help="worker processes on this machine (one job each)")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch threads per worker")
    p.add_argument("--gpu", action="store_true", help="this worker has a GPU: it takes the runs that train on one")
    p.add_argument("--name", help="the worker's name in the scheduler (default: host name)")
    p.set_defaults(handler="core.training.cli:worker_command")

    p = sub.add_parser("drift", help="representation drift of plain vs residual nets (CKA, per-block change)")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", type=int, nargs="+", metavar="RUN_ID", help="stored runs to analyse")
    source.add_argument(
        "--train",
        metavar="SPEC",
        help="train a plain and a residual net first, e.g. depth=20,width=16,epochs=8,preact=false",
    )
    p.add_argument("--examples", type=int, default=500, help="test images analysed (default 500)")
    p.add_argument("--paths", type=int, default=4, help="examples followed through depth (default 4)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler="core.experiments.cli:drift_command")

    p = sub.add_parser("paths", help="ensemble-of-paths analyses (Veit et al. 2016) of a trained CIFAR-family net")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", type=int, metavar="RUN_ID", help="a run from the run store")
    source.add_argument("--train", metavar="SPEC", help="train first, e.g. resnet-56 or plain-20 (kept in the store)")
    what = p.add_mutually_exclusive_group()
    what.add_argument(
        "--lesion",
        choices=["single", "random", "reorder"],
        default="single",
        help="delete each block / k random blocks / swap k random pairs (default single)",
    )
    what.add_argument("--gradient", action="store_true", help="gradient magnitude by path length instead")
    p.add_argument("--k", help="values of k for random/reorder, comma-separated (default: about 10 up to the most)")
    p.add_argument("--samples", type=int, default=5, help="random draws per k (default 5)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=8, help="with --train (default 8)")
    p.add_argument("--lr", type=float, default=None, help="with --train (default: the dataset's recipe)")
    p.add_argument(
        "--final-survival",
        type=float,
        default=1.0,
        help="with --train: stochastic depth, survival of the last block (0.5 as in the paper; 1 = off)",
    )
    p.add_argument("--dataset", default="digits", help="with --train (default digits, offline)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler="core.experiments.cli:paths_command")

    p = sub.add_parser("transfer", help="transfer learning: scratch vs frozen cached features vs fine-tuning")
    p.add_argument(
        "--task",
        default="mirrored",
        help="mirrored (default), rotated, inverted (shifted domains) or split (0-4 -> 5-9)",
    )
    p.add_argument(
        "--dataset",
        default="digits32",
        help="dataset both tasks are built from (default digits32, offline; digits: the quick 8x8 set)",
    )
    p.add_argument("--shots", default="1,3,10,30,all", help="labelled examples per target class, comma-separated")
    p.add_argument("--seeds", default="0", help="seeds, comma-separated (default 0)")
    p.add_argument("--strategies", default="scratch,frozen,last1,last2,all", help="comma-separated subset")
    p.add_argument("--depth", type=int, default=8, help="source net: cifar-resnet-DEPTH (default 8)")
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--epochs", type=int, default=None, help="source training epochs (default: the recipe)")
    p.add_argument(
        "--steps", type=int, default=None, help="target training steps per run (default: the data's, 400 or 100)"
    )
    p.add_argument("--imagenet", choices=("resnet18", "resnet50"), help="online: torchvision's pretrained source")
    p.add_argument("--size", type=int, default=64, help="with --imagenet: target image size (default 64)")
    p.add_argument("--download", action="store_true", help="with --imagenet: allow downloading weights and data")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler="core.experiments.cli:transfer_command")

    p = sub.add_parser("scene", help="list lecture scenes, or precompute one scene's training runs")
    p.add_argument("name", nargs="?", help="scene to prepare (omit to list the scenes)")
    p.add_argument(
        "--export",
        metavar="DIR",
        help="train every scene's runs from the current code and write them to DIR (the app ships "
        "assets/scene_runs, imported into the run store at start-up)",
    )
    p.add_argument(
        "--sweeps-only",
        action="store_true",
        help="with --export: run only the scenes' comparisons (the transfer scene's), keep the run files",
    )
    p.set_defaults(handler="core.lecture.cli:scene_command")
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        module, name = args.handler.split(":")
        getattr(importlib.import_module(module), name)(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `python -m core count vgg19 | head`
        return 0
    return 0
