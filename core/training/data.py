"""Datasets as ready-to-train tensors: an offline default plus torchvision's classic sets.

The offline default is scikit-learn's 8x8 handwritten digits (1,797 images, 10 classes): the file
ships inside the scikit-learn wheel, which ConvAtlas already needs, so a fresh machine with no
internet trains at once, and 8x8 images make a 56-layer net fast enough for a live demo on a CPU.
MNIST, Fashion-MNIST and CIFAR-10 come through torchvision: found in the data folder
(`$CONVATLAS_HOME/data`), downloaded there when online, otherwise a clear UserError.

Everything is held as whole tensors (N, C, H, W) float32, normalised with the training set's
per-channel mean and std, so the training loop indexes batches instead of running a DataLoader.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch

from core.errors import UserError
from core.memo import MiB, bounded

DATASETS = {  # name -> one line for menus
    "digits": "8x8 handwritten digits (scikit-learn, offline, 1,797 images)",
    "mnist": "MNIST 28x28 handwritten digits (torchvision download, 70,000 images)",
    "fashion-mnist": "Fashion-MNIST 28x28 clothing (torchvision download, 70,000 images)",
    "cifar10": "CIFAR-10 32x32 colour photos (torchvision download, 60,000 images)",
}
SHAPES = {"digits": (1, 8, 8), "mnist": (1, 28, 28), "fashion-mnist": (1, 28, 28), "cifar10": (3, 32, 32)}
SIZES = {"digits": (1438, 359), "mnist": (60000, 10000), "fashion-mnist": (60000, 10000), "cifar10": (50000, 10000)}
NUM_CLASSES = 10  # every dataset here has ten classes
DIGITS_TEST_FRACTION = 0.2


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


def _digits(seed: int):
    # Read scikit-learn's bundled file directly: importing sklearn.datasets costs seconds (scipy).
    import gzip
    from importlib.util import find_spec

    path = Path(find_spec("sklearn").submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"
    with gzip.open(path, "rt") as f:  # 1797 rows: 64 pixel values 0..16, then the label
        table = torch.tensor([[float(v) for v in line.split(",")] for line in f])
    x = table[:, :64].view(-1, 1, 8, 8) / 16.0
    y = table[:, 64].long()
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    n_test = int(len(y) * DIGITS_TEST_FRACTION)
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def _torchvision(name: str, folder: Path, download: bool):
    from torchvision import datasets

    cls = {"mnist": datasets.MNIST, "fashion-mnist": datasets.FashionMNIST, "cifar10": datasets.CIFAR10}[name]
    splits = []
    for train in (True, False):
        try:
            ds = cls(str(folder), train=train, download=False)
        except RuntimeError:  # not in the folder yet
            if not download:
                raise UserError(f"{name} is not in {folder}; put it there or allow the download") from None
            try:
                folder.mkdir(parents=True, exist_ok=True)
                ds = cls(str(folder), train=train, download=True)
            except Exception as exc:  # no network, proxy, disk full: one sentence for the user
                raise UserError(
                    f"{name} is not in {folder} and could not be downloaded "
                    f"(offline?): {exc.__class__.__name__}. Use the offline 'digits' "
                    f"dataset, or copy {name} into that folder."
                ) from None
        data = torch.as_tensor(ds.data)
        x = (data.permute(0, 3, 1, 2) if data.ndim == 4 else data.unsqueeze(1)).float() / 255.0
        splits += [x, torch.as_tensor(ds.targets, dtype=torch.int64)]
    return splits
