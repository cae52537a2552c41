"""The URL contract: every page, and the keys of its controls that are bound to the URL.

A key here is both a query parameter of a shareable link and the Streamlit widget key of the control
(`bind="query-params"`), so renaming one breaks prepared lecture links. Scenes and the landing page
name pages and keys through this registry; `tests/app/test_url_contract.py` checks it both ways:
every key listed is a widget of its page, and every URL-bound widget of a page is listed.
(It lives in `core`, not `ui`, because `python -m core scene` and the scenes need it without Streamlit.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

LECTURE_KEYS = ("present", "theme", "hide")  # every page's Lecture-mode controls (ui.present)


@dataclass(frozen=True)
class Page:
    path: str  # the script Streamlit runs, relative to the repository root
    title: str
    icon: str
    blurb: str  # the landing page's card
    keys: tuple[str, ...]  # URL-bound widget keys, shown on a fresh visit
    later_keys: tuple[str, ...] = ()  # URL-bound widgets shown only in some states (e.g. with trained runs)

    @property
    def url_path(self) -> str:
        """'pages/4_Plain_vs_Residual.py' -> 'Plain_vs_Residual' (Streamlit's URL of the page)."""
        return Path(self.path).stem.split("_", 1)[1]

    def params(self, **values) -> dict:
        """Query parameters of a link to this page; refuses a key the page does not bind."""
        unknown = set(values) - set(self.keys + self.later_keys + LECTURE_KEYS)
        if unknown:
            raise ValueError(f"{self.title} has no URL-bound control {', '.join(sorted(unknown))}")
        return values


ARCHITECTURE = Page(
    "pages/1_Architecture.py",
    "Architecture",
    "🏛️",
    "Pick a net from the zoo: its block graph with skip connections, per-layer multiply counts and parameters.",
    ("arch", "h", "w", "level"),
    later_keys=("width", "preact", "shortcut"),  # CIFAR nets only
)
COMPARE = Page(
    "pages/2_Compare.py",
    "Compare",
    "⚖️",
    "2–4 nets side by side (VGG-19 / plain-34 / ResNet-34 by default), stage by stage, and accuracy vs cost.",
    ("archs", "cmp_level"),
)
COST_LAB = Page(
    "pages/3_Cost_Lab.py",
    "Cost Lab",
    "🧮",
    "Why 1×1 bottlenecks, depthwise separables and factorised kernels are cheap: calculators with the arithmetic.",
    (
        "calculator",
        "c1_h",
        "c1_w",
        "c1_cin",
        "c1_cout",
        "c1_k",
        "c1_s",
        "c1_p",
        "c1_g",
        "c1_bias",  # one convolution
        "bn_h",
        "bn_w",
        "bn_cin",
        "bn_cout",
        "bn_k",
        "bn_red",  # 1x1 bottleneck
        "ds_h",
        "ds_w",
        "ds_cin",
        "ds_cout",
        "ds_k",
        "ds_s",  # depthwise-separable
        "rb_size",
        "rb_basic_c",
        "rb_c",
        "rb_mid",  # residual blocks
        "in_preset",
        "in_k",
        "in_size",
        "in_cin",  # Inception module
        "in_1x1",
        "in_3x3red",
        "in_3x3",
        "in_5x5red",
        "in_5x5",
        "in_pool",
        "fa_h",
        "fa_w",
        "fa_cin",
        "fa_cout",
        "fa_n3",
        "fa_na",
    ),
)  # factorisation
PLAIN_VS_RESIDUAL = Page(
    "pages/4_Plain_vs_Residual.py",
    "Plain vs Residual",
    "📉",
    "Train plain and residual nets live, side by side, and see whether the deeper plain net trains worse.",
    (
        "pvr_depths",
        "pvr_custom_depth",
        "pvr_width",
        "pvr_epochs",
        "pvr_lr",
        "pvr_dataset",
        "pvr_batch",
        "pvr_preact",
        "pvr_shortcut",
        "pvr_limit",
        "pvr_seed",
        "pvr_device",
    ),
)
ENSEMBLE_OF_PATHS = Page(
    "pages/5_Ensemble_of_Paths.py",
    "Ensemble of Paths",
    "🕸️",
    "Unravel a ResNet into 2ⁿ paths, delete its blocks at test time, and see which paths carry the gradient.",
    ("unravel_n", "lengths_depth", "train_res_depth", "train_plain_depth", "train_epochs", "train_sd"),
    later_keys=("paths_analysis", "paths_samples", "random_kmax", "reorder_kmax"),
)
REPRESENTATION_DRIFT = Page(
    "pages/6_Representation_Drift.py",
    "Representation Drift",
    "🌊",
    "Residual stages refine one representation; plain nets re-represent at every layer: CKA, per-block change, paths.",
    ("source", "depth", "width", "epochs", "paths", "preact"),
    later_keys=("plain_run", "residual_run"),
)

TRANSFER_LEARNING = Page(
    "pages/7_Transfer_Learning.py",
    "Transfer Learning",
    "🎁",
    "Freeze and cache features, fine-tune the last stages, or train everything: how many labels each choice needs.",
    ("tl_task", "tl_depth", "tl_seeds", "tl_shots", "tl_frozen", "tl_steps"),
)

PAGES = (
    ARCHITECTURE,
    COMPARE,
    COST_LAB,
    PLAIN_VS_RESIDUAL,
    ENSEMBLE_OF_PATHS,
    REPRESENTATION_DRIFT,
    TRANSFER_LEARNING,
)
