"""`python -m core list`: the zoo's names with family and default input."""

from __future__ import annotations

import json

from core.models import zoo


def list_command(args) -> None:
    rows = [zoo.get(n) for n in zoo.names() + (zoo.timm_names() if args.all else [])]
    if args.json:
        print(
            json.dumps(
                [
                    {"name": a.name, "family": a.family, "year": a.year, "input": list(a.input_size), "top1": a.top1}
                    for a in rows
                ]
            )
        )
        return
    width = max(len(a.name) for a in rows)
    for a in rows:
        print(f"{a.name:<{width}}  {a.family:<22} {'x'.join(map(str, a.input_size))}")
