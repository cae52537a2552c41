"""Unit tests of core/paths.py on small untrained CIFAR nets (fast: no training here)."""

import copy
import itertools
import math
import re

import pytest
import torch

from core.errors import UserError
from core.experiments import paths, unravel
from core.models import zoo


def small_net(name: str, **options):
    torch.manual_seed(0)
    model = zoo.build(name, in_channels=1, num_classes=10, **options).eval()
    for m in model.modules():  # non-trivial BN statistics, so deleting or swapping blocks shows
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.weight.data.uniform_(0.5, 1.5)
    return model


@pytest.fixture(scope="module")
def batch():
    gen = torch.Generator().manual_seed(1)
    return torch.randn(48, 1, 8, 8, generator=gen), torch.randint(0, 10, (48,), generator=gen)


def test_path_lengths_are_binomial():
    table = unravel.path_lengths(54)
    assert table["paths"].sum() == 2**54 and table["paths"][27] == math.comb(54, 27)
    assert table["fraction"].sum() == pytest.approx(1.0)
    lo, hi = unravel.central_range(table["length"].tolist(), table["paths"].tolist(), 0.95)
    assert lo < 27 < hi and hi - lo < 20  # 95% of the paths lie in 19..35 (mean 27, sd 3.7)
    with pytest.raises(UserError):
        unravel.path_lengths(0)


def test_unraveled_graph_has_one_node_per_path():
    for n in range(1, 6):
        dot = unravel.unraveled_dot(n)
        assert len(re.findall(r"-> out", dot)) == 2**n  # every path ends in the output sum
        assert dot.count('label="H') == 2**n - 1  # ... and all but the empty one end in a block
    assert unravel.stacked_dot(3).count("style=dashed") == 3
    with pytest.raises(UserError, match="1 to 5"):
        unravel.unraveled_dot(6)


def test_unrolled_algebra_matches_the_paper():
    lines = unravel.unrolled_latex(3)
    assert lines[0] == "x_{3} = x_{2} + H_{3}(x_{2})"
    assert "x_{1} + H_{2}(x_{1}) + H_{3}(x_{1} + H_{2}(x_{1}))" in lines[1]
    assert lines[-1].count(r"\\ & +") == 3  # x_0 + three top-level terms
    assert "8 \\text{ paths}" in unravel.gradient_product_latex(3)


def test_deleting_a_residual_block_equals_zeroing_its_branch(batch):
    x, _ = batch
    model = small_net("cifar-resnet-14")
    intact = model(x)
    with paths.deleted(model, ["stage2.1"]):
        lesioned = model(x)
    reference = copy.deepcopy(model)
    reference.stage2[1].branch[-1].weight.data.zero_()  # last BN scale and shift 0 -> branch outputs 0
    reference.stage2[1].branch[-1].bias.data.zero_()
    assert torch.allclose(lesioned, reference(x), atol=1e-5)
    assert not torch.allclose(lesioned, intact)
    assert torch.equal(model(x), intact)  # hooks removed on exit


def test_plain_nets_delete_only_same_shape_blocks(batch):
    x, y = batch
    model = small_net("cifar-plain-14")
    table = paths.lesion_single(model, x, y)
    assert table.loc[table.downsampling, "error"].isna().all()
    assert table.loc[~table.downsampling, "error"].notna().all()
    with pytest.raises(UserError, match="stage2.0 cannot be deleted"), paths.deleted(model, ["stage2.0"]):
        pass
    with paths.deleted(model, ["stage1.1"]):  # plain block deleted = its input passed on
        expected = model.fc(model.pool(model.stage3(model.stage2(model.stage1[0](model.stem(x))))).flatten(1))
        assert torch.allclose(model(x), expected, atol=1e-5)


def test_residual_lesion_marks_downsampling_blocks(batch):
    x, y = batch
    table = paths.lesion_single(small_net("cifar-resnet-14"), x, y)
    assert table["block"].tolist()[2] == "stage2.0" and table["downsampling"].sum() == 2
    assert table["deletable"].all() and table["error"].between(0, 1).all()


def test_random_deletion_and_reorder(batch):
    x, y = batch
    model = small_net("cifar-resnet-20", preact=True)
    intact = paths.test_error(model, x, y)
    rows = paths.lesion_random(model, x, y, ks=[0, 2, 9], samples=2)
    assert len(rows) == 6 and (rows[rows.k == 0].error == intact).all()
    assert all(len(b.split()) == 9 for b in rows[rows.k == 9].blocks)
    summary = paths.summarize(rows)
    assert summary.columns.tolist() == ["k", "mean", "std", "min", "max"]
    with pytest.raises(UserError, match="between 0 and 9"):
        paths.lesion_random(model, x, y, ks=[10])

    order = [id(b) for _, b in model.blocks()]
    rows = paths.lesion_reorder(model, x, y, ks=[0, 1, 3], samples=2, seed=3)
    assert [id(b) for _, b in model.blocks()] == order  # swaps undone
    assert (rows[rows.k == 0].error == intact).all()
    for pairs in rows[rows.k == 3].pairs:
        names = re.findall(r"stage\d\.\d", pairs)
        assert len(set(names)) == 6 and all(a[:6] == b[:6] for a, b in zip(names[::2], names[1::2]))
    with pytest.raises(UserError, match="between 0 and 3"):
        paths.lesion_reorder(model, x, y, ks=[4])  # 2 same-shape blocks per stage -> 1 pair each


def test_path_gradients_sum_to_the_full_gradient(batch):
    """Backprop through a fixed forward pass is linear: the 2^n routings add up to the true gradient."""
    x, y = batch
    for options in ({}, {"preact": True}, {"shortcut": "B"}):
        model = small_net("cifar-resnet-8", **options)  # 3 blocks -> 8 paths
        total = sum(
            paths.path_gradient(model, x, y, torch.tensor([route] * len(x), dtype=torch.float32))
            for route in itertools.product([0, 1], repeat=3)
        )
        full = paths.path_gradient(model, x, y, torch.tensor([[1, 1, 1]] * len(x), dtype=torch.float32))
        x0 = model.stem(x).detach().requires_grad_()
        out = model.fc(model.pool(model.head_norm(model.stage3(model.stage2(model.stage1(x0))))).flatten(1))
        torch.nn.functional.cross_entropy(out, y, reduction="sum").backward()
        assert torch.allclose(total, x0.grad, atol=1e-5, rtol=1e-4)
        assert not torch.allclose(full, x0.grad, atol=1e-5)  # one path alone is not the whole


def test_gradient_by_length_table(batch):
    x, y = batch
    table = paths.gradient_by_length(small_net("cifar-resnet-14"), x, y, batch=16)
    assert table["length"].tolist() == list(range(7)) and table["paths"].tolist() == [1, 6, 15, 20, 15, 6, 1]
    assert table["share"].sum() == pytest.approx(1.0) and (table["gradient_per_path"] > 0).all()
    with pytest.raises(UserError, match="residual"):
        paths.gradient_by_length(small_net("cifar-plain-14"), x, y)


def test_sweep_limits_match_the_built_nets():
    for depth in (8, 14, 20, 56):
        for residual in (True, False):
            model = zoo.build(f"cifar-{'resnet' if residual else 'plain'}-{depth}", in_channels=1)
            limits = paths.sweep_limits(residual, depth)
            assert limits["random"] == len(paths.deletable(model))
            assert limits["reorder"] == sum(len(v) // 2 for v in paths.same_shape_blocks(model).values())
            assert paths.default_ks(model, "random")[-1] <= limits["random"]


def test_single_lesion_sweep_equals_whole_forward_passes(batch):
    """The sweep reuses the intact prefix; each row must equal a full forward pass with the block deleted."""
    x, y = batch
    for name in ("cifar-resnet-14", "cifar-plain-14"):
        model = small_net(name)
        table = paths.lesion_single(model, x, y, batch_size=20)  # several batches, a ragged last one
        for row in table[table.deletable].itertuples():
            with paths.deleted(model, [row.block]):
                assert row.error == paths.test_error(model, x, y)


def test_analyse_restores_the_thread_count(batch):
    x, y = batch
    before = torch.get_num_threads()
    result = paths.analyse(small_net("cifar-resnet-8"), x, y, "random", ks=[0, 1], samples=2)
    assert torch.get_num_threads() == before
    assert result["summary"]["k"].tolist() == [0, 1] and result["blocks"] == 3
    with pytest.raises(UserError, match="analysis must be one of"):
        paths.analyse(small_net("cifar-resnet-8"), x, y, "everything")


def test_block_effects_match_deleting_each_block_and_a_manual_gradient(batch):
    """The linked views' numbers: each block's lesion error equals deleting it by hand, and its
    gradient norm equals the norm of the gradient torch computes for that block's weights."""
    x, y = batch
    model = small_net("cifar-resnet-14")
    effects = paths.block_effects(model, x, y)
    rows = effects["rows"].set_index("block")
    assert effects["intact_error"] == paths.test_error(model, x, y)
    for name in ("stage1.0", "stage2.0", "stage3.1"):
        assert rows.loc[name, "error"] == paths.error_without(model, x, y, [name])
    model.zero_grad()
    torch.nn.functional.cross_entropy(model.eval()(x), y).backward()
    block = dict(model.blocks())["stage2.1"]
    manual = torch.cat([p.grad.flatten() for p in block.parameters()]).norm().item()
    assert rows.loc["stage2.1", "grad_norm"] == pytest.approx(manual, rel=1e-5)
    assert (rows["grad_norm"] > 0).all()


def test_deleting_a_chosen_set_changes_the_error_and_leaves_the_net_intact(batch):
    x, y = batch
    model = small_net("cifar-resnet-14")
    intact = paths.test_error(model, x, y)
    chosen = paths.error_without(model, x, y, ["stage1.0", "stage2.1", "stage3.0"])
    with paths.deleted(model, ["stage1.0", "stage2.1", "stage3.0"]):
        assert paths.test_error(model, x, y) == chosen
    assert paths.test_error(model, x, y) == intact  # the hooks are gone
    with pytest.raises(UserError, match="cannot be deleted"):
        paths.error_without(small_net("cifar-plain-14"), x, y, ["stage2.0"])  # a plain downsampling layer
