"""Unit tests of the data, training engine and run store (tiny configs: seconds on 2 busy cores)."""

from __future__ import annotations

import math
import sqlite3
import threading

import pytest
import torch

from core.errors import UserError
from core.training.config import RunConfig
from core.training.data import DATASETS, load_dataset
from core.training.engine import PairedTrainer, epoch_plan, train
from core.training.estimate import check_config
from core.training.store import RunStore

TINY = dict(depth=8, width=4, epochs=2, batch_size=128, train_limit=512)


def test_digits_offline_normalised_and_split_by_seed():
    d = load_dataset("digits", seed=0)
    assert d.train_x.shape[1:] == (1, 8, 8) and d.train_x.dtype == torch.float32
    assert len(d.train_y) + len(d.test_y) == 1797 and d.num_classes == 10
    assert abs(d.train_x.mean().item()) < 1e-4 and abs(d.train_x.std().item() - 1) < 0.01
    again, other = load_dataset("digits", seed=0), load_dataset("digits", seed=1)
    assert torch.equal(d.test_y, again.test_y) and not torch.equal(d.test_y, other.test_y)
    assert set(DATASETS) >= {"digits", "digits32", "mnist", "fashion-mnist", "cifar10"}


def test_missing_download_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="cifar10 is not in"):
        load_dataset("cifar10", data_dir=tmp_path, download=False)
    with pytest.raises(UserError, match="unknown dataset"):
        load_dataset("imagenet")


def test_batch_order_depends_on_seed_and_epoch_only():
    a, _, _ = epoch_plan(100, seed=3, epoch=1, augment=False)
    b, _, _ = epoch_plan(100, seed=3, epoch=1, augment=False)
    c, _, _ = epoch_plan(100, seed=3, epoch=2, augment=False)
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_paired_runs_share_init_and_resume_anywhere_gives_same_result():
    configs = [RunConfig(net="plain", **TINY), RunConfig(net="resnet", **TINY)]
    trainer = PairedTrainer(configs)
    plain, resnet = (r.model for r in trainer.runs)
    assert torch.equal(plain.stem[0].weight, resnet.stem[0].weight)  # same seed, same first layer
    while not trainer.advance(max_seconds=0.01):  # tiny chunks: stop/resume at (almost) every step
        pass
    whole = PairedTrainer(configs[:1])
    whole.advance(max_seconds=1e9)
    chunked, straight = trainer.runs[0].history, whole.runs[0].history
    assert [e["train_loss"] for e in chunked.epochs] == pytest.approx([e["train_loss"] for e in straight.epochs])
    assert len(chunked.epochs) == 2 and len(chunked.steps) == trainer.runs[0].total_steps
    row = chunked.epochs[-1]
    assert {"train_loss", "train_error", "test_error", "seconds", "images_per_s"} <= set(row)
    assert 0 <= row["train_error"] <= 1 and row["seconds"] > 0
    # gradient norms: one per weighted layer (depth 8 -> 8 layers), at init and after each epoch
    assert len(chunked.grad_layers) == 8 and len(chunked.grad_norms) == 3
    assert all(n > 0 for n in chunked.grad_norms[0]["norms"])


def test_train_learns_digits():
    model, history = train(RunConfig(net="resnet", depth=8, width=8, epochs=3, batch_size=64))
    assert history.epochs[-1]["train_error"] < 0.2 and not model.training


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(depth=5000), "beyond the 1202-layer maximum: .* would need about .* GiB"),
        (dict(width=0), "width must be a positive"),
        (dict(lr=math.nan), "lr must be a finite number"),
        (dict(depth=21), "6n\\+2"),
    ],
)
def test_absurd_settings_get_a_clear_message(change, message):
    with pytest.raises(UserError, match=message):
        check_config(RunConfig(**change), load_dataset("digits"))


def test_warmup_for_very_deep_nets():
    from core.training.engine import LiveRun

    data = load_dataset("digits")
    assert LiveRun(RunConfig(depth=110, width=2), data, torch.device("cpu")).warming
    assert not LiveRun(RunConfig(depth=56, width=2), data, torch.device("cpu")).warming


def test_run_store_roundtrip_and_two_writers(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    config = RunConfig(net="plain", **TINY)
    model, history = train(config)
    run_id = store.save(config, history, model, status="stopped")
    run = RunStore(tmp_path / "runs.sqlite").load(run_id)  # a second store on the same file
    assert run.config == config and run.status == "stopped" and run.history.epochs == history.epochs
    x = load_dataset("digits").test_x[:16]
    assert torch.allclose(run.model(x), model(x))

    def writer():
        for _ in range(10):
            RunStore(tmp_path / "runs.sqlite").save(config, history)

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.list()) == 21
    store.delete(run_id)
    assert run_id not in {r.id for r in store.list()}
    with pytest.raises(UserError):
        store.load(run_id)
    assert sqlite3.connect(tmp_path / "runs.sqlite").execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_cifar_augmentation_keeps_shape_and_flips():
    from core.training.engine import augment_batch

    x = torch.arange(2 * 3 * 32 * 32, dtype=torch.float32).view(2, 3, 32, 32)
    out = augment_batch(x, torch.tensor([True, False]), torch.tensor([[4, 4], [4, 4]]))  # no shift
    assert out.shape == x.shape and torch.equal(out[0], x[0].flip(2)) and torch.equal(out[1], x[1])


def test_figures_and_degradation_sentence():
    from core.figures.training import curve_figure, degradation_summary, gradient_flow_figure
    from core.training.config import History

    def hist(err):
        return History(
            steps=[{"step": 1, "epoch": 1.0, "loss": 1.0, "error": err, "lr": 0.1}],
            epochs=[
                {
                    "epoch": 1,
                    "train_loss": 1.0,
                    "train_error": err,
                    "test_error": err,
                    "test_loss": 1.0,
                    "seconds": 1.0,
                    "images_per_s": 1.0,
                }
            ],
            grad_layers=["a", "b"],
            grad_norms=[
                {"step": 0, "epoch": 0.0, "norms": [1e-3, 1.0]},
                {"step": 1, "epoch": 1.0, "norms": [1e-2, 1.0]},
            ],
        )

    runs = [
        (RunConfig(net="plain", depth=20, epochs=1), hist(0.02)),
        (RunConfig(net="plain", depth=56, epochs=1), hist(0.6)),
        (RunConfig(net="resnet", depth=20, epochs=1), hist(0.02)),
        (RunConfig(net="resnet", depth=56, epochs=1), hist(0.018)),
    ]
    assert degradation_summary(runs) == (
        "plain-56 trains worse than plain-20 (60.0% vs 2.0% training error); "
        "ResNet-56 trains as well as ResNet-20 (1.8% vs 2.0% training error) and tests as well (1.8% vs 2.0% test error)."
    )
    worse_test = runs[:3] + [(runs[3][0], hist(0.018))]
    worse_test[3][1].epochs[0]["test_error"] = 0.031
    assert degradation_summary(worse_test).endswith("and tests worse (3.1% vs 2.0% test error).")
    fig = gradient_flow_figure(runs)
    assert fig.layout.yaxis.type == "log" and len(fig.data) == 8 and fig.layout.annotations[1].text == "after epoch 1"
    assert [t.line.dash for t in curve_figure(runs, "train_error").data] == ["dash", "dash", "solid", "solid"]


def test_cli_train_submits_to_the_engine_prints_json_lines_and_stores(tmp_path):
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "CONVATLAS_HOME": str(tmp_path)}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "core",
            "train",
            "--runs",
            "cifar-plain-8,cifar-resnet-8",
            "--width",
            "4",
            "--epochs",
            "1",
            "--train-limit",
            "256",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert sorted(r["run"] for r in rows) == ["cifar-plain-8", "cifar-resnet-8"]  # as the two workers finish
    assert {"run", "epoch", "train_loss", "train_error", "test_error", "seconds"} <= set(rows[0])
    assert len(RunStore(tmp_path / "runs.sqlite").list()) == 2
    bad = subprocess.run(
        [sys.executable, "-m", "core", "train", "--runs", "cifar-plain-5000"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "GiB" in bad.stderr


@pytest.mark.parametrize(
    "depth, width, channels, size", [(8, 4, 1, 8), (20, 16, 3, 32), (56, 16, 1, 8), (32, 8, 3, 17)]
)
def test_closed_form_estimate_agrees_with_the_layer_table(depth, width, channels, size):
    """The time estimate's hand-derived layout of the CIFAR net against `profile()` of the real net."""
    from core.anatomy.profile import profile
    from core.training.estimate import estimate

    config = RunConfig(depth=depth, width=width, epochs=1)
    cost = estimate(config, (channels, size, size), n_train=10, n_test=10)
    real = profile(config.arch_name, (channels, size, size), width=width, in_channels=channels)
    assert (cost.macs_per_image, cost.params) == (real.total_macs, real.total_params)


def test_recipe_is_the_one_source_of_the_optimiser_defaults(monkeypatch):
    import dataclasses

    from core.training.config import RECIPES

    plain = RunConfig()
    r = RECIPES["digits"]
    assert (plain.weight_decay, plain.decay_bn, plain.schedule, plain.warmup) == (
        r.weight_decay,
        r.decay_bn,
        r.schedule,
        r.warmup,
    )
    changed = dataclasses.replace(r, weight_decay=5e-4, decay_bn=not r.decay_bn, schedule="cosine", warmup="on")
    monkeypatch.setitem(RECIPES, "digits", changed)
    config = RunConfig()
    assert (config.weight_decay, config.decay_bn, config.schedule, config.warmup) == (
        5e-4,
        not r.decay_bn,
        "cosine",
        "on",
    )
    assert RunConfig(decay_bn=r.decay_bn).decay_bn == r.decay_bn  # an explicit value wins
    # a run stored before the option existed was trained without decay on BatchNorm
    stored = RunConfig(decay_bn=True).to_dict()
    del stored["decay_bn"]
    assert RunConfig.from_dict(stored).decay_bn is False


def test_decay_bn_decays_batchnorm_scales_and_nothing_else():
    from core.training.engine import LiveRun

    data = load_dataset("digits")
    lr, wd = 0.1, 0.5  # a big decay, so its share of the first step is plain to see
    runs = {
        on: LiveRun(
            RunConfig(net="resnet", depth=8, width=4, lr=lr, weight_decay=wd, decay_bn=on), data, torch.device("cpu")
        )
        for on in (False, True)
    }
    before = {on: {k: v.detach().clone() for k, v in r.model.named_parameters()} for on, r in runs.items()}
    for r in runs.values():
        torch.manual_seed(0)
        r.train_step(data.train_x, data.train_y, augment=False)
    after = {on: dict(r.model.named_parameters()) for on, r in runs.items()}
    bn = [k for k, v in after[True].items() if v.ndim == 1 and k.endswith("weight")]
    assert bn and all(torch.equal(before[False][k], before[True][k]) for k in before[True])  # same init
    for name in after[True]:
        w0 = before[True][name]
        diff = after[True][name].detach() - after[False][name].detach()  # same grads: the decay term alone
        if w0.ndim > 1:
            assert torch.allclose(diff, torch.zeros_like(diff), atol=1e-6), name
        else:  # first SGD step with momentum: update = lr * (grad + wd * w0)
            assert torch.allclose(diff, -lr * wd * w0, atol=1e-5), name
    assert all(not torch.equal(after[True][k], after[False][k]) for k in bn)  # BN scales start at 1: moved
