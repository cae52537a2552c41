"""Representation Drift: residual nets refine one representation, plain nets re-represent."""

from __future__ import annotations

import streamlit as st

from core.errors import UserError
from core.experiments import drift
from core.figures import drift as drift_figures
from core.training.config import RECIPES, RunConfig
from core.training.data import load_dataset
from core.training.estimate import check_config
from core.training.store import RunStore
from ui import run_picker, training_panel
from ui.figures import show
from ui.page import open_store, report_damaged, setup, show_user_error

setup("Representation Drift", "🌊")
store = open_store()
st.title("Representation drift")
st.markdown(
    "A **plain** net can map its input to a completely new representation at every layer. A **residual** "
    "stage keeps one representation and refines it a little per block, *x*ₗ = *x*ₗ₋₁ + F(*x*ₗ₋₁) — "
    '"unrolled iterative estimation" (Greff et al. 2017). Below: the same depth and width, plain vs '
    "residual, trained and at initialisation, measured on the test images."
)

DEPTHS = [8, 14, 20, 26, 32, 44, 56]
EXAMPLES = 500

SOURCES = ["Train here", "Pick stored runs"]
source = st.segmented_control(
    "Trained nets",
    SOURCES,
    default=SOURCES[0],
    key="source",
    bind="query-params",
    help="Train a matching plain/residual pair here (stored for next time), or "
    "analyse runs already in the run store, e.g. from the Plain vs Residual page.",
)
picking = source == SOURCES[1]
c1, c2, c3, c4, c5 = st.columns([1, 1, 1, 1, 1])
depth = c1.selectbox(
    "Depth (layers)", DEPTHS, index=DEPTHS.index(20), key="depth", bind="query-params", disabled=picking
)
width = c2.selectbox(
    "Width (stage-1 channels)", [8, 16, 32], index=1, key="width", bind="query-params", disabled=picking
)
epochs = c3.slider("Epochs", 1, 30, RECIPES["digits"].epochs, key="epochs", bind="query-params", disabled=picking)
paths = c4.slider("Examples followed", 1, drift.PATHS_MAX, 4, key="paths", bind="query-params")
preact = c5.toggle(
    "Pre-activation blocks",
    key="preact",
    bind="query-params",
    disabled=picking,
    help="BN-ReLU-conv ordering (He et al., Identity mappings): no ReLU after the addition.",
)
configs = [
    RunConfig(net=net, depth=depth, width=width, preact=preact, epochs=epochs) for net in ("plain", "resnet")
]  # the Plain vs Residual page's defaults: its runs are reused


@st.cache_data(max_entries=8, show_spinner="Analysing the stored runs (one forward pass per net)…")
def stored_reports(run_ids: tuple[int, ...], paths: int) -> list[drift.DriftReport]:
    store = RunStore()
    runs = [store.load(run_id) for run_id in run_ids]
    return drift.analyse_runs([(r.config, r.model) for r in runs], EXAMPLES, paths)


@st.cache_data(max_entries=8, show_spinner="Analysing the nets at initialisation…")
def initial_reports(config_dicts: tuple[tuple, ...], paths: int) -> list[drift.DriftReport]:
    return drift.analyse_runs([(RunConfig(**dict(c)), None) for c in config_dicts], EXAMPLES, paths)


def pick_stored_runs() -> tuple[int, int]:
    """Two selectboxes over the finished runs of the store: a plain net and a residual one."""
    runs = [r for r in store.list(status="finished") if r.has_weights]  # the analysis needs the nets
    report_damaged(store)
    plain = [r for r in runs if r.config.net == "plain"]
    residual = [r for r in runs if r.config.net == "resnet"]
    if not plain or not residual:
        raise UserError(
            "the run store needs a finished plain run and a finished residual run: "
            "train a pair here or on the Plain vs Residual page first"
        )

    left, right = st.columns(2)
    with left:
        plain_id = run_picker.select("Plain run", plain, key="plain_run")
    with right:
        residual_id = run_picker.select("Residual run", residual, key="residual_run")
    return plain_id, residual_id


try:
    pair = pick_stored_runs() if picking else store.find(configs, with_weights=True)
    if pair:
        reports = stored_reports(pair, paths)
        if not picking:
            st.caption(
                f"Trained nets: stored runs {pair[0]} and {pair[1]} ({epochs} epoch{'s' if epochs > 1 else ''}"
                " on the offline digits); change a setting to analyse another pair."
            )
    else:
        reports = initial_reports(tuple(tuple(sorted(c.to_dict().items())) for c in configs), paths)
        t = training_panel.job("drift")
        if t is not None and [r.config for r in t.runs] != configs:
            training_panel.discard("drift")  # the settings changed under it
        estimate = check_config(configs[0], load_dataset(configs[0].dataset, seed=configs[0].seed))
        st.info(
            f"Showing the nets **at initialisation**. Train {configs[0].label} and "
            f"{configs[1].label} ({epochs} epochs, {estimate.describe()} each) to compare the "
            "trained nets too; the runs are stored and replay instantly next time."
        )
        training_panel.controls("drift", configs, start_label="▶ Train the pair")
        training_panel.live("drift")
except UserError as exc:
    show_user_error(exc)
    st.stop()

plain_t, res_t = drift.pick(reports, False, True), drift.pick(reports, True, True)
plain_0, res_0 = drift.pick(reports, False, False), drift.pick(reports, True, False)
states = (
    [("Trained", plain_t, res_t), ("At initialisation", plain_0, res_0)]
    if plain_t
    else [("At initialisation", plain_0, res_0)]
)

st.subheader("Summary: within a stage, how much does one block change the representation?")
rows = []
for r in reports:
    s = r.summary()
    ratio = s.get("mean_branch_ratio")
    rows.append(
        {
            "net": r.label,
            "relative change per block": f"{s['mean_rel_change']:.3f}",
            "cosine of consecutive blocks": f"{s['mean_cosine']:.3f}",
            "CKA of consecutive blocks": f"{s['mean_consecutive_cka']:.3f}",
            "‖F(x)‖ / ‖x‖": "no branch (plain)" if ratio is None else f"{ratio:.3f}",
        }
    )
st.dataframe(rows, hide_index=True, width="stretch")
for title, plain, res in states:
    p, r = plain.summary(), res.summary()
    st.markdown(
        f"**{title}:** the residual net changes its representation by "
        f"**{r['mean_rel_change']:.0%}** per block vs **{p['mean_rel_change']:.0%}** for the plain net; "
        f"consecutive blocks have cosine similarity **{r['mean_cosine']:.2f}** vs **{p['mean_cosine']:.2f}**."
    )

st.subheader("1 · Per-block change")
st.caption(
    "Means over the test images. Blocks that change the shape (the first of stages 2 and 3) have no "
    "relative change: input and output live in different spaces. Solid: trained, dotted: at init."
)
show(drift_figures.change_figure(reports), key="change", name="drift_per_block_change")

st.subheader("2 · Similarity of consecutive layers")
show(drift_figures.similarity_figure(reports), key="similarity", name="drift_consecutive_cosine")


def show_per_state(figure, name: str) -> None:
    """One tab per state (trained, at initialisation), plain and residual side by side in each."""
    for tab, (title, plain, res) in zip(st.tabs([t for t, _, _ in states]), states):
        with tab:
            show(figure(plain, res), key=f"{name}-{title}", name=f"drift_{name}_{title}")


st.subheader("3 · Linear CKA between all pairs of layers")
st.caption(
    "Linear CKA (Kornblith et al. 2019) between block outputs: 1 = the same representation up to "
    "rotation and scale. Dashed white lines: stage boundaries. Residual stages stay bright blocks; "
    "plain nets fade away from the diagonal."
)
show_per_state(drift_figures.cka_figure, "cka")

st.subheader("4 · Trajectories of test images through depth")
st.caption(
    "Each stage's representations projected onto its first two principal components (fitted on all "
    "blocks of the stage); the big dot is where the stage starts. Residual: short steps along a path; "
    "plain: jumps."
)
show_per_state(drift_figures.trajectory_figure, "trajectories")

st.subheader("5 · Std of layer responses (He et al. 2016, Fig. 7)")
st.caption(
    "Std of each 3×3 layer's output after BN, before ReLU and addition (per channel, averaged). "
    "He et al. found residual responses generally smaller than plain ones after full CIFAR-10 training "
    "(64k iterations, weight decay on every weight, BatchNorm scales included): the branches learn small "
    "corrections. Here BN scales are decayed only where the recipe says so (`decay_bn`); the sentence below "
    "the chart gives these nets' own numbers."
)
show(drift_figures.std_figure(reports), key="std", name="drift_response_std")
std_sentence = drift_figures.std_summary(reports)
if std_sentence:
    st.markdown(std_sentence)
