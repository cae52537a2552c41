"""Compare: 2-4 nets side by side — block graphs, stage-by-stage costs, and accuracy vs cost for the zoo."""

import time

import streamlit as st

from core.anatomy import compare, graph
from core.errors import UserError
from core.models import zoo
from core.units import human
from ui import cached, graphs, present
from ui.figures import show
from ui.page import setup, show_user_error

setup("Compare", "⚖️")
st.title("⚖️ Compare")
st.markdown(
    "VGG-19, the 34-layer plain net and ResNet-34 side by side, as in the ResNet paper's Figure 3 — "
    "or any 2–4 nets from the zoo, each at its own default input size."
)

DEFAULT = ["vgg19", "plain34", "resnet34"]
groups = cached.names_by_family()
all_names = [name for names in groups.values() for name in names]  # ordered by family

top = st.columns([4, 1.2, 2])
linked_timm = any(a.startswith(zoo.TIMM_PREFIX) for a in st.query_params.get_all("archs"))
with_timm = top[1].toggle(
    "Search all of timm",
    value=linked_timm,
    key="cmp_timm",
    help="Add every convolutional model timm can build (timm:NAME) to the list",
)
names = top[0].multiselect(
    "Architectures (2–4, type to search)",
    all_names + (cached.timm_names() if with_timm else []),
    default=DEFAULT,
    max_selections=4,
    key="archs",
    bind="query-params",
)
level = top[2].radio(
    "Graph level",
    graph.LEVELS,
    index=graph.LEVELS.index("layer"),
    horizontal=True,
    key="cmp_level",
    bind="query-params",
    help="Layer: every layer, as in the paper's figure; block: residual blocks with their skips; "
    "stage: one node per resolution",
)

if len(names) < 2:
    st.info("Pick at least two architectures to compare.", icon="👆")
else:
    try:
        profiles = [cached.arch_profile(n) for n in names]
    except UserError as exc:
        show_user_error(exc)
        st.stop()

    # --- graphs side by side ------------------------------------------------------------------
    # one scale for every net (natural size, scrolling in its box: assets/style.css); shorter boxes on a projector
    columns = st.container(key="cmp-graphs").columns(len(profiles))
    for column, p in zip(columns, profiles):
        with column:
            st.subheader(p.arch)
            st.caption(
                f"{human(p.total_macs)} MACs · {human(p.total_params)} params · depth {p.depth} · "
                f"input {'×'.join(map(str, p.input_size))}"
            )
            with st.container(border=True) if present.presenting() else st.container(height=900, border=True):
                graphs.show(cached.side_by_side_dot(p.arch, level), key=f"cmp-graph-{p.arch}", name=f"{p.arch}_{level}")

    # --- tables ------------------------------------------------------------------------------
    st.subheader("Stage by stage")
    st.caption(
        "Rows are feature-map resolutions, so stages that work on maps of the same size line up; "
        "MACs are multiply-accumulates per image."
    )
    st.dataframe(compare.stage_table(profiles), hide_index=True, width="stretch")

    st.subheader("Totals")
    count = st.column_config.NumberColumn(format="localized")
    st.dataframe(
        compare.totals(profiles),
        hide_index=True,
        width="stretch",
        column_config={
            "params": count,
            "macs": st.column_config.NumberColumn("MACs", format="localized"),
            "top1": st.column_config.NumberColumn("top-1 %", format="%.2f"),
            "top1_source": "top-1 source",
        },
    )

# --- accuracy vs cost for the whole zoo -----------------------------------------------------------
st.subheader("Accuracy vs cost, whole zoo")
if "scatter_counted" not in st.session_state:  # first visit: trace the few nets, with progress and ETA
    pending = compare.unpublished()
    bar, started = st.progress(0.0), time.perf_counter()
    for done, name in enumerate(pending):
        eta = f", about {(time.perf_counter() - started) / done * (len(pending) - done):.0f} s left" if done else ""
        bar.progress(
            done / len(pending),
            text=f"Counting the nets without published figures: {name} ({done + 1}/{len(pending)}{eta})",
        )
        cached.arch_profile(name)
    bar.empty()
    st.session_state.scatter_counted = True
points = cached.accuracy_points()
show(cached.accuracy_figure(tuple(names)), key="fig-scatter")
marked = int((~points.comparable).sum())
left = "; ".join(f"{name} ({why})" for name, why in compare.left_off())
st.caption(
    f"{len(points)} models, one protocol: single-crop ImageNet top-1 of weights trained on ImageNet-1k "
    "(torchvision's weights metadata, the papers' 1-crop tables, the ResNet authors' repository for the "
    f"paper's ResNet-50/101/152). {marked} open diamonds: weights from torchvision's newer training recipe, "
    f"not comparable with the rest (hover for the weights). Left off: {left}. "
    "Click a family in the legend to hide it."
)
