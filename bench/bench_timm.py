"""Every timm CNN by name: how many of timm's names build and count, why the others fail, and how long
the first count of a name never seen before takes (build on the meta device + trace + count).

Each name is counted through the same path as the pages and the CLI: `profile("timm:<name>")`.
Names are taken in a seeded random order, so a time budget cut leaves a uniform sample. The obvious
alternative for a user's own timm model is to build it for real (weights initialised on the CPU) and
run one forward pass under a counting hook (thop, ptflops, fvcore all do): for a sample of the names
counted, that cost is measured in the same run and given as a ratio.

    .venv/bin/python bench/bench_timm.py [--budget 900] [--per-model 60] [--check-filter] [--json out.json]

--check-filter also builds the names the searchable list leaves out (zoo.TIMM_NOT_CNN) and reports
how many of them pass the CNN rule anyway (names the filter hides wrongly).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import signal
import statistics
import time
import warnings

import torch

from core.anatomy.profile import profile
from core.errors import UserError
from core.models import zoo


class Timeout(Exception):
    pass


def _alarm(*_):
    raise Timeout


def reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = re.sub(r"timm:\S+: ", "", text)
    text = re.sub(r"\d+", "N", text)[:100]
    return f"{type(exc).__name__}: {text}"


def first_count(name: str, per_model: int) -> dict:
    rec = {"name": name}
    start = time.perf_counter()
    signal.alarm(per_model)
    try:
        p = profile(name)
        rec.update(ok=True, macs=p.total_macs, params=p.total_params, rows=len(p.layers), input=list(p.input_size))
    except Timeout:
        rec.update(ok=False, reason=f"Timeout: over {per_model} s")
    except UserError as exc:
        rec.update(ok=False, reason=reason(exc), not_cnn="not a convolutional network" in str(exc))
    except Exception as exc:  # noqa: BLE001 - a survey records every failure
        rec.update(ok=False, reason=reason(exc))
    finally:
        signal.alarm(0)
    rec["seconds"] = time.perf_counter() - start
    return rec


def forward_pass_seconds(name: str) -> float:
    """The alternative: a real build (CPU weights) and one forward pass at the same input size."""
    import timm

    arch = zoo.get(name)
    start = time.perf_counter()
    model = timm.create_model(name.removeprefix(zoo.TIMM_PREFIX), pretrained=False).eval()
    with torch.no_grad():
        model(torch.zeros(1, *arch.input_size))
    return time.perf_counter() - start


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--budget", type=float, default=900, help="seconds for the whole survey")
    ap.add_argument("--per-model", type=int, default=60, help="seconds before one name counts as a timeout")
    ap.add_argument("--check-filter", action="store_true", help="also build the names the list leaves out")
    ap.add_argument("--compare", type=int, default=8, help="names timed against a real forward pass")
    ap.add_argument("--json", help="write every record to this file")
    args = ap.parse_args()
    import timm

    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    signal.signal(signal.SIGALRM, _alarm)
    started = time.time()
    listed = zoo.timm_names()
    left_out = [zoo.TIMM_PREFIX + n for n in timm.list_models() if zoo.TIMM_PREFIX + n not in set(listed)]
    todo = list(listed)
    random.Random(0).shuffle(todo)
    records = []
    for name in todo:
        if time.time() - started > args.budget:
            break
        records.append(first_count(name, args.per_model))
        print(json.dumps(records[-1]), flush=True)
    hidden = []
    if args.check_filter:
        for name in random.Random(1).sample(left_out, len(left_out)):
            if time.time() - started > 1.5 * args.budget:
                break
            rec = first_count(name, args.per_model)
            hidden.append(rec)
            print(json.dumps({**rec, "left_out": True}), flush=True)

    ok = [r for r in records if r["ok"]]
    not_cnn = [r for r in records if r.get("not_cnn")]
    failed = [r for r in records if not r["ok"] and not r.get("not_cnn")]
    firsts = [r["seconds"] for r in ok]
    groups: dict[str, list[str]] = {}
    for r in failed:
        groups.setdefault(r["reason"], []).append(r["name"].removeprefix(zoo.TIMM_PREFIX))

    ratios = []
    for r in random.Random(2).sample(ok, min(args.compare, len(ok))):
        try:
            ratios.append((r["name"], forward_pass_seconds(r["name"]), r["seconds"]))
        except Exception as exc:  # noqa: BLE001
            print(f"forward pass of {r['name']} failed: {reason(exc)}")

    print(f"\ntimm {timm.__version__}: {len(timm.list_models())} names; {len(listed)} listed as CNN families")
    print(f"surveyed {len(records)} of {len(listed)} listed names in {time.time() - started:.0f} s")
    print(f"  build and count:     {len(ok)}")
    print(f"  not a CNN by the rule (built, refused): {len(not_cnn)}")
    print(f"  fail:                {len(failed)}")
    if firsts:
        print(
            f"time to first count of a new name: median {statistics.median(firsts):.2f} s, "
            f"p90 {pct(firsts, 0.9):.2f} s, max {max(firsts):.2f} s"
        )
    for name, forward, ours in ratios:
        print(f"  {name:<40} real build + forward {forward:6.2f} s   first count {ours:5.2f} s   x{forward / ours:.1f}")
    if ratios:
        print(
            f"median ratio (real build + forward) / first count: x{statistics.median(f / o for _, f, o in ratios):.1f}"
        )
    print("\nfailures by reason:")
    for why, names in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        print(f"  {len(names):3d}  {why}\n       {', '.join(sorted(names)[:8])}{' ...' if len(names) > 8 else ''}")
    if hidden:
        wrong = [r["name"] for r in hidden if r["ok"]]
        print(f"\nleft out by the name filter: {len(left_out)}; built {len(hidden)}: {len(wrong)} would count")
        if wrong:
            print("  " + ", ".join(wrong[:20]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"records": records, "left_out": hidden}, f, indent=1)


if __name__ == "__main__":
    main()
