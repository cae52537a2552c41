"""Ready-made lecture scenes: a page, the URL parameters that set it up, what to point at, and the
training runs it shows (precomputed with `python -m core scene NAME`, so the lecture replays at once).

The run configurations are exactly those the pages build from their default controls, so a page
finds the stored runs through `RunStore.find` and shows them instead of training.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from core.errors import UserError
from core.experiments import paths
from core.lecture import urls
from core.training.config import RunConfig
from core.training.engine import PairedTrainer
from core.training.store import RunStore
from core.units import format_duration


@dataclass(frozen=True)
class Scene:
    key: str
    title: str
    page: urls.Page
    params: dict  # URL query parameters, made by `page.params` (checked against its keys)
    caption: str  # what to point at
    runs: tuple[RunConfig, ...] = field(default_factory=tuple)
    figure: str = ""  # widget key of the scene's main figure (its container has class st-key-<figure>)


def _digits(net: str, depth: int) -> RunConfig:
    return RunConfig(net=net, depth=depth)


SCENES = [
    Scene(
        "degradation",
        "The degradation problem",
        urls.PLAIN_VS_RESIDUAL,
        {},
        "Point at the dashed curves: plain-56 ends with a far HIGHER training error than plain-20 — "
        "not overfitting, it cannot even fit the training set. The solid residual curves: depth helps again.",
        tuple(_digits(net, d) for d in (20, 56) for net in ("plain", "resnet")),
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
        "Delete one block of the trained ResNet-56 at test time: the error barely moves. Delete a layer of "
        "the plain net: it collapses. A ResNet behaves like an ensemble of many short paths.",
        tuple(paths.training_configs(56, 20, 8, stochastic_depth=True)),
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
]


# The course's order: degradation → residual block → VGG/plain/ResNet → bottleneck and 1×1 → Inception →
# separable → ensemble view → lesion → representation view (the lecture deck's default).
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
    return [c for c in scene.runs if store.find([c]) is None]


def prepare(key: str, emit=print) -> list[int]:
    """Train the scene's runs that the store does not have yet; returns the new run ids."""
    scene, store = get(key), RunStore()
    todo = missing_runs(scene, store)
    if not todo:
        emit(f"{scene.title}: all {len(scene.runs)} runs are already stored")
        return []
    trainer = PairedTrainer(todo)
    emit(f"{scene.title}: training {', '.join(c.label for c in todo)}")
    last = 0.0
    while not trainer.advance(max_seconds=2.0):
        if time.time() - last > 5:
            eta = trainer.eta_seconds
            emit(f"  {trainer.fraction:4.0%}" + (f", about {format_duration(eta)} left" if eta else ""))
            last = time.time()
    ids = [store.save(c, h, m, comparison=f"scene: {scene.title}") for c, m, h in trainer.results()]
    emit(f"stored runs {', '.join(map(str, ids))}; the page replays them at once")
    return ids
