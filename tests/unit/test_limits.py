"""Unbounded work is refused before it starts, with the estimate in the message."""

import pytest

from core.anatomy.profile import profile
from core.errors import UserError
from core.models import cifar, zoo
from core.training import estimate
from core.training.config import RunConfig


@pytest.mark.parametrize(("depth", "width", "preact"), [(20, 16, False), (56, 8, False), (110, 32, True)])
def test_closed_form_size_matches_the_layer_table(depth, width, preact):
    counted = profile(f"cifar-resnet-{depth}", width=width, preact=preact).total_params
    assert cifar.cifar_size(depth, width) == counted


@pytest.mark.parametrize("name", ["cifar-resnet-12002", "cifar-plain-1208", "cifar-resnet-" + "9" * 40 + "8"])
def test_deep_cifar_nets_are_refused_before_building_with_the_estimate(name, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("built")

    monkeypatch.setattr(cifar.CifarNet, "__init__", never)
    with pytest.raises(UserError, match="up to 1,202 layers") as info:
        profile(name)
    if len(name) < 30:
        assert "M parameters" in str(info.value)


def test_options_beyond_the_parameter_limit_are_refused_before_building():
    with pytest.raises(UserError, match="billion parameters"):
        zoo.get("cifar-resnet-1202").build(width=1024)


def test_the_whole_comparison_is_checked_against_free_memory(monkeypatch):
    configs = [RunConfig(net=n, depth=d, width=16) for d in (20, 56) for n in ("plain", "resnet")]
    one = estimate.check_config(configs[-1]).memory_bytes
    total = sum(estimate.check_config(c).memory_bytes for c in configs)
    monkeypatch.setattr(estimate, "_available_memory", lambda: int((one + (total - one) / 2) / 0.8))
    for c in configs:  # each run alone fits ...
        estimate.check_config(c)
    with pytest.raises(UserError, match=r"the 4 runs together would need .* GiB of memory and .* GiB is free"):
        estimate.check_comparison(configs)  # ... the four side by side do not
