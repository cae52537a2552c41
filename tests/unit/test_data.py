"""core.training.data's CIFAR-10 / MNIST loaders on files in the real formats, written here into a
temporary data folder (nothing is downloaded), and the one-sentence message when a set is missing."""

from __future__ import annotations

import gzip
import pickle
import struct

import numpy as np
import pytest
import torch

from core.errors import UserError
from core.training import data as data_module
from core.training.data import load_dataset


def _cifar_batch(path, rng, n, protocol):
    """One batch as the CIFAR-10 python files hold it: a pickled dict of a (N, 3072) uint8 array
    (1024 red, 1024 green, 1024 blue values per image) and a list of labels."""
    images = rng.integers(0, 256, size=(n, 3, 32, 32), dtype=np.uint8)
    labels = [int(v) for v in rng.integers(0, 10, size=n)]
    entry = {
        "batch_label": "testing batch",
        "data": images.reshape(n, 3072),
        "labels": labels,
        "filenames": ["x.png"] * n,
    }
    path.write_bytes(pickle.dumps(entry, protocol=protocol))
    return images, labels


@pytest.fixture
def cifar_folder(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    written = {}
    for i, name in enumerate([*data_module.CIFAR10_TRAIN, *data_module.CIFAR10_TEST]):
        written[name] = _cifar_batch(folder / name, rng, 6 + i, protocol=2 if i % 2 else pickle.HIGHEST_PROTOCOL)
    return tmp_path, written


def test_cifar10_python_batches_load_offline(cifar_folder):
    root, written = cifar_folder
    d = load_dataset("cifar10", data_dir=root, download=False)
    train_images = np.concatenate([written[n][0] for n in data_module.CIFAR10_TRAIN])  # (N, 3, 32, 32)
    train_labels = sum((written[n][1] for n in data_module.CIFAR10_TRAIN), [])
    assert d.train_x.shape == (len(train_labels), 3, 32, 32) and d.test_x.shape == (
        len(written["test_batch"][1]),
        3,
        32,
        32,
    )
    assert d.train_y.tolist() == train_labels and d.test_y.tolist() == written["test_batch"][1]
    assert d.augment and d.in_channels == 3 and d.image_size == 32
    # undo the per-channel normalisation: the pixels are the file's, channel planes in place
    raw = torch.as_tensor(train_images).float() / 255
    mean, std = raw.mean(dim=(0, 2, 3), keepdim=True), raw.std(dim=(0, 2, 3), keepdim=True)
    assert torch.allclose(d.train_x * std + mean, raw, atol=1e-5)


def test_cifar10_batch_with_code_in_it_is_refused(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for name in data_module.CIFAR10_TRAIN:
        (folder / name).write_bytes(pickle.dumps({"data": np.zeros((1, 3072), np.uint8), "labels": [0]}))
    (folder / "test_batch").write_bytes(pickle.dumps({"data": print, "labels": [0]}))  # a global: not an array
    with pytest.raises(UserError, match="is not a CIFAR-10 batch"):
        load_dataset("cifar10", data_dir=tmp_path, download=False, seed=7)


def _idx(path, array: np.ndarray) -> None:
    """MNIST's idx format: magic (0, 0, type 0x08 = uint8, number of dims), big-endian sizes, data."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


@pytest.mark.parametrize("name,folder", [("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST")])
def test_mnist_idx_files_load_offline(tmp_path, name, folder):
    raw = tmp_path / folder / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(1)
    sets = {}
    for prefix, n in (("train", 12), ("t10k", 5)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        _idx(raw / f"{prefix}-images-idx3-ubyte", images)
        _idx(raw / f"{prefix}-labels-idx1-ubyte", labels)
        sets[prefix] = images, labels
    d = load_dataset(name, data_dir=tmp_path, download=False)
    assert d.train_x.shape == (12, 1, 28, 28) and d.test_x.shape == (5, 1, 28, 28) and not d.augment
    assert d.train_y.tolist() == sets["train"][1].tolist() and d.test_y.tolist() == sets["t10k"][1].tolist()
    pixels = torch.as_tensor(sets["t10k"][0]).float().unsqueeze(1) / 255
    train_pixels = torch.as_tensor(sets["train"][0]).float() / 255
    mean, std = train_pixels.mean(), train_pixels.std()
    assert torch.allclose(d.test_x * std + mean, pixels, atol=1e-5)


@pytest.mark.parametrize("name", ["cifar10", "mnist", "fashion-mnist"])
def test_absent_and_offline_is_one_sentence(tmp_path, monkeypatch, name):
    from torchvision import datasets

    def offline(self, *args, **kwargs):
        raise OSError("[Errno -3] Temporary failure in name resolution")

    for cls in (datasets.CIFAR10, datasets.MNIST, datasets.FashionMNIST):
        monkeypatch.setattr(cls, "download", offline)
    with pytest.raises(UserError) as info:
        load_dataset(name, data_dir=tmp_path / "empty", download=True)
    message = str(info.value)
    assert f"{name} is not in" in message and "could not be downloaded" in message and "'digits'" in message
    assert "\n" not in message
    with pytest.raises(UserError, match=f"{name} is not in .*allow the download"):
        load_dataset(name, data_dir=tmp_path / "empty", download=False)


def test_gzip_left_alone_is_not_a_crash(tmp_path):
    """Half a set (only the gzip archives of MNIST, not unpacked) reads as absent, not a traceback."""
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    (raw / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(b"not really"))
    with pytest.raises(UserError, match="mnist is not in"):
        load_dataset("mnist", data_dir=tmp_path, download=False)


def test_digits32_renders_unseen_writers_at_cifar_geometry():
    d = load_dataset("digits32", seed=0)
    n_train, n_test = data_module.SIZES["digits32"]
    assert d.train_x.shape == (n_train, 3, 32, 32) and d.test_x.shape == (n_test, 3, 32, 32)
    assert d.shape == data_module.SHAPES["digits32"] and not d.augment  # flips would mirror the digits
    assert torch.bincount(d.train_y, minlength=10).min() > n_train // 20  # every class, roughly balanced
    # the renders are the 8x8 split of the same seed: train and test come from disjoint source images
    src_train, src_y, src_test, test_y = data_module._digits(0)
    train_n, test_n = data_module.DIGITS32_RENDERS
    assert torch.equal(d.train_y, src_y.repeat(train_n)) and torch.equal(d.test_y, test_y.repeat(test_n))
    # each render of one source image is a different picture; the same seed gives the same pictures
    first, second = d.train_x[0], d.train_x[len(src_y)]
    assert (first - second).abs().mean() > 0.1
    assert torch.equal(load_dataset("digits32", seed=0).train_x, d.train_x)


def test_render_digits_keeps_the_digit_readable():
    """The rendering is a pose, colour and clutter change, not noise: a glyph drawn in a fixed
    colour on a fixed background comes out with its ink where the digit is."""
    src = torch.zeros(1, 1, 8, 8)
    src[0, 0, 1:7, 3:5] = 1.0  # a vertical bar: a "1"
    image = data_module.render_digits(src.repeat(64, 1, 1, 1), torch.Generator().manual_seed(0))
    assert image.shape == (64, 3, 32, 32) and image.min() >= 0 and image.max() <= 1
    # the bar stands upright within the pose range: the centre column differs from the corners
    centre = image[:, :, 8:24, 14:18].mean(dim=(2, 3))
    corners = image[:, :, :4, :4].mean(dim=(2, 3))
    assert ((centre - corners).abs().sum(1) > 0.2).float().mean() > 0.8
