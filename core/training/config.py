"""What a training run is: its configuration, the recipe behind its defaults, and its metric history.

`RECIPES` is the one table of per-dataset training defaults (learning rate, epochs, batch size,
warm-up, schedule, weight decay): `RunConfig`, the CLI and the pages all take their defaults from it.
A `RunConfig` made without a learning rate, epochs or batch size takes them from its dataset's recipe,
so `RunConfig(dataset="digits")` is the tested digits recipe, not the paper's CIFAR-10 one.

Recipe of He et al. 2016 (Sec. 4.2): SGD, momentum 0.9, weight decay 1e-4, lr 0.1 divided by 10 at
50% and 75% of training (their 32k and 48k of 64k iterations), lr 0.01 warm-up for very deep nets
(110 layers and more) until the training error is below 80%.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from core.errors import UserError
from core.models import cifar, zoo

NETS = ("plain", "resnet")
MAX_DEPTH = cifar.MAX_DEPTH  # the deepest CIFAR net of the paper
MAX_WIDTH = 256
WARMUP_DEPTH = 110  # paper: warm-up for ResNet-110 and deeper
WARMUP_UNTIL_ERROR = 0.8


@dataclass(frozen=True)
class Recipe:
    lr: float
    epochs: int
    batch_size: int = 128
    warmup: str = "auto"  # "auto" (depth >= WARMUP_DEPTH) | "on" | "off"
    schedule: str = "step"  # "step" (/10 at 50% and 75%) | "cosine" | "constant"
    weight_decay: float = 1e-4
    decay_bn: bool = False  # weight decay on BatchNorm scales and shifts too (the paper's Torch/Caffe code)
    width: int = 16  # stage-1 channels of the demo nets: the paper's 16 unless a CPU needs fewer
    why: str = ""


RECIPES = {
    # The digits give ~90 steps in 8 epochs; there lr 0.1 (and 0.05) threw ResNet-56 off in the first
    # epoch for good (59.5% training error after 8 epochs, measured) while 0.02 trains every residual
    # net of the demo.
    "digits": Recipe(lr=0.02, epochs=8, why="measured: 0.1 leaves ResNet-56 at 59.5% training error here"),
    # At width 8 on 32x32 a CPU trains batch 32 as many images a second as batch 64: twice the steps.
    # Plain-56 needs about a thousand of them at lr 0.02; at 0.05 (with or without the paper's warm-up)
    # it stayed at 85-89% training error after 2 epochs (measured on seed 0).
    "digits32": Recipe(
        lr=0.02,
        epochs=4,
        batch_size=32,
        schedule="cosine",
        decay_bn=True,
        width=8,  # the paper's 16 costs 3x the time on a CPU
        why="measured at width 8, seed 0: plain-56 trains to 8-23% training error (at lr 0.05 it stays at 85%)",
    ),
    "mnist": Recipe(lr=0.1, epochs=8, why="the paper's learning rate; a few epochs suffice on MNIST"),
    "fashion-mnist": Recipe(lr=0.1, epochs=8, why="the paper's learning rate"),
    # 64k iterations at batch 128 on 50k images = 164 epochs (He et al. 2016, Sec. 4.2)
    "cifar10": Recipe(lr=0.1, epochs=164, why="He et al. 2016, Sec. 4.2 (a GPU job)"),
}


def recipe(dataset: str) -> Recipe:
    if dataset not in RECIPES:
        raise UserError(f"unknown dataset {dataset!r}; choose one of {', '.join(RECIPES)}")
    return RECIPES[dataset]


@dataclass
class RunConfig:
    net: str = "resnet"  # "plain" | "resnet"
    depth: int = 20  # 6n+2
    width: int | None = None  # channels of stage 1 (x2, x4 in stages 2, 3); None: the dataset's recipe
    preact: bool = False  # pre-activation blocks (He et al., Identity mappings)
    shortcut: str = "A"  # "A" zero-pad | "B" 1x1 projection (only where shapes change)
    final_survival: float = 1.0  # stochastic depth: survival of the last block (1.0 = off)
    dataset: str = "digits"
    epochs: int | None = None  # None: the dataset's recipe (RECIPES)
    lr: float | None = None  # None: the dataset's recipe
    batch_size: int | None = None  # None: the dataset's recipe
    momentum: float = 0.9
    weight_decay: float | None = None  # None: the dataset's recipe
    decay_bn: bool | None = None  # weight decay on BatchNorm and biases too; None: the dataset's recipe
    seed: int = 0  # initial weights, batch order and (digits) train/test split
    device: str = "auto"  # "auto" | "cpu" | "cuda"
    schedule: str | None = None  # "step" (/10 at 50% and 75%) | "cosine" | "constant"; None: the recipe
    warmup: str | None = None  # "auto" (depth >= 110) | "on" | "off": lr/10 until train error < 80%; None: recipe
    train_limit: int | None = None  # train on a seeded subset of this many images (big datasets on a CPU)

    def __post_init__(self):
        if self.width is None:  # an unknown dataset (check_config reports it) gets the paper's width
            self.width = RECIPES[self.dataset].width if self.dataset in RECIPES else 16
        if self.dataset in RECIPES:
            r = RECIPES[self.dataset]
            self.lr = r.lr if self.lr is None else self.lr
            self.epochs = r.epochs if self.epochs is None else self.epochs
            self.batch_size = r.batch_size if self.batch_size is None else self.batch_size
            self.weight_decay = r.weight_decay if self.weight_decay is None else self.weight_decay
            self.decay_bn = r.decay_bn if self.decay_bn is None else self.decay_bn
            self.schedule = r.schedule if self.schedule is None else self.schedule
            self.warmup = r.warmup if self.warmup is None else self.warmup

    @property
    def arch_name(self) -> str:
        return f"cifar-{self.net}-{self.depth}"

    @property
    def label(self) -> str:
        """Short legend name: 'plain-56', 'ResNet-110 (pre-act, B, w32)'."""
        extras = [
            e
            for e, on in (
                ("pre-act", self.preact),
                ("B", self.shortcut == "B" and self.net == "resnet"),
                (f"w{self.width}", self.width != 16),
                (f"sd {self.final_survival:g}", self.final_survival < 1),
            )
            if on
        ]
        base = f"{'ResNet' if self.net == 'resnet' else 'plain'}-{self.depth}"
        return f"{base} ({', '.join(extras)})" if extras else base

    @classmethod
    def from_arch(cls, name: str, **overrides) -> RunConfig:
        match = zoo.CIFAR_NAME.match(name)
        if not match:
            raise UserError(f"{name!r} is not a CIFAR-family net; use cifar-plain-N or cifar-resnet-N")
        return cls(net=match[1], depth=int(match[2]), **overrides)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> RunConfig:
        known = {f.name for f in fields(cls)}
        d = {"decay_bn": False, **d}  # stored before the option existed: BN and biases were never decayed
        return cls(**{k: v for k, v in d.items() if k in known})


@dataclass
class History:
    steps: list[dict] = field(default_factory=list)  # step, epoch (fractional), loss, error, lr
    epochs: list[dict] = field(default_factory=list)  # epoch, train_loss, train_error, test_loss, ...
    grad_layers: list[str] = field(default_factory=list)  # weighted layers in forward order (index = depth)
    grad_norms: list[dict] = field(default_factory=list)  # step, epoch, norms (one per grad_layers entry)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> History:
        return cls(**{f.name: d.get(f.name, []) for f in fields(cls)})
