"""ONNX files -> the same table as the zoo: totals equal model by model, and bad files -> one-line UserError.

Models are exported from the zoo with random weights (every parameter and buffer drawn at random, so
torch's exporter finds no two equal tensors to merge) and `do_constant_folding=False` (otherwise it folds
BatchNorm into the conv before it, which changes the parameter count; see test_default_export_*).
Export + count times are written to onnx_timings.json next to this file.
"""

from __future__ import annotations

import io
import json
import os
import random
import time
import warnings
from pathlib import Path

import pytest
import torch

onnx = pytest.importorskip("onnx")

from core.anatomy import onnx_file as onnx_profile  # noqa: E402
from core.anatomy import graph  # noqa: E402
from core.models import zoo  # noqa: E402
from core.errors import UserError  # noqa: E402
from core.anatomy.profile import profile  # noqa: E402
from core.anatomy.onnx_file import profile_onnx  # noqa: E402

torch.set_num_threads(1)
TIMINGS: dict[str, dict] = {}


def export(name: str, size: int, fold: bool = False, dynamic: bool = False) -> bytes:
    model = zoo.build(name)
    with torch.no_grad():
        for t in list(model.parameters()) + list(model.buffers()):
            if t.is_floating_point():
                t.uniform_(0.5, 1.5)
    f = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            torch.zeros(1, 3, size, size),
            f,
            dynamo=False,
            do_constant_folding=fold,
            input_names=["input"],
            dynamic_axes={"input": {0: "n", 2: "h", 3: "w"}} if dynamic else None,
        )
    return f.getvalue()


@pytest.fixture(scope="module", autouse=True)
def _write_timings():
    yield
    path = Path(__file__).with_name("onnx_timings.json")
    old = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**old, **TIMINGS}, indent=1))


MODELS = [
    ("cifar-resnet-20", 32),
    ("resnet18", 224),
    ("resnet50", 224),
    ("mobilenet_v2", 224),
    ("googlenet", 224),
    ("densenet121", 224),
    ("vgg11", 224),
    ("efficientnet_b0", 224),
    ("mobilenet_v3_small", 224),
    ("squeezenet1_0", 224),
    ("shufflenet_v2_x1_0", 224),
    ("regnet_y_400mf", 224),
    ("convnext_tiny", 224),
    ("inception_v3", 299),
]


@pytest.mark.parametrize("name,size", MODELS)
def test_totals_equal_the_zoo(name, size):
    t0 = time.perf_counter()
    data = export(name, size)
    t1 = time.perf_counter()
    got = profile_onnx(data, f"{name}.onnx")
    t2 = time.perf_counter()
    want = profile(name)
    TIMINGS[name] = {
        "export_s": round(t1 - t0, 2),
        "count_s": round(t2 - t1, 2),
        "mb": round(len(data) / 2**20, 1),
        "rows_onnx": len(got.layers),
        "rows_zoo": len(want.layers),
    }
    assert got.input_size == want.input_size
    assert (got.total_macs, got.total_params) == (want.total_macs, want.total_params)
    assert sum(l.params for l in got.layers) == got.total_params
    assert got.unknown_ops == {}
    assert got.stage_resolution == want.stage_resolution
    assert got.depth == want.depth


def test_layer_table_matches_resnet18_row_by_row():
    got, want = profile_onnx(export("resnet18", 224), "r18"), profile("resnet18")
    pick = lambda p: [(l.name, l.stage, l.block, l.output_shape, l.params, l.macs) for l in p.layers]  # noqa: E731
    assert pick(got) == pick(want)
    assert [l.detail for l in got.layers if l.type == "Conv2d"] == [l.detail for l in want.layers if l.type == "Conv2d"]


@pytest.mark.parametrize("level", ["stage", "block", "layer"])
@pytest.mark.parametrize("name", ["resnet18", "googlenet", "mobilenet_v2"])
def test_graph_levels_draw(name, level):
    dot = graph.to_dot(profile_onnx(export(name, 224), name), level)
    assert dot.startswith("digraph") and "->" in dot
    if level == "block":  # the same number of drawn block nodes as the zoo model's graph
        assert dot.count("label=") == pytest.approx(graph.to_dot(profile(name), level).count("label="), abs=3)


def test_symbolic_input_size_is_overridable():
    data = export("cifar-resnet-20", 32, dynamic=True)
    for side in (32, 64):
        got, want = profile_onnx(data, "c20", (3, side, side)), profile("cifar-resnet-20", (3, side, side))
        assert (got.total_macs, got.total_params) == (want.total_macs, want.total_params)
    assert profile_onnx(data, "c20").notes  # no size given: says which size it assumed
    with pytest.raises(UserError, match="positive"):
        profile_onnx(data, "c20", (3, 0, 0))
    with pytest.raises(UserError, match="3 input channels"):
        profile_onnx(data, "c20", (4, 32, 32))


def test_default_export_folds_batchnorm_macs_still_equal():
    """torch.onnx.export's defaults fold BN into the conv: MACs unchanged, params lose BN's scale/shift."""
    got, want = profile_onnx(export("resnet18", 224, fold=True), "r18"), profile("resnet18")
    assert got.total_macs == want.total_macs
    bn = sum(l.params for l in want.layers if l.type.startswith("BatchNorm"))
    conv_out = sum(l.output_shape[0] for l in want.layers if l.type == "Conv2d")  # the biases folding adds
    assert got.total_params == want.total_params - bn + conv_out


def _tiny(op_type="Relu", **extra):
    from onnx import TensorProto, helper, numpy_helper
    import numpy as np

    w = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32), "w")
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="/conv/Conv", pads=[1, 1, 1, 1]),
        helper.make_node(op_type, ["c"], ["y"], name=f"/act/{op_type}"),
    ]
    g = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [w],
    )
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], **extra)


def test_unknown_operator_is_listed_not_hidden():
    got = profile_onnx(_tiny("Sin").SerializeToString(), "tiny")
    assert got.unknown_ops == {"Sin": 1} and any("Sin" in n for n in got.notes)
    assert got.total_macs == 4 * 8 * 8 * 27 and got.total_params == 108


def test_external_data_is_refused(tmp_path):
    from onnx import external_data_helper, numpy_helper
    import numpy as np

    model = _tiny()
    model.graph.initializer[0].CopyFrom(numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32), "w"))
    external_data_helper.convert_model_to_external_data(model, location="weights.bin", size_threshold=0)
    onnx.save_model(model, tmp_path / "m.onnx")
    assert (tmp_path / "weights.bin").exists()
    with pytest.raises(UserError, match="external"):
        profile_onnx((tmp_path / "m.onnx").read_bytes(), "m.onnx")


def _one_line(exc: UserError) -> bool:
    return "\n" not in str(exc) and 0 < len(str(exc)) < 300


@pytest.mark.parametrize("kind", ["empty", "random", "text", "truncated", "pickle", "json"])
def test_bad_files_give_one_line(kind):
    good = _tiny().SerializeToString()
    data = {
        "empty": b"",
        "random": random.Random(0).randbytes(20_000),
        "text": b"hello, world\n" * 100,
        "truncated": export("cifar-resnet-20", 32)[:50_000],
        "json": b'{"graph": []}',
        "pickle": _pickle_bytes(),
    }[kind]
    assert data != good
    with pytest.raises(UserError) as info:
        profile_onnx(data, f"{kind}.onnx")
    assert _one_line(info.value)


def _pickle_bytes() -> bytes:  # a torch checkpoint (zip + pickle): must be refused without unpickling
    f = io.BytesIO()
    torch.save({"w": torch.ones(3)}, f)
    return f.getvalue()


def test_many_random_and_cut_files_never_crash():
    good = export("cifar-resnet-20", 32)
    rng = random.Random(1)
    for i in range(60):
        data = rng.randbytes(rng.randrange(1, 5000)) if i % 2 else good[: rng.randrange(1, len(good))]
        try:
            profile_onnx(data, "x.onnx")
        except UserError as exc:
            assert _one_line(exc)


def test_size_and_node_limits(monkeypatch):
    data = _tiny().SerializeToString()
    monkeypatch.setattr(onnx_profile, "MAX_BYTES", len(data) - 1)
    with pytest.raises(UserError, match="limit"):
        profile_onnx(data, "big.onnx")
    monkeypatch.setattr(onnx_profile, "MAX_BYTES", 10**9)
    monkeypatch.setattr(onnx_profile, "MAX_NODES", 1)
    with pytest.raises(UserError, match="nodes"):
        profile_onnx(data, "many.onnx")
