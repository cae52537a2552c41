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
import pickle
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
