"""Block graph of an architecture as Graphviz DOT, at three levels: stage, block, layer.

Everything comes from the per-layer table of `core.anatomy.profile` (its rows and their dataflow `inputs`);
nothing is traced or counted a second time. The picture follows the ResNet paper's VGG-19 / plain-34 /
ResNet-34 figure: top to bottom, BatchNorm and activations folded into the layer they follow, output
shapes on the edges, skip connections drawn beside the residual branch — solid for identity,
dashed where the shortcut projects (1x1 conv) or downsamples (option A: slicing + zero-padding).

    result = profile("resnet34")
    dot = to_dot(result, "block")    # DOT text, e.g. for st.graphviz_chart
    svg = to_svg(dot)                # needs Graphviz's `dot` program

Skip edges carry `class="skip identity"` or `class="skip projection"` (kept in the SVG), so tests
and pages can count them.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field

from core.anatomy.profile import Layer, Profile
from core.errors import UserError
from core.units import human

LEVELS = ("stage", "block", "layer")
MERGES = {"add", "add_", "iadd", "cat", "concat", "stack", "mul", "mul_", "imul", "sum"}
ADDS = {"add", "add_", "iadd"}
CATS = {"cat", "concat", "stack"}
RESHAPES = {"Flatten", "flatten", "view", "reshape", "squeeze", "unsqueeze", "contiguous"}

# Family colours (fill, border): convolutions blue, depthwise-separable green, pooling orange,
# fully connected purple, merges grey. Light fills keep black text readable on a projector.
COLOURS = {
    "conv": ("#dbe9fb", "#2f5f9e"),
    "dw": ("#d6f0df", "#2b7a4b"),
    "pool": ("#fde3c0", "#b86e12"),
    "fc": ("#e8dcf6", "#6a3fa0"),
    "merge": ("#eeeeee", "#444444"),
    "other": ("#ffffff", "#777777"),
    "input": ("#ffffff", "#222222"),
    "repeat": ("#f4f4f4", "#777777"),
}
SKIP_COLOUR = "#222222"
BLOCK_CLASS = "block="  # + the block's name, on every node of the block and layer levels
EDGE_COLOUR = "#666666"


# --------------------------------------------------------------------------------------------------
# Reading the table
# --------------------------------------------------------------------------------------------------
def kind(row: Layer) -> str:
    """conv | dw (depthwise) | pool | fc | merge | other."""
    t = row.type
    if "Conv" in t or t.startswith("conv"):
        return "dw" if "depthwise" in row.detail else "conv"
    if "Linear" in t or t == "linear":
        return "fc"
    if "pool" in t.lower() or t == "mean":
        return "pool"
    if t in MERGES and len(row.inputs) >= 2:
        return "merge"
    return "other"


def _weighted(row: Layer) -> bool:
    return kind(row) in ("conv", "dw", "fc")


def fmt_shape(shape) -> str:
    return "×".join(map(str, shape))


_CONV = re.compile(r"^(\d+(?:x\d+)*)(?:/(\d+))?, (\d+)->(\d+)(.*)$")


def row_text(row: Layer, pointwise: bool = False) -> str:
    """The paper's way of naming a layer: '3x3 conv, 128, /2', 'max pool 3x3, /2', 'fc 1000'."""
    k = kind(row)
    if k in ("conv", "dw"):
        m = _CONV.match(row.detail)
        if not m:
            return row.type
        size, stride, _, out, rest = m.groups()
        name = "dw conv" if k == "dw" else ("pw conv" if pointwise else "conv")
        groups = re.search(r"groups (\d+)", rest)
        text = f"{size} {name}" + ("" if k == "dw" else f", {out}") + (f", g{groups[1]}" if groups else "")
        return text + (f", /{stride}" if stride else "")
    if k == "fc":
        return f"fc {row.output_shape[-1]}"
    if k == "pool":
        op = "max pool" if "max" in row.type.lower() else "avg pool"
        if "adaptive" in row.type.lower() or row.type == "mean":
            return (
                f"global {op}" if row.output_shape[1:] in ((1, 1), ()) else f"{op} → {fmt_shape(row.output_shape[1:])}"
            )
        m = re.match(r"(\d+)x\d+/(\d+)", row.detail)
        if m:
            return f"{op} {m[1]}x{m[1]}" + (f", /{m[2]}" if m[2] != "1" else "")
        return op
    if k == "merge":
        return {"cat": "concat", "concat": "concat", "stack": "stack", "sum": "sum"}.get(
            row.type, "×" if "mul" in row.type else "+"
        )
    return {"getitem": "subsample", "pad": "zero-pad"}.get(row.type, row.type)


def _residual_units(rows: list[Layer]) -> dict[str, str]:
    """Row -> block, split finer where the table's block holds several residual units (timm's ResNet
    stages group a whole stage as one block): each add's enclosing module becomes a block of its own."""
    adds: dict[str, set] = {}
    for r in rows:
        if r.type in ADDS and len(r.inputs) == 2 and r.module.startswith(r.block + "."):
            adds.setdefault(r.block, set()).add(r.module)
    block_of = {}
    for r in rows:
        units = [u for u in adds.get(r.block, ()) if r.module == u or r.module.startswith(u + ".")]
        block_of[r.name] = max(units, key=len) if units else r.block
    return block_of


@dataclass
class _Table:
    """The rows with the lookups every level needs."""

    result: Profile
    rows: list[Layer]
    by_name: dict[str, Layer] = field(default_factory=dict)
    folded: set = field(default_factory=set)  # names of BN/activation/identity/reshape rows
    pointwise: set = field(default_factory=set)  # 1x1 convs right after a depthwise conv
    block_of: dict[str, str] = field(default_factory=dict)
    consumers: Counter = field(default_factory=Counter)  # row -> how many rows read it

    def __post_init__(self):
        self.by_name = {r.name: r for r in self.rows}
        self.block_of = _residual_units(self.rows)
        self.consumers = Counter(i for r in self.rows for i in r.inputs)
        for r in self.rows:
            if self._foldable(r):
                self.folded.add(r.name)
        for r in self.rows:
            if kind(r) == "conv" and r.detail.startswith("1x1,") and len(r.inputs) == 1:
                src = self.unfold(r.inputs[0])
                if src in self.by_name and kind(self.by_name[src]) == "dw":
                    self.pointwise.add(r.name)

    def shape(self, name: str) -> tuple:
        return self.result.input_size if name == "input" else self.by_name[name].output_shape

    def _foldable(self, row: Layer) -> bool:
        """One input, no multiplies, shape kept (or only flattened): BN, ReLU, Identity, dropout..."""
        if len(row.inputs) != 1 or row.macs or kind(row) != "other":
            return False
        return row.type in RESHAPES or row.output_shape == self.shape(row.inputs[0])

    def unfold(self, name: str) -> str:
        """The row a folded row stands for (its nearest kept producer), or 'input'."""
        while name in self.folded:
            name = self.by_name[name].inputs[0]
        return name

    def text(self, row: Layer) -> str:
        return row_text(row, row.name in self.pointwise)


# --------------------------------------------------------------------------------------------------
# Blocks and shortcuts
# --------------------------------------------------------------------------------------------------
@dataclass
class _Shortcut:
    add: str  # the merge row
    source: str  # the shortcut's input row (or 'input'); an edge from its node
    chain: list[str]  # rows on the shortcut path inside the block (projection conv, slicing, pad)
    projection: bool  # anything but identity on the path

    def describe(self, table: _Table) -> str:
        kept = [table.by_name[n] for n in self.chain if n not in table.folded]
        return (", " if any(_weighted(r) for r in kept) else " + ").join(table.text(r) for r in kept)


@dataclass
class _Block:
    name: str
    stage: str
    rows: list[Layer]
    shortcut: _Shortcut | None = None

    @property
    def macs(self) -> int:
        return sum(r.macs for r in self.rows)

    @property
    def params(self) -> int:
        return sum(r.params for r in self.rows)


def block_rows(result: Profile) -> dict[str, list[Layer]]:
    """The rows of each block as the graph draws it (block name -> rows, in order); a node of the
    block and layer levels carries its block's name as the SVG class `BLOCK_CLASS + name`."""
    return {b.name: b.rows for b in _blocks(_Table(result, list(result.layers)))}


def _blocks(table: _Table) -> list[_Block]:
    blocks: dict[str, _Block] = {}
    for r in table.rows:
        name = table.block_of[r.name]
        blocks.setdefault(name, _Block(name, r.stage, [])).rows.append(r)
    for b in blocks.values():
        b.shortcut = _find_shortcut(table, b)
    return list(blocks.values())


def _find_shortcut(table: _Table, block: _Block) -> _Shortcut | None:
    """A residual add: of its two inputs, the one with fewer weighted layers (then fewer layers) since
    the block's entry is the shortcut. Identity if nothing but folded rows lies on it."""
    inside = {r.name for r in block.rows}
    cost: dict[str, tuple[int, int]] = {}
    for r in block.rows:
        before = [cost[i] for i in r.inputs if i in cost]
        weighted = max((c[0] for c in before), default=0) + _weighted(r)
        steps = max((c[1] for c in before), default=0) + (r.name not in table.folded)
        cost[r.name] = (weighted, steps)
    for r in reversed(block.rows):
        if r.type not in ADDS or len(r.inputs) != 2:
            continue
        costs = [cost.get(i, (0, 0)) for i in r.inputs]
        if costs[0] == costs[1]:
            continue
        source = r.inputs[costs.index(min(costs))]
        chain = []  # back to where the shortcut splits off (a pre-activation block splits after its BN-ReLU)
        while source in inside and len(table.by_name[source].inputs) == 1 and table.consumers[source] == 1:
            chain.insert(0, source)
            source = table.by_name[source].inputs[0]
        if source in inside and table.consumers[source] < 2:  # a merge inside the block: not a simple shortcut
            continue
        projection = any(n not in table.folded for n in chain)
        return _Shortcut(r.name, source, chain, projection)
    return None


def _signature(table: _Table, block: _Block) -> tuple:
    """What makes two blocks 'the same' for collapsing runs: their layers and shortcut kind."""
    texts = tuple(table.text(r) for r in block.rows if r.name not in table.folded)
    return texts, block.stage, block.shortcut is not None and block.shortcut.projection


def _runs(table: _Table, blocks: list[_Block], collapse: int) -> dict[str, str]:
    """Blocks hidden inside a collapsed run -> the run's node key. Runs of more than `collapse`
    identical blocks keep their first two and last block and fold the middle into one node."""
    hidden: dict[str, str] = {}
    if not collapse:
        return hidden
    i = 0
    while i < len(blocks):
        sig = _signature(table, blocks[i])
        j = i
        while j + 1 < len(blocks) and _signature(table, blocks[j + 1]) == sig:
            j += 1
        if j - i + 1 > collapse and sig[0]:
            middle = blocks[i + 2 : j]
            for b in middle:
                hidden[b.name] = f"run:{middle[0].name}"
        i = j + 1
    return hidden


# --------------------------------------------------------------------------------------------------
# The drawing: nodes, edges, clusters -> DOT
# --------------------------------------------------------------------------------------------------
@dataclass
class _Drawing:
    nodes: dict[str, dict] = field(default_factory=dict)  # key -> attributes (label, kind, ...)
    edges: dict[tuple, dict] = field(default_factory=dict)  # (src key, dst key) -> attributes
    clusters: dict[str, dict] = field(default_factory=dict)  # cluster name -> {"label", "nodes"}
    node_of: dict[str, str | None] = field(default_factory=dict)  # row name -> node key

    def node(self, key: str, label: str, kind_: str, tooltip: str = "", shape: str = "box", cluster: str | None = None):
        if key not in self.nodes:
            self.nodes[key] = {"label": label, "kind": kind_, "tooltip": tooltip, "shape": shape}
            if cluster:
                self.clusters[cluster]["nodes"].append(key)

    def edge(self, src: str, dst: str, label: str = "", **attrs):
        if src is None or dst is None or src == dst:
            return
        self.edges.setdefault((src, dst), {"label": label, **attrs})


def _html(lines: list[str], title: str | None = None, small: str | None = None, fontsize: int = 16) -> str:
    parts = [f"<b>{html.escape(title)}</b>"] if title else []
    parts += [html.escape(line) for line in lines]
    if small:
        parts.append(f'<font point-size="{max(fontsize - 3, 8)}">{html.escape(small)}</font>')
    return "<" + "<br/>".join(parts) + ">"


def _cost(macs: int, params: int) -> str | None:
    if not macs and not params:
        return None
    return f"{human(macs)} MACs · {human(params)} params"


def _compress(lines: list[str]) -> list[str]:
    """Exact repeats shown once with a count: DenseNet's [1x1 conv, 128 / 3x3 conv, 32] x 6."""
    n = len(lines)
    for period in range(1, n // 2 + 1):
        if n % period == 0 and lines == lines[:period] * (n // period):
            return [f"[{' / '.join(lines[:period])}] × {n // period}"] if period > 1 else [f"{lines[0]} × {n}"]
    return lines


def _block_kind(table: _Table, rows: list[Layer]) -> str:
    kinds = [kind(r) for r in rows if r.name not in table.folded]
    if any(k == "dw" for k in kinds) or any(r.name in table.pointwise for r in rows):
        return "dw"
    for k in ("conv", "fc", "pool"):
        if k in kinds:
            return k
    return kinds[0] if kinds else "other"


def _input_node(d: _Drawing, table: _Table):
    d.node("input", f"<<b>input</b><br/>{fmt_shape(table.result.input_size)}>", "input", shape="oval")
    d.node_of["input"] = "input"


def _draw_stage(table: _Table, d: _Drawing, fontsize: int):
    _input_node(d, table)
    stages: dict[str, list[Layer]] = {}
    for r in table.rows:
        stages.setdefault(r.stage, []).append(r)
    blocks = _blocks(table)
    for stage, rows in stages.items():
        names = {table.block_of[r.name] for r in rows}
        stage_blocks = [b for b in blocks if b.name in names]
        kept = [r for r in rows if r.name not in table.folded]
        shortcuts = [b.shortcut for b in stage_blocks if b.shortcut is not None]
        on_shortcuts = {n for sc in shortcuts for n in sc.chain}
        weighted = sum(_weighted(r) for r in rows if r.name not in on_shortcuts)
        projections = sum(_weighted(r) for r in rows if r.name in on_shortcuts)
        lines = []
        if stage == "head":
            lines.append(" → ".join(dict.fromkeys(table.text(r) for r in kept)))
        else:
            text = f"{weighted} layer{'s' * (weighted != 1)}"
            if shortcuts:
                text += f", {len(shortcuts)} residual block{'s' * (len(shortcuts) != 1)}"
            lines.append(text)
            if projections:
                lines.append(f"+ {projections} projection shortcut{'s' * (projections != 1)}")
        lines.append(f"out {fmt_shape(rows[-1].output_shape)}")
        res = table.result.stage_resolution.get(stage)
        title = f"{stage} · {res.replace('x', '×')}" if res else stage
        d.node(
            stage,
            _html(lines, title, _cost(sum(r.macs for r in rows), sum(r.params for r in rows)), fontsize),
            _block_kind(table, rows),
            tooltip=", ".join(b.name for b in stage_blocks),
        )
        for r in rows:
            d.node_of[r.name] = stage
    for r in table.rows:
        for i in r.inputs:
            d.edge(d.node_of[i], d.node_of[r.name], fmt_shape(table.shape(i)))


def _branches(table: _Table, body: list[Layer]):
    """Inception-style parallel branches: the last concat inside the body whose inputs have disjoint
    ancestries. -> (concat row, [branch rows...], tail rows after the concat) or None."""
    inside = {r.name: r for r in body}
    ancestors: dict[str, set] = {}
    for r in body:
        ancestors[r.name] = {r.name}.union(*(ancestors[i] for i in r.inputs if i in ancestors))
    for cat in reversed(body):
        if cat.type not in CATS or len(cat.inputs) < 2:
            continue
        sets = [ancestors[i] for i in cat.inputs if i in inside]
        if len(sets) < 2 or sum(map(len, sets)) != len(set().union(*sets)):
            continue
        position = body.index(cat)
        tail = body[position + 1 :]
        branches = [[r for r in body if r.name in s] for s in sets]
        return cat, branches, tail
    return None


def _branch_lines(table: _Table, rows: list[Layer]) -> list[str]:
    """A branch's layers top to bottom; layers side by side in it (Inception v3's 1x3 | 3x1) share a line."""
    depth: dict[str, int] = {}
    lines: dict[int, list[str]] = {}
    for r in rows:
        d = max((depth[i] for i in r.inputs if i in depth), default=0)
        if r.name not in table.folded and not (kind(r) == "merge" and r.type in CATS):
            d += 1
            lines.setdefault(d, []).append(table.text(r))
        depth[r.name] = d
    return _compress([" | ".join(texts) for _, texts in sorted(lines.items())])


def _draw_blocks(table: _Table, d: _Drawing, level: str, collapse: int, fontsize: int):
    _input_node(d, table)
    blocks = _blocks(table)
    hidden = _runs(table, blocks, collapse)
    run_rows: dict[str, list[_Block]] = {}
    for b in blocks:
        if b.name in hidden:
            run_rows.setdefault(hidden[b.name], []).append(b)
    special: dict[tuple, dict] = {}  # (row, input row) -> the shortcut edge drawn for that input
    for b in blocks:
        if b.name in hidden:
            key = hidden[b.name]
            run = run_rows[key]
            if b is run[0]:
                lines = [" / ".join(_lines(table, b.rows))]
                d.node(
                    key,
                    _html(
                        lines,
                        f"⋮ {len(run)} more blocks like this",
                        _cost(sum(x.macs for x in run), sum(x.params for x in run)),
                        fontsize,
                    ),
                    "repeat",
                    tooltip=", ".join(x.name for x in run),
                )
            for r in b.rows:
                d.node_of[r.name] = key
            continue
        _draw_block(table, d, b, level, special, fontsize)
    # Edges follow the dataflow between the drawn nodes; folded rows stand for their producer.
    running = _running_concats(table.rows)
    for r in table.rows:
        dst = d.node_of.get(r.name)
        for i in running.get(r.name, r.inputs):
            attrs = special.get((r.name, i))
            if attrs is not None:
                d.edge(d.node_of[attrs["source"]], dst, **{k: v for k, v in attrs.items() if k != "source"})
            elif d.node_of.get(i) is not None:
                d.edge(d.node_of[i], dst, fmt_shape(table.shape(i)))


def _running_concats(rows: list[Layer]) -> dict[str, tuple[str, ...]]:
    """DenseNet concatenates every earlier output in each layer: n^2 edges, too many for Graphviz in a
    201-layer net. A concat whose inputs include all of an earlier concat's is drawn as that concat
    plus the new inputs (the same tensor, since concatenation is associative): n edges."""
    inputs: dict[str, tuple[str, ...]] = {}
    earlier: list[Layer] = []
    for r in rows:
        if r.type not in CATS or len(r.inputs) < 2:
            continue
        mine = set(r.inputs)
        for prev in reversed(earlier):
            if prev.block == r.block and set(prev.inputs) < mine:
                inputs[r.name] = (prev.name,) + tuple(i for i in r.inputs if i not in prev.inputs)
                break
        earlier.append(r)
    return inputs


def _lines(table: _Table, rows: list[Layer]) -> list[str]:
    """One line per kept layer; a depthwise conv and the pointwise 1x1 after it share a line."""
    lines: list[str] = []
    for r in rows:
        if r.name in table.folded:
            continue
        text = table.text(r)
        if r.name in table.pointwise and lines and " dw conv" in lines[-1]:  # '3x3 dw conv[, /2]'
            kernel, _, rest = lines[-1].partition(" dw conv")
            lines[-1] = f"{kernel} dw + 1x1 pw, {text.split(', ', 1)[1]}{rest}"
            continue
        lines.append(text)
    return _compress(lines)


def _draw_block(table: _Table, d: _Drawing, b: _Block, level: str, special: dict, fontsize: int):
    sc = b.shortcut
    chain = set(sc.chain) if sc else set()
    collapse_chain = sc is not None and (
        level == "block" or not any(_weighted(table.by_name[n]) or kind(table.by_name[n]) == "pool" for n in chain)
    )
    kept = [r for r in b.rows if r.name not in table.folded]
    cluster = None
    if len(kept) > 1:
        cluster = f"cluster_{b.name}"
        # Layer level: just the name, short enough to sit left of the edges; the cost is in the tooltip.
        d.clusters[cluster] = {
            "label": b.name if level == "layer" else "",
            "nodes": [],
            "cost": "",
            "tooltip": f"{b.name}: {_cost(b.macs, b.params) or 'no weights'}",
        }
    if sc is not None:  # the add node: a small circle, as in the paper
        add = table.by_name[sc.add]
        d.node(
            sc.add,
            "+" if add.type in ADDS else table.text(add),
            "merge",
            shape="circle",
            cluster=cluster,
            tooltip=f"{sc.add}: {fmt_shape(add.output_shape)}",
        )
        d.node_of[sc.add] = sc.add
        style = {
            "class": f"skip {'projection' if sc.projection else 'identity'}",
            "color": SKIP_COLOUR,
            "penwidth": "2",
            "weight": "0",
        }
        if sc.projection:
            style["style"] = "dashed"
        if collapse_chain:
            for n in sc.chain:
                d.node_of[n] = None
            label = sc.describe(table) if sc.projection else ""
            style["label"] = f"{label}, {fmt_shape(table.shape(sc.chain[-1]))}" if label else ""
            target_input = sc.chain[-1] if sc.chain else sc.source
            special[(sc.add, target_input)] = {"source": sc.source, **style}
        else:  # layer level with a projection conv: its nodes stay, the path into the add is dashed
            special[(sc.add, sc.chain[-1])] = {
                "source": sc.chain[-1],
                "label": fmt_shape(table.shape(sc.chain[-1])),
                **style,
            }
            first = table.by_name[next(n for n in sc.chain if n not in table.folded)]
            special[(first.name, first.inputs[0])] = {
                "source": first.inputs[0],
                "label": fmt_shape(table.shape(sc.source)),
                "style": "dashed",
                "class": "shortcut",
                "color": SKIP_COLOUR,
                "weight": "0",
            }
    after_add = False
    body = []
    for r in b.rows:
        if sc is not None and r.name == sc.add:
            after_add = True
            continue
        if sc is not None and (r.name in chain and collapse_chain):
            continue
        if after_add and r.name in table.folded:
            d.node_of[r.name] = sc.add  # the ReLU after the add
            continue
        body.append(r)
    if level == "layer":
        for r in body:
            if r.name in table.folded:
                d.node_of[r.name] = d.node_of.get(r.inputs[0])  # its producer's node
                continue
            dashed = r.name in chain
            label = _html([table.text(r)], fontsize=fontsize)
            d.node(
                r.name,
                label,
                _block_kind(table, [r]),
                shape="circle" if kind(r) == "merge" and r.type not in CATS else "box",
                tooltip=f"{r.name} ({r.type} {r.detail}) → {fmt_shape(r.output_shape)}; "
                f"{human(r.macs)} MACs, {human(r.params)} params",
                cluster=cluster,
            )
            if dashed:
                d.nodes[r.name]["dashed"] = True
            d.node_of[r.name] = r.name
        return
    # Block level: one node for the body, or one per parallel branch plus the concat.
    body_kept = [r for r in body if r.name not in table.folded]
    if not body_kept:  # a block of BN/ReLU only (torchvision's VGG and ResNet stems): folds away
        for r in body:
            d.node_of[r.name] = d.node_of.get(r.inputs[0])  # its producer's node
        return
    cost = _cost(b.macs, b.params)
    split = _branches(table, body)
    if split is None:
        lines = _lines(table, body_kept)
        single = len(body_kept) == 1 and sc is None
        title = None if single else b.name
        d.node(
            b.name, _html(lines, title, cost, fontsize), _block_kind(table, body_kept), cluster=cluster, tooltip=b.name
        )
        _assign(table, d, body, b.name)
        return
    cat, branches, tail = split
    d.clusters[cluster]["label"] = b.name
    d.clusters[cluster]["cost"] = cost
    for n, rows in enumerate(branches):
        key = f"{b.name}#branch{n}"
        d.node(
            key,
            _html(_branch_lines(table, rows), fontsize=fontsize),
            _block_kind(table, rows),
            cluster=cluster,
            tooltip=f"{b.name} branch {n + 1}: " + ", ".join(r.name for r in rows),
        )
        _assign(table, d, rows, key)
    d.node(cat.name, "concat", "merge", cluster=cluster, tooltip=cat.name)
    d.node_of[cat.name] = cat.name
    tail_kept = [r for r in tail if r.name not in table.folded]
    for r in tail:
        d.node_of[r.name] = f"{b.name}#tail" if tail_kept else cat.name
    if tail_kept:
        d.node(
            f"{b.name}#tail",
            _html(_lines(table, tail_kept), fontsize=fontsize),
            _block_kind(table, tail_kept),
            cluster=cluster,
            tooltip=", ".join(r.name for r in tail),
        )
    grouped = {r.name for rows in branches for r in rows} | {cat.name} | {r.name for r in tail}
    for r in body:  # anything else in the body (rare) folds into the concat
        if r.name not in grouped:
            d.node_of[r.name] = cat.name


def _assign(table: _Table, d: _Drawing, rows: list[Layer], key: str):
    """Rows drawn as node `key`, except folded rows reading from outside it (a pre-activation block's
    leading BN-ReLU, which the shortcut also reads): they stay with their producer's node."""
    mine = {r.name for r in rows if r.name not in table.folded}
    for r in rows:
        outside = r.name in table.folded and r.inputs[0] not in mine and d.node_of.get(r.inputs[0])
        d.node_of[r.name] = d.node_of[r.inputs[0]] if outside else key
        if not outside:
            mine.add(r.name)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _render(d: _Drawing, title: str, fontsize: int, rankdir: str, name: str) -> str:
    ids = {key: f"n{i}" for i, key in enumerate(d.nodes)}
    out = [
        f"digraph {_quote(name)} {{",
        f'  graph [rankdir={rankdir}, fontname="Helvetica", fontsize={fontsize + 2}, labelloc=t, '
        f"label={_quote(title)}, nodesep=0.3, ranksep=0.35, newrank=true];",
        f'  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize={fontsize}, '
        f'margin="0.18,0.06", penwidth=1.4];',
        f'  edge [fontname="Helvetica", fontsize={max(fontsize - 4, 8)}, color="{EDGE_COLOUR}", '
        f'fontcolor="#444444", arrowsize=0.8, penwidth=1.3];',
    ]

    def node_line(key: str) -> str:
        a = d.nodes[key]
        fill, border = COLOURS[a["kind"]]
        label = a["label"] if a["label"].startswith("<") else _quote(a["label"])
        style = "filled" if a["shape"] in ("circle", "oval") else "rounded,filled"
        if a.get("dashed"):
            style += ",dashed"
        extra = ', width=0.35, fixedsize=false, margin="0.02"' if a["shape"] == "circle" else ""
        if a.get("block"):  # kept in the SVG: a page finds the block a clicked node belongs to
            extra += f", class={_quote(BLOCK_CLASS + a['block'])}"
        return (
            f'  {ids[key]} [label={label}, shape={a["shape"]}, style="{style}", fillcolor="{fill}", '
            f'color="{border}", tooltip={_quote(a["tooltip"] or key)}{extra}];'
        )

    clusters = {name: c for name, c in d.clusters.items() if len(c["nodes"]) > 1}  # a box around one node adds nothing
    in_cluster = {k for c in clusters.values() for k in c["nodes"]}
    for key in d.nodes:
        if key not in in_cluster:
            out.append(node_line(key))
    for name, c in clusters.items():
        label = _html([], c["label"], c.get("cost") or None, fontsize - 2) if c["label"] else '""'
        out.append(f"  subgraph {_quote(name)} {{")
        out.append(
            f'    graph [label={label}, style="rounded,filled", fillcolor="#f8f9fb", color="#c8ccd4", '
            f"fontsize={fontsize - 2}, labeljust=l, margin=10, tooltip={_quote(c['tooltip'])}];"
        )
        out += ["  " + node_line(k) for k in c["nodes"]]
        out.append("  }")
    labelled = set()  # a fan-out carries its shape once (Inception's four branches share one input)
    for (src, dst), attrs in d.edges.items():
        if attrs.get("label") and "skip" not in attrs.get("class", ""):
            if (src, attrs["label"]) in labelled:
                attrs = {**attrs, "label": ""}
            labelled.add((src, attrs["label"]))
        parts = [f"{k}={_quote(str(v))}" for k, v in attrs.items() if v != ""]
        out.append(f"  {ids[src]} -> {ids[dst]}" + (f" [{', '.join(parts)}]" if parts else "") + ";")
    out.append("}")
    return "\n".join(out) + "\n"


def to_dot(
    result: Profile,
    level: str = "block",
    *,
    fontsize: int = 16,
    rankdir: str = "TB",
    collapse: int = 12,
    title: bool = True,
) -> str:
    """DOT text of `result` (from `core.anatomy.profile.profile`) at level 'stage', 'block' or 'layer'.

    fontsize: node text in points (edges a little smaller). rankdir: 'TB' (top to bottom) or 'LR'.
    collapse: runs of more identical blocks than this keep their first two and last block and draw
    the middle as one node (ResNet-152's 36 blocks, CIFAR ResNet-1202's 200); 0 draws every block.
    title: a first line with the net, input, MACs, params and depth (off for narrow side-by-side columns).
    """
    if level not in LEVELS:
        raise UserError(f"graph level must be one of {', '.join(LEVELS)}; got {level!r}")
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise UserError(f"rankdir must be TB, LR, BT or RL; got {rankdir!r}")
    if not isinstance(collapse, int) or collapse < 0:
        raise UserError(f"collapse must be a whole number of blocks (0 = never); got {collapse!r}")
    table = _Table(result, list(result.layers))
    drawing = _Drawing()
    if level == "stage":
        _draw_stage(table, drawing, fontsize)
    else:
        _draw_blocks(table, drawing, level, collapse, fontsize)
        names = {b.name for b in _blocks(table)}
        for key, attrs in drawing.nodes.items():  # a node drawn for a block, its tail, a branch or a row
            owner = key.split("#")[0]
            block = owner if owner in names else table.block_of.get(key)
            if block:
                attrs["block"] = block
    c, h, w = result.input_size
    heading = (
        f"{result.arch} · {c}×{h}×{w} · {human(result.total_macs)} MACs · "
        f"{human(result.total_params)} params · depth {result.depth}"
    )
    return _render(drawing, heading if title else "", fontsize, rankdir, result.arch)


def to_svg(dot: str, timeout: float = 60) -> str:
    """Render DOT text to SVG with Graphviz's `dot` program."""
    exe = shutil.which("dot")
    if exe is None:
        raise UserError(
            "SVG export needs Graphviz's `dot` program, which is not installed "
            "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz)"
        )
    try:
        done = subprocess.run([exe, "-Tsvg"], input=dot, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise UserError(
            f"Graphviz took longer than {timeout:.0f} s to lay out this graph; try the block or stage level"
        ) from None
    if done.returncode != 0:
        raise UserError(
            f"Graphviz could not render the graph: {done.stderr.strip().splitlines()[0] if done.stderr.strip() else 'unknown error'}"
        )
    return done.stdout


def skip_counts(dot: str) -> Counter:
    """Skip edges in DOT text by kind: Counter({'identity': 13, 'projection': 3})."""
    return Counter(re.findall(r'class="skip (identity|projection)"', dot))
