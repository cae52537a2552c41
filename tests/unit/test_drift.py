"""Unit tests of core.experiments.drift on small untrained nets (8x8 inputs, fast on a CPU)."""

from __future__ import annotations

import pytest
import torch

from core.experiments import drift
from core.figures import drift as drift_figures
from core.models import zoo


def net(kind="resnet", depth=14, preact=False, seed=0, width=8):
    torch.manual_seed(seed)
    return zoo.build(f"cifar-{kind}-{depth}", in_channels=1, width=width, preact=preact)


@pytest.fixture(scope="module")
def images():
    return torch.randn(64, 1, 8, 8, generator=torch.Generator().manual_seed(1))


def test_gather_records_every_block_in_one_pass_and_removes_its_hooks(images):
    model = net(depth=14)  # n = 2 blocks per stage
    calls = []
    model.register_forward_pre_hook(lambda m, a: calls.append(1))
    trace = drift.gather(model, images)
    assert len(calls) == 1
    assert trace.names == ["stem", "stage1.0", "stage1.1", "stage2.0", "stage2.1", "stage3.0", "stage3.1"]
    assert trace.stages == [0, 1, 1, 2, 2, 3, 3]
    assert trace.shapes == [(8, 8, 8), (8, 8, 8), (8, 8, 8), (16, 4, 4), (16, 4, 4), (32, 2, 2), (32, 2, 2)]
    assert [s.shape for s in trace.states] == [(64, c * h * w) for c, h, w in trace.shapes]
    assert len(trace.branch_norms) == 6 and len(trace.response_std) == 1 + 2 * 6
    assert trace.response_names[:3] == ["stem", "stage1.0.conv1", "stage1.0.conv2"]
    assert all(not m._forward_hooks for m in model.modules() if m is not model)
    # the states are the real block outputs, not tensors a later in-place ReLU overwrote
    with torch.no_grad():
        x = model.stem(images)
        for (name, block), state in zip(model.blocks(), trace.states[1:]):
            x = block(x)
            assert torch.allclose(x.flatten(1), state), name


def test_plain_nets_have_no_branch_norms(images):
    trace = drift.gather(net("plain"), images)
    assert trace.branch_norms == []


def test_linear_cka_properties():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(50, 20, generator=g)
    rotation, _ = torch.linalg.qr(torch.randn(20, 20, generator=g))
    y = torch.randn(50, 7, generator=g)
    cka = drift.linear_cka([x, 3.0 * x @ rotation + 5.0, y])
    assert torch.allclose(cka, cka.T)
    assert torch.allclose(cka.diagonal(), torch.ones(3), atol=1e-5)
    assert cka[0, 1] == pytest.approx(1.0, abs=1e-5)  # invariant to rotation, scale and offset
    # agrees with the textbook HSIC formula tr(K H L H) / sqrt(tr(K H K H) tr(L H L H))
    h = torch.eye(50) - 1 / 50
    hsic = lambda a, b: torch.trace(a @ a.T @ h @ b @ b.T @ h)  # noqa: E731
    expected = hsic(x, y) / torch.sqrt(hsic(x, x) * hsic(y, y))
    assert cka[0, 2].item() == pytest.approx(expected.item(), rel=1e-4)
    assert cka[0, 2] < 0.9


def test_identity_blocks_do_not_change_the_representation(images):
    """A residual block whose branch ends in zero is the identity: no drift at all."""
    model = net(preact=True, depth=14)
    for _, block in model.blocks():
        torch.nn.init.zeros_(block.branch[-1].weight)  # last conv of a pre-activation branch
    drift.calibrate_batchnorm(model, images)
    report = drift.analyse(model, images, "identity", trained=False)
    within = [c for c in report.rel_change if c is not None]
    assert within and max(within) < 1e-6
    assert min(c for c in report.cosine if c is not None) > 0.999
    assert max(report.branch_ratio) < 1e-6
    assert report.rel_change[2] is None and report.rel_change[4] is None  # stage 2 and 3 start


def test_calibrated_batchnorm_normalises_the_responses(images):
    model = drift.calibrate_batchnorm(net("plain", depth=14), images)
    assert not model.training
    trace = drift.gather(model, images)  # post-activation: every response is a BN output, gamma = 1
    assert all(0.9 < s < 1.1 for s in trace.response_std)


def test_trajectories_follow_each_stage(images):
    trace = drift.gather(net(depth=14), images)
    paths = drift.trajectories(trace, 3)
    assert sorted(paths) == [1, 2, 3]
    assert [len(paths[1]), len(paths[1][0]), len(paths[1][0][0])] == [3, 3, 2]  # stem + 2 blocks
    assert len(paths[2][0]) == 2 and len(paths[3][0]) == 2
    assert paths == drift.trajectories(trace, 3)  # the randomised PCA is seeded


@pytest.mark.parametrize("preact", [False, True])
def test_residual_nets_drift_less_than_plain_at_init(images, preact):
    reports = {}
    for kind in ("plain", "resnet"):
        model = drift.calibrate_batchnorm(net(kind, depth=14, preact=preact), images)
        reports[kind] = drift.analyse(model, images, kind, trained=False).summary()
    assert reports["resnet"]["mean_rel_change"] < reports["plain"]["mean_rel_change"]
    assert reports["resnet"]["mean_cosine"] > reports["plain"]["mean_cosine"]


def test_report_and_figures(images):
    reports = [
        drift.analyse(
            drift.calibrate_batchnorm(net(kind), images),
            images,
            label,
            trained=trained,
            image_names=[str(i) for i in range(64)],
            paths=2,
        )
        for kind, label, trained in (
            ("plain", "plain-14", True),
            ("resnet", "ResNet-14", True),
            ("plain", "plain-14 init", False),
            ("resnet", "ResNet-14 init", False),
        )
    ]
    d = reports[1].to_dict()
    assert set(d["summary"]) == {"mean_rel_change", "mean_cosine", "mean_consecutive_cka", "mean_branch_ratio"}
    assert len(d["cka"]) == 7 and d["trajectory_labels"] == ["0", "1"]
    assert reports[0].branch_ratio is None and "mean_branch_ratio" not in reports[0].summary()
    cka = drift_figures.cka_figure(reports[0], reports[1]).to_dict()
    assert [t["type"] for t in cka["data"]] == ["heatmap", "heatmap"]
    assert len(cka["layout"]["shapes"]) == 2 * 2 * 2  # 2 stage boundaries x (row, column) x 2 nets
    change = drift_figures.change_figure(reports).to_dict()
    assert len(change["data"]) == 2 + 4  # branch ratio of the 2 residual nets, change of all 4
    assert change["layout"]["font"]["size"] == 16
    trajectory = drift_figures.trajectory_figure(reports[0], reports[1]).to_dict()
    assert len(trajectory["data"]) == 2 * 3 * 2  # nets x stages x examples
    assert len(drift_figures.std_figure(reports).to_dict()["data"]) == 8
    assert len(drift_figures.similarity_figure(reports).to_dict()["data"]) == 4


def test_analyse_rejects_other_nets(images):
    with pytest.raises(TypeError):
        drift.analyse(torch.nn.Conv2d(1, 1, 3), images, "conv", trained=False)


def test_initial_model_is_the_engines_starting_point():
    from core.training.config import RunConfig
    from core.training.engine import PairedTrainer

    config = RunConfig(net="resnet", depth=8, width=4, seed=3)
    engine = PairedTrainer([config], check=False).runs[0].model.state_dict()
    ours = drift.initial_model(config).state_dict()
    assert all(torch.equal(engine[k].cpu(), ours[k]) for k in engine)


def test_std_sentence_says_whether_figure_7_appears():
    from types import SimpleNamespace

    from core.figures.drift import std_summary

    def report(label, residual, stds, trained=True):
        return SimpleNamespace(label=label, residual=residual, trained=trained, response_std=stds)

    plain = report("plain-20 · trained", False, [1.0, 1.2])
    assert "smaller, as He et al. found" in std_summary([plain, report("ResNet-20 · trained", True, [0.5, 0.6])])
    same = std_summary([plain, report("ResNet-20 · trained", True, [1.1, 1.1])])
    assert "0.00" not in same and "1.10 for ResNet-20 · trained vs 1.10 for plain-20" in same
    assert "does not appear here" in same
    assert "opposite" in std_summary([plain, report("ResNet-20 · trained", True, [2.0, 2.0])])
    assert std_summary([plain, report("ResNet-20 · init", True, [0.5], trained=False)]) is None
