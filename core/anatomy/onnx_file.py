"""An uploaded ONNX file -> the same per-layer table (`core.anatomy.profile.Profile`) as a zoo model.

Safety: the bytes are parsed as protobuf only (`onnx.load_model_from_string`): nothing is unpickled,
no file besides the upload is opened (models that keep weights in external data files are refused),
and size and node count are capped before any work is done.

Shapes come from `onnx.shape_inference` (with data propagation for Reshape targets); MACs and params
from closed-form rules per operator, with the zoo's convention: MACs of convolutions and linear layers
(Conv, ConvTranspose, Gemm, MatMul with a weight), biases not counted; params = initializers that are
weights of the model (BatchNormalization's running mean/var are buffers in torch, so not counted).
Operators without a rule are listed in `Profile.unknown_ops` (their rows count 0), never hidden.

Rows, blocks and stages follow core/anatomy/profile.py: node names from torch's exporter
("/layer1/layer1.0/conv1/Conv") give the module path; a block is the outermost enclosing module that
is not a plain container (guessed from the names, or read from the `pkg.torch.onnx.class_hierarchy`
metadata of torch's dynamo exporter); stages are runs of blocks at one resolution (profile's rule).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from core.anatomy.profile import Layer, Profile, _assign_stages, _check_input
from core.errors import UserError

MAX_BYTES = 600 * 2**20  # VGG-19 as float32 ONNX is 548 MB; Streamlit's upload limit must allow it too
MAX_ROUNDS = 40  # rounds of shape inference + constant folding
MAX_NODES = 50_000  # DenseNet-201 from torch's exporter has ~1,500

# ONNX operator -> the row type core/anatomy/profile.py would show (core/anatomy/graph.py keys its drawing on these)
TYPES = {
    "Conv": "Conv2d",
    "ConvTranspose": "ConvTranspose2d",
    "Gemm": "Linear",
    "BatchNormalization": "BatchNorm2d",
    "Relu": "ReLU",
    "Sigmoid": "Sigmoid",
    "HardSigmoid": "Hardsigmoid",
    "HardSwish": "Hardswish",
    "Tanh": "Tanh",
    "LeakyRelu": "LeakyReLU",
    "PRelu": "PReLU",
    "Elu": "ELU",
    "Gelu": "GELU",
    "Selu": "SELU",
    "Clip": "Clip",
    "Softplus": "Softplus",
    "Mish": "Mish",
    "Softmax": "Softmax",
    "LogSoftmax": "LogSoftmax",
    "Erf": "erf",
    "MaxPool": "MaxPool2d",
    "AveragePool": "AvgPool2d",
    "LpPool": "LPPool2d",
    "GlobalAveragePool": "AdaptiveAvgPool2d",
    "GlobalMaxPool": "AdaptiveMaxPool2d",
    "ReduceMean": "mean",
    "ReduceMax": "amax",
    "ReduceSum": "sum",
    "Add": "add",
    "Sum": "sum",
    "Sub": "sub",
    "Mul": "mul",
    "Div": "div",
    "Pow": "pow",
    "Sqrt": "sqrt",
    "Max": "maximum",
    "Min": "minimum",
    "Concat": "cat",
    "Split": "chunk",
    "Slice": "getitem",
    "Pad": "pad",
    "Flatten": "Flatten",
    "Resize": "Upsample",
    "Upsample": "Upsample",
    "DepthToSpace": "PixelShuffle",
    "SpaceToDepth": "PixelUnshuffle",
    "LRN": "LocalResponseNorm",
    "LayerNormalization": "LayerNorm",
    "InstanceNormalization": "InstanceNorm2d",
    "GroupNormalization": "GroupNorm",
    "Neg": "neg",
    "Abs": "abs",
    "Exp": "exp",
    "Reciprocal": "reciprocal",
    "Where": "where",
    "Expand": "expand",
    "Tile": "tile",
    "Gather": "getitem",
    "MatMul": "matmul",
}
# identity at inference or pure re-indexing: no row, producers pass through (profile's plumbing)
PASS = {"Identity", "Dropout", "Reshape", "Squeeze", "Unsqueeze", "Transpose", "Cast", "CastLike"}
# inputs that are weights of the operator (by position); other initializers are constants or buffers
WEIGHT_SLOTS = {
    "Conv": (1, 2),
    "ConvTranspose": (1, 2),
    "Gemm": (1, 2),
    "MatMul": (0, 1),
    "BatchNormalization": (1, 2),
    "LayerNormalization": (1, 2),
    "InstanceNormalization": (1, 2),
    "GroupNormalization": (1, 2),
    "PRelu": (1,),
    "Mul": (0, 1),
    "Add": (0, 1),
}
FLOATS = {1, 10, 11, 16}  # float, float16, double, bfloat16


@dataclass
class OnnxProfile(Profile):
    unknown_ops: dict[str, int] = field(default_factory=dict)  # operator -> how many nodes, counted as 0
    notes: list[str] = field(default_factory=list)


def _load(data: bytes):
    import onnx
    from google.protobuf.message import DecodeError

    if len(data) > MAX_BYTES:
        raise UserError(f"the ONNX file is {len(data) / 2**20:.0f} MB; the limit is {MAX_BYTES // 2**20} MB")
    if len(data) == 0:
        raise UserError("the ONNX file is empty")
    try:
        model = onnx.load_model_from_string(data)  # protobuf parsing only; external data is NOT loaded
    except (DecodeError, ValueError, RuntimeError, TypeError, IndexError, MemoryError) as exc:
        raise UserError(
            f"not a readable ONNX file (truncated or not ONNX): {str(exc).splitlines()[0][:120]}"
            if str(exc)
            else "not a readable ONNX file (truncated or not ONNX)"
        ) from None
    graph = model.graph
    if not graph.node or not model.opset_import:
        raise UserError("not an ONNX model: it has no graph nodes or no opset (truncated or another format?)")
    if len(graph.node) > MAX_NODES:
        raise UserError(f"the ONNX graph has {len(graph.node):,} nodes; the limit is {MAX_NODES:,}")
    if any(t.data_location == onnx.TensorProto.EXTERNAL for t in graph.initializer) or any(
        a.t.data_location == onnx.TensorProto.EXTERNAL for n in graph.node for a in n.attribute if a.HasField("t")
    ):
        raise UserError(
            "this ONNX model keeps its weights in separate external-data files, which are not "
            "accepted; save it as one file (onnx.save(model, path, save_as_external_data=False))"
        )
    for t in graph.initializer:  # counting needs shapes only: drop weight payloads before shape inference
        if t.data_type in FLOATS and math.prod(t.dims) > 64:
            for f in ("raw_data", "float_data", "double_data", "int32_data"):
                t.ClearField(f)
    if not {i.name for i in graph.input} - {t.name for t in graph.initializer}:
        raise UserError("the ONNX graph has no input besides its weights")
    return model


def _infer(model, input_size):
    """Fix batch to 1 and (given or symbolic) C,H,W, then run shape inference; -> (model, (c, h, w), note)."""
    import onnx

    inits = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in inits]
    dims = inputs[0].type.tensor_type.shape.dim
    if len(dims) != 4:
        raise UserError(f"expected an image input (N,C,H,W); the ONNX model's input has {len(dims)} dimensions")
    fixed = [d.dim_value if d.HasField("dim_value") else None for d in dims]
    note = ""
    if input_size is None:
        if None in fixed[1:]:
            input_size = (fixed[1] or 3, fixed[2] or 224, fixed[3] or 224)
            note = f"the model's input size is not fixed; counted at {'x'.join(map(str, input_size))}"
        else:
            input_size = tuple(fixed[1:])
    c, h, w = _check_input(input_size)
    if fixed[1] is not None and fixed[1] != c:
        raise UserError(f"this model takes {fixed[1]} input channels, not {c}")
    if [1, c, h, w] != fixed:
        for d, v in zip(dims, (1, c, h, w)):
            d.Clear()
            d.dim_value = v
        del model.graph.value_info[:]  # shapes recorded for the old size would contradict the new ones
        for out in model.graph.output:
            out.type.tensor_type.ClearField("shape")
    try:
        # infer, fold what became constant (Shape of a sized tensor, ...), infer again: each round sizes one
        # more of timm's dynamic "same" pads, whose amounts depend on the size of the map before them
        for _ in range(MAX_ROUNDS):
            model = onnx.shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
            if not _fold(model):
                break
    except UserError:
        raise
    except Exception as exc:  # onnx raises InferenceError, ValidationError, RuntimeError...
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise UserError(f"ONNX shape inference failed at {c}x{h}x{w}: {first}") from None
    return model, (c, h, w), note


# Integer shape arithmetic worth folding; each output is no larger than its (<= 64-element) inputs
# combined, so a crafted file cannot make the folding allocate much (ConstantOfShape, Expand, Tile,
# Range are left out on purpose).
_FOLDABLE_OPS = (
    "Shape Gather Unsqueeze Squeeze Concat Slice Cast Add Sub Mul Div Floor Ceil Sqrt Identity Reshape Equal "
    "Where ReduceProd Min Max Neg Abs Mod Less Greater Not And Or Clip Transpose"
)
_FOLDABLE = set(_FOLDABLE_OPS.split())


def _foldable(n, known) -> bool:
    if n.op_type == "ConstantOfShape":  # F.pad's pad list: allowed when the shape asked for is small
        shape = known[n.input[0]]
        return getattr(shape, "ndim", 2) == 1 and all(v >= 0 for v in shape) and math.prod(shape.tolist()) <= 64
    return n.op_type in _FOLDABLE


def _fold(model) -> int:
    """Replace small integer computations (Shape of a sized tensor; Unsqueeze, Concat, Gather... of constants)
    by Constant nodes, so that inference can size the Slice/Pad/Reshape/Resize they feed (onnx-simplifier's
    idea). Evaluated with onnx's reference implementation, only on tensors of at most 64 elements."""
    import numpy as np
    from onnx import helper, numpy_helper
    from onnx.reference import ReferenceEvaluator

    g = model.graph
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    sizes = {
        vi.name: [d.dim_value if d.HasField("dim_value") else None for d in vi.type.tensor_type.shape.dim]
        for vi in list(g.input) + list(g.value_info)
        if vi.type.tensor_type.HasField("shape")
    }
    # small integer initializers only: float ones are weights, which must stay (they are counted)
    known = {
        t.name: numpy_helper.to_array(t) for t in g.initializer if math.prod(t.dims) <= 64 and t.data_type not in FLOATS
    }
    folded = 0
    for i, n in enumerate(g.node):
        if n.op_type == "Constant" or n.domain not in ("", "ai.onnx") or not n.output:
            value = _attrs(n).get("value") if n.op_type == "Constant" else None
            if value is not None and math.prod(value.dims) <= 64:
                known[n.output[0]] = numpy_helper.to_array(value)
            continue
        if n.op_type == "Shape" and None not in sizes.get(n.input[0], [None]):
            a = _attrs(n)
            values = [np.array(sizes[n.input[0]][a.get("start", 0) : a.get("end")], "int64")]
        elif n.input and all(x in known for x in n.input if x) and _foldable(n, known):
            try:
                values = ReferenceEvaluator(n, opsets={"": opset}).run(None, {x: known[x] for x in n.input if x})
            except Exception:
                continue
        else:
            continue
        if len(values) != 1 or len(n.output) != 1 or getattr(values[0], "size", 65) > 64:
            continue
        known[n.output[0]] = values[0]
        g.node[i].CopyFrom(
            helper.make_node(
                "Constant", [], [n.output[0]], name=n.name, value=numpy_helper.from_array(values[0], n.output[0])
            )
        )
        folded += 1
    return folded


def _attrs(node) -> dict:
    import onnx

    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _scope(node) -> list[str]:
    """'/layer1/layer1.0/conv1/Conv' -> ['layer1', 'layer1.0', 'layer1.0.conv1'] (enclosing module paths)."""
    meta = {p.key: p.value for p in node.metadata_props}
    if "pkg.torch.onnx.name_scopes" in meta:  # torch's dynamo exporter: ['', 'layer1', '0', 'conv1']
        parts = [p for p in _literal_list(meta["pkg.torch.onnx.name_scopes"]) if p]
    else:
        parts = [p for p in node.name.split("/") if p][:-1] if node.name.startswith("/") else []
    paths, prefix, previous = [], "", None
    for p in parts:  # torch names a scope 'conv1', or in a Sequential 'layer1.0' (the parent's segment + '.0')
        if previous and p.startswith(previous + "."):
            path = prefix + p[len(previous) :]
        else:
            path = f"{prefix}.{p}" if prefix else p
        paths.append(path)
        prefix, previous = path, p
    return paths


def _literal_list(text: str) -> list[str]:
    import ast  # literal_eval: parses literals only, never executes

    value = ast.literal_eval(text)
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else []


def _containers(scopes: list[list[str]], classes: dict[str, str]) -> tuple[dict[str, bool], dict[str, set]]:
    """-> (scope path -> is it a plain container?, scope -> child scopes). Exact with the dynamo exporter's
    class names; else guessed from the names: no op of its own and (>= 2 children one of which has children
    of its own, or a top-level scope of numbered children: `features`, `layer1`, `classifier`)."""
    own, children = set(), {}
    for paths in scopes:
        if paths:
            own.add(paths[-1])
        for parent, child in zip([""] + paths, paths):
            children.setdefault(parent, set()).add(child)
    container = {}
    for path, kids in children.items():
        if path in classes:
            container[path] = classes[path] in ("Sequential", "ModuleList", "ModuleDict")
            continue
        numbered = all(k.rsplit(".", 1)[-1].isdigit() for k in kids)
        nested = any(k in children for k in kids)
        container[path] = path not in own and (len(kids) >= 2 and nested or "." not in path and numbered)
    return container, children


def profile_onnx_file(path, input_size=None) -> OnnxProfile:
    """`profile_onnx` of a file on disk; its size is checked before it is read."""
    from pathlib import Path

    path = Path(path)
    if not path.is_file():
        raise UserError(f"no ONNX file at {str(path)!r}")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise UserError(f"{path.name} is {size / 2**20:.0f} MB; the limit is {MAX_BYTES // 2**20} MB")
    return profile_onnx(path.read_bytes(), path.name, input_size)


def profile_onnx(data: bytes, name: str, input_size=None) -> OnnxProfile:
    """The per-layer table of an ONNX model given as bytes; `input_size` (C,H,W) overrides its own."""
    import onnx

    model, (c, h, w), note = _infer(_load(data), input_size)
    graph = model.graph
    shapes, dtypes = {}, {}
    for vi in list(graph.input) + list(graph.value_info) + list(graph.output):
        t = vi.type.tensor_type
        dtypes[vi.name] = t.elem_type
        if t.HasField("shape"):
            shapes[vi.name] = tuple(d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim)
    inits = {t.name: t for t in graph.initializer}
    learned = set(inits)  # weights of the model: initializers and views of them (not Constant nodes)
    root: dict[str, str] = {}  # view of a weight -> the weight
    # constants; torch's Identity aliases of de-duplicated (equal-valued) weights; weights transposed or
    # cast in the graph (a Linear on a channels-last map is exported as MatMul(x, Transpose(W)))
    for n in graph.node:
        if n.op_type == "Constant" and _attrs(n).get("value") is not None:
            inits[n.output[0]] = _attrs(n)["value"]
        elif n.op_type in ("Identity", "Cast") and n.input and n.input[0] in inits:
            inits[n.output[0]] = inits[n.input[0]]
        elif n.op_type in ("Transpose", "Unsqueeze", "Squeeze", "Reshape") and n.input and n.input[0] in inits:
            dims = list(inits[n.input[0]].dims)  # a view with the same elements, e.g. GroupNorm's (C,) -> (C,1,1)
            if n.op_type == "Transpose":
                dims = [dims[p] for p in _attrs(n).get("perm") or reversed(range(len(dims)))]
            else:
                dims = list(shapes.get(n.output[0]) or [None])
                if None in dims or math.prod(dims) != math.prod(inits[n.input[0]].dims):
                    continue
            alias = onnx.TensorProto(name=n.output[0], data_type=inits[n.input[0]].data_type)
            alias.dims.extend(dims)
            inits[n.output[0]] = alias
        else:
            continue
        if n.input and n.input[0] in learned:
            learned.add(n.output[0])
            if n.op_type != "Identity":  # a view of a weight is that weight (Identity: torch's de-duplication)
                root[n.output[0]] = root.get(n.input[0], n.input[0])
    for key, t in inits.items():
        shapes[key], dtypes[key] = tuple(t.dims), t.data_type
    source = next(i.name for i in graph.input if i.name not in inits)

    classes, scopes = {}, []  # module path -> class name (dynamo exporter's metadata); node -> scope paths
    for n in graph.node:
        paths = _scope(n)
        scopes.append(paths)
        meta = {p.key: p.value for p in n.metadata_props}
        if "pkg.torch.onnx.class_hierarchy" in meta:
            for path, cls in zip(paths, _literal_list(meta["pkg.torch.onnx.class_hierarchy"])[1:]):
                classes[path] = cls.rsplit(".", 1)[-1]
    container, children = _containers(scopes, classes)
    ops_in = {}  # scope -> number of op nodes directly in it (a module row if 1 and no child scopes)
    for n, paths in zip(graph.node, scopes):
        if n.op_type not in ("Constant", "Identity"):
            ops_in[paths[-1] if paths else ""] = ops_in.get(paths[-1] if paths else "", 0) + 1

    forward = {source: ("input",)}  # value -> rows it stands for (pass-through ops forward their producers)
    producer = {o: n for n in graph.node for o in n.output}
    context = _Graph(shapes, dtypes, inits, learned, producer, root, forward)
    rows, by_name, names, block_output, unknown = [], {}, {}, {}, {}
    for n, paths in zip(graph.node, scopes):
        acts = [i for i in n.input if i in forward]
        out = n.output[0] if n.output else ""
        if not acts or dtypes.get(out) not in FLOATS:  # weights, shape arithmetic, constants: plumbing
            continue
        shape = shapes.get(out)
        if shape is None or None in shape:
            raise UserError(
                f"ONNX shape inference could not size the output of {n.name or n.op_type} "
                f"({n.op_type}); try another input size"
            )
        producers = tuple(dict.fromkeys(p for i in acts for p in forward[i]))
        block = next((p for p in paths if not container.get(p, False)), paths[-1] if paths else "")
        if n.op_type in PASS:
            forward.update({o: producers for o in n.output})
            if block:
                block_output[block] = shape[1:]
            continue
        module = paths[-1] if paths else ""
        prev = by_name.get(producers[0]) if len(producers) == 1 else None
        if n.op_type == "Slice" and prev and prev["type"] == "getitem" and prev["module"] == module:
            prev.update(output_shape=shape[1:], activations=math.prod(shape[1:]))  # x[:, :, ::2, ::2]: one row
            forward.update({o: producers for o in n.output})
            block_output[prev["block"]] = shape[1:]
            continue
        macs, kind, detail, params = _rule(n, context)
        if kind is None:
            unknown[n.op_type] = unknown.get(n.op_type, 0) + 1
            kind, detail = n.op_type, "no counting rule: MACs not counted"
        leaf = module and ops_in.get(module) == 1 and module not in children
        row = module if leaf else (f"{module}." if module else "") + kind.lower().strip("_")
        names[row] = names.get(row, 0) + 1
        row = row if names[row] == 1 else f"{row}_{names[row] - 1}"
        forward.update({o: (row,) for o in n.output})
        block = block or row
        block_output[block] = shape[1:]
        rows.append(
            by_name.setdefault(
                row,
                {
                    "name": row,
                    "type": kind,
                    "block": block,
                    "module": module,
                    "inputs": producers,
                    "output_shape": shape[1:],
                    "params": params,
                    "macs": macs // max(shape[0], 1),
                    "activations": math.prod(shape[1:]),
                    "detail": detail,
                },
            )
        )
    if not rows:
        raise UserError("the ONNX graph has no operations on its input")
    resolution = _assign_stages(rows, block_output)
    notes = [note] if note else []
    if unknown:
        notes.append(
            "operators without a counting rule (MACs not counted): "
            + ", ".join(f"{k} x{v}" for k, v in sorted(unknown.items()))
        )
    total = sum(math.prod(shapes[t]) for t in context.used)
    return OnnxProfile(name, (c, h, w), [Layer(**r) for r in rows], total, resolution, unknown, notes)


def _weight_sources(name: str, g: _Graph, seen: set) -> set[str]:
    """The model's weights a non-activation input is computed from (a weight-standardised conv's kernel
    is computed in the graph from its weight and gain): walk back through nodes, never through the
    activations."""
    if name in g.learned:
        return {g.root.get(name, name)}
    node = g.producer.get(name)
    if node is None or name in seen or node.op_type == "Shape":
        return set()
    seen.add(name)
    return {w for x in node.input if x and x not in g.forward for w in _weight_sources(x, g, seen)}


@dataclass
class _Graph:
    shapes: dict
    dtypes: dict
    inits: dict
    learned: set  # weights of the model: initializers and views of them (not Constant nodes)
    producer: dict  # value -> the node computing it
    root: dict  # view of a weight (Transpose, Reshape, ...) -> the weight
    forward: dict  # activation value -> the rows it stands for
    used: set = field(default_factory=set)  # weights already owned by a row


def _rule(n, g: _Graph) -> tuple[int, str | None, str, int]:
    """-> (MACs for the whole batch, row type or None if unknown, detail, params first owned here)."""
    op, a, shapes, inits = n.op_type, _attrs(n), g.shapes, g.inits
    slots = WEIGHT_SLOTS.get(op, ())
    weights = [n.input[i] for i in slots if i < len(n.input) and n.input[i] and n.input[i] not in g.forward]
    if op in ("Mul", "Add"):  # a learned scale/shift (layer scale, skip-init gain): float weights only
        weights = [w for w in weights if g.dtypes.get(w) in FLOATS]
    sources = {s for w in weights for s in _weight_sources(w, g, set())}
    params = sum(math.prod(shapes[x]) for x in sources - g.used)
    g.used.update(sources)
    out = shapes[n.output[0]]
    if op in ("Conv", "ConvTranspose"):  # weight (Cout, Cin/g, k...) or transposed (Cin, Cout/g, k...)
        wshape, g = shapes[n.input[1]], a.get("group", 1)
        k, strides = wshape[2:], a.get("strides", [1] * len(wshape[2:]))
        if op == "Conv":  # every output element: Cin/g * k MACs
            macs, cin, cout = math.prod(out) * math.prod(wshape[1:]), wshape[1] * g, wshape[0]
        else:  # every input element: Cout/g * k MACs
            macs, cin, cout = math.prod(shapes[n.input[0]]) * math.prod(wshape[1:]), wshape[0], wshape[1] * g
        groups = "" if g == 1 else (" depthwise" if g == cin == cout else f", groups {g}")
        stride = f"/{strides[0]}" if max(strides, default=1) > 1 else ""
        return macs, f"{op}{len(k)}d", f"{'x'.join(map(str, k))}{stride}, {cin}->{cout}{groups}", params
    if op == "Gemm":
        ashape = shapes[n.input[0]]
        k = ashape[0] if a.get("transA", 0) else ashape[1]
        return math.prod(out) * k, "Linear", f"{k}->{out[-1]}", params
    if op == "MatMul":
        k = shapes[n.input[0]][-1]
        if weights:
            return math.prod(out) * k, "Linear", f"{k}->{out[-1]}", params
        return 0, "matmul", "activation x activation: not a layer's MACs (convention)", params
    if op in ("MaxPool", "AveragePool", "LpPool"):
        k, s = a["kernel_shape"], a.get("strides", [1])
        return 0, TYPES[op], f"{k[0]}x{k[-1]}/{s[0]}", params
    if op == "Clip":
        return 0, "ReLU6" if [_scalar(inits, x) for x in n.input[1:3]] == [0, 6] else "Clip", "", params
    if op in TYPES:
        return 0, TYPES[op], "", params
    return 0, None, "", params


def _scalar(inits, name):
    from onnx import numpy_helper

    t = inits.get(name)
    try:
        return float(numpy_helper.to_array(t).reshape(-1)[0]) if t is not None else None
    except Exception:
        return None
