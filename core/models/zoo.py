"""The architecture zoo: name -> builder + metadata.

Three sources, no downloads (weights are never fetched; accuracies and ops come from the metadata
that ships inside torchvision):
- torchvision's classification CNNs (every one of them, so counts can be checked against its figures);
- timm for what torchvision lacks (Xception, Inception-v4, Inception-ResNet-v2, MobileNet v1,
  pre-activation ResNet-50) — timm is the best-kept model library of the field;
- our own teaching nets in `core.models.cifar` and `core.models.paper` (CIFAR plain/residual family, plain-18/34, paper variants).

CIFAR names are parsed, so any depth 6n+2 works: `cifar-plain-N`, `cifar-resnet-N`.

Beyond the curated list, every convolutional model timm can build is reachable as `timm:<name>`
(e.g. `timm:resnet50d`), resolved lazily: nothing of timm is imported or built until such a name is
asked for, and `timm_names()` only reads timm's registry of names. The CNN rule (`cnn_problem`) is
structural and checked on the built model: at least one convolution whose windows overlap
(kernel > stride; a ViT's patchify stem does not count) and no self-attention (a module whose class
name contains "Attention" or is one of timm's attention layers, or a `qkv` projection). The list
offered for search leaves out families known to fail that rule (`TIMM_NOT_CNN`, checked against the
whole registry by bench/bench_timm.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from torch import nn

from core.errors import UserError

CIFAR_NAME = re.compile(r"^cifar-(plain|resnet)-(\d+)$")
TIMM_PREFIX = "timm:"
CIFAR_LISTED_DEPTHS = (20, 32, 44, 56, 110, 1202)
CIFAR_OPTIONS = {
    "width": 16,
    "in_channels": 3,
    "num_classes": 10,
    "preact": False,
    "shortcut": "A",
    "final_survival": 1.0,
}
# What an option may be (beyond the type of its default): (lowest, highest) or the choices
OPTION_RANGES = {
    "width": (1, 1024),
    "in_channels": (1, 1024),
    "num_classes": (1, 100_000),  # ImageNet-21k, the largest label set in common use, has 21,841
    "final_survival": (1e-9, 1.0),  # stochastic depth: a survival probability in (0, 1]
}
OPTION_CHOICES = {"shortcut": ("A", "B")}
MAX_PARAMS = 2_000_000_000  # beyond this a net is not built (8 GB of float32 weights when trained)


def check_option(arch: str, key: str, value, default):
    """The option's value, checked against the type of its default and its range; else UserError."""
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise UserError(f"{arch}: {key} takes true or false, got {value!r}")
        return value
    if isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
        kind = "a whole number"
    elif isinstance(default, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        kind = "a number"
    else:
        ok, kind = isinstance(value, str), "text"
    low, high = OPTION_RANGES.get(key, (None, None))
    if ok and low is not None and not low <= value <= high:
        ok = False
        kind += " in (0, 1]" if key == "final_survival" else f" from {low:,} to {high:,}"
    if ok and key in OPTION_CHOICES and value not in OPTION_CHOICES[key]:
        ok, kind = False, " or ".join(OPTION_CHOICES[key])
    if not ok:
        raise UserError(f"{arch}: {key} takes {kind}, got {value!r}")
    return float(value) if isinstance(default, float) else value


@dataclass(frozen=True)
class Arch:
    name: str
    family: str
    year: int | None  # None: not recorded (timm's registry has no year)
    paper: str
    description: str
    input_size: tuple[int, int, int]  # default (C, H, W)
    builder: Callable[..., nn.Module] = field(repr=False, compare=False)
    top1: float | None = None  # published ImageNet top-1 accuracy, %
    top1_source: str | None = None
    top1_weights: str | None = None  # the trained weights that accuracy belongs to
    top1_crops: int = 1  # evaluation protocol: 1 centre crop, or 10 crops (the ResNet paper's tables)
    top1_caveat: str | None = None  # trained with another recipe or on extra data: not comparable as is
    top1_extra_data: bool = False  # pretrained beyond ImageNet-1k (e.g. SWAG): left off the scatter
    published_gmacs: float | None = None  # torchvision's published GFLOPS figure (which counts MACs)
    published_params: int | None = None  # torchvision's published parameter count of the model as built
    options: dict = field(default_factory=dict)  # constructor options and their defaults
    size: Callable[..., int] | None = field(default=None, repr=False, compare=False)  # params, closed form

    def build(self, **options) -> nn.Module:
        unknown = set(options) - set(self.options)
        if unknown:
            raise UserError(
                f"{self.name} has no option {', '.join(sorted(unknown))}; options: {', '.join(self.options) or 'none'}"
            )
        options = {k: check_option(self.name, k, v, self.options[k]) for k, v in options.items()}
        if self.size is not None:  # estimate before building: refuse what would not fit
            params = self.size(**{**self.options, **options})
            if params > MAX_PARAMS:
                raise UserError(
                    f"{self.name} with these options would have about {params / 1e9:.1f} billion parameters; "
                    f"ConvAtlas builds nets up to {MAX_PARAMS / 1e9:.0f} billion"
                )
        try:
            return self.builder(**{**self.options, **options})
        except (ValueError, TypeError) as exc:  # our constructors explain bad values in one sentence
            raise UserError(f"{self.name}: {exc}") from None


# family -> (year, paper, description) for the families torchvision and timm provide
FAMILIES = {
    "AlexNet": (
        2012,
        "Krizhevsky et al., ImageNet Classification with Deep CNNs",
        "Five convs and three big linear layers; the net that started it.",
    ),
    "VGG": (
        2014,
        "Simonyan & Zisserman, Very Deep Convolutional Networks",
        "Stacks of 3x3 convs, doubling width as maps halve; expensive (VGG-19: 19.6 G multiply-adds).",
    ),
    "Inception": (
        2014,
        "Szegedy et al., Going Deeper with Convolutions",
        "Parallel 1x1 / 3x3 / 5x5 / pool branches, concatenated; 1x1 reductions keep it cheap.",
    ),
    "ResNet": (
        2015,
        "He et al., Deep Residual Learning for Image Recognition",
        "Residual blocks: learn F(x) and output F(x) + x, so depth stops hurting.",
    ),
    "Plain": (
        2015,
        "He et al., Deep Residual Learning for Image Recognition",
        "The ResNet layout without shortcuts: the paper's baseline that shows the degradation problem.",
    ),
    "Pre-activation ResNet": (
        2016,
        "He et al., Identity Mappings in Deep Residual Networks",
        "BN-ReLU-conv ordering: an identity path from input to output.",
    ),
    "Wide ResNet": (2016, "Zagoruyko & Komodakis, Wide Residual Networks", "Fewer, wider residual blocks."),
    "ResNeXt": (
        2017,
        "Xie et al., Aggregated Residual Transformations",
        "Bottleneck blocks with grouped 3x3 convs (cardinality).",
    ),
    "DenseNet": (
        2017,
        "Huang et al., Densely Connected Convolutional Networks",
        "Every layer gets all earlier feature maps of its block, concatenated.",
    ),
    "Xception": (
        2017,
        "Chollet, Xception: Deep Learning with Depthwise Separable Convolutions",
        "Inception taken to the extreme: depthwise-separable convs with residual links.",
    ),
    "MobileNet": (
        2017,
        "Howard et al., MobileNets / Sandler et al., MobileNetV2 / Howard et al., MobileNetV3",
        "Depthwise-separable convs for phones; v2 adds inverted residuals.",
    ),
    "SqueezeNet": (2016, "Iandola et al., SqueezeNet", "Fire modules: squeeze with 1x1, expand with 1x1 and 3x3."),
    "ShuffleNet": (2018, "Ma et al., ShuffleNet V2", "Channel split and shuffle for cheap grouped convs."),
    "MnasNet": (2019, "Tan et al., MnasNet", "Mobile net found by architecture search."),
    "EfficientNet": (
        2019,
        "Tan & Le, EfficientNet / EfficientNetV2",
        "Compound scaling of depth, width and resolution.",
    ),
    "RegNet": (
        2020,
        "Radosavovic et al., Designing Network Design Spaces",
        "Stage widths from a simple quantised linear rule.",
    ),
    "ConvNeXt": (
        2022,
        "Liu et al., A ConvNet for the 2020s",
        "A ResNet modernised towards transformers: 7x7 depthwise, LayerNorm, GELU.",
    ),
    "CIFAR ResNet": (
        2015,
        "He et al., Deep Residual Learning for Image Recognition (Sec. 4.2)",
        "6n+2 layers, 16/32/64 filters on 32/16/8 maps.",
    ),
}

_TV_FAMILY_PREFIXES = [
    ("alexnet", "AlexNet"),
    ("vgg", "VGG"),
    ("googlenet", "Inception"),
    ("inception", "Inception"),
    ("resnext", "ResNeXt"),
    ("wide_resnet", "Wide ResNet"),
    ("resnet", "ResNet"),
    ("densenet", "DenseNet"),
    ("mobilenet", "MobileNet"),
    ("squeezenet", "SqueezeNet"),
    ("shufflenet", "ShuffleNet"),
    ("mnasnet", "MnasNet"),
    ("efficientnet", "EfficientNet"),
    ("regnet", "RegNet"),
    ("convnext", "ConvNeXt"),
]
_TV_NOT_CNN = ("vit_", "swin_", "maxvit_")
_TV_NO_AUX = {"googlenet", "inception_v3"}  # aux heads off: parameters as built for inference
_TV_YEARS = {
    "googlenet": 2014,
    "inception_v3": 2016,
    "mobilenet_v2": 2018,
    "mobilenet_v3_large": 2019,
    "mobilenet_v3_small": 2019,
    "efficientnet_v2_s": 2021,
    "efficientnet_v2_m": 2021,
    "efficientnet_v2_l": 2021,
}
_TV_PAPERS = {
    "inception_v3": "Szegedy et al., Rethinking the Inception Architecture (Inception v3)",
    "googlenet": "Szegedy et al., Going Deeper with Convolutions (GoogLeNet, Inception v1)",
}
_TV_DESCRIPTIONS = {
    "googlenet": "torchvision's GoogLeNet; note its '5x5' branch is built as a 3x3 (see googlenet-5x5).",
    "inception_v3": "Inception v3: factorised 5x5 into two 3x3, n x n into 1 x n then n x 1.",
    "resnet50": "torchvision's ResNet-50 'v1.5': stride on the 3x3 (4.1 G); the paper's is resnet50-paper.",
    "resnet101": "torchvision's ResNet-101 'v1.5': stride on the 3x3 (7.8 G); the paper's is resnet101-paper.",
    "resnet152": "torchvision's ResNet-152 'v1.5': stride on the 3x3 (11.5 G); the paper's is resnet152-paper.",
    "mobilenet_v2": "MobileNet v2: inverted residual blocks with linear bottlenecks.",
    "mobilenet_v3_large": "MobileNet v3 large: searched blocks with squeeze-excite and hard-swish.",
    "mobilenet_v3_small": "MobileNet v3 small: searched blocks with squeeze-excite and hard-swish.",
}


def _tv_family(name: str) -> str:
    return next(family for prefix, family in _TV_FAMILY_PREFIXES if name.startswith(prefix))


def _tv_builder(name: str) -> Callable[..., nn.Module]:
    import torchvision

    def build(num_classes: int = 1000):
        kwargs = {"aux_logits": False, "init_weights": False} if name in _TV_NO_AUX else {}
        return torchvision.models.get_model(name, weights=None, num_classes=num_classes, **kwargs)

    return build


NEWER_RECIPE = (
    "trained with torchvision's newer recipe (long schedule, heavy augmentation, EMA), "
    "not the paper's: a better recipe, not only a better net"
)
EXTRA_DATA = "fine-tuned from weights pretrained on 3.6 billion Instagram images (SWAG), not ImageNet-1k alone"


def _tv_weights(listed: list) -> tuple:
    """The weights whose accuracy the zoo reports, with a caveat when they are not comparable to
    nets trained on ImageNet-1k with their paper's recipe: (weights, caveat or None, extra data?).
    torchvision lists IMAGENET1K_V1 first where it exists; V2 weights are its newer recipe."""
    weights = next((w for w in listed if w.name == "IMAGENET1K_V1"), listed[0])
    docs = " ".join(weights.meta.get("_docs", "").split())
    if "SWAG" in weights.name or "transfer learning" in docs:
        return weights, EXTRA_DATA, True
    if "new training recipe" in docs or "improve upon the results of the original paper" in docs:
        return weights, NEWER_RECIPE, False
    if weights.name != "IMAGENET1K_V1":
        return weights, f"torchvision's {weights.name} weights", False
    return weights, None, False


def _torchvision_archs() -> list[Arch]:
    import torchvision
    from torchvision.models import get_model_weights, list_models

    archs = []
    for name in list_models(module=torchvision.models):
        if name.startswith(_TV_NOT_CNN):
            continue
        weights, caveat, extra_data = _tv_weights(list(get_model_weights(name)))
        meta = weights.meta
        crop = weights.transforms.keywords.get("crop_size", 224)
        family = _tv_family(name)
        year, paper, description = FAMILIES[family]
        archs.append(
            Arch(
                name=name,
                family=family,
                year=_TV_YEARS.get(name, year),
                paper=_TV_PAPERS.get(name, paper),
                description=_TV_DESCRIPTIONS.get(name, description),
                input_size=(3, crop, crop),
                builder=_tv_builder(name),
                top1=meta["_metrics"]["ImageNet-1K"]["acc@1"],
                top1_source=f"torchvision {weights.name} (1-crop, {crop} px)",
                top1_weights=f"torchvision {type(weights).__name__}.{weights.name}",
                top1_caveat=caveat,
                top1_extra_data=extra_data,
                published_gmacs=meta["_ops"],
                # torchvision counts the auxiliary heads, which we build switched off
                published_params=None if name in _TV_NO_AUX else meta["num_params"],
                options={"num_classes": 1000},
            )
        )
    return archs


def _timm_builder(timm_name: str) -> Callable[..., nn.Module]:
    def build(num_classes: int = 1000):
        import timm

        return timm.create_model(timm_name, pretrained=False, num_classes=num_classes)

    return build


# name, timm name, family, year, paper, description, input, (top-1 %, source, weights)
_TIMM = [
    (
        "xception",
        "legacy_xception",
        "Xception",
        2017,
        FAMILIES["Xception"][1],
        "The original Xception: 36 conv layers (34 depthwise-separable, 2 standard) in 14 modules, residual links.",
        299,
        (79.0, "Chollet 2017, Table 1 (1-crop)", "the paper's own trained model"),
    ),
    (
        "inception_v4",
        "inception_v4",
        "Inception",
        2017,
        "Szegedy et al., Inception-v4, Inception-ResNet and the Impact of Residual Connections",
        "Inception-v4: uniform Inception-A/B/C modules with reduction blocks.",
        299,
        (80.0, "Szegedy et al. 2017, Table 2 (1-crop)", "the paper's own trained model"),
    ),
    (
        "inception_resnet_v2",
        "inception_resnet_v2",
        "Inception",
        2017,
        "Szegedy et al., Inception-v4, Inception-ResNet and the Impact of Residual Connections",
        "Inception-ResNet-v2: Inception modules as residual branches.",
        299,
        (80.1, "Szegedy et al. 2017, Table 2 (1-crop)", "the paper's own trained model"),
    ),
    (
        "mobilenet_v1",
        "mobilenetv1_100",
        "MobileNet",
        2017,
        "Howard et al., MobileNets: Efficient CNNs for Mobile Vision Applications",
        "MobileNet v1: a plain stack of depthwise-separable convs (width 1.0).",
        224,
        (70.6, "Howard et al. 2017, Table 8 (1-crop)", "the paper's own trained model"),
    ),
    (
        "preact_resnet50",
        "resnetv2_50",
        "Pre-activation ResNet",
        2016,
        FAMILIES["Pre-activation ResNet"][1],
        "ResNet-50 with pre-activation bottlenecks (timm's resnetv2_50).",
        224,
        None,
    ),
]


def _timm_archs() -> list[Arch]:
    archs = []
    for name, timm_name, family, year, paper, description, size, top1 in _TIMM:
        archs.append(
            Arch(
                name=name,
                family=family,
                year=year,
                paper=paper,
                description=description,
                input_size=(3, size, size),
                builder=_timm_builder(timm_name),
                top1=top1[0] if top1 else None,
                top1_source=top1[1] if top1 else None,
                top1_weights=top1[2] if top1 else None,
                options={"num_classes": 1000},
            )
        )
    return archs


def _own_archs() -> list[Arch]:
    from core.models import paper

    resnet_paper = FAMILIES["ResNet"][1]
    # The paper's tables are 10-crop; the authors' repository lists 1-crop figures of its released
    # models (the scatter's protocol). plain-18/34 have 10-crop figures only (Table 2), no weights.
    table2 = ("He et al. 2016, Table 2 (10-crop)", "the paper's plain nets (not released)", 10)
    repo = ("He et al., github.com/KaimingHe/deep-residual-networks (1-crop, 224 px)", "the authors' Caffe models", 1)
    rows = [
        (
            "plain18",
            paper.plain18,
            "Plain",
            "The paper's plain-18: ResNet-18 without shortcuts.",
            (72.06, *table2),
        ),
        (
            "plain34",
            paper.plain34,
            "Plain",
            "The paper's plain-34: ResNet-34 without shortcuts; trains worse than plain-18.",
            (71.46, *table2),
        ),
        (
            "resnet50-paper",
            paper.resnet50_paper,
            "ResNet",
            "ResNet-50 as published: stride on the first 1x1 (3.8 G).",
            (75.3, *repo),
        ),
        (
            "resnet101-paper",
            paper.resnet101_paper,
            "ResNet",
            "ResNet-101 as published: stride on the first 1x1 (7.6 G).",
            (76.4, *repo),
        ),
        (
            "resnet152-paper",
            paper.resnet152_paper,
            "ResNet",
            "ResNet-152 as published: stride on the first 1x1 (11.3 G).",
            (77.0, *repo),
        ),
        (
            "googlenet-5x5",
            paper.googlenet_5x5,
            "Inception",
            "GoogLeNet as published, with a real 5x5 branch (torchvision builds a 3x3).",
            None,
        ),
    ]
    archs = []
    for name, builder, family, description, top1 in rows:
        year, paper = FAMILIES[family][:2] if family != "Inception" else (2014, _TV_PAPERS["googlenet"])
        archs.append(
            Arch(
                name=name,
                family=family,
                year=year,
                paper=paper if family != "Plain" else resnet_paper,
                description=description,
                input_size=(3, 224, 224),
                builder=builder,
                top1=top1[0] if top1 else None,
                top1_source=top1[1] if top1 else None,
                top1_weights=top1[2] if top1 else None,
                top1_crops=top1[3] if top1 else 1,
                options={"num_classes": 1000},
            )
        )
    return archs


def _cifar_arch(kind: str, depth: int) -> Arch:
    from core.models.cifar import DEPTH_RULE, MAX_DEPTH, CifarNet, blocks_per_stage, cifar_depth_ok, cifar_size

    if not cifar_depth_ok(depth):
        raise UserError(f"CIFAR nets have depth {DEPTH_RULE}; {depth} is not of that form")
    if depth > MAX_DEPTH:
        params = cifar_size(depth, **{k: CIFAR_OPTIONS[k] for k in ("width", "in_channels", "num_classes")})
        raise UserError(
            f"cifar-{kind}-{depth} would have {depth:,} layers and {params / 1e6:,.1f} M parameters at width "
            f"{CIFAR_OPTIONS['width']}; ConvAtlas builds CIFAR nets up to {MAX_DEPTH:,} layers (the paper's deepest)"
        )
    residual = kind == "resnet"
    year, paper, _ = FAMILIES["CIFAR ResNet"]
    n = blocks_per_stage(depth)
    what = "residual" if residual else "plain (no shortcuts)"
    return Arch(
        name=f"cifar-{kind}-{depth}",
        family="CIFAR ResNet" if residual else "CIFAR plain",
        year=year,
        paper=paper,
        description=f"{depth}-layer {what} CIFAR net: 3 stages of {n} blocks.",
        input_size=(3, 32, 32),
        options=dict(CIFAR_OPTIONS),
        builder=lambda **opts: CifarNet(depth=depth, residual=residual, **opts),
        size=lambda width, in_channels, num_classes, **_: cifar_size(depth, width, in_channels, num_classes),
    )


@lru_cache(maxsize=1)
def _registry() -> dict[str, Arch]:
    archs = _torchvision_archs() + _timm_archs() + _own_archs()
    archs += [_cifar_arch(kind, d) for kind in ("plain", "resnet") for d in CIFAR_LISTED_DEPTHS]
    return {a.name: a for a in archs}


def names() -> list[str]:
    """Listed names (CIFAR nets of any other 6n+2 depth are accepted by `get` too)."""
    return list(_registry())


def get(name: str) -> Arch:
    match = CIFAR_NAME.match(name)
    if match:  # before the registry: building it imports torchvision and timm (seconds)
        if len(match[2]) > 9:  # no int() of a 10,000-digit string; no float of its parameter count
            from core.models.cifar import MAX_DEPTH

            raise UserError(
                f"{name[:40]}: ConvAtlas builds CIFAR nets up to {MAX_DEPTH:,} layers (the paper's deepest)"
            )
        return _cifar_arch(match[1], int(match[2]))
    if name.startswith(TIMM_PREFIX):
        return _timm_arch(name[len(TIMM_PREFIX) :])
    if name in _registry():
        return _registry()[name]
    raise UserError(
        f"unknown architecture {name!r}; `python -m core list` shows the zoo, "
        "`python -m core list --all` adds timm's CNNs (timm:NAME)"
    )


def build(name: str, **options) -> nn.Module:
    """A fresh model in eval mode (as built for inference)."""
    return get(name).build(**options).eval()


def families() -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for arch in _registry().values():
        grouped.setdefault(arch.family, []).append(arch.name)
    return grouped


# --------------------------------------------------------------------------------------------------
# timm:<name> — every convolutional model timm can build
# --------------------------------------------------------------------------------------------------
# Families that are not CNNs by the rule below (vision transformers, MLP mixers, hybrids with
# self-attention): left out of the searchable list so it offers only names that build and count.
# A name given by hand is still checked on the built model (`cnn_problem`).
TIMM_NOT_CNN = re.compile(
    r"^(vit|deit|swin|beit|cait|xcit|levit|pit_|tnt_|twins|crossvit|coat_|convit|mixer|gmixer|gmlp|resmlp|"
    r"mvitv2|eva|flexivit|davit|maxvit|maxxvit|coatnet|coatnext|efficientformer|mobilevit|volo|nest_|pvt|"
    r"hiera|samvit|vitamin|tiny_vit|nextvit|gcvit|efficientvit|sequencer|cross|fastvit_(?:sa|ma|mci)|aimv2|naflexvit|"
    r"hgnetv2_b\d_t|test_|visformer|vovnet_t|sam2|dino|siglip|focalnet_huge|mambaout_xxl|csatv2|"
    r"bat_|botnet|eca_botnext|sebotnet|halo|eca_halonext|sehalonet|lambda_|lamhalobotnet|caformer|cpubone|"
    r"deepseek_vit|gemma\d*_vit|qwen\d*_vit|edgenext|lowformer|mobilenetv4_hybrid|mobilenetv5|shvit|"
    r"swiftformer|.*_clip$)"
)
_SELF_ATTENTION = {"BottleneckAttn", "HaloAttn", "LambdaLayer", "NonLocalAttn", "BatNonLocalAttn", "MultiheadAttention"}


def cnn_problem(model: nn.Module) -> str | None:
    """Why a built model is not a CNN by ConvAtlas's rule, or None if it is one."""
    overlapping = False
    for path, m in model.named_modules():
        cls = type(m).__name__
        if "Attention" in cls or cls in _SELF_ATTENTION or path.rsplit(".", 1)[-1] == "qkv":
            return f"it has self-attention ({cls} at {path or 'the top'})"
        if isinstance(m, nn.modules.conv._ConvNd) and max(m.kernel_size) > max(m.stride):
            overlapping = True
    return None if overlapping else "it has no convolution with overlapping windows (kernel > stride)"


@lru_cache(maxsize=1)
def timm_names() -> list[str]:
    """`timm:<name>` for every model in timm's registry that is not of a known non-CNN family."""
    import timm

    return [TIMM_PREFIX + n for n in timm.list_models() if not TIMM_NOT_CNN.match(n)]


def _timm_cnn_builder(timm_name: str) -> Callable[..., nn.Module]:
    def build(num_classes: int = 1000):
        import timm

        model = timm.create_model(timm_name, pretrained=False, num_classes=num_classes)
        problem = cnn_problem(model)
        if problem:
            raise UserError(f"not a convolutional network: {problem}")
        return model

    return build


@lru_cache(maxsize=256)
def _timm_arch(timm_name: str) -> Arch:
    import timm
    from timm.models import get_pretrained_cfg

    if not timm.is_model(timm_name):
        close = [n for n in timm.list_models(f"*{timm_name}*")][:5]
        hint = f"; similar: {', '.join(TIMM_PREFIX + n for n in close)}" if close else ""
        raise UserError(f"timm has no model {timm_name!r}{hint}")
    cfg = get_pretrained_cfg(timm_name)
    cfg = cfg.to_dict() if cfg is not None else {}
    module = _timm_module(timm_name)
    c, h, w = tuple(cfg.get("input_size") or (3, 224, 224))
    paper = cfg.get("paper_name") or cfg.get("paper_ids") or f"timm (pytorch-image-models), module {module}"
    return Arch(
        name=TIMM_PREFIX + timm_name,
        family=f"timm {module}",
        year=None,
        paper=str(paper),
        description=f"timm's {timm_name}, built without weights (timm {timm.__version__}).",
        input_size=(c, h, w),
        builder=_timm_cnn_builder(timm_name),
        options={"num_classes": 1000},
    )


def _timm_module(timm_name: str) -> str:
    from timm.models import _registry

    return _registry._model_to_module.get(timm_name, "?")
