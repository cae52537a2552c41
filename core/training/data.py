"""Datasets as ready-to-train tensors: an offline default plus torchvision's classic sets.

The offline sets are built from scikit-learn's 8x8 handwritten digits (1,797 images, 10 classes),
whose file ships inside the scikit-learn wheel ConvAtlas already needs, so a fresh machine with no
internet trains at once:
- "digits": the 8x8 images themselves, small enough for a 56-layer net to train in seconds on a CPU;
- "digits32": the same digits re-rendered at CIFAR's geometry (32x32 RGB, so a CIFAR net has its
  three stages at 32/16/8), each source image several times with random pose, stroke, colours,
  background texture, clutter lines and noise. Train and test renders come from disjoint writers'
  images, so the test error measures generalisation to unseen handwriting, not to a new render.
MNIST, Fashion-MNIST and CIFAR-10 come through torchvision: found in the data folder
(`$CONVATLAS_HOME/data`), downloaded there when online, otherwise a clear UserError.

Everything is held as whole tensors (N, C, H, W) float32, normalised with the training set's
per-channel mean and std, so the training loop indexes batches instead of running a DataLoader.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from core.errors import UserError
from core.memo import MiB, bounded

DATASETS = {  # name -> one line for menus
    "digits": "8x8 handwritten digits (scikit-learn, offline, 1,797 images)",
    "digits32": "the digits re-rendered at 32x32 RGB like CIFAR-10 (offline, generated, 10,064 images)",
    "mnist": "MNIST 28x28 handwritten digits (torchvision download, 70,000 images)",
    "fashion-mnist": "Fashion-MNIST 28x28 clothing (torchvision download, 70,000 images)",
    "cifar10": "CIFAR-10 32x32 colour photos (torchvision download, 60,000 images)",
}
SHAPES = {
    "digits": (1, 8, 8),
    "digits32": (3, 32, 32),
    "mnist": (1, 28, 28),
    "fashion-mnist": (1, 28, 28),
    "cifar10": (3, 32, 32),
}
SIZES = {
    "digits": (1438, 359),
    "digits32": (1438 * 6, 359 * 4),
    "mnist": (60000, 10000),
    "fashion-mnist": (60000, 10000),
    "cifar10": (50000, 10000),
}
NUM_CLASSES = 10  # every dataset here has ten classes
DIGITS_TEST_FRACTION = 0.2
DIGITS32_RENDERS = (6, 4)  # renders of each train, test source image


def convatlas_home() -> Path:
    return Path(os.environ.get("CONVATLAS_HOME", Path.home() / ".convatlas")).expanduser()


@dataclass(frozen=True, eq=False)
class Dataset:
    name: str
    train_x: torch.Tensor  # (N, C, H, W) float32, normalised
    train_y: torch.Tensor  # (N,) int64
    test_x: torch.Tensor
    test_y: torch.Tensor
    num_classes: int
    in_channels: int
    image_size: int  # H == W
    augment: bool = False  # random crop + flip while training (CIFAR-10, as in the paper)

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.in_channels, self.image_size, self.image_size)


def load_dataset(
    name: str = "digits",
    seed: int = 0,
    data_dir: str | Path | None = None,
    train_limit: int | None = None,
    download: bool = True,
) -> Dataset:
    """The dataset `name` as normalised tensors. `seed` fixes the digits train/test split and the
    subset picked by `train_limit` (a quick run on part of a big training set). Cached per arguments:
    treat the tensors as read-only."""
    if name not in DATASETS:
        raise UserError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    if train_limit is not None and train_limit < 1:
        raise UserError(f"train_limit must be at least 1, got {train_limit}")
    folder = Path(data_dir).expanduser() if data_dir else convatlas_home() / "data"
    return _load(name, int(seed), str(folder), train_limit, download)


def _dataset_bytes(d: Dataset) -> int:
    return sum(t.numel() * t.element_size() for t in (d.train_x, d.train_y, d.test_x, d.test_y))


# CIFAR-10 as float32 is ~720 MiB: one big set at a time, a few small ones beside it
@bounded(max_entries=4, max_bytes=1024 * MiB, weigh=_dataset_bytes)
def _load(name: str, seed: int, folder: str, train_limit: int | None, download: bool) -> Dataset:
    if name == "digits":
        train_x, train_y, test_x, test_y = _digits(seed)
    elif name == "digits32":
        train_x, train_y, test_x, test_y = _digits32(seed)
    else:
        train_x, train_y, test_x, test_y = _torchvision(name, Path(folder), download)
    if train_limit is not None and train_limit < len(train_y):
        keep = torch.randperm(len(train_y), generator=torch.Generator().manual_seed(seed))[:train_limit]
        train_x, train_y = train_x[keep], train_y[keep]
    mean = train_x.mean(dim=(0, 2, 3), keepdim=True)
    std = train_x.std(dim=(0, 2, 3), keepdim=True).clamp_min(1e-6)
    return Dataset(
        name=name,
        train_x=((train_x - mean) / std).contiguous(),
        train_y=train_y,
        test_x=((test_x - mean) / std).contiguous(),
        test_y=test_y,
        num_classes=NUM_CLASSES,
        in_channels=train_x.shape[1],
        image_size=train_x.shape[2],
        augment=name == "cifar10",
    )


def _digits(seed: int, test_fraction: float = DIGITS_TEST_FRACTION):
    # Read scikit-learn's bundled file directly: importing sklearn.datasets costs seconds (scipy).
    import gzip
    from importlib.util import find_spec

    path = Path(find_spec("sklearn").submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"
    with gzip.open(path, "rt") as f:  # 1797 rows: 64 pixel values 0..16, then the label
        table = torch.tensor([[float(v) for v in line.split(",")] for line in f])
    x = table[:, :64].view(-1, 1, 8, 8) / 16.0
    y = table[:, 64].long()
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    n_test = int(len(y) * test_fraction)
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def _digits32(seed: int):
    """The digits split as `_digits(seed)` splits them, each image rendered DIGITS32_RENDERS times."""
    train_src, train_y, test_src, test_y = _digits(seed)
    g = torch.Generator().manual_seed(seed * 7919 + 32)
    train_n, test_n = DIGITS32_RENDERS
    train_x = render_digits(train_src.repeat(train_n, 1, 1, 1), g)
    test_x = render_digits(test_src.repeat(test_n, 1, 1, 1), g)
    return train_x, train_y.repeat(train_n), test_x, test_y.repeat(test_n)


def render_digits(src: torch.Tensor, g: torch.Generator, size: int = 32) -> torch.Tensor:
    """8x8 digits (N, 1, 8, 8) in [0, 1] -> RGB images (N, 3, size, size) in [0, 1], one random
    rendering each: the digit smoothly upsampled, thinned or thickened, rotated, scaled, sheared and
    moved, in a random colour on a random textured background, crossed by clutter lines, plus noise."""
    n = len(src)

    def u(lo, hi, *shape):
        return lo + (hi - lo) * torch.rand(n, *shape, generator=g)

    glyph = F.interpolate(src, size=(size, size), mode="bicubic", align_corners=False).clamp(0, 1)
    # stroke: a soft threshold of the smooth glyph; a low threshold gives a thick stroke
    glyph = torch.sigmoid((glyph - u(0.25, 0.55, 1, 1, 1)) * 14)
    # pose: output pixel -> glyph pixel (affine_grid's theta), so 1/scale shrinks the digit
    angle, scale, shear = u(-0.25, 0.25), u(0.7, 0.95), u(-0.2, 0.2)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [torch.stack([cos, -sin + shear, u(-0.15, 0.15)], 1), torch.stack([sin, cos, u(-0.15, 0.15)], 1)], 1
    )  # (N, 2, 3)
    grid = F.affine_grid(theta, (n, 1, size, size), align_corners=False)
    mask = F.grid_sample(glyph, grid, align_corners=False, padding_mode="zeros")  # (N, 1, S, S)
    # colours: any hue, but light ink on darker paper, so the digit always stands out
    paper, ink = u(0, 0.45, 3, 1, 1), u(0.55, 1, 3, 1, 1)
    # background texture: smooth per-channel noise from a 4x4 grid
    texture = F.interpolate(u(-0.1, 0.1, 3, 4, 4), size=(size, size), mode="bicubic", align_corners=False)
    image = (paper + texture) * (1 - mask) + ink * mask
    # clutter: in half the images a thin straight line in a random colour (distance field to a segment)
    coords = (torch.arange(size) + 0.5) / size
    py, px = coords.view(1, size, 1), coords.view(1, 1, size)
    ax, ay, bx, by = (u(0, 1, 1, 1) for _ in range(4))
    dx, dy = bx - ax, by - ay
    t = (((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy + 1e-6)).clamp(0, 1)
    dist = torch.hypot(px - ax - t * dx, py - ay - t * dy) * size  # (N, S, S) in pixels
    line = (1 - dist).clamp(0, 1).unsqueeze(1) * (u(0, 1, 1, 1, 1) < 0.5) * u(0.3, 0.7, 1, 1, 1)
    image = image * (1 - line) + u(0, 1, 3, 1, 1) * line
    image = image + u(0, 0.05, 1, 1, 1) * torch.randn(image.shape, generator=g)
    return image.clamp(0, 1)


CIFAR10_FOLDER = "cifar-10-batches-py"  # torchvision's (and the dataset's own) layout
CIFAR10_TRAIN = tuple(f"data_batch_{i}" for i in range(1, 6))
CIFAR10_TEST = ("test_batch",)


def _torchvision(name: str, folder: Path, download: bool):
    from torchvision import datasets

    cls = {"mnist": datasets.MNIST, "fashion-mnist": datasets.FashionMNIST, "cifar10": datasets.CIFAR10}[name]
    splits = []
    for train in (True, False):
        try:
            data, targets = _read(name, cls, folder, train)
        except (RuntimeError, FileNotFoundError):  # not in the folder yet
            if not download:
                raise UserError(f"{name} is not in {folder}; put it there or allow the download") from None
            try:
                folder.mkdir(parents=True, exist_ok=True)
                cls(str(folder), train=train, download=True)  # checks the archive's md5
                data, targets = _read(name, cls, folder, train)
            except Exception as exc:  # no network, proxy, disk full: one sentence for the user
                raise UserError(
                    f"{name} is not in {folder} and could not be downloaded "
                    f"(offline?): {exc.__class__.__name__}. Use the offline 'digits' "
                    f"dataset, or copy {name} into that folder."
                ) from None
        x = (data.permute(0, 3, 1, 2) if data.ndim == 4 else data.unsqueeze(1)).float() / 255.0
        splits += [x, targets]
    return splits


def _read(name: str, cls, folder: Path, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """(images uint8 (N, H, W) or (N, H, W, C), labels int64) of one split found in `folder`."""
    if name == "cifar10":
        return read_cifar10(folder / CIFAR10_FOLDER, CIFAR10_TRAIN if train else CIFAR10_TEST)
    ds = cls(str(folder), train=train, download=False)  # the idx files in <folder>/<MNIST|FashionMNIST>/raw
    return torch.as_tensor(ds.data), torch.as_tensor(ds.targets, dtype=torch.int64)


class _ArraysOnly(pickle.Unpickler):
    """CIFAR-10's batches are pickles of a dict of numpy arrays, lists and strings. Unpickle only
    that: any other global (which could run code) is refused."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy.core.numeric", "_frombuffer"),
        ("numpy._core.numeric", "_frombuffer"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),
    }

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a CIFAR-10 batch")
        return super().find_class(module, name)


def read_cifar10(folder: Path, files: tuple[str, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """The CIFAR-10 python batches `files` in `folder`: images (N, 32, 32, 3) uint8, labels (N,) int64.
    Each batch is a pickled dict with "data" (N, 3072) uint8 rows (1024 red, 1024 green, 1024 blue
    values, row-major) and "labels" (N ints)."""
    import numpy as np

    images, labels = [], []
    for file in files:
        with open(folder / file, "rb") as f:
            try:
                entry = _ArraysOnly(f, encoding="latin1").load()
            except (pickle.UnpicklingError, EOFError, ValueError) as exc:
                raise UserError(f"{folder / file} is not a CIFAR-10 batch: {exc}") from None
        images.append(np.asarray(entry["data"], dtype=np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        labels.extend(entry["labels"])
    return torch.from_numpy(np.concatenate(images)), torch.as_tensor(labels, dtype=torch.int64)
