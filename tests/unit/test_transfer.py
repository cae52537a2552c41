"""Transfer learning core: tasks, labelled subsets, freezing, the feature cache, the CLI, the ImageNet
source from a torch hub cache and a target dataset in torchvision's file format (never downloaded)."""

from __future__ import annotations

import gzip
import json
import struct
from dataclasses import replace

import pytest
import torch

from core.cli import main
from core.errors import UserError
from core.experiments import transfer as T
from core.training.engine import build_model

TINY = T.Recipe(steps=6, batch_size=8)


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVATLAS_HOME", str(tmp_path))
    return tmp_path


def test_tasks_split_classes_and_shift_the_domain():
    split = T.make_task("split", "digits")
    assert set(split.source.train_y.tolist()) == {0, 1, 2, 3, 4} and split.target_classes == 5
    assert set(split.target.train_y.tolist()) == {0, 1, 2, 3, 4}  # digits 5-9 relabelled
    assert len(split.source.train_y) + len(split.target.train_y) == 1438  # disjoint, together the train set
    mirrored = T.make_task("mirrored", "digits")
    assert torch.equal(mirrored.target.train_x, mirrored.source.train_x.flip(3))
    assert torch.equal(mirrored.target.train_y, mirrored.source.train_y) and mirrored.target_classes == 10
    with pytest.raises(UserError, match="unknown transfer task"):
        T.make_task("upside")
    default = T.make_task()  # the page's: the 32x32 renders, mirrored
    assert default.target.train_x.shape[1:] == (3, 32, 32) and default.target_classes == 10
    assert torch.equal(default.target.test_x, default.source.test_x.flip(3))
    assert T.recipe_for(default.dataset).steps == 400 and T.recipe_for("digits").steps == 100


def test_labelled_subset_draws_k_per_class_reproducibly():
    y = T.make_task("split", "digits").target.train_y
    idx = T.labelled_subset(y, 3, seed=1, classes=5)
    assert torch.bincount(y[idx]).tolist() == [3] * 5
    assert torch.equal(idx, T.labelled_subset(y, 3, seed=1, classes=5))
    assert not torch.equal(idx, T.labelled_subset(y, 3, seed=2, classes=5))
    assert len(T.labelled_subset(y, T.ALL, seed=1, classes=5)) == len(y)


@pytest.mark.parametrize("tuned, trainable", [(None, []), (1, ["stage3"]), (2, ["stage2", "stage3"]), (0, None)])
def test_freezing_leaves_exactly_the_tuned_stages_trainable(tuned, trainable):
    net = T.TransferNet(build_model(T.source_config(T.make_task("split", "digits"))), 5, tuned)
    names = {
        n.split(".")[1] if n.startswith("stages.") else n.split(".")[0]
        for n, p in net.named_parameters()
        if p.requires_grad
    }
    stage_names = {net.names[int(i)] for i in names if i.isdigit()}
    expected = set(net.names) if trainable is None else set(trainable)
    assert stage_names == expected and "fc" in names
    net.train()
    frozen_modes = [m.training for s in net.stages[: net.frozen] for m in s.modules()]
    assert not any(frozen_modes)  # frozen BN keeps its statistics


def test_cached_features_round_trip_and_equal_the_network(home):
    task = T.make_task("split", "digits")
    torch.manual_seed(0)
    source = build_model(T.source_config(task)).eval()
    first = T.cached_features(source, "run7", task.target)
    assert not first.from_disk and first.path.exists() and first.path.parent == home / "features"
    assert first.path.name.startswith("run7_stage3-pool_")
    second = T.cached_features(source, "run7", task.target)
    assert second.from_disk and torch.equal(second.train, first.train) and torch.equal(second.test, first.test)
    net = T.TransferNet(source, 5, None).eval()
    with torch.no_grad():
        assert torch.allclose(net.features(task.target.test_x[:50]), first.test[:50], atol=1e-5)
    # the linear classifier trained on the cache == the one trained through the frozen network
    fresh = build_model(T.source_config(task))
    row = T.run_strategy("frozen", source, fresh, task, 3, 1, first, TINY)
    head, _, acc = T.linear_through_network(source, task, 3, 1, TINY)
    assert row["accuracy"] == pytest.approx(acc) and row["labels"] == 15


def test_strategies_change_only_what_they_train(home):
    task = T.make_task("split", "digits")
    source = build_model(T.source_config(task)).eval()
    before = {k: v.clone() for k, v in source.state_dict().items()}
    fresh = build_model(T.source_config(task))
    for strategy in ("scratch", "last1", "all"):
        row = T.run_strategy(strategy, source, fresh, task, 1, 0, None, TINY)
        assert 0 <= row["accuracy"] <= 1 and row["labels"] == 5 and row["train_seconds"] > 0
    assert all(torch.equal(v, source.state_dict()[k]) for k, v in before.items())  # the source is copied


def test_sweep_stores_the_source_and_reuses_it(home):
    task = T.make_task("split", "digits")
    config = replace(T.source_config(task), epochs=1, width=8)
    first = T.sweep(task, config, shots=(1, T.ALL), seeds=(0,), strategies=("scratch", "frozen"), recipe=TINY)
    assert not first.source_reused and not first.features_from_disk and first.recompute_seconds > 0
    assert set(first.table["strategy"]) == {"scratch", "frozen"} and len(first.table) == 4
    assert first.table["all"].tolist() == [False, False, True, True]
    again = T.sweep(task, config, shots=(1,), seeds=(0,), strategies=("frozen",), recipe=TINY)
    assert again.source_reused and again.source_run == first.source_run and again.features_from_disk
    order = T.ordering(first.table)
    assert list(order.columns[-2:]) == ["few_holds", "many_holds"]


def test_a_stopped_sweep_continues_where_it_stopped(home, monkeypatch):
    """The page's Stop keeps the finished runs; the next sweep trains only the others and ends with the
    table an uninterrupted sweep gives (same seeds, same labelled draws, same numbers)."""
    task = T.make_task("split", "digits")
    config = replace(T.source_config(task), epochs=1, width=8)
    plan = dict(shots=(1, 3, T.ALL), seeds=(0,), strategies=("scratch", "frozen"), recipe=TINY)
    whole = T.sweep(task, config, **plan).table
    kept = whole.iloc[:4].to_dict("records")  # a Stop after 4 of 6 runs
    trained = []
    real = T.run_strategy
    monkeypatch.setattr(
        T, "run_strategy", lambda strategy, *a, **k: trained.append(strategy) or real(strategy, *a, **k)
    )
    resumed = T.sweep(task, config, **plan, rows=kept)
    assert len(trained) == 2 and len(kept) == 6  # the list given is the one filled
    columns = ["strategy", "shots", "all", "labels", "seed", "accuracy"]
    assert resumed.table[columns].equals(whole[columns])


def test_cli_json_and_bad_input(home, capsys):
    argv = ["transfer", "--task", "split", "--dataset", "digits", "--shots", "1,all", "--strategies", "frozen,scratch"]
    argv += ["--epochs", "1"]
    assert main(argv + ["--width", "8", "--steps", "4", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["task"] == "split" and len(out["rows"]) == 4 and out["feature_file"].endswith(".safetensors")
    assert {r["strategy"] for r in out["rows"]} == {"frozen", "scratch"}
    for bad, message in [
        (["--shots", "0"], "at least 1"),
        (["--shots", "x"], "whole numbers"),
        (["--strategies", "magic"], "unknown strategy 'magic'"),
        (["--task", "upside"], "unknown transfer task"),
        (["--depth", "9"], "6n+2"),
        (["--imagenet", "resnet18"], "not in the torch hub cache"),
    ]:
        assert main(["transfer", *bad]) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and message in err, err


# --- online source and target, tested offline ---------------------------------------------------


def _write_idx(path, array: torch.Tensor, magic: int) -> None:
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in array.shape)
    with gzip.open(path, "wb") if path.suffix == ".gz" else open(path, "wb") as f:
        f.write(header + array.to(torch.uint8).numpy().tobytes())


def test_imagenet_source_and_torchvision_target_from_local_files(tmp_path, monkeypatch, home):
    from torchvision import models

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    with pytest.raises(UserError, match="not in the torch hub cache"):
        T.imagenet_source("resnet18")
    path = T.imagenet_weights_file("resnet18")
    assert path.name == "resnet18-f37072fd.pth" and str(path).startswith(str(tmp_path / "torch"))
    path.parent.mkdir(parents=True)
    torch.manual_seed(0)
    reference = models.resnet18()
    torch.save(reference.state_dict(), path)  # a random resnet18 under torchvision's file name
    loaded = T.imagenet_source("resnet18")
    assert torch.equal(loaded.fc.weight, reference.fc.weight)
    # Fashion-MNIST in its real (idx) format: torchvision reads the raw files
    raw = tmp_path / "data" / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    g = torch.Generator().manual_seed(0)
    for split, n in (("train", 40), ("t10k", 20)):
        _write_idx(raw / f"{split}-images-idx3-ubyte", torch.randint(0, 256, (n, 28, 28), generator=g), 2051)
        _write_idx(raw / f"{split}-labels-idx1-ubyte", torch.arange(n) % 10, 2049)
    task = T.imagenet_task("fashion-mnist", size=32, data_dir=tmp_path / "data")
    assert task.target.train_x.shape == (40, 3, 32, 32) and task.target_classes == 10
    result = T.imagenet_sweep("resnet18", task, shots=(1,), strategies=("frozen", "last1"), recipe=TINY)
    assert set(result.table["strategy"]) == {"frozen", "last1"} and result.feature_path.endswith(".safetensors")
    assert "imagenet-resnet18_layer4-pool_" in result.feature_path


def test_missing_torchvision_target_offline_is_one_sentence(tmp_path):
    with pytest.raises(UserError, match="fashion-mnist is not in"):
        T.imagenet_task("fashion-mnist", data_dir=tmp_path / "nothing")
