"""ONNX files -> the same table as the zoo: totals equal model by model, and bad files -> one-line UserError.

Models are exported from the zoo with random weights (every parameter and buffer drawn at random, so
torch's exporter finds no two equal tensors to merge) and `do_constant_folding=False` (otherwise it folds
BatchNorm into the conv before it, which changes the parameter count; see test_default_export_*).
"""

from __future__ import annotations

import io
import random
import warnings

import pytest
import torch

onnx = pytest.importorskip("onnx")

from core.anatomy import graph, onnx_file  # noqa: E402
from core.anatomy.onnx_file import profile_onnx  # noqa: E402
from core.anatomy.profile import profile  # noqa: E402
from core.errors import UserError  # noqa: E402
from core.models import zoo  # noqa: E402

torch.set_num_threads(1)


def export(name: str, size: int, fold: bool = False, dynamic: bool = False) -> bytes:
    model = zoo.build(name) if ":" not in name else _timm(name)
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


def _timm(name: str):
    import timm

    return timm.create_model(name.removeprefix(zoo.TIMM_PREFIX), pretrained=False).eval()


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
    ("timm:tf_mixnet_s", 224),  # timm's dynamic "same" padding: Pad amounts computed in the graph
    ("timm:resnet50_gn", 224),  # GroupNorm: InstanceNormalization + Mul/Add of the weights
]


@pytest.mark.parametrize("name,size", MODELS)
def test_totals_equal_the_zoo(name, size):
    got = profile_onnx(export(name, size), f"{name}.onnx")
    want = profile(name)
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
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

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
    import numpy as np
    from onnx import external_data_helper, numpy_helper

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
    monkeypatch.setattr(onnx_file, "MAX_BYTES", len(data) - 1)
    with pytest.raises(UserError, match="limit"):
        profile_onnx(data, "big.onnx")
    monkeypatch.setattr(onnx_file, "MAX_BYTES", 10**9)
    monkeypatch.setattr(onnx_file, "MAX_NODES", 1)
    with pytest.raises(UserError, match="nodes"):
        profile_onnx(data, "many.onnx")


class _Touch:
    """Unpickling this would create a file: proof that nothing unpickled the upload."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        from pathlib import Path

        return (Path.touch, (Path(self.path),))


def test_a_pickle_is_refused_without_being_unpickled(tmp_path):
    import pickle

    marker = tmp_path / "unpickled"
    for data in (pickle.dumps(_Touch(marker)), _torch_save(_Touch(marker))):
        with pytest.raises(UserError) as info:
            profile_onnx(data, "model.onnx")
        assert _one_line(info.value)
    assert not marker.exists()


def _torch_save(obj) -> bytes:
    f = io.BytesIO()
    torch.save(obj, f)
    return f.getvalue()


def test_cli_count_and_graph_of_an_onnx_file(tmp_path):
    import json
    import subprocess
    import sys

    path = tmp_path / "c20.onnx"
    path.write_bytes(export("cifar-resnet-20", 32))
    want = profile("cifar-resnet-20")

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "core", *args], capture_output=True, text=True, timeout=300)

    out = cli("count", str(path), "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert (data["total_macs"], data["total_params"], data["unknown_ops"]) == (want.total_macs, want.total_params, {})
    out = cli("graph", str(path), "--level", "stage")
    assert out.returncode == 0 and out.stdout.startswith("digraph")
    (tmp_path / "junk.onnx").write_bytes(b"\x00garbage" * 100)
    for args in (["count", str(tmp_path / "junk.onnx")], ["count", str(tmp_path / "missing.onnx")]):
        out = cli(*args)
        assert out.returncode == 2 and "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_unknown_operators_are_printed_by_the_cli(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "sin.onnx"
    path.write_bytes(_tiny("Sin").SerializeToString())
    out = subprocess.run([sys.executable, "-m", "core", "count", str(path)], capture_output=True, text=True)
    assert out.returncode == 0 and "Sin x1" in out.stdout
