"""One pass over a model -> a table of its layers: the single source of every count in ConvAtlas.

How it stays fast (docs/ARCHITECTURE.md: a forward pass, even on the meta device, is too slow):
1. `capture(model)` traces the module calls and the dataflow ONCE per model with torch.fx
   (built-in layers are leaves) and keeps the result: a list of `Step`s, each knowing its module or
   function, which earlier steps feed it, and its stage-independent grouping (the block it sits in).
2. `profile(...)` walks those steps for a given input size with closed-form rules (output shape of a
   conv, pool, linear, cat, ...) and fills in params and multiply-accumulates — pure Python
   arithmetic, no tensors, milliseconds even for ResNet-152.
Ops without a rule are evaluated once on meta tensors of the right shape, so unknown models still work.

Counting convention (torchvision's published figures and the papers'): MACs of convolutions and
linear layers, biases not counted; params = every parameter of the model as built for inference.
"""

from __future__ import annotations

import math
import operator
import weakref
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import torch
import torch.fx as fx
import torch.nn.functional as F
from torch import nn

from core.errors import UserError
from core.memo import MiB, bounded
from core.models import zoo

MAX_SIDE = 8192  # beyond this the figures stop meaning anything for an image classifier
CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)
WEIGHTED = ("Conv", "Linear")  # row types that count as a layer of depth


class InputTooSmall(Exception):
    """Raised inside propagation when a feature map would become empty, or a 1-pixel map be downsampled."""


# --------------------------------------------------------------------------------------------------
# 1. Capture: trace once, keep the steps
# --------------------------------------------------------------------------------------------------
class _Tracer(fx.Tracer):
    """Built-in layers (and subclasses of them, e.g. timm's BatchNormAct2d) are leaves."""

    LEAVES = (nn.modules.conv._ConvNd, nn.modules.batchnorm._BatchNorm, nn.Linear)

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return super().is_leaf_module(m, qualname) or isinstance(m, self.LEAVES)


@dataclass
class Step:
    name: str  # row name: module path, or "<enclosing module>.<op>" for functions
    kind: str  # fx op: placeholder, get_attr, call_module, call_function, call_method, output
    type: str  # class or function name shown to the user
    target: Any  # the module, function or method name
    args: tuple  # fx args with producing steps replaced by their index (_Ref)
    kwargs: dict
    module_path: str  # enclosing module path ("" = the model itself)
    block: str  # the block it belongs to (see _block_of)
    params: int = 0
    is_row: bool = True  # False for plumbing (size, getitem of tuples, contiguous, ...)


@dataclass(frozen=True)
class _Ref:
    index: int


@dataclass
class Structure:
    steps: list[Step]
    total_params: int
    in_channels: int | None


_PLUMBING_FUNCS = {
    operator.getitem,
    operator.floordiv,
    operator.mul,
    getattr,
    torch.transpose,
    torch.permute,
    torch.reshape,
}
_PLUMBING_METHODS = {"size", "contiguous", "view", "reshape", "permute", "transpose", "chunk", "dim"}
_TRANSPARENT = {"stochastic_depth", "dropout", "contiguous"}  # identity at inference


def _block_of(stack: dict, model: nn.Module, own_path: str | None) -> str:
    """The outermost enclosing module that is a building block (not a plain container)."""
    for path in stack:
        if path and type(model.get_submodule(path)) not in CONTAINERS:
            return path
    return own_path or ""


def _walk_refs(value, fn):
    if isinstance(value, fx.Node):
        return fn(value)
    if isinstance(value, (tuple, list)):
        return type(value)(_walk_refs(v, fn) for v in value)
    if isinstance(value, dict):
        return {k: _walk_refs(v, fn) for k, v in value.items()}
    if isinstance(value, slice):
        return slice(_walk_refs(value.start, fn), _walk_refs(value.stop, fn), _walk_refs(value.step, fn))
    return value


def _own_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _capture(model: nn.Module) -> Structure:
    tracer = _Tracer()
    if tracer.is_leaf_module(model, ""):  # a bare layer: trace it as a call, not through its forward
        model = nn.Sequential(model)
    graph = tracer.trace(model)
    index = {}
    steps: list[Step] = []
    seen_modules: set[int] = set()
    calls: dict[str, int] = {}
    in_channels, first_conv = None, True
    for node in graph.nodes:
        stack = node.meta.get("nn_module_stack", {})
        module_path = next(reversed(stack), "") if stack else ""
        module_path = module_path if isinstance(module_path, str) else ""
        paths = {k: None for k in stack} if stack else {}
        args = _walk_refs(node.args, lambda n: _Ref(index[n]))
        kwargs = _walk_refs(node.kwargs, lambda n: _Ref(index[n]))
        params, target, type_name, is_row = 0, node.target, str(node.target), True
        if node.op == "call_module":
            target = model.get_submodule(node.target)
            type_name = type(target).__name__
            name, module_path = node.target, node.target
            calls[name] = calls.get(name, 0) + 1
            if calls[name] > 1:  # a module called twice (torchvision's shared ReLU) gets unique rows
                name = f"{name}_{calls[name] - 1}"
            if id(target) not in seen_modules:  # ... and owns its weights once
                seen_modules.add(id(target))
                params = _own_params(target)
            if first_conv and isinstance(target, nn.modules.conv._ConvNd):
                first_conv = False  # its channels are the input's only if it reads the input itself
                reads_input = bool(node.args) and isinstance(node.args[0], fx.Node) and node.args[0].op == "placeholder"
                in_channels = target.in_channels if reads_input else None
            block = _block_of(paths, model, node.target)
        else:
            if node.op == "call_function":
                type_name = getattr(target, "__name__", str(target))
                is_row = target not in _PLUMBING_FUNCS or (target is operator.mul and not _is_size_math(node))
                if target is operator.getitem:
                    is_row = _is_tensor_slice(node)
            elif node.op == "call_method":
                type_name = target
                is_row = target not in _PLUMBING_METHODS
            elif node.op == "get_attr":
                attr = _get_attr(model, node.target)
                params = attr.numel() if isinstance(attr, nn.Parameter) else 0
                target, is_row = attr, False
            else:
                is_row = False
            # Functions are named inside their module, e.g. "layer2.0.add" (then "add_1", ...).
            prefix = f"{module_path}." if module_path else ""
            name = f"{prefix}{type_name.strip('_')}"
            calls[name] = calls.get(name, 0) + 1
            name = name if calls[name] == 1 else f"{name}_{calls[name] - 1}"
            block = _block_of(paths, model, name)
        index[node] = len(steps)
        steps.append(Step(name, node.op, type_name, target, args, kwargs, module_path, block, params, is_row))
    total = sum(p.numel() for p in model.parameters())
    return Structure(steps, total, in_channels)


def _get_attr(model: nn.Module, target: str):
    obj = model
    for part in target.split("."):
        obj = getattr(obj, part)
    return obj


def _is_size_math(node: fx.Node) -> bool:
    """`a * b` on sizes (plumbing) vs on tensors (a layer, e.g. squeeze-excite scaling)."""
    return all(
        not isinstance(a, fx.Node)
        or a.op in ("call_method", "call_function")
        and a.target in ("size", operator.getitem, operator.floordiv, getattr)
        for a in node.args
    )


def _is_tensor_slice(node: fx.Node) -> bool:
    """x[:, :, ::2, ::2] is a layer (option-A shortcut); chunks[0] and size()[1] are plumbing."""
    index = node.args[1]
    return isinstance(index, tuple) and any(isinstance(i, slice) for i in index)


_STRUCTURES: weakref.WeakKeyDictionary[nn.Module, Structure] = weakref.WeakKeyDictionary()


def capture(model: nn.Module) -> Structure:
    """The model's structure, traced once and kept for as long as the model lives."""
    if model not in _STRUCTURES:
        _STRUCTURES[model] = _capture(model)
    return _STRUCTURES[model]


# ~5.3 KB per traced step, measured (tracemalloc: cifar-resnet-1202, 4,811 steps, 24.6 MiB with its
# meta-device modules); the cap keeps ~15 of the deepest CIFAR variants or hundreds of zoo nets.
@bounded(max_entries=64, max_bytes=384 * MiB, weigh=lambda s: 5300 * len(s.steps))
def _named_structure(name: str, options: tuple) -> Structure:
    """Zoo models are built on the meta device (no memory, no weight init) just to be traced."""
    arch = zoo.get(name)
    try:
        with torch.device("meta"):
            model = arch.build(**dict(options))
    except NotImplementedError:  # a constructor that computes with tensors (RegNet's width rule)
        model = _build_weightless(arch, dict(options))
    return _capture(model.eval())


def _build_weightless(arch: zoo.Arch, options: dict) -> nn.Module:
    """Build on the CPU but move each parameter and buffer to the meta device as it is registered,
    so no weight memory is touched and initialisation costs nothing."""

    def to_meta(module, name, tensor):
        if tensor is None:
            return None
        return (
            nn.Parameter(tensor.to("meta"), tensor.requires_grad)
            if isinstance(tensor, nn.Parameter)
            else tensor.to("meta")
        )

    hooks = [
        nn.modules.module.register_module_parameter_registration_hook(to_meta),
        nn.modules.module.register_module_buffer_registration_hook(to_meta),
    ]
    try:
        return arch.build(**options)
    finally:
        for hook in hooks:
            hook.remove()


# --------------------------------------------------------------------------------------------------
# 2. Propagation: closed-form shapes and costs for one input size
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _T:
    """A tensor known only by its shape (batch dimension included)."""

    shape: tuple

    def numel(self) -> int:
        return math.prod(self.shape)


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _conv_out(size: int, kernel: int, stride: int, padding: int, dilation: int = 1, ceil: bool = False) -> int:
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (-(-span // stride) if ceil else span // stride) + 1
    if ceil and (out - 1) * stride >= size + padding:  # PyTorch: last window must start inside the input
        out -= 1
    if out <= 0 or (stride > 1 and size == 1):  # nothing left to downsample: the net's design no longer applies
        raise InputTooSmall
    return out


def _spatial(shape, kernel, stride, padding, dilation=(1, 1), ceil=False):
    return tuple(
        _conv_out(s, k, st, p, d, ceil)
        for s, k, st, p, d in zip(shape[2:], _pair(kernel), _pair(stride), _pair(padding), _pair(dilation))
    )


# timm's TensorFlow-style "same" padding, computed from the input size in forward: ceil(size / stride) out
_DYNAMIC_SAME = {"Conv2dSame", "Conv2dSameExport", "MaxPool2dSame", "AvgPool2dSame"}


def _dynamic_same(m: nn.Module) -> bool:
    return type(m).__name__ in _DYNAMIC_SAME or getattr(m, "same_pad", False) is True


def _same_out(x: _T, stride) -> tuple:
    return tuple(-(-s // st) for s, st in zip(x.shape[2:], _pair(stride)))


def _conv(m: nn.Conv2d, x: _T):
    if x.shape[1] != m.in_channels:
        raise UserError(f"{type(m).__name__} expects {m.in_channels} input channels, got {x.shape[1]}")
    if _dynamic_same(m):
        hw = _same_out(x, m.stride)
    elif isinstance(m.padding, str):  # "same" keeps the size (stride 1 only, by PyTorch's rule)
        hw = x.shape[2:] if m.padding == "same" else _spatial(x.shape, m.kernel_size, m.stride, 0, m.dilation)
    else:
        hw = _spatial(x.shape, m.kernel_size, m.stride, m.padding, m.dilation)
    out = _T((x.shape[0], m.out_channels, *hw))
    macs = out.numel() // x.shape[0] * (m.in_channels // m.groups) * math.prod(m.kernel_size)
    return out, macs


def _pool(x: _T, kernel, stride, padding, dilation=1, ceil=False):
    stride = kernel if stride in (None, []) else stride
    return _T(x.shape[:2] + _spatial(x.shape, kernel, stride, padding, _pair(dilation), ceil))


def _adaptive(x: _T, output_size):
    out = tuple(s if o is None else o for s, o in zip(x.shape[2:], _pair(output_size)))
    return _T(x.shape[:2] + out)


def _linear(m: nn.Linear, x: _T):
    if x.shape[-1] != m.in_features:
        raise UserError(f"Linear layer expects {m.in_features} features, got {x.shape[-1]}")
    out = _T(x.shape[:-1] + (m.out_features,))
    return out, out.numel() // x.shape[0] * m.in_features


def _same_shape(x, *_, **__):
    return x


def _module_rule(m: nn.Module, x: _T):
    """-> (output, macs) for a leaf module, or None when there is no closed-form rule."""
    if isinstance(m, nn.modules.conv._ConvNd) and not isinstance(m, nn.modules.conv._ConvTransposeNd):
        return _conv(m, x)
    if isinstance(m, nn.Linear):
        return _linear(m, x)
    if isinstance(
        m,
        (
            nn.modules.batchnorm._BatchNorm,
            nn.ReLU,
            nn.ReLU6,
            nn.SiLU,
            nn.GELU,
            nn.Sigmoid,
            nn.Hardswish,
            nn.Hardsigmoid,
            nn.Identity,
            nn.Dropout,
            nn.LayerNorm,
            nn.Tanh,
            nn.LeakyReLU,
            nn.ELU,
            nn.GroupNorm,
            nn.LocalResponseNorm,
        ),
    ):
        return x, 0
    if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)) and _dynamic_same(m):
        return _T(x.shape[:2] + _same_out(x, m.stride)), 0
    if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
        dilation = getattr(m, "dilation", 1)
        return _pool(x, m.kernel_size, m.stride, m.padding, dilation, m.ceil_mode), 0
    if isinstance(m, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
        return _adaptive(x, m.output_size), 0
    if isinstance(m, nn.Flatten):
        end = len(x.shape) if m.end_dim == -1 else m.end_dim + 1
        return _T(x.shape[: m.start_dim] + (math.prod(x.shape[m.start_dim : end]),) + x.shape[end:]), 0
    return None


def _broadcast(*values):
    shapes = [v.shape for v in values if isinstance(v, _T)]
    try:
        return _T(tuple(torch.broadcast_shapes(*shapes)))
    except RuntimeError:
        raise UserError(
            "the feature maps to be merged have different sizes "
            f"({' vs '.join('x'.join(map(str, s[1:])) for s in shapes)}); "
            "try an input size that divides evenly by the network's total stride"
        ) from None


def _cat(tensors, dim=0):
    shapes = [t.shape for t in tensors]
    dim = dim % len(shapes[0])
    rest = {s[:dim] + s[dim + 1 :] for s in shapes}
    if len(rest) != 1:
        raise UserError(
            "the branches to be concatenated have different sizes "
            f"({', '.join('x'.join(map(str, s[2:])) for s in shapes)}); try another input size"
        )
    return _T(shapes[0][:dim] + (sum(s[dim] for s in shapes),) + shapes[0][dim + 1 :])


def _flatten(x, start_dim=0, end_dim=-1):
    end = len(x.shape) if end_dim == -1 else end_dim + 1
    return _T(x.shape[:start_dim] + (math.prod(x.shape[start_dim:end]),) + x.shape[end:])


def _mean(x, dim=None, keepdim=False, **_):
    dims = {d % len(x.shape) for d in ((dim,) if isinstance(dim, int) else dim)}
    return _T(tuple(1 if i in dims else s for i, s in enumerate(x.shape) if keepdim or i not in dims))


def _size(x, dim=None):
    return torch.Size(x.shape) if dim is None else x.shape[dim]


def _view(x, *shape):
    shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    if -1 in shape:
        known = math.prod(s for s in shape if s != -1)
        shape = tuple(x.numel() // known if s == -1 else s for s in shape)
    return _T(tuple(shape))


def _permute(x, *dims):
    dims = dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
    return _T(tuple(x.shape[d] for d in dims))


def _transpose(x, a, b):
    s = list(x.shape)
    s[a], s[b] = s[b], s[a]
    return _T(tuple(s))


def _chunk(x, chunks, dim=0):
    size = -(-x.shape[dim] // chunks)
    sizes = [min(size, x.shape[dim] - i * size) for i in range(chunks) if x.shape[dim] - i * size > 0]
    return tuple(_T(x.shape[:dim] + (s,) + x.shape[dim + 1 :]) for s in sizes)


def _slice(x, index):
    shape = list(x.shape)
    for d, i in enumerate(index):
        if isinstance(i, slice):
            shape[d] = len(range(*i.indices(shape[d])))
    return _T(tuple(shape))


def _pad(x, pad, *_, **__):
    shape = list(x.shape)
    for i in range(len(pad) // 2):
        shape[-1 - i] += pad[2 * i] + pad[2 * i + 1]
    return _T(tuple(shape))


def _getitem(container, index):
    if isinstance(container, _T):
        return _slice(container, index if isinstance(index, tuple) else (index,))
    return container[index]


_FUNCTION_RULES = {
    operator.add: _broadcast,
    operator.mul: lambda a, b: _broadcast(a, b) if isinstance(a, _T) or isinstance(b, _T) else a * b,
    torch.add: _broadcast,
    torch.mul: _broadcast,
    operator.floordiv: operator.floordiv,
    operator.getitem: _getitem,
    torch.cat: _cat,
    torch.flatten: _flatten,
    F.relu: _same_shape,
    torch.relu: _same_shape,
    torch.sigmoid: _same_shape,
    F.layer_norm: _same_shape,
    F.dropout: _same_shape,
    F.gelu: _same_shape,
    F.silu: _same_shape,
    F.hardswish: _same_shape,
    F.max_pool2d: lambda x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, **_: _pool(
        x, kernel_size, stride, padding, dilation, ceil_mode
    ),
    F.avg_pool2d: lambda x, kernel_size, stride=None, padding=0, ceil_mode=False, **_: _pool(
        x, kernel_size, stride, padding, 1, ceil_mode
    ),
    F.adaptive_avg_pool2d: _adaptive,
    F.adaptive_max_pool2d: lambda x, output_size, **_: _adaptive(x, output_size),
    F.pad: _pad,
    torch.permute: _permute,
    torch.transpose: _transpose,
}
_METHOD_RULES = {
    "size": _size,
    "contiguous": _same_shape,
    "view": _view,
    "reshape": _view,
    "flatten": _flatten,
    "permute": _permute,
    "transpose": _transpose,
    "chunk": _chunk,
    "mean": _mean,
    "relu": _same_shape,
    "sigmoid": _same_shape,
    "mul": _broadcast,
    "add": _broadcast,
}


def _resolve(value, values):
    return _walk_refs_resolved(value, values)


def _walk_refs_resolved(value, values):
    if isinstance(value, _Ref):
        return values[value.index]
    if isinstance(value, (tuple, list)):
        return type(value)(_walk_refs_resolved(v, values) for v in value)
    if isinstance(value, dict):
        return {k: _walk_refs_resolved(v, values) for k, v in value.items()}
    if isinstance(value, slice):
        return slice(*(_walk_refs_resolved(v, values) for v in (value.start, value.stop, value.step)))
    return value


def _to_meta(value):
    if isinstance(value, _T):
        return torch.empty(value.shape, device="meta")
    if isinstance(value, (tuple, list)):
        return type(value)(_to_meta(v) for v in value)
    if isinstance(value, dict):  # keyword arguments, e.g. F.group_norm(x, g, weight=w, bias=b)
        return {k: _to_meta(v) for k, v in value.items()}
    return value


def _from_meta(value):
    if isinstance(value, torch.Tensor):
        return _T(tuple(value.shape))
    if isinstance(value, (tuple, list)) and not isinstance(value, torch.Size):
        return type(value)(_from_meta(v) for v in value)
    return value


# functions that are convolutions or linear layers: weight (out, in/groups, k...) or (out, in), so every
# output element costs prod(weight.shape[1:]) multiply-accumulates, as for the modules
_WEIGHTED_FUNCTIONS = {F.conv1d, F.conv2d, F.conv3d, torch.conv1d, torch.conv2d, torch.conv3d, F.linear}


def _evaluate(step: Step, args, kwargs):
    """-> (value, macs) for one step."""
    if step.kind == "call_module":
        rule = _module_rule(step.target, args[0]) if len(args) == 1 and not kwargs else None
        if rule is not None:
            return rule
        module = step.target
        if any(p.device.type != "meta" for p in module.parameters()):
            module = _meta_copy(module)
        return _from_meta(module(*_to_meta(args), **_to_meta(kwargs))), 0
    if step.kind == "call_function":
        if step.type in _TRANSPARENT:
            return args[0], 0
        rule = _FUNCTION_RULES.get(step.target)
        if rule is not None:
            return rule(*args, **kwargs), 0
        value = _from_meta(step.target(*_to_meta(args), **_to_meta(kwargs)))
        if step.target in _WEIGHTED_FUNCTIONS:  # F.conv2d with a fixed filter (timm's blur pool), F.linear
            weight = args[1] if len(args) > 1 else kwargs["weight"]
            return value, value.numel() // value.shape[0] * math.prod(weight.shape[1:])
        return value, 0
    if step.kind == "call_method":
        rule = _METHOD_RULES.get(step.target)
        if rule is not None:
            return rule(*args, **kwargs), 0
        self, *rest = _to_meta(args)
        return _from_meta(getattr(self, step.target)(*rest, **_to_meta(kwargs))), 0
    raise AssertionError(step.kind)


@lru_cache(maxsize=32)
def _meta_copy_cached(module_id: int, module: nn.Module) -> nn.Module:
    import copy

    return copy.deepcopy(module).to("meta")


def _meta_copy(module: nn.Module) -> nn.Module:
    return _meta_copy_cached(id(module), module)


def _propagate(structure: Structure, input_shape: tuple) -> tuple[list, list[int]]:
    values: list = []
    macs: list[int] = []
    for step in structure.steps:
        if step.kind == "placeholder":
            value, mac = (_T(input_shape) if not values else None), 0
        elif step.kind == "get_attr":
            value, mac = (_T(tuple(step.target.shape)) if isinstance(step.target, torch.Tensor) else step.target), 0
        elif step.kind == "output":
            value, mac = None, 0
        else:
            args = _resolve(step.args, values)
            kwargs = _resolve(step.kwargs, values)
            value, mac = _evaluate(step, args, kwargs)
        values.append(value)
        macs.append(mac)
    return values, macs


# --------------------------------------------------------------------------------------------------
# 3. The table
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Layer:
    name: str  # module path, or "<enclosing module>.<op>" for a function
    type: str  # Conv2d, BatchNorm2d, add, cat, ...
    stage: str  # stage1, stage2, ... (one per feature-map resolution), or head
    block: str  # the building block it belongs to (residual block, Inception module, ...)
    module: str  # enclosing module path
    inputs: tuple[str, ...]  # rows (or "input") whose outputs feed this one: the dataflow
    output_shape: tuple[int, ...]  # without the batch dimension
    params: int
    macs: int
    activations: int  # elements of the output (per image)
    detail: str = ""  # e.g. "3x3/2, 64->128, groups 32"


@dataclass
class Profile:
    arch: str
    input_size: tuple[int, int, int]
    layers: list[Layer]
    total_params: int
    stage_resolution: dict[str, str] = field(default_factory=dict)  # stage -> "56x56"

    @property
    def total_macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def depth(self) -> int:
        """Weighted layers (conv, linear) on the longest input-to-output path — the papers' 'depth'."""
        longest: dict[str, int] = {"input": 0}
        for layer in self.layers:
            here = max((longest.get(i, 0) for i in layer.inputs), default=0)
            longest[layer.name] = here + (layer.type.startswith(WEIGHTED) or "Conv" in layer.type)
        return max(longest.values())

    def table(self):
        import pandas as pd

        rows = [
            {
                "name": l.name,
                "type": l.type,
                "stage": l.stage,
                "block": l.block,
                "detail": l.detail,
                "output_shape": "x".join(map(str, l.output_shape)),
                "params": l.params,
                "macs": l.macs,
                "activations": l.activations,
            }
            for l in self.layers
        ]
        return pd.DataFrame(rows)

    def by(self, level: str = "stage"):
        """Totals per stage or per block, in network order."""
        table = self.table()
        grouped = table.groupby(level, sort=False).agg(
            params=("params", "sum"),
            macs=("macs", "sum"),
            layers=("name", "size"),
            output_shape=("output_shape", "last"),
        )
        return grouped.reset_index()

    def to_json(self) -> dict:
        return {
            "arch": self.arch,
            "input": list(self.input_size),
            "total_macs": self.total_macs,
            "total_params": self.total_params,
            "layers": [
                {
                    "name": l.name,
                    "type": l.type,
                    "stage": l.stage,
                    "block": l.block,
                    "output_shape": list(l.output_shape),
                    "params": l.params,
                    "macs": l.macs,
                }
                for l in self.layers
            ],
        }


def _detail(step: Step, in_shape) -> str:
    m = step.target
    if isinstance(m, nn.modules.conv._ConvNd):
        k = "x".join(map(str, m.kernel_size))
        stride = f"/{m.stride[0]}" if max(m.stride) > 1 else ""
        groups = (
            ""
            if m.groups == 1
            else (" depthwise" if m.groups == m.in_channels == m.out_channels else f", groups {m.groups}")
        )
        return f"{k}{stride}, {m.in_channels}->{m.out_channels}{groups}"
    if isinstance(m, nn.Linear):
        return f"{m.in_features}->{m.out_features}"
    if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
        k = m.kernel_size if isinstance(m.kernel_size, int) else m.kernel_size[0]
        s = m.stride if isinstance(m.stride, int) else m.stride[0]
        return f"{k}x{k}/{s}"
    return ""


_GLOBAL_POOLS = (
    "AdaptiveAvgPool2d",
    "AdaptiveMaxPool2d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool2d",
    "AvgPool2d",
    "MaxPool2d",
    "mean",
    "avg_pool2d",
)


def _assign_stages(rows: list[dict], block_shape: dict[str, tuple]) -> dict[str, str]:
    """Stages = runs of blocks at one feature-map resolution (the ResNet paper's conv2_x, conv3_x, ...);
    everything from the global pooling on is the head. Decided per block output, so ops inside a
    block (squeeze-excite's 1x1 pooling, ConvNeXt's channels-last permutes) don't split it."""
    block_order: list[str] = []
    block_types: dict[str, set] = {}
    for row in rows:
        if row["block"] not in block_types:
            block_order.append(row["block"])
        block_types.setdefault(row["block"], set()).add(row["type"])
    keys = []
    for b in block_order:
        shape = block_shape[b]
        pooled_away = block_types[b] <= set(_GLOBAL_POOLS) and len(shape) == 3 and shape[1:] == (1, 1)
        keys.append("head" if len(shape) != 3 or pooled_away or "head" in keys else shape[1:])
    # A pooling block right before the head (VGG's 7x7 adaptive pool) belongs to the head too.
    for i in range(len(keys) - 2, -1, -1):
        if keys[i + 1] == "head" and block_types[block_order[i]] <= set(_GLOBAL_POOLS):
            keys[i] = "head"
    resolution, stage_of, previous, count = {}, {}, object(), 0
    for block, key in zip(block_order, keys):
        if key != previous:
            if key != "head":
                count += 1
            name = "head" if key == "head" else f"stage{count}"
            if key != "head":
                resolution[name] = f"{key[0]}x{key[1]}"
            previous = key
        stage_of[block] = name
    for row in rows:
        row["stage"] = stage_of[row["block"]]
    return resolution


def _check_input(input_size) -> tuple[int, int, int]:
    try:
        values = tuple(input_size)
    except TypeError:
        raise UserError(f"input size must be C,H,W; got {input_size!r}") from None
    if len(values) != 3:
        raise UserError(f"input size must have three numbers C,H,W; got {len(values)}")
    if not all(
        isinstance(v, int) and not isinstance(v, bool) or (isinstance(v, float) and v.is_integer()) for v in values
    ):
        raise UserError(f"input size must be whole numbers; got {','.join(map(str, values))}")
    c, h, w = (int(v) for v in values)
    if min(c, h, w) <= 0:
        raise UserError(f"input size must be positive; got {c},{h},{w}")
    if max(h, w) > MAX_SIDE:
        raise UserError(f"input size {h}x{w} is too large; the limit is {MAX_SIDE} pixels a side")
    return c, h, w


def _smallest_square(structure: Structure, channels: int, upper: int) -> int | None:
    """Binary search for the smallest square input the net accepts (propagation is cheap)."""

    def fits(side):
        try:
            _propagate(structure, (1, channels, side, side))
            return True
        except (InputTooSmall, UserError):
            return False

    high = max(upper, 1)
    while not fits(high):
        high *= 2
        if high > MAX_SIDE:
            return None
    low = 1
    while low < high:
        mid = (low + high) // 2
        low, high = (low, mid) if fits(mid) else (mid + 1, high)
    return low


def profile(arch: str | nn.Module, input_size=None, **options) -> Profile:
    """The per-layer table of a zoo architecture (by name) or of any nn.Module.

    `input_size` is (C, H, W); by default the architecture's own. Bad input raises UserError.
    """
    if isinstance(arch, nn.Module):
        if options:
            raise UserError("options only apply to zoo names")
        structure, name = capture(arch), type(arch).__name__
        input_size = input_size or (structure.in_channels or 3, 224, 224)
    else:
        meta = zoo.get(arch)
        structure = _named_structure(arch, tuple(sorted(options.items())))
        name = arch
        if input_size is None:
            input_size = (options.get("in_channels", meta.input_size[0]),) + meta.input_size[1:]
    c, h, w = _check_input(input_size)
    if structure.in_channels is not None and c != structure.in_channels:
        raise UserError(f"{name} takes {structure.in_channels} input channels, not {c}")
    try:
        values, macs = _propagate(structure, (1, c, h, w))
    except InputTooSmall:
        smallest = _smallest_square(structure, c, max(h, w))
        hint = f"the smallest square input it accepts is {smallest}x{smallest}" if smallest else "no input size works"
        raise UserError(
            f"{name} cannot take a {h}x{w} input: its feature maps would shrink to a single pixel (or nothing) "
            f"before its last downsampling; {hint}"
        ) from None

    names = {i: s.name for i, s in enumerate(structure.steps)}
    names[0] = "input"
    rows: list[dict] = []
    block_output: dict[str, tuple] = {}  # last tensor shape seen in each block, plumbing included
    forward: dict[int, tuple[str, ...]] = {0: ("input",)}  # a plumbing step passes its producers through
    for i, step in enumerate(structure.steps):
        if step.kind in ("placeholder", "output"):
            continue
        producers = tuple(dict.fromkeys(p for r in _refs(step.args) + _refs(step.kwargs) for p in forward.get(r, ())))
        value = values[i]
        if isinstance(value, _T):
            block_output[step.block] = value.shape[1:]
        if not (step.is_row and isinstance(value, _T)) and step.kind != "get_attr":
            forward[i] = producers
            continue
        if step.kind == "get_attr":
            forward[i] = ()
            continue
        if step.type in _TRANSPARENT:
            forward[i] = producers
            continue
        forward[i] = (step.name,)
        rows.append(
            {
                "name": step.name,
                "type": step.type,
                "block": step.block,
                "module": step.module_path,
                "inputs": producers,
                "output_shape": value.shape[1:],
                "params": step.params,
                "macs": macs[i],
                "activations": value.numel(),
                "detail": _detail(step, None),
            }
        )
    _attach_attr_params(structure, rows)
    resolution = _assign_stages(rows, block_output)
    layers = [Layer(**row) for row in rows]
    return Profile(name, (c, h, w), layers, structure.total_params, resolution)


def _attach_attr_params(structure: Structure, rows: list[dict]) -> None:
    """Parameters used directly by functions (e.g. ConvNeXt's layer scale) belong to the row using them."""
    row_of = {r["name"]: r for r in rows}
    attached: set[int] = set()
    for step in structure.steps:
        if step.kind in ("call_function", "call_method") and step.name in row_of:
            for ref in _refs(step.args) + _refs(step.kwargs):
                src = structure.steps[ref]
                if src.kind == "get_attr" and src.params and ref not in attached:
                    row_of[step.name]["params"] += src.params
                    attached.add(ref)


def _refs(value) -> list[int]:
    if isinstance(value, _Ref):
        return [value.index]
    if isinstance(value, (tuple, list)):
        return [i for v in value for i in _refs(v)]
    if isinstance(value, dict):
        return [i for v in value.values() for i in _refs(v)]
    if isinstance(value, slice):
        return _refs((value.start, value.stop, value.step))
    return []
