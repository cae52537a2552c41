"""Ensemble of Paths (Veit, Wilber & Belongie 2016): unravel a ResNet, lesion it, follow its gradient."""

import streamlit as st

from core.errors import UserError
from core.experiments import paths, unravel
from core.figures import paths as paths_figures
from core.models.cifar import blocks_per_stage
from core.training.config import RECIPES, RunConfig
from core.training.data import DATASETS
from ui import cached, graphs, training_panel
from ui.figures import show
from ui.page import open_store, report_damaged, setup, show_user_error

setup("Ensemble of Paths", "🕸️")
st.title("🕸️ Ensemble of Paths")
st.markdown(
    "A residual block computes **x + H(x)**: its output is the sum of two routes. Stack n blocks and "
    "the signal can take either route at every block — **2ⁿ paths** of different lengths. Veit, Wilber "
    "& Belongie (NeurIPS 2016) showed that a trained ResNet behaves like an *ensemble* of these paths, "
    "and that the short ones do most of the work."
)

# ---------------------------------------------------------------- 1. unraveled view
st.header("1 · Unravel a residual net")
n = st.slider("Residual blocks to unravel", 1, unravel.MAX_UNRAVEL, 3, key="unravel_n", bind="query-params")
stacked, unraveled = st.columns([1, 3])
with stacked:
    st.markdown("**Stacked view** — what we draw")
    graphs.show(
        unravel.stacked_dot(n), key="stacked", name=f"stacked_{n}_blocks"
    )  # natural size: stretched to the column it towers over
with unraveled:
    st.markdown(
        f"**Unraveled view** — what it computes: {2**n} paths into the output sum (hover a block to see its path)"
    )
    graphs.show(unravel.unraveled_dot(n), key="unraveled", name=f"unraveled_{n}_blocks", width="stretch")
st.markdown("Substituting each block into the next, one level at a time:")
for line in unravel.unrolled_latex(n):
    st.latex(line)
st.markdown("The chain rule tells the same story — each factor chooses *skip* (1) or *branch* (H′):")
st.latex(unravel.gradient_product_latex(n))

# ---------------------------------------------------------------- 2. path lengths
st.header("2 · How long are the paths?")
DEPTHS = [8, 14, 20, 32, 44, 56, 110, 164, 1202]
depth = st.select_slider(
    "Depth of the CIFAR net (6n+2 layers)", DEPTHS, value=110, key="lengths_depth", bind="query-params"
)
blocks = 3 * blocks_per_stage(depth)
table = unravel.path_lengths(blocks)
lo, hi = unravel.central_range(table["length"].tolist(), table["paths"].tolist(), 0.95)
c1, c2, c3 = st.columns(3)
c1.metric("Residual blocks", blocks)
c2.metric("Paths (residual net)", f"2^{blocks} ≈ {float(2**blocks):.2e}")
c3.metric("95% of paths have length", f"{lo} – {hi}", help=f"binomial, mean {blocks / 2:g}")
show(paths_figures.lengths_figure(blocks), key="paths_lengths", name=f"path_lengths_{depth}_layers")
st.caption(
    f"A plain net of the same depth has a single path through all {blocks} blocks (red). "
    f"In the residual net a path of length {blocks} is one of {float(2**blocks):.1e}."
)

# ---------------------------------------------------------------- 3. trained nets
st.header("3 · Trained nets: lesions and gradients")
TRAINING_DATA = {name: DATASETS[name] for name in ("digits32", "digits")}  # offline; the lesion scene's first
store = open_store()


def training_rows():
    runs = [r for r in store.list(status="finished") if r.has_weights]  # lesions need the nets
    report_damaged(store)
    return runs


def run_analysis(run_id: int, analysis: str, ks: tuple[int, ...] | None, samples: int, seed: int) -> dict:
    """One analysis of a stored run on its test set (cached per run and settings, shared by sessions)."""
    return cached.run_analysis(run_id, by_id[run_id].created, analysis, ks, samples, seed)


with st.expander("Train nets for this page", expanded=not training_rows()):
    st.markdown(
        "Trains a residual net and a plain net that trains well, with the same seed, and keeps them in "
        "the run store (runs from the *Plain vs Residual* page appear here too). **Why a shallower plain "
        "net?** A plain net the depth of the ResNet trains far worse (the degradation problem), and "
        "lesioning a net that never learned shows nothing: its error is high before any deletion."
    )
    dataset = st.selectbox(
        "Training data",
        list(TRAINING_DATA),
        key="train_dataset",
        bind="query-params",
        format_func=TRAINING_DATA.get,
        on_change=lambda: st.session_state.update(train_epochs=RECIPES[st.session_state.train_dataset].epochs),
        help="Width, learning rate and batch size follow the data's recipe",
    )
    deep_plain = store.find([RunConfig(net="plain", depth=56, dataset=dataset)])
    if deep_plain:  # the stored run's own numbers
        info = store.list(ids=list(deep_plain))[0]
        st.caption(
            f"Stored run #{info.id}: {info.label} ended at {info.final_train_error:.0%} training and "
            f"{info.final_test_error:.0%} test error after {info.epochs_done} epochs on the {info.config.dataset}."
        )
    a, b, c, d = st.columns(4)
    res_depth = a.selectbox(
        "Residual net depth", [8, 14, 20, 32, 44, 56, 110], index=5, key="train_res_depth", bind="query-params"
    )
    plain_depth = b.selectbox("Plain net depth", [8, 14, 20], index=2, key="train_plain_depth", bind="query-params")
    epochs = c.number_input("Epochs", 1, 50, RECIPES[dataset].epochs, key="train_epochs", bind="query-params")
    stochastic = d.checkbox(
        "Also train the residual net with stochastic depth (p_L = 0.5)",
        value=True,
        key="train_sd",
        bind="query-params",
        help="Huang et al. 2016: during training each block's branch is "
        "dropped with a probability rising linearly to 1 − p_L = 0.5 at the last block.",
    )
    configs = paths.training_configs(res_depth, plain_depth, int(epochs), stochastic, dataset=dataset)
    missing = [c for c in configs if store.find([c]) is None]  # identical runs stored: not trained again
    columns = training_panel.controls("paths", missing, disabled=not missing, start_label="▶ Train")
    stored = [c.label for c in configs if c not in missing]
    if stored:
        columns[3].caption(
            f"Stored already: {', '.join(stored)}"
            + (f" · ▶ Train trains {', '.join(c.label for c in missing)}" if missing else " — nothing to train")
        )
    # once stored, the analysis below switches to the newest runs (set before its widget is drawn)
    training_panel.live("paths", on_finished=lambda ids: st.session_state.update(paths_fresh=True))


runs = training_rows()
if not runs:
    st.info(
        "No trained run yet: train nets above (about a few minutes on a laptop CPU) or on the "
        "*Plain vs Residual* page; lesions and gradients need a trained net."
    )
    st.stop()

by_id = {r.id: r for r in runs}


def default_selection() -> list[int]:
    """The newest residual run, the newest plain run that learned (a deep plain net that stayed near
    chance shows nothing when lesioned) and the newest stochastic-depth run — trained on the data
    chosen above where it has such runs, so the lesion scene opens on its own runs."""
    picks = {}
    for r in sorted(runs, key=lambda r: r.config.dataset != dataset):  # stable: newest first within each
        if r.config.net == "plain" and (r.final_test_error is None or r.final_test_error >= 0.5):
            continue
        picks.setdefault((r.config.net, r.config.final_survival < 1), r.id)
    return [picks[kind] for kind in (("resnet", False), ("plain", False), ("resnet", True)) if kind in picks]


if st.session_state.pop("paths_fresh", False) or "paths_runs" not in st.session_state:
    st.session_state.paths_runs = default_selection()  # first arrival, or just trained: the newest runs
else:  # runs deleted elsewhere drop out of the selection
    st.session_state.paths_runs = [i for i in st.session_state.paths_runs if i in by_id]
selected = st.multiselect(
    "Trained runs to analyse",
    list(by_id),
    format_func=lambda i: by_id[i].describe(),
    key="paths_runs",
)
if not selected:
    st.info("Pick at least one run.")
    st.stop()
for run_id in selected:
    r = by_id[run_id]
    if r.final_test_error is not None and r.final_test_error > 0.5:
        st.warning(
            f"{r.label} ended at {r.final_test_error:.0%} test error: it has not learned, so deleting "
            "its blocks cannot show anything. Train it longer, or — the usual case, a deep plain net — "
            "pick a shallower one."
        )

residual = [i for i in selected if by_id[i].config.net == "resnet"]
labels = {i: f"#{i} {by_id[i].label}" for i in selected}


def k_slider(label: str, most: int, default: int, key: str) -> int:
    """Largest k of a sweep, bounded by what every selected net allows (a slider needs two values)."""
    if most == 1:
        return 1
    return st.slider(label, 1, most, min(most, default), key=key, bind="query-params")


ANALYSES = {
    "single": "Delete one block",
    "pick": "Delete blocks you click",
    "random": "Delete k blocks",
    "reorder": "Reorder blocks",
    "gradient": "Which paths carry the gradient",
}
# One analysis at a time (not tabs, which would compute all four on every rerun).
analysis = st.radio(
    "Analysis", list(ANALYSES), format_func=ANALYSES.get, horizontal=True, key="paths_analysis", bind="query-params"
)

try:
    if analysis == "pick":
        run_id = st.selectbox(
            "Net to lesion", selected, format_func=lambda i: labels[i], key="pick_run", help="One of the runs above"
        )
        deleted_key = f"paths_deleted_{run_id}"
        chosen = st.session_state.setdefault(deleted_key, [])
        with st.spinner(f"Deleting each block of {labels[run_id]} in turn…"):
            effects = cached.block_effects(run_id, by_id[run_id].created)
        allowed = set(effects["rows"].block[effects["rows"].deletable])

        def toggle(data) -> None:
            block = data[0]
            if block in allowed:
                blocks = st.session_state[deleted_key]
                st.session_state[deleted_key] = (
                    [b for b in blocks if b != block] if block in blocks else blocks + [block]
                )

        intact = effects["intact_error"]
        error = cached.error_without(run_id, by_id[run_id].created, tuple(sorted(chosen))) if chosen else intact
        alone = effects["rows"].set_index("block").error
        cols = st.columns([1, 1, 1, 1.2])
        cols[0].metric("Intact net", f"{intact:.1%}", help="Test error with every block in place")
        cols[1].metric(
            f"{len(chosen)} block{'s' * (len(chosen) != 1)} deleted",
            f"{error:.1%}",
            f"{100 * (error - intact):+.1f} points" if chosen else None,
            delta_color="inverse",
        )
        if len(chosen) > 1:  # the ensemble reading: do the deletions' effects just add up?
            added = intact + sum(alone[b] - intact for b in chosen)
            cols[2].metric(
                "If their effects added up",
                f"{min(added, 1.0):.1%}",
                help="Intact error plus the sum of each chosen block's effect when deleted alone",
            )
        cols[3].button(
            "↺ Restore all blocks",
            key="pick_restore",
            disabled=not chosen,
            on_click=lambda: st.session_state.update({deleted_key: []}),
        )
        st.caption(
            "Click a bar to delete that block (orange) or restore it; the error above is measured at once on "
            "the run's test set. Bar height: the error with that block deleted alone; dotted line: the intact net. "
            + ("Deleted: " + ", ".join(chosen) if chosen else "Nothing deleted yet.")
        )
        show(
            paths_figures.block_strip(effects, "error", set(chosen), f"{labels[run_id]}: click blocks to delete them"),
            key=f"paths_pick_{run_id}_{len(chosen)}_{hash(tuple(chosen))}",  # a fresh chart: the next click selects anew
            name=f"delete_blocks_run{run_id}",
            on_click=toggle,
        )
    elif analysis == "gradient":
        if not residual:
            st.info("The gradient measurement needs a residual net; a plain net has a single path.")
        for run_id in residual:
            with st.spinner(f"Measuring gradients by path length for {labels[run_id]}…"):
                result = run_analysis(run_id, "gradient", None, 1, 0)
            show(
                paths_figures.gradient_figure(result["rows"], labels[run_id]),
                key=f"paths_gradient_{run_id}",
                name=f"gradient_by_path_length_run{run_id}",
            )
        st.caption(
            "Left: the gradient that reaches the input through one path falls off quickly with its length "
            "(each branch shrinks it). Right: times the number of paths of that length — the total gradient "
            "comes from a band of short paths (shaded, 90% of the total), far shorter than the net. Veit et "
            "al. measured 5–17 of 54 blocks for ResNet-110."
        )
    elif analysis == "single":
        with st.spinner("Deleting each block in turn…"):
            results = {labels[i]: run_analysis(i, "single", None, 1, 0) for i in selected}
        show(paths_figures.single_lesion_figure(results), key="paths_single", name="delete_one_block")
        st.markdown(paths_figures.single_lesion_summary(results))
        st.caption(
            "A residual block deleted leaves its shortcut, so the other paths still reach the output; "
            "a plain layer deleted breaks the only path. Plain downsampling layers cannot be deleted at "
            "all (nothing else has the right shape). Veit et al. (Fig. 3) found that single deletions "
            "barely matter except at downsampling blocks."
        )
    elif analysis == "random":
        most = min(
            paths.sweep_limits(by_id[i].config.net == "resnet", by_id[i].config.depth)["random"] for i in selected
        )
        k_max = k_slider("Largest k (blocks deleted at once)", most, 20, "random_kmax")
        samples = st.slider("Random draws per k", 1, 20, 5, key="paths_samples", bind="query-params")
        ks = tuple(sorted(set(range(0, k_max + 1, max(1, k_max // 10))) | {k_max}))
        with st.spinner("Deleting random sets of blocks…"):
            results = {labels[i]: run_analysis(i, "random", ks, samples, 0) for i in selected}
        show(
            paths_figures.sweep_figure(results, "blocks deleted at once (k)", "Delete k random blocks"),
            key="paths_random",
            name="delete_k_blocks",
        )
        st.markdown(paths_figures.sweep_summary(results, "deleted blocks"))
        st.caption(
            "Veit et al. (Fig. 5) found the error rising smoothly with the number of deleted blocks, like an "
            "ensemble losing members; the sentence above says whether these runs show it."
        )
    else:
        most = min(
            paths.sweep_limits(by_id[i].config.net == "resnet", by_id[i].config.depth)["reorder"] for i in selected
        )
        if most < 1:
            raise UserError("these nets have no two blocks of the same shape in one stage to swap; pick deeper nets")
        k_max = k_slider("Largest k (pairs swapped)", most, 10, "reorder_kmax")
        samples = st.slider("Random draws per k", 1, 20, 5, key="paths_samples", bind="query-params")
        ks = tuple(sorted(set(range(0, k_max + 1, max(1, k_max // 10))) | {k_max}))
        with st.spinner("Swapping random pairs of blocks…"):
            results = {labels[i]: run_analysis(i, "reorder", ks, samples, 0) for i in selected}
        show(
            paths_figures.sweep_figure(
                results, "pairs of same-shape blocks swapped (k)", "Reorder blocks by swapping k random pairs"
            ),
            key="paths_reorder",
            name="reorder_blocks",
        )
        st.markdown(paths_figures.sweep_summary(results, "swapped pairs"))
        st.caption(
            "Pairs are drawn within a stage (same shape). Veit et al. (Fig. 5) found the error of a ResNet "
            "rising smoothly with the number of swaps; the sentence above gives these runs' numbers."
        )
except UserError as exc:
    show_user_error(exc)
