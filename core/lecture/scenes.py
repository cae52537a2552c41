"""Ready-made lecture scenes: a page, the URL parameters that set it up, what to point at, and the
training runs it shows (precomputed with `python -m core scene NAME`, so the lecture replays at once).

The run configurations are exactly those the pages build from their default controls, so a page
finds the stored runs through `RunStore.find` and shows them instead of training. A scene may show a
sweep instead (the transfer comparison: `sweep`, the settings its page's controls make), found by its
settings key in the store's sweeps.

The scenes' runs and sweeps also ship with the app, in `assets/scene_runs` (written by
`python -m core scene --export assets/scene_runs`, which trains them from the code as it is): the
pages import them into the run store once at start-up (`install_shipped`), so a fresh machine
replays every scene at once. A shipped run whose configuration is no longer its scene's is not
imported, and tests/unit/test_scene_runs.py fails until the files are regenerated.
"""

from __future__ import annotations

import gzip
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from core.errors import UserError
from core.experiments import paths, transfer_jobs
from core.lecture import urls
from core.training.cli import follow
from core.training.config import RunConfig
from core.training.data import load_dataset
from core.training.engine import PairedTrainer, build_model
from core.training.store import RunStore, read_run_file, run_digest, write_run_file
from core.training.sweeps import SweepStore
from core.units import format_duration

SHIPPED = Path(__file__).resolve().parents[2] / "assets" / "scene_runs"
EXPORT_COMMAND = "python -m core scene --export assets/scene_runs"
INDEX = "index.json"
HALF_AGREEMENT = 0.995  # weights ship as float16 when the test predictions agree this often with float32


@dataclass(frozen=True)
class Scene:
    key: str
    title: str
    page: urls.Page
    params: dict  # URL query parameters, made by `page.params` (checked against its keys)
    caption: str  # what to point at
    runs: tuple[RunConfig, ...] = field(default_factory=tuple)
    needs_weights: bool = False  # the page analyses the trained nets (not only their curves)
    figure: str = ""  # widget key of the scene's main figure (its container has class st-key-<figure>)
    sweep: transfer_jobs.SweepSettings | None = None  # the finished sweep the page shows


PAPER_GEOMETRY = "digits32"  # the training scenes' data: 32x32 RGB, three stages at 32/16/8 as on CIFAR-10


def _digits(net: str, depth: int, dataset: str = "digits") -> RunConfig:
    return RunConfig(net=net, depth=depth, dataset=dataset)  # the rest from the dataset's recipe


SCENES = [
    Scene(
        "degradation",
        "The degradation problem",
        urls.PLAIN_VS_RESIDUAL,
        {},
        "Point at the dashed curves: in the paper plain-56 ends with a HIGHER training error than plain-20 — "
        "not overfitting, a worse fit of the training set itself; then at the solid residual curves. The "
        "line above the curves gives these runs' numbers.",
        tuple(_digits(net, d, PAPER_GEOMETRY) for d in (20, 56) for net in ("plain", "resnet")),
        figure="pvr_fig_train_error",
    ),
    Scene(
        "inception-bottleneck",
        "Inception's 1×1 bottleneck: 120M → 12.4M",
        urls.COST_LAB,
        urls.COST_LAB.params(calculator="Direct vs bottleneck"),
        "28×28×192 input, 32 filters of 5×5: 120.4M multiplies. Squeeze to 16 channels with a 1×1 first: "
        "2.4M + 10.0M = 12.4M — ten times cheaper for the same output shape.",
        figure="fig_bottleneck",
    ),
    Scene(
        "vgg-plain-resnet",
        "VGG-19 vs plain-34 vs ResNet-34",
        urls.COMPARE,
        urls.COMPARE.params(archs=["vgg19", "plain34", "resnet34"]),
        "The ResNet paper's Figure 3: VGG-19 costs 19.6 G multiply-adds, the 34-layer nets only 3.6 G. "
        "ResNet-34 is plain-34 plus shortcuts (dashed where they project) — same cost, far easier to train.",
        figure="cmp-graphs",
    ),
    Scene(
        "lesion",
        "Lesion a ResNet",
        urls.ENSEMBLE_OF_PATHS,
        {},
        "Delete one block of the trained ResNet-56 at test time, then a layer of the plain net. Veit et al. "
        "found single deletions barely matter in a ResNet (except at downsampling) while a plain net "
        "collapses: the page says how far these runs bear that out.",
        tuple(paths.training_configs(56, 20, None, stochastic_depth=True, dataset=PAPER_GEOMETRY)),
        needs_weights=True,
        figure="paths_single",
    ),
    Scene(
        "representation-drift",
        "Representation drift",
        urls.REPRESENTATION_DRIFT,
        {},
        "Residual blocks change the representation a little at a time (small relative change, bright CKA "
        "diagonal band); the plain net re-represents at every layer.",
        tuple(_digits(net, 20) for net in ("plain", "resnet")),
        needs_weights=True,
        figure="change",
    ),
    Scene(
        "depthwise-separable",
        "Depthwise-separable convolutions",
        urls.COST_LAB,
        urls.COST_LAB.params(calculator="Depthwise-separable"),
        "A 3×3 conv mixes space and channels at once; Xception and MobileNet split it into a per-channel "
        "3×3 and a 1×1: cost ratio 1/C_out + 1/9, about 8–9× cheaper.",
        figure="fig_separable",
    ),
    Scene(
        "resnet50-as-published",
        "ResNet-50: the paper vs torchvision",
        urls.ARCHITECTURE,
        urls.ARCHITECTURE.params(arch="resnet50-paper"),
        "The paper puts the stride on the first 1×1 of a stage (3.8 G); torchvision's 'v1.5' moves it "
        "to the 3×3 (4.1 G): more multiply-adds, better accuracy. The twin box compares them.",
        figure="arch-twins",
    ),
    Scene(
        "residual-block",
        "The residual block: F(x) + x",
        urls.COST_LAB,
        urls.COST_LAB.params(calculator="Residual blocks"),
        "A basic block (two 3×3) and a bottleneck block (1×1 → 3×3 → 1×1) at ResNet-50's conv2_x size: "
        "the identity shortcut adds no parameters; the bottleneck does the same job far cheaper.",
        figure="fig_residual",
    ),
    Scene(
        "inception-module",
        "The Inception module",
        urls.COST_LAB,
        urls.COST_LAB.params(calculator="Inception module"),
        "Four branches side by side — 1×1, 3×3, 5×5 and pooling — concatenated; the 1×1 reductions in "
        "front of the 3×3 and 5×5 keep the module's cost down.",
        figure="fig_inception",
    ),
    Scene(
        "ensemble-view",
        "A ResNet unraveled: 2ⁿ paths",
        urls.ENSEMBLE_OF_PATHS,
        urls.ENSEMBLE_OF_PATHS.params(unravel_n=3),
        "Three residual blocks are eight paths of lengths 0 to 3 into one sum: the net is an ensemble "
        "of paths of different lengths.",
        figure="unraveled",
    ),
    Scene(
        "transfer",
        "Transfer learning: freeze or fine-tune?",
        urls.TRANSFER_LEARNING,
        urls.TRANSFER_LEARNING.params(tl_seeds=3),
        "Point at the left end: with one label per class, a linear classifier on the frozen source net's "
        "cached features against training from scratch; then rightwards, where fine-tuning more stages pays "
        "as labels grow. The sentence under the chart gives these runs' numbers (3 seeds, 32×32 digits).",
        figure="tl_accuracy",
        sweep=transfer_jobs.SweepSettings(seeds=(1, 2, 3)),
    ),
]


# The course's order: degradation → residual block → VGG/plain/ResNet → bottleneck and 1×1 → Inception →
# separable → ensemble view → lesion → representation view → transfer learning (the lecture deck's default).
COURSE_ORDER = (
    "degradation",
    "residual-block",
    "vgg-plain-resnet",
    "inception-bottleneck",
    "resnet50-as-published",
    "inception-module",
    "depthwise-separable",
    "ensemble-view",
    "lesion",
    "representation-drift",
    "transfer",
)
SCENES.sort(key=lambda scene: COURSE_ORDER.index(scene.key))


def get(key: str) -> Scene:
    for scene in SCENES:
        if scene.key == key:
            return scene
    raise UserError(f"unknown scene {key!r}; scenes: {', '.join(s.key for s in SCENES)}")


def missing_configs(keys, store: RunStore | None = None) -> list[RunConfig]:
    """The runs the scenes `keys` need and the store does not have, each once (scenes share runs)."""
    store, todo = store or RunStore(), []
    for key in keys:
        todo += [c for c in missing_runs(get(key), store) if c not in todo]
    return todo


def missing_runs(scene: Scene, store: RunStore | None = None) -> list[RunConfig]:
    store = store or RunStore()
    return [c for c in scene.runs if store.find([c], with_weights=scene.needs_weights) is None]


def sweep_missing(scene: Scene, store: RunStore | None = None) -> bool:
    """Whether the scene shows a sweep that the store does not have finished."""
    if scene.sweep is None:
        return False
    info = transfer_jobs.find(scene.sweep, store)
    return info is None or info.status != "finished"


def _prepare_sweep(scene: Scene, emit) -> None:
    """Run the scene's sweep as a job and emit its progress until it is finished."""
    from core.training.cli import cli_owner  # noqa: PLC0415

    emit(f"{scene.title}: {scene.sweep.runs} target runs (and the source net) on the job engine")
    transfer_jobs.follow(scene.sweep, cli_owner(), emit=lambda line: emit(f"  {line}"))
    emit("stored: the page shows it at once")


def prepare(key: str, emit=print) -> list[int]:
    """Train the scene's runs that the store does not have yet (as jobs, each epoch emitted as it
    arrives), and its sweep; returns the new run ids."""
    scene, store = get(key), RunStore()
    if sweep_missing(scene, store):
        _prepare_sweep(scene, emit)
    elif scene.sweep is not None:
        emit(f"{scene.title}: the comparison is already stored")
    todo = missing_runs(scene, store)
    if not todo:
        if scene.runs:
            emit(f"{scene.title}: all {len(scene.runs)} runs are already stored")
        return []
    emit(f"{scene.title}: training {', '.join(c.label for c in todo)} on the job engine")
    ids = follow(todo, f"scene: {scene.title}", emit)
    emit(f"stored runs {', '.join(map(str, ids))}; the page replays them at once")
    return ids


# --- scene runs that ship with the app --------------------------------------------------------------


def scene_runs_folder() -> Path | None:
    """Where the shipped scene runs are: `$CONVATLAS_SCENE_RUNS` if set ('off' for none), else
    assets/scene_runs of this checkout."""
    value = os.environ.get("CONVATLAS_SCENE_RUNS")
    if value is None:
        return SHIPPED
    return None if value.strip().lower() in ("", "off", "0", "none") else Path(value).expanduser()


def _shipped_state(config: RunConfig, model: torch.nn.Module) -> tuple[dict, str]:
    """The weights to ship: float16 (half the bytes) when the restored net predicts the test set as
    the float32 one does (at least HALF_AGREEMENT of the images), float32 otherwise."""
    state = {k: v.detach().to("cpu") for k, v in model.state_dict().items()}
    half = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    if not all(torch.isfinite(v).all() for v in half.values() if v.is_floating_point()):
        return state, "float32"
    data = load_dataset(config.dataset, seed=config.seed, train_limit=config.train_limit)
    restored = build_model(config)
    restored.load_state_dict(half)
    with torch.no_grad():
        full = model.to("cpu").eval()(data.test_x).argmax(1)
        halved = restored.eval()(data.test_x).argmax(1)
    agree = (full == halved).float().mean().item()
    return (half, "float16") if agree >= HALF_AGREEMENT else (state, "float32")


def export(folder: str | Path, emit=print, sweeps_only: bool = False) -> dict:
    """Train every scene's runs and sweeps from the code as it is and write them to `folder`: a run
    file per distinct run (weights where a scene analyses the trained nets), a file per sweep, and
    index.json naming each scene's. Files no scene has any more are removed. `sweeps_only`: keep the
    run files there (they must still match their scenes) and run only the sweeps. Returns the index."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with_runs = [scene for scene in SCENES if scene.runs]
    if sweeps_only:
        if [k for k in stale(folder) if get(k).runs] or not (folder / INDEX).exists():
            raise UserError(f"the run files in {folder} do not match their scenes: export everything")
        before = json.loads((folder / INDEX).read_text())
        digests, dtypes = {d for e in before["scenes"].values() for d in e["runs"]}, before["weights"]
    else:
        digests, dtypes = _export_runs(folder, with_runs, emit)
    sweeps = {}
    for scene in (s for s in SCENES if s.sweep is not None):
        emit(f"running the comparison of '{scene.title}' ({scene.sweep.runs} target runs)")
        sweeps[scene.key] = scene.sweep.key
        _write_sweep(folder, scene.sweep, _run_sweep(scene.sweep))
    index = {
        "format": 1,
        "command": EXPORT_COMMAND,
        "scenes": {s.key: {"title": s.title, "runs": [run_digest(c) for c in s.runs]} for s in with_runs},
        "weights": dict(sorted(dtypes.items())),
        "sweeps": sweeps,
    }
    (folder / INDEX).write_text(json.dumps(index, indent=1) + "\n")
    keep = {f"{d}.json.gz" for d in digests} | {f"{d}.safetensors" for d in dtypes} | {INDEX}
    keep |= {_sweep_file(k) for k in sweeps.values()}
    for path in folder.iterdir():
        if path.is_file() and path.name not in keep and path.name.endswith((".json.gz", ".safetensors")):
            path.unlink()
    total = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    emit(f"wrote {len(digests)} runs and {len(sweeps)} sweeps for the scenes to {folder} ({total / 2**20:.1f} MiB)")
    return index


def _export_runs(folder: Path, with_runs: list[Scene], emit) -> tuple[set[str], dict[str, str]]:
    """Train the scenes' runs and write their files; (their digests, the dtype of each shipped weights)."""
    configs: dict[str, RunConfig] = {}
    weighted: set[str] = set()
    for scene in with_runs:
        for config in scene.runs:
            configs.setdefault(run_digest(config), config)
            if scene.needs_weights:
                weighted.add(run_digest(config))
    groups: dict[tuple, list[str]] = {}  # a PairedTrainer shares one dataset (and seed, subset)
    for digest, c in configs.items():
        groups.setdefault((c.dataset, c.seed, c.train_limit), []).append(digest)
    dtypes = {}
    for digests in groups.values():
        trainer = PairedTrainer([configs[d] for d in digests])
        emit(f"training {', '.join(configs[d].label for d in digests)}")
        last = time.time()
        while not trainer.advance(max_seconds=2.0):
            if time.time() - last > 10:
                eta = trainer.eta_seconds
                emit(f"  {trainer.fraction:4.0%}" + (f", about {format_duration(eta)} left" if eta else ""))
                last = time.time()
        for digest, (config, model, history) in zip(digests, trainer.results()):
            state = None
            if digest in weighted:
                state, dtypes[digest] = _shipped_state(config, model)
            write_run_file(folder, config, history, state)
    return set(configs), dtypes


def _sweep_file(key: str) -> str:
    return f"sweep-{key}.json.gz"


def _run_sweep(settings: transfer_jobs.SweepSettings) -> dict:
    """The sweep trained here, in this process (as its job would): its rows and meta."""
    done = settings.run()
    return {"rows": done.table.to_dict("records"), "meta": transfer_jobs.meta_of(done)}


def _write_sweep(folder: Path, settings: transfer_jobs.SweepSettings, body: dict) -> None:
    payload = {"key": settings.key, "settings": settings.to_dict(), **body}
    with gzip.open(folder / _sweep_file(settings.key), "wt") as f:
        json.dump(payload, f)


def _read_sweep(folder: Path, key: str) -> dict:
    with gzip.open(folder / _sweep_file(key), "rt") as f:
        return json.load(f)


def shipped(folder: Path | None = None) -> dict[str, list[tuple[str, RunConfig]]]:
    """Per scene key in the folder's index: its shipped runs as (digest, configuration)."""
    folder = folder or scene_runs_folder()
    if folder is None or not (folder / INDEX).exists():
        return {}
    index = json.loads((folder / INDEX).read_text())
    out = {}
    for key, entry in index["scenes"].items():
        out[key] = [(d, read_run_file(folder, d)[0]) for d in entry["runs"]]
    return out


def stale(folder: Path | None = None) -> list[str]:
    """Scenes with runs whose shipped configurations are not (any more) exactly the scene's own."""
    runs = shipped(folder)
    folder = folder or scene_runs_folder()
    index = json.loads((folder / INDEX).read_text()) if folder and (folder / INDEX).exists() else {}
    sweeps = index.get("sweeps", {})
    return [
        s.key
        for s in SCENES
        if (s.runs and [c for _, c in runs.get(s.key, [])] != list(s.runs))
        or (s.sweep is not None and sweeps.get(s.key) != s.sweep.key)
    ]


def install_shipped(store: RunStore | None = None, folder: Path | None = None) -> list[int]:
    """Import the shipped runs of every scene whose configuration still matches into the run store
    (each run file once per store: a run the user deleted stays deleted), and the shipped sweeps whose
    settings still match (when the store has none of that key). Returns the new run ids."""
    folder = folder or scene_runs_folder()
    if folder is None or not (folder / INDEX).exists():
        return []
    store = store or RunStore()
    done = store.shipped_digests()
    index = json.loads((folder / INDEX).read_text())
    new = []
    for key, entry in index["scenes"].items():
        scene = next((s for s in SCENES if s.key == key), None)
        todo = [d for d in entry["runs"] if d not in done]
        if scene is None or not todo:
            continue
        if [run_digest(c) for c in scene.runs] != entry["runs"]:
            continue  # the scene changed since the files were written: they show something else
        for digest in todo:
            config, history, weights = read_run_file(folder, digest)
            if config not in scene.runs:
                continue
            run_id = store.import_shipped(digest, config, history, weights, comparison=f"scene: {scene.title}")
            done.add(digest)
            if run_id is not None:
                new.append(run_id)
    install_shipped_sweeps(store, folder)
    return new


def install_shipped_sweeps(store: RunStore | None = None, folder: Path | None = None) -> list[str]:
    """Import the shipped sweeps whose scene's settings still match, where the store has no sweep of
    that key (a stopped one stays for Continue). Returns the imported keys."""
    folder = folder or scene_runs_folder()
    if folder is None or not (folder / INDEX).exists():
        return []
    sweeps, new = SweepStore(store), []
    for key, sweep_key in json.loads((folder / INDEX).read_text()).get("sweeps", {}).items():
        scene = next((s for s in SCENES if s.key == key), None)
        if scene is None or scene.sweep is None or scene.sweep.key != sweep_key or sweeps.get(sweep_key):
            continue  # changed since the file was written, or already in the store
        body = _read_sweep(folder, sweep_key)
        if sweeps.import_finished(sweep_key, transfer_jobs.KIND, body["settings"], body["rows"], body["meta"]):
            new.append(sweep_key)
    return new
