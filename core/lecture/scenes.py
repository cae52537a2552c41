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
    ),
    Scene(
        "inception-bottleneck",
        "Inception's 1×1 bottleneck: 120M → 12.4M",
        urls.COST_LAB,
        urls.COST_LAB.params(calculator="Direct vs bottleneck"),
        "28×28×192 input, 32 filters of 5×5: 120.4M multiplies. Squeeze to 16 channels with a 1×1 first: "
        "2.4M + 10.0M = 12.4M — ten times cheaper for the same output shape.",
    ),
    Scene(
        "vgg-plain-resnet",
        "VGG-19 vs plain-34 vs ResNet-34",
        urls.COMPARE,
        urls.COMPARE.params(archs=["vgg19", "plain34", "resnet34"]),
        "The ResNet paper's Figure 3: VGG-19 costs 19.6 G multiply-adds, the 34-layer nets only 3.6 G. "
        "ResNet-34 is plain-34 plus shortcuts (dashed where they project) — same cost, far easier to train.",
    ),
    Scene(
        "lesion",
        "Lesion a ResNet",
        urls.ENSEMBLE_OF_PATHS,
        {},
        "Delete one block of the trained ResNet-56 at test time: the error barely moves. Delete a layer of "
        "the plain net: it collapses. A ResNet behaves like an ensemble of many short paths.",
        tuple(paths.training_configs(56, 20, 8, stochastic_depth=True)),
    ),
    Scene(
        "representation-drift",
        "Representation drift",
        urls.REPRESENTATION_DRIFT,
        {},
        "Residual blocks change the representation a little at a time (small relative change, bright CKA "
        "diagonal band); the plain net re-represents at every layer.",
        tuple(_digits(net, 20) for net in ("plain", "resnet")),
    ),
    Scene(
        "depthwise-separable",
        "Depthwise-separable convolutions",
        urls.COST_LAB,
        urls.COST_LAB.params(calculator="Depthwise-separable"),
        "A 3×3 conv mixes space and channels at once; Xception and MobileNet split it into a per-channel "
        "3×3 and a 1×1: cost ratio 1/C_out + 1/9, about 8–9× cheaper.",
    ),
    Scene(
        "resnet50-as-published",
        "ResNet-50: the paper vs torchvision",
        urls.ARCHITECTURE,
        urls.ARCHITECTURE.params(arch="resnet50-paper"),
        "The paper puts the stride on the first 1×1 of a stage (3.8 G); torchvision's 'v1.5' moves it "
        "to the 3×3 (4.1 G): more multiply-adds, better accuracy. The twin box compares them.",
    ),
]


def get(key: str) -> Scene:
    for scene in SCENES:
        if scene.key == key:
            return scene
    raise UserError(f"unknown scene {key!r}; scenes: {', '.join(s.key for s in SCENES)}")


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
