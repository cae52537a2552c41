"""Cost Lab: the classic cost arguments (1×1 bottlenecks, depthwise separables, residual bottlenecks,
Inception modules, factorised kernels) as calculators. All numbers come from core.anatomy.costs."""

from functools import partial

import streamlit as st

from core.anatomy import costs
from core.errors import UserError
from core.figures.costs import comparison_figure
from core.units import human
from ui.figures import show as show_figure
from ui.page import setup, show_user_error
from ui.present import presenting

setup("Cost Lab", "🧮")
# long formulas scroll sideways instead of being cut off
st.markdown(
    "<style>.katex-display { overflow-x: auto; overflow-y: hidden; padding: 0.2em 0; }"
    ".katex-display > .katex { font-size: 1.12em; }</style>",
    unsafe_allow_html=True,
)
st.title("🧮 Cost Lab")
st.markdown(
    "Why are 1×1 bottlenecks, depthwise-separable convolutions and factorised kernels cheap? "
    "Each calculator shows the arithmetic with your numbers, in **multiply-accumulates (MACs)** — "
    "the papers' *multiply-adds*, biases not counted — and parameters."
)

TABS = [
    "One convolution",
    "Direct vs bottleneck",
    "Depthwise-separable",
    "Residual blocks",
    "Inception module",
    "Factorisation",
]
tabs = st.tabs(TABS, key="calculator", bind="query-params")


def slider(label: str, key: str, low: int, high: int, value: int, step: int = 1) -> int:
    return st.slider(label, low, high, value, step, key=key, bind="query-params")


def kernel_slider(label: str, key: str, value: int, options=(1, 3, 5, 7, 9, 11)) -> int:
    return st.select_slider(label, options, value, key=key, bind="query-params")


def row(*controls) -> list:
    """Controls side by side; each is a zero-argument function that draws one and returns its value."""
    values = []
    for column, control in zip(st.columns(len(controls)), controls):
        with column:
            values.append(control())
    return values


def show(key: str, calculator, *args, tables: bool = False, **kwargs) -> None:
    """Run a core.anatomy.costs calculator; lay out its summary, totals, chart and step-by-step arithmetic."""
    try:
        comparison = calculator(*args, **kwargs)
    except UserError as exc:
        show_user_error(exc)
        return
    st.info(comparison.summary, icon=":material/lightbulb:")
    for column, design in zip(st.columns(len(comparison.designs)), comparison.designs):
        rf = design.receptive_field
        extra = f" · receptive field {rf[0]}×{rf[1]}" if rf else ""
        column.metric(
            design.name,
            f"{human(design.macs, textbook=True)} MACs",
            f"{human(design.params, textbook=True)} params · {design.out_channels} channels out{extra}",
            delta_color="off",
            delta_arrow="off",
            border=True,
        )
    if tables:
        for column, design in zip(st.columns(len(comparison.designs)), comparison.designs):
            column.markdown(f"**{design.name}** — per branch")
            column.dataframe(design.table(readable=True), hide_index=True, width="stretch")
    # on a projector the chart gets the full width (beside the arithmetic its labels would collide)
    chart, steps = (st.container(), st.container()) if presenting() else st.columns([9, 11], gap="medium")
    with chart:
        show_figure(comparison_figure(comparison), key=f"fig_{key}", name=f"cost_lab_{key}")
    for note in comparison.notes:
        chart.caption(note)
    with steps:
        for step in comparison.steps:
            st.markdown(step.text)
            st.latex(step.tex)


with tabs[0]:
    st.subheader("One convolution: output shape, MACs and parameters")
    st.caption(
        "Any values are accepted — impossible ones are explained. Beside your layer: the same layer "
        "with other square kernels."
    )
    cols = st.columns(8)
    fields = [
        ("H", "c1_h", 32),
        ("W", "c1_w", 32),
        ("C_in", "c1_cin", 64),
        ("C_out", "c1_cout", 128),
        ("kernel k", "c1_k", 3),
        ("stride s", "c1_s", 1),
        ("padding p", "c1_p", 1),
        ("groups g", "c1_g", 1),
    ]
    values = {
        key: col.number_input(label, value=default, step=1, key=key, bind="query-params")
        for col, (label, key, default) in zip(cols, fields)
    }
    bias = st.checkbox("with bias (adds C_out parameters, no MACs by convention)", key="c1_bias", bind="query-params")
    show(
        "one_conv",
        costs.one_conv,
        values["c1_cin"],
        values["c1_h"],
        values["c1_w"],
        values["c1_cout"],
        values["c1_k"],
        values["c1_s"],
        values["c1_p"],
        values["c1_g"],
        bias,
    )

with tabs[1]:
    st.subheader("Direct vs bottleneck: the Inception argument")
    st.caption(
        "Textbook example (GoogLeNet's module 3a): a 28×28×192 input, 32 filters of 5×5, "
        "with and without a 1×1 reduction to 16 channels first. 'Same' padding keeps 28×28."
    )
    h, w, c_in, c_out, k, c_reduce = row(
        partial(slider, "H", "bn_h", 1, 112, 28),
        partial(slider, "W", "bn_w", 1, 112, 28),
        partial(slider, "C_in", "bn_cin", 1, 1024, 192),
        partial(slider, "filters C_out", "bn_cout", 1, 512, 32),
        partial(kernel_slider, "kernel k", "bn_k", 5),
        partial(slider, "1×1 reduce to", "bn_red", 1, 512, 16),
    )
    show("bottleneck", costs.direct_vs_bottleneck, h, w, c_in, c_out, k, c_reduce)

with tabs[2]:
    st.subheader("Standard vs depthwise-separable convolution (Xception, MobileNet)")
    st.caption(
        "Depthwise: one k×k filter per input channel (spatial correlations). Pointwise: a 1×1 conv "
        "mixes channels (cross-channel correlations)."
    )
    h, w, c_in, c_out, k, stride = row(
        partial(slider, "H", "ds_h", 1, 224, 56),
        partial(slider, "W", "ds_w", 1, 224, 56),
        partial(slider, "C_in", "ds_cin", 1, 1024, 128),
        partial(slider, "C_out", "ds_cout", 1, 1024, 128),
        partial(kernel_slider, "kernel k", "ds_k", 3, (3, 5, 7, 9)),
        partial(slider, "stride", "ds_s", 1, 4, 1),
    )
    show("separable", costs.standard_vs_separable, h, w, c_in, c_out, k, stride)

with tabs[3]:
    st.subheader("Basic vs bottleneck residual block, identity vs projection shortcut")
    st.caption(
        "Each block takes its channels in and gives as many out. Defaults: the ResNet paper's Fig. 5 at 56×56 — "
        "ResNet-34's basic block at 64 channels beside ResNet-50's bottleneck at 256 channels with 64 inside."
    )
    size, basic_channels, channels, mid = row(
        partial(slider, "H = W", "rb_size", 1, 112, 56),
        partial(slider, "basic block channels", "rb_basic_c", 16, 2048, 64, 16),
        partial(slider, "bottleneck channels in and out", "rb_c", 16, 2048, 256, 16),
        partial(slider, "bottleneck width", "rb_mid", 4, 1024, 64, 4),
    )
    show("residual", costs.residual_blocks, size, size, channels, mid, basic_channels)

with tabs[4]:
    st.subheader("Inception module builder")
    WIDTH_KEYS = ["in_1x1", "in_3x3red", "in_3x3", "in_5x5red", "in_5x5", "in_pool"]

    def load_preset() -> None:
        c_in, size, widths = costs.GOOGLENET_MODULES[st.session_state.in_preset]
        st.session_state.in_cin, st.session_state.in_size = c_in, size
        for key, value in zip(WIDTH_KEYS, vars(widths).values()):
            st.session_state[key] = value

    a, b, c, d = st.columns([2, 3, 3, 3])
    with a:
        preset = st.selectbox(
            "GoogLeNet module",
            list(costs.GOOGLENET_MODULES),
            key="in_preset",
            on_change=load_preset,
            bind="query-params",
        )
    # the preset's sizes are the defaults, so a link naming only the preset opens that module
    c_default, size_default, widths_default = costs.GOOGLENET_MODULES[preset]
    with b:
        big_kernel = st.radio(
            "kernel of the '5×5' branch",
            [5, 3],
            key="in_k",
            horizontal=True,
            captions=["the paper", "torchvision"],
            bind="query-params",
        )
    with c:
        size = slider("H = W", "in_size", 1, 56, size_default)
    with d:
        c_in = slider("C_in", "in_cin", 1, 1024, c_default)
    st.caption(
        "torchvision's GoogLeNet builds the '5×5' branch with a 3×3 kernel (a known departure from the "
        "paper, pytorch/vision#906); pick which one to count. Presets load the widths of torchvision's "
        "modules 3a … 5b; move any slider to build your own."
    )
    labels = ["#1×1", "#3×3 reduce", "#3×3", "#5×5 reduce", "#5×5", "pool proj"]
    width_values = row(
        *(
            partial(slider, label, key, 1, 512, value)
            for label, key, value in zip(labels, WIDTH_KEYS, vars(widths_default).values())
        )
    )
    show(
        "inception",
        costs.inception_comparison,
        size,
        size,
        c_in,
        costs.InceptionWidths(*width_values),
        big_kernel,
        tables=True,
    )

with tabs[5]:
    st.subheader("Factorisation (Inception v3): fewer multiplies, same receptive field")
    h, w, c_in, c_out = row(
        partial(slider, "H", "fa_h", 1, 64, 17),
        partial(slider, "W", "fa_w", 1, 64, 17),
        partial(slider, "C_in", "fa_cin", 1, 1024, 192),
        partial(slider, "C_out", "fa_cout", 1, 1024, 192),
    )
    st.markdown("#### An n×n vs a stack of 3×3 convolutions")
    show("factorise_3x3", costs.factorise_into_3x3, h, w, c_in, c_out, kernel_slider("n", "fa_n3", 5, (3, 5, 7, 9)))
    st.divider()
    st.markdown("#### An n×n vs 1×n followed by n×1")
    show(
        "factorise_asymmetric",
        costs.factorise_asymmetric,
        h,
        w,
        c_in,
        c_out,
        kernel_slider("n ", "fa_na", 7, (3, 5, 7, 9, 11)),
    )
