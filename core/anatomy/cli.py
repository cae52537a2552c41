"""`python -m core count|graph ARCH`: the per-layer table and the block graph of one net.

ARCH is a zoo name, `timm:<name>`, or the path of an ONNX file (ending in .onnx)."""

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


def _profile(args):
    if args.arch.lower().endswith(".onnx"):
        from core.anatomy.onnx_file import profile_onnx_file

        if args.set:
            raise UserError("--set sets options of zoo models; an ONNX file has none")
        return profile_onnx_file(args.arch, parse_input(args.input))
    return profile(args.arch, parse_input(args.input), **parse_options(args.set))


def count_command(args) -> None:
    result = _profile(args)
    notes = getattr(result, "notes", [])
    if args.json:
        data = result.to_json()
        if hasattr(result, "unknown_ops"):
            data["unknown_ops"] = result.unknown_ops
        print(json.dumps(data))
        return
    table = result.table()[["name", "type", "stage", "detail", "output_shape", "params", "macs"]]
    print(table.to_string(index=False, formatters={"params": "{:,}".format, "macs": "{:,}".format}))
    c, h, w = result.input_size
    print(
        f"\n{result.arch} at {c}x{h}x{w}: {result.total_macs:,} MACs ({result.total_macs / 1e9:.3f} G), "
        f"{result.total_params:,} params ({result.total_params / 1e6:.2f} M), depth {result.depth}"
    )
    for note in notes:
        print(f"note: {note}")


def graph_command(args) -> None:
    result = _profile(args)
    dot = to_dot(result, args.level, collapse=args.collapse)
    print(to_svg(dot) if args.svg else dot, end="")
