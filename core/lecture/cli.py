"""`python -m core scene [NAME]`: list the lecture scenes, or train one scene's runs into the store."""

from __future__ import annotations

import sys

from core.lecture import scenes


def scene_command(args) -> None:
    if args.name is None:
        for scene in scenes.SCENES:
            todo = len(scenes.missing_runs(scene))
            state = "ready" if not todo else f"{todo} run(s) to train"
            print(f"{scene.key:24s} {scene.title}  [{state if scene.runs else 'no training'}]")
        return
    scenes.prepare(args.name, emit=lambda line: print(line, file=sys.stderr))
