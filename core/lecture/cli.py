"""`python -m core scene [NAME]`: list the lecture scenes, or train one scene's runs into the store."""

from __future__ import annotations

import sys

from core.errors import UserError
from core.lecture import scenes


def scene_command(args) -> None:
    if args.export:
        if args.name:
            raise UserError("--export writes every scene's runs; give no scene name with it")
        scenes.export(args.export, emit=lambda line: print(line, file=sys.stderr), sweeps_only=args.sweeps_only)
        return
    if args.sweeps_only:
        raise UserError("--sweeps-only goes with --export DIR")
    if args.name is None:
        scenes.install_shipped()
        outdated = set(scenes.stale())
        for scene in scenes.SCENES:
            todo = len(scenes.missing_runs(scene))
            state = "ready" if not todo else f"{todo} run(s) to train"
            if scenes.sweep_missing(scene):
                state = "its comparison to run"
            if scene.key in outdated:
                state += f"; shipped runs are outdated: {scenes.EXPORT_COMMAND}"
            print(f"{scene.key:24s} {scene.title}  [{state if scene.runs or scene.sweep else 'no training'}]")
        return
    scenes.prepare(args.name, emit=lambda line: print(line, file=sys.stderr))
