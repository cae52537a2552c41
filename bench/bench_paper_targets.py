"""The papers' effects on a preset, per seed: what issue 11's table reports.

For each seed: train plain-20/56 and ResNet-20/56 by the dataset's recipe (side by side, as the page
does), then measure
- final training and test error of each net (He et al. 2016, Fig. 6: plain-56 above plain-20,
  ResNet-56 at least as good as ResNet-20);
- single-block and k-random-block deletions of the trained ResNet-56 on the whole test set
  (Veit et al. 2016, Fig. 3 and 5: most single deletions cost little, the error rises with k);
- the mean std of the 3x3 layers' responses on 500 test images (He et al. 2016, Fig. 7: residual
  below plain).

`python bench/bench_paper_targets.py --dataset digits32 --seeds 1,2,3` (about 7 min a seed on 2
CPU cores); `--dataset digits` for the quick preset (about 1 min a seed). One JSON line per seed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from core.experiments import drift, paths
from core.training.config import RunConfig
from core.training.data import load_dataset
from core.training.device import configure_cpu
from core.training.engine import PairedTrainer

KS = [1, 2, 3, 4, 5, 6]  # blocks deleted at random
DRAWS = 10  # random draws per k


def measure(dataset: str, seed: int) -> dict:
    configs = [RunConfig(net=n, depth=d, dataset=dataset, seed=seed) for d in (20, 56) for n in ("plain", "resnet")]
    data = load_dataset(dataset, seed=seed)
    start = time.perf_counter()
    trainer = PairedTrainer(configs, data)
    while not trainer.advance(max_seconds=5.0):
        pass
    out = {"dataset": dataset, "seed": seed, "train_seconds": round(time.perf_counter() - start, 1), "nets": {}}
    x, y = data.test_x, data.test_y  # (N, C, H, W), (N,)
    for config, model, history in trainer.results():
        model = model.cpu().eval()
        last = history.epochs[-1]
        row = {
            "train_error": round(100 * last["train_error"], 1),
            "test_error": round(100 * last["test_error"], 1),
            "response_std": round(statistics.mean(drift.gather(model, x[:500]).response_std), 3),
        }
        if config.net == "resnet" and config.depth == 56:
            intact = paths.test_error(model, x, y)
            single = paths.lesion_single(model, x, y)
            cost = 100 * (single[single.deletable]["error"] - intact)  # points added by each deletion
            by_k = paths.lesion_random(model, x, y, ks=KS, samples=DRAWS, seed=seed).groupby("k")["error"].mean()
            row["lesions"] = {
                "intact": round(100 * intact, 1),
                "blocks": int(len(cost)),
                "cost_at_most_3_points": int((cost <= 3).sum()),
                "cost_at_most_5_points": int((cost <= 5).sum()),
                "worst_cost": round(float(cost.max()), 1),
                "random_k_mean_error": {int(k): round(100 * e, 1) for k, e in by_k.items()},
            }
        out["nets"][config.label] = row
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="digits32", help="digits32 (the default preset) or digits (quick)")
    parser.add_argument("--seeds", default="1,2,3", help="comma-separated; seed 0 chose the recipes")
    args = parser.parse_args()
    threads = configure_cpu()
    print(f"# bench_paper_targets: {args.dataset}, threads={threads}", flush=True)
    for seed in (int(s) for s in args.seeds.split(",")):
        print(json.dumps(measure(args.dataset, seed)), flush=True)


if __name__ == "__main__":
    main()
