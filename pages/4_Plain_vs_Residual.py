"""Plain vs Residual: train plain and residual nets side by side and watch the degradation problem."""

from __future__ import annotations

import json

import streamlit as st

from core.errors import UserError
from core.figures.training import curve_figure, degradation_summary, gradient_flow_figure, summary_rows
from core.training.config import RECIPES, RunConfig
from core.training.data import DATASETS
from core.training.estimate import check_comparison
from core.units import format_duration
from ui import training_panel
from ui.figures import show
from ui.page import open_store, report_damaged, setup, show_user_error

setup("Plain vs Residual", "📉")
store = open_store()
ss = st.session_state
DEPTHS = [8, 14, 20, 26, 32, 44, 56, 110]


def preset(dataset: str) -> dict:
    """Widget values of a comparison of plain-20/56 and ResNet-20/56 trained by `dataset`'s recipe."""
    recipe = RECIPES[dataset]
    return dict(
        pvr_depths=(20, 56),
        pvr_custom_depth=0,
        pvr_width=recipe.width,
        pvr_epochs=recipe.epochs,
        pvr_lr=recipe.lr,
        pvr_batch=recipe.batch_size,
        pvr_dataset=dataset,
        pvr_preact=False,
        pvr_shortcut="A",
        pvr_limit=0,
    )


PRESETS = {  # button label -> widget values
    "CIFAR's geometry: digits re-rendered 32×32 (offline, minutes)": preset("digits32"),
    "Quick: 8×8 digits (offline, about 30 s)": preset("digits"),
    "ResNet paper, CIFAR-10 figure (plain-20/56 vs ResNet-20/56)": preset("cifar10"),
}
DEFAULTS = PRESETS["CIFAR's geometry: digits re-rendered 32×32 (offline, minutes)"]  # the degradation scene's


def apply_preset(name: str) -> None:
    ss.update(PRESETS[name])


st.title("Plain vs Residual")
st.markdown(
    "Train a **plain** net and a **residual** net of the same depths side by side — same data, same "
    "batch order, same initial weights. In He et al. 2016 (Fig. 6) the deeper plain net ends with a *higher "
    "training error* than the shallower one (the **degradation problem** — not overfitting), and with skip "
    "connections the deeper net trains at least as well. The line above the curves says what these runs show. "
    "Plain nets are **dashed**, residual nets **solid**, one colour per depth."
)

# ---------------------------------------------------------------- controls (sidebar, bound to the URL)
with st.sidebar:
    st.header("Comparison")
    for i, name in enumerate(PRESETS):
        st.button(name, key=f"pvr_preset_{i}", on_click=apply_preset, args=(name,), width="stretch")
    depths = st.select_slider(
        "Depths (shallow, deep)",
        DEPTHS,
        value=DEFAULTS["pvr_depths"],
        key="pvr_depths",
        bind="query-params",
        help="CIFAR-family depths 6n+2; each gets a plain and a residual run",
    )
    custom_depth = st.number_input(
        "Custom deep depth (0 = off)",
        0,
        100_000,
        DEFAULTS["pvr_custom_depth"],
        step=6,
        key="pvr_custom_depth",
        bind="query-params",
        help="Any 6n+2 up to 1202 (the paper's deepest); the estimate shows the cost",
    )
    width = st.select_slider(
        "Width (stage-1 channels)",
        [4, 8, 16, 32, 64],
        value=DEFAULTS["pvr_width"],
        key="pvr_width",
        bind="query-params",
    )
    epochs = st.slider("Epochs", 1, 200, DEFAULTS["pvr_epochs"], key="pvr_epochs", bind="query-params")
    lr = st.select_slider(
        "Learning rate",
        [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5],
        value=DEFAULTS["pvr_lr"],
        key="pvr_lr",
        bind="query-params",
        help="Divided by 10 at 50% and 75% of training",
    )
    dataset = st.selectbox(
        "Dataset",
        list(DATASETS),
        index=list(DATASETS).index(DEFAULTS["pvr_dataset"]),
        key="pvr_dataset",
        bind="query-params",
        format_func=lambda name: DATASETS[name],
    )
    with st.expander("More settings"):
        batch = st.select_slider(
            "Batch size", [16, 32, 64, 128, 256], value=DEFAULTS["pvr_batch"], key="pvr_batch", bind="query-params"
        )
        preact = st.checkbox("Pre-activation blocks", DEFAULTS["pvr_preact"], key="pvr_preact", bind="query-params")
        shortcut = st.radio(
            "Shortcut where shapes change",
            ["A", "B"],
            horizontal=True,
            key="pvr_shortcut",
            bind="query-params",
            help="A: zero-padding (no parameters) · B: 1×1 projection",
        )
        limit = st.number_input(
            "Training images (0 = all)",
            0,
            60_000,
            DEFAULTS["pvr_limit"],
            step=500,
            key="pvr_limit",
            bind="query-params",
            help="A seeded subset: big datasets on a CPU",
        )
        seed = st.number_input("Seed", 0, 10_000, 0, key="pvr_seed", bind="query-params")
        device = st.selectbox("Device", ["auto", "cpu", "cuda"], key="pvr_device", bind="query-params")

shallow, deep = depths[0], (custom_depth or depths[1])
common = dict(
    width=width,
    epochs=epochs,
    lr=lr,
    batch_size=batch,
    dataset=dataset,
    preact=preact,
    shortcut=shortcut,
    seed=int(seed),
    device=device,
    train_limit=int(limit) or None,
)
configs = [RunConfig(net=net, depth=d, **common) for d in sorted({shallow, deep}) for net in ("plain", "resnet")]

try:
    estimates = check_comparison(configs)  # the runs train side by side: their memory adds up
    settings_error = None
except UserError as exc:
    estimates, settings_error = [], exc


def replay(run_ids: list[int], name: str) -> None:
    try:  # histories only: no weights to load, so a replay is instant
        ss.pvr_replay = [(r.config, r.history) for r in (store.load(i, with_model=False) for i in run_ids)]
    except UserError as exc:  # deleted by its owner meanwhile
        ss.pvr_store_note = f"Cannot replay {name}: {exc}"
        return
    ss.pvr_replay_name, ss.pvr_view = name, "replay"


def delete(run_ids: list[int]) -> None:
    """Deletes this session's own runs only; the others belong to whoever started them."""
    gone = [i for i in run_ids if store.delete(i, owner=training_panel.owner())]
    kept = len(run_ids) - len(gone)
    ss.pvr_store_note = f"Deleted {len(gone)} run(s)" + (
        f"; {kept} kept: started by another session, the CLI or a scene, they are not yours to delete" if kept else ""
    )
    if ss.get("pvr_view") == "replay":
        ss.pvr_view = "live"


def export(run_ids: list[int]) -> str:
    try:
        return store.export_json(run_ids)
    except UserError as exc:  # deleted meanwhile: the file says so instead of being empty
        return json.dumps({"error": str(exc)})


buttons = training_panel.controls("pvr", configs, disabled=settings_error is not None)
stored_ids = None if settings_error else store.find(configs)
if settings_error:
    show_user_error(settings_error)
elif stored_ids:  # Start replays them: no training time to warn about
    buttons[3].caption(f"{len(configs)} runs: {', '.join(c.label for c in configs)} · stored: no training wait")
else:
    total = sum(e.seconds for e in estimates)
    memory = max(e.memory_bytes for e in estimates)
    buttons[3].caption(
        f"{len(configs)} runs: {', '.join(c.label for c in configs)} · estimated "
        f"**{format_duration(total)}** on this machine, {memory / 2**20:,.0f} MiB peak per run"
    )
    if total > 600:
        st.warning(
            f"This comparison would take about {format_duration(total)} here; fewer epochs, "
            "a smaller depth or width, or a GPU make it a live demo.",
            icon="⏳",
        )
if ss.get("pvr_start"):  # a fresh start shows the live view, not an old replay
    ss.pvr_view = "live"


# ---------------------------------------------------------------- live / replayed results
def show_results(runs, running_now: bool) -> None:
    if not runs:
        return
    summary = degradation_summary(runs)
    finished = all(len(h.epochs) == c.epochs for c, h in runs)
    if summary and finished:
        st.success(summary, icon="📉")
    top = st.columns(2)
    with top[0]:
        show(curve_figure(runs, "train_error"), key="pvr_fig_train_error", name="training_error")
    with top[1]:
        show(curve_figure(runs, "test_error"), key="pvr_fig_test_error", name="test_error")
    bottom = st.columns(2)
    epochs_done = max(len(h.epochs) for _, h in runs)
    snapshot = None
    if not running_now and epochs_done > 1:
        snapshot = bottom[0].slider("Gradient snapshot after epoch", 1, epochs_done, epochs_done, key="pvr_snapshot")
    with bottom[0]:
        show(gradient_flow_figure(runs, snapshot), key="pvr_fig_grad", name="gradient_flow")
    bottom[0].caption(
        "Norm of each layer's weight gradient on one batch. In a deep plain net it spans orders "
        "of magnitude across the layers — at initialisation it explodes towards the input (BatchNorm "
        "does that in deep plain stacks), once training settles the early layers get the smallest "
        "share. The shortcuts of a residual net keep every layer's gradient within a narrow band "
        "(the table's *spread* column)."
    )
    with bottom[1]:
        show(curve_figure(runs, "train_loss"), key="pvr_fig_loss", name="training_loss")
    st.dataframe(summary_rows(runs), hide_index=True, width="stretch")


def stored_panel() -> None:
    """Before any training in this session: the stored runs of exactly these settings, if any."""
    if stored_ids:  # trained before (a prepared scene, the CLI, another session): replay at once
        st.info(
            f"Showing **stored runs** {', '.join(map(str, stored_ids))} of exactly these settings — no "
            "training wait. Identical runs are never trained twice (**▶ Start** replays them); change "
            "the seed to train new ones.",
            icon="💾",
        )
        show_results([(r.config, r.history) for r in (store.load(i, with_model=False) for i in stored_ids)], False)
        return
    st.info("Press **▶ Start** above (or pick a preset in the sidebar) to train the comparison.", icon="👆")


if ss.get("pvr_view", "live") == "replay" and ss.get("pvr_replay"):
    st.subheader(f"Replay: {ss.pvr_replay_name}")
    show_results(ss.pvr_replay, False)
elif not training_panel.live("pvr", show_results):
    stored_panel()

# ---------------------------------------------------------------- stored runs
running = training_panel.running("pvr")
with st.expander("Stored runs: replay a comparison", expanded=False):
    stored = store.list()
    report_damaged(store)
    groups: dict[str, list] = {}
    for info in stored:
        groups.setdefault(info.comparison or f"run {info.id}", []).append(info)
    if not groups:
        st.caption("Every comparison started here, by a scene or with `python -m core train` appears here.")
    else:
        names = list(groups)
        choice = st.selectbox(
            "Comparison",
            names,
            key="pvr_stored",
            format_func=lambda n: (
                f"{n} · {', '.join(i.label + ('' if i.status == 'finished' else f' ({i.status})') for i in reversed(groups[n]))}"
            ),
        )
        ids = [info.id for info in reversed(groups[choice])]
        replay_col, live_col, delete_col, export_col = st.columns(4)
        replay_col.button(
            "Replay", key="pvr_replay_btn", disabled=running, width="stretch", on_click=replay, args=(ids, choice)
        )
        live_col.button(
            "Back to live training", key="pvr_live_btn", width="stretch", on_click=lambda: ss.update(pvr_view="live")
        )
        mine = [
            i.id for i in groups[choice] if i.owner == training_panel.owner() and i.status not in ("queued", "running")
        ]
        delete_col.button(
            "Delete mine",
            key="pvr_delete_btn",
            disabled=running or not mine,
            width="stretch",
            on_click=delete,
            args=(mine,),
            help="Deletes the runs this session started; runs of other sessions, the CLI or scenes stay",
        )
        export_col.download_button(
            "Runs (JSON)",
            lambda: export(ids),
            "convatlas_runs.json",
            "application/json",
            key="pvr_export_btn",
            on_click="ignore",
            width="stretch",
        )
        if ss.get("pvr_store_note"):
            st.caption(ss.pop("pvr_store_note"))
