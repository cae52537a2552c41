"""The zoo builds every architecture of the mission without downloads, with the papers' parameter counts."""

import pytest

from core.errors import UserError
from core.models import zoo

MISSION = [
    "alexnet",
    "vgg16",
    "vgg19",
    "googlenet",
    "googlenet-5x5",
    "inception_v3",
    "inception_v4",
    "inception_resnet_v2",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "resnet152",
    "resnet50-paper",
    "resnet101-paper",
    "resnet152-paper",
    "preact_resnet50",
    "wide_resnet50_2",
    "resnext50_32x4d",
    "densenet121",
    "xception",
    "mobilenet_v1",
    "mobilenet_v2",
    "mobilenet_v3_large",
    "plain18",
    "plain34",
    "cifar-plain-20",
    "cifar-resnet-1202",
]


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def test_mission_archs_listed():
    missing = [n for n in MISSION if n not in zoo.names()]
    assert not missing


@pytest.mark.parametrize("depth,millions", [(20, 0.27), (32, 0.46), (44, 0.66), (56, 0.85), (110, 1.7)])
def test_cifar_params_match_paper_and_plain_equals_residual(depth, millions):
    residual = n_params(zoo.build(f"cifar-resnet-{depth}"))
    assert round(residual / 1e6, 2 if depth < 110 else 1) == millions
    assert n_params(zoo.build(f"cifar-plain-{depth}")) == residual


def test_cifar_options():
    base = n_params(zoo.build("cifar-resnet-20"))
    assert n_params(zoo.build("cifar-resnet-20", shortcut="B")) > base  # projections have weights
    assert n_params(zoo.build("cifar-resnet-20", width=32)) > 3 * base
    assert zoo.build("cifar-resnet-26").depth == 26  # any 6n+2 is accepted, not only the listed ones
    import torch

    out = zoo.build("cifar-resnet-8", in_channels=1, preact=True)(torch.zeros(2, 1, 8, 8))
    assert out.shape == (2, 10)


@pytest.mark.parametrize("bad", ["cifar-resnet-21", "nonsense", "cifar-plain-2"])
def test_bad_names_are_user_errors(bad):
    with pytest.raises(UserError):
        zoo.build(bad)


def test_unknown_option_is_user_error():
    with pytest.raises(UserError, match="no option"):
        zoo.build("resnet18", width=3)


def test_metadata_from_installed_torchvision():
    r50 = zoo.get("resnet50")
    assert r50.top1 == pytest.approx(76.13) and r50.published_gmacs == pytest.approx(4.089)
    assert zoo.get("inception_v3").input_size == (3, 299, 299)


def test_timm_names_are_resolved_lazily():
    """The zoo (and a CIFAR name) never imports timm; a timm: name does."""
    import subprocess
    import sys

    code = (
        "import sys; from core.models import zoo; zoo.get('cifar-resnet-20'); zoo.names(); "
        "a = 'timm' in sys.modules; zoo.get('timm:resnet50d'); print(a, 'timm' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["False", "True"], out.stderr


def test_timm_cnn_rule_and_list():
    from core.anatomy.profile import profile

    listed = zoo.timm_names()
    assert "timm:resnet50d" in listed and "timm:convnext_tiny" in listed
    assert "timm:vit_base_patch16_224" not in listed and "timm:botnet26t_256" not in listed
    assert not any(n.startswith(zoo.TIMM_PREFIX) for n in zoo.names())  # the curated zoo stays the default
    p = profile("timm:resnet50d")
    assert p.input_size == (3, 224, 224) and p.total_params == 25_576_264
    assert {"stage1", "stage4", "head"} <= {layer.stage for layer in p.layers}
    for bad, message in [
        ("timm:vit_tiny_patch16_224", "not a convolutional network: it has self-attention"),
        ("timm:gmixer_12_224", "no convolution with overlapping windows"),
        ("timm:no_such_net", "timm has no model"),
    ]:
        with pytest.raises(UserError, match=message):
            profile(bad)
