"""`python -m core count|graph ARCH`: the per-layer table and the block graph of one net."""

from __future__ import annotations

import json

from core.anatomy.graph import to_dot, to_svg
from core.anatomy.profile import profile
from core.errors import UserError


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
        options[key] = (
            int(value) if value.lstrip("-").isdigit() else {"true": True, "false": False}.get(value.lower(), value)
        )
    return options


def count_command(args) -> None:
    result = profile(args.arch, parse_input(args.input), **parse_options(args.set))
    if args.json:
        print(json.dumps(result.to_json()))
        return
    table = result.table()[["name", "type", "stage", "detail", "output_shape", "params", "macs"]]
    print(table.to_string(index=False, formatters={"params": "{:,}".format, "macs": "{:,}".format}))
    c, h, w = result.input_size
    print(
        f"\n{result.arch} at {c}x{h}x{w}: {result.total_macs:,} MACs ({result.total_macs / 1e9:.3f} G), "
        f"{result.total_params:,} params ({result.total_params / 1e6:.2f} M), depth {result.depth}"
    )


def graph_command(args) -> None:
    result = profile(args.arch, parse_input(args.input), **parse_options(args.set))
    dot = to_dot(result, args.level, collapse=args.collapse)
    print(to_svg(dot) if args.svg else dot, end="")
