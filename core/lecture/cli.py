"""`python -m core scene [NAME]`: list the lecture scenes, or train one scene's runs into the store."""

from __future__ import annotations

import sys

from core.errors import UserError
from core.lecture import scenes


def scene_command(args) -> None:
    if args.export:
        if args.name:
            raise UserError("--export writes every scene's runs; give no scene name with it")
        scenes.export(args.export, emit=lambda line: print(line, file=sys.stderr))
        return
    if args.name is None:
        scenes.install_shipped()
        outdated = set(scenes.stale())
        for scene in scenes.SCENES:
            todo = len(scenes.missing_runs(scene))
            state = "ready" if not todo else f"{todo} run(s) to train"
            if scene.key in outdated:
                state += f"; shipped runs are outdated: {scenes.EXPORT_COMMAND}"
            print(f"{scene.key:24s} {scene.title}  [{state if scene.runs else 'no training'}]")
        return
    scenes.prepare(args.name, emit=lambda line: print(line, file=sys.stderr))
