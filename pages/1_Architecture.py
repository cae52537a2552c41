"""Architecture: one net from the zoo, any timm CNN, or an uploaded ONNX file — block graph, headline
figures, per-layer and per-stage costs."""

import hashlib

import streamlit as st

from core.anatomy import compare, graph
from core.anatomy.onnx_file import MAX_BYTES
from core.anatomy.profile import WEIGHTED
from core.errors import UserError
from core.models import zoo
from core.units import human
from ui import cached, graphs, trained
from ui.figures import show
from ui.page import setup, show_user_error

setup("Architecture", "🏛️")
st.title("🏛️ Architecture")

DEFAULT_ARCH = "resnet34"
DEFAULT_TIMM = "timm:resnet50d"
ALL = "all families"
MAX_SIDE = 8192  # px: the URL may ask for anything; counting is closed-form, so this is generous
TIMM = "timm: every CNN (search)"
groups = cached.names_by_family()
all_names = [name for names in groups.values() for name in names]  # ordered by family
if "family" not in st.session_state and str(st.query_params.get("arch", "")).startswith(zoo.TIMM_PREFIX):
    st.session_state.family = TIMM  # a link to a timm net opens with timm's list


def open_arch(name: str) -> None:
    st.session_state.family = ALL  # the twin may be of another family (plain34 vs resnet34)
    st.session_state.arch = name


# --- controls (bound to the URL so a link reproduces the view) ----------------------------------
top = st.columns([1.4, 2, 1, 1, 2])
family = top[0].selectbox(
    "Family",
    [ALL, TIMM] + list(groups),
    key="family",
    help="The curated zoo by family, or every convolutional model timm can build (timm:NAME)",
)
# plain names in the box, so a hand-written link ?arch=vgg19 works too
choices = all_names if family == ALL else cached.timm_names() if family == TIMM else groups[family]
default = DEFAULT_TIMM if family == TIMM else DEFAULT_ARCH
if "arch" in st.session_state and st.session_state.arch not in choices:  # family changed: its default net
    st.session_state.arch = default if default in choices else choices[0]
name = top[1].selectbox(
    "Architecture (type to search)",
    choices,
    # once the state holds a value (the twin button sets it), index 0 = "no default of our own": else
    # Streamlit warns that the widget has a default value but also a value set through Session State
    index=0 if "arch" in st.session_state else choices.index(default) if default in choices else 0,
    key="arch",
    bind="query-params",
    help="The zoo, ordered by family; pick 'timm: every CNN' in Family to search all of timm",
)
arch = zoo.get(name)
c, default_h, default_w = arch.input_size
h = top[2].number_input(
    "Height (px)",
    min_value=1,
    max_value=MAX_SIDE,
    value=None,
    step=1,
    placeholder=str(default_h),
    key="h",
    bind="query-params",
    help=f"Input height; empty = the architecture's own ({default_h})",
)
w = top[3].number_input(
    "Width (px)",
    min_value=1,
    max_value=MAX_SIDE,
    value=None,
    step=1,
    placeholder=str(default_w),
    key="w",
    bind="query-params",
    help=f"Input width; empty = the architecture's own ({default_w})",
)
level = top[4].radio(
    "Graph level",
    graph.LEVELS,
    index=graph.LEVELS.index("block"),
    horizontal=True,
    key="level",
    bind="query-params",
    help="Collapse the graph to stages, show every block, or expand to every layer",
)

options = {}
if name.startswith("cifar-"):
    cifar = st.columns([2, 1.8, 1.2, 3])  # room for "Pre-activation" at projector type size
    options["width"] = cifar[0].slider(
        "Base width (channels of stage 1)", 4, 128, zoo.CIFAR_OPTIONS["width"], key="width", bind="query-params"
    )
    options["preact"] = cifar[1].toggle(
        "Pre-activation",
        value=False,
        key="preact",
        bind="query-params",
        help="BN-ReLU-conv ordering (He et al., Identity Mappings)",
    )
    if arch.family == "CIFAR ResNet":
        options["shortcut"] = cifar[2].radio(
            "Shortcut",
            ["A", "B"],
            horizontal=True,
            key="shortcut",
            bind="query-params",
            help="A: zero-padding identity (no parameters); B: 1x1 projection",
        )
option_key = tuple(sorted(options.items()))
input_size = (c, int(h) if h is not None else default_h, int(w) if w is not None else default_w)

with st.expander("📂 Your own model: open an ONNX file", expanded=st.session_state.get("onnx_upload") is not None):
    upload = st.file_uploader(
        "ONNX file (weights inside the file)",
        type=["onnx"],
        key="onnx_upload",
        max_upload_size=MAX_BYTES // 2**20,
        help="Read as protobuf only (nothing is unpickled or executed); shapes inferred with the onnx "
        "package; counted by the same rules as the zoo. Height/width above override a symbolic input size.",
    )

try:
    if upload is None:
        result = cached.arch_profile(name, input_size, option_key)
    else:
        data = upload.getvalue()
        onnx_key = (hashlib.sha256(data).hexdigest(), upload.name)
        own = cached.onnx_profile(*onnx_key, None, data)
        input_size = own.input_size if h is None and w is None else (own.input_size[0], *input_size[1:])
        result = cached.onnx_profile(*onnx_key, input_size, data)
except UserError as exc:
    show_user_error(exc)
    st.stop()

# --- headline -------------------------------------------------------------------------------------
metrics = st.columns([1, 1.35, 0.75, 1.15, 1.1])  # "Multiply-accumulates" and its help icon fit in presentation view
metrics[0].metric("Parameters", human(result.total_params), help=f"{result.total_params:,}")
metrics[1].metric(
    "Multiply-accumulates",
    human(result.total_macs),
    help=f"{result.total_macs:,} MACs per image (convolutions and linear layers, biases not "
    f"counted); FLOPs ≈ 2 × MACs = {human(2 * result.total_macs)}",
)
metrics[2].metric("Depth", result.depth, help="Weighted layers (conv, linear) on the longest input-to-output path")
published_input = tuple(input_size) == tuple(arch.input_size)  # the accuracy holds at that input only
metrics[3].metric(
    "Published top-1",
    f"{arch.top1:.1f} %" if arch.top1 and published_input and upload is None else "—",
    help=(
        f"ImageNet top-1 accuracy at {arch.input_size[1]}×{arch.input_size[2]}; source: {arch.top1_source}"
        if published_input
        else f"Published for {arch.input_size[1]}×{arch.input_size[2]} inputs, not for this size"
    )
    if arch.top1 and upload is None
    else "No published ImageNet accuracy for this entry",
)
metrics[4].metric("Input", f"{input_size[0]}×{input_size[1]}×{input_size[2]}")

if upload is not None:
    st.info(
        f"**Your ONNX file `{upload.name}`** — {len(result.layers)} layers; counted from the file's graph "
        "with the zoo's rules (MACs of convolutions and linear layers, biases not counted)",
        icon="📂",
    )
    for note in result.notes:
        st.warning(note, icon="⚠️")
else:
    source = f" · top-1 source: {arch.top1_source}" if arch.top1_source else ""
    year = f" ({arch.year})" if arch.year else ""
    st.info(f"**{arch.family}**{year} — {arch.description}  \n*{arch.paper}*{source}", icon="📄")

twins = compare.counterparts(name) if upload is None else []
if twins:
    with st.container(border=True, key="arch-twins"):
        st.markdown("**Compare with its twin** — the paper's version vs torchvision's, or plain vs residual:")
        for twin in twins:
            row = st.columns([4, 1])
            try:
                other = cached.arch_profile(twin, input_size, option_key if twin.startswith("cifar-") else ())
                row[0].markdown(
                    f"`{twin}`: {human(other.total_macs)} MACs, {human(other.total_params)} params, "
                    f"depth {other.depth} — {zoo.get(twin).description}"
                )
            except UserError as exc:
                row[0].markdown(f"`{twin}`: {exc}")
            row[1].button(f"Open {twin}", key=f"open-{twin}", on_click=open_arch, args=(twin,))

# --- graph ----------------------------------------------------------------------------------------
st.subheader(f"Block graph · {level} level")
if upload is None:
    dot = cached.arch_dot(name, input_size, option_key, level)
    figures = cached.arch_figures(name, input_size, option_key)
else:
    dot = cached.onnx_dot(*onnx_key, input_size, level, data)
    figures = cached.onnx_figures(*onnx_key, input_size, data)
stem = f"{result.arch.replace(':', '_')}_{input_size[1]}x{input_size[2]}"
# shared by every session (read-only); an uploaded file's tables are its own
tables = cached.arch_tables(name, input_size, option_key) if upload is None else cached.tables_of(result)
blocks = tables["blocks"].set_index("block")
if st.session_state.get("block") not in (None, *blocks.index):  # a block of the previous net
    st.session_state.block = None
graphs.show(dot, key="arch-graph", name=f"{stem}_{level}", pick="block" if level != "stage" else None)
st.download_button("⬇️ Table (CSV)", tables["csv"], f"{stem}_layers.csv", "text/csv", on_click="ignore")

# --- linked view: the block clicked in the graph ----------------------------------------------------
with st.container(border=True, key="arch-linked"):
    picked = st.selectbox(
        "Block (click one in the graph)",
        list(blocks.index),
        index=None,
        placeholder="click a block in the graph at block or layer level, or pick one here",
        key="block",
        bind="query-params",
        help="Its share of the net's cost; on a CIFAR net trained in this app, its lesion effect and gradient",
    )
    if picked is not None:
        b = blocks.loc[picked]
        cols = st.columns(4)
        cols[0].metric(
            "Block MACs", human(b.macs), f"{b.macs_pct:.1f}% of the net", delta_color="off", delta_arrow="off"
        )
        cols[1].metric(
            "Block parameters", human(b.params), f"{b.params_pct:.1f}% of the net", delta_color="off", delta_arrow="off"
        )
        cols[2].metric("Weighted layers", int(b.weighted), help=f"{b.layers} rows of the layer table in all")
        cols[3].metric("Output", b.output, help=f"{b.stage} ({result.stage_resolution.get(b.stage, 'head')})")
        if st.session_state.get("block_toasted") != picked:  # seen where the click was: the box may be out of view
            st.session_state.block_toasted = picked
            st.toast(
                f"**{picked}**: {human(b.macs)} MACs ({b.macs_pct:.1f}% of the net), {human(b.params)} params "
                f"({b.params_pct:.1f}%) — more below the graph",
                icon="🔎",
            )
        trained.linked_block(name, options, picked)

# --- costs ----------------------------------------------------------------------------------------
# the open tab alone is drawn (a switch reruns the page): a page open costs the server about a quarter less
# CPU (bench/bench_load.py); bound to the URL, so a link opens the tab a lecturer wants
for kept in ("layer_stage", "layer_weighted"):  # Streamlit drops the state of widgets a run does not draw:
    if kept in st.session_state:  # re-set, the Per layer filters outlast a visit to another tab
        st.session_state[kept] = st.session_state[kept]
per_stage, per_layer, charts = st.tabs(["Per stage", "Per layer", "Charts per layer"], key="costs", bind="query-params")
COUNT = st.column_config.NumberColumn(format="localized")


def share(label: str, top: float = 100.0):
    return st.column_config.ProgressColumn(label, format="%.1f%%", min_value=0, max_value=float(top))


if per_stage.open:
    with per_stage:
        st.dataframe(
            tables["stages"],
            hide_index=True,
            width="stretch",
            column_config={
                "layers": st.column_config.NumberColumn(
                    "layers (all kinds)",
                    help="Every row of the layer table: conv, BN, ReLU, pool, add, ... (the graph counts weighted ones)",
                ),
                "macs": st.column_config.NumberColumn("MACs", format="localized"),
                "macs_pct": share("% of MACs"),
                "params": COUNT,
                "params_pct": share("% of params"),
            },
        )
        show(figures["stage"], key="fig-stage", shared=True)

if per_layer.open:
    with per_layer:
        table = tables["layers"]
        stages = ["all stages"] + list(dict.fromkeys(table.stage))
        chosen = st.selectbox(
            "Stage", stages, key="layer_stage", format_func=lambda s: f"{s} ({result.stage_resolution.get(s, 'all')})"
        )
        weighted_only = st.toggle(
            "Weighted layers only",
            key="layer_weighted",
            help="Convolutions and linear layers — the layers the depth counts; hides BN, ReLU, pooling, add",
        )
        shown = table if chosen == "all stages" else table[table.stage == chosen]
        if weighted_only:
            shown = shown[shown.type.str.startswith(WEIGHTED)]
        st.caption(
            f"{len(shown)} layers · {human(shown.params.sum())} params · {human(shown.macs.sum())} MACs "
            f"({shown.macs.sum() / max(result.total_macs, 1):.1%} of the net) — click a column header to sort"
        )
        st.dataframe(
            shown,
            hide_index=True,
            width="stretch",
            height=520,
            column_config={
                "macs": st.column_config.NumberColumn("MACs", format="localized"),
                "params": COUNT,
                "activations": COUNT,
                "macs_pct": share("% of MACs", max(table.macs_pct.max(), 1e-9)),
            },
        )

if charts.open:
    with charts:
        show(figures["layer"], key="fig-layer", shared=True)
        show(figures["cumulative"], key="fig-cumulative", shared=True)
