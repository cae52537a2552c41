"""Transfer Learning: freeze and cache features, fine-tune some stages, or train everything."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from core.errors import UserError
from core.experiments import transfer, transfer_jobs
from core.figures import transfer as transfer_figures
from core.training.data import DATASETS
from ui import training_panel
from ui.figures import show
from ui.page import setup, show_user_error

setup("Transfer Learning", "🎁")
st.title("Transfer learning")
st.markdown(
    "Take a network trained on a **source** task and replace its classifier with one for your classes. "
    "With very few labels, **freeze** it: the frozen part is a fixed function, so its features are computed "
    "**once**, saved to disk, and only a linear classifier is trained on them. With more labels, **fine-tune** "
    "the last stages; with many, use the source weights only as the **initialisation**. Below: every choice "
    "on the same target task, the same labelled examples and the same seeds, measured here."
)

TASKS = list(transfer.TASKS)
SHOT_CHOICES = ["1", "3", "10", "30", "all"]
IMAGES = {  # the offline data sets a task is built from
    "digits32": "digits re-rendered at 32×32 RGB (CIFAR's geometry, minutes)",
    "digits": "Quick: 8×8 digits (about a minute)",
}
c0, c1, c2, c3 = st.columns([2, 2, 1, 1])
dataset = c0.selectbox(
    "Images",
    list(IMAGES),
    format_func=IMAGES.get,
    key="tl_dataset",
    bind="query-params",
    help="Both tasks are built from this offline set. On the 8×8 digits training from scratch on one image "
    "per class already reaches about half right, so frozen features rarely beat it there.",
)
task_name = c1.selectbox(
    "Source → target task",
    TASKS,
    index=TASKS.index(transfer.DEFAULT_TASK),
    format_func=lambda t: transfer.TASKS[t],
    key="tl_task",
    bind="query-params",
)
depth = c2.selectbox("Source net (ResNet depth)", [8, 14, 20], key="tl_depth", bind="query-params")
seeds = c3.slider("Seeds", 1, 3, 1, key="tl_seeds", bind="query-params", help="each seed: its own labelled draw")
c4, c5, c6 = st.columns([2, 2, 1])
shots_choice = c4.select_slider(
    "Labelled examples per target class", SHOT_CHOICES, value="1", key="tl_shots", bind="query-params"
)
frozen_stages = c5.slider(
    "Stages frozen (of 3)",
    0,
    3,
    3,
    key="tl_frozen",
    bind="query-params",
    help="3: everything frozen, linear classifier on cached features; 2: fine-tune stage 3; "
    "1: fine-tune stages 2–3; 0: fine-tune everything (the stem too).",
)
recipe_steps = transfer.recipe_for(dataset).steps
steps = c6.selectbox(
    "SGD steps per target run",
    [0, 25, 50, 100, 200, 400],
    format_func=lambda k: f"{recipe_steps} (the data's)" if k == 0 else str(k),
    key="tl_steps",
    bind="query-params",
    help="The same for every strategy and label count. The data's own: the setting its task was chosen with "
    "(400 on the 32×32 digits, 100 on the 8×8).",
)
STRATEGY_OF_FROZEN = {3: "frozen", 2: "last1", 1: "last2", 0: "all"}
SOURCE_ORIGIN = {True: "a stored run, reused", False: "trained for this comparison"}

try:
    settings = transfer_jobs.SweepSettings(
        task=task_name, dataset=dataset, depth=depth, seeds=tuple(range(1, seeds + 1)), steps=steps or None
    )
except UserError as exc:  # a hand-edited URL
    show_user_error(exc)
    st.stop()


def find():
    info = transfer_jobs.find(settings)
    return transfer_jobs.check_interrupted(info) if info else None


info = training_panel.sweep_panel(
    "tl",
    find,
    lambda owner: transfer_jobs.submit(settings, owner),
    transfer_jobs.stop,
    settings.runs,
    start_label="▶ Run the comparison",
)
st.markdown(f"**Task.** {transfer.TASKS[task_name]}. Images: {DATASETS[dataset]}.")
if info is None or info.status != "finished":
    if info is not None and info.status in ("stopped", "interrupted") and info.rows:
        st.warning(
            f"{info.status.capitalize()} after {len(info.rows)} of {settings.runs} runs. They are kept: "
            "**▶ Continue** trains only the rest (the source net and its cached features are reused).",
            icon="⏸️",
        )
    elif info is not None and info.status in ("stopped", "interrupted"):
        st.warning(
            f"{info.status.capitalize()} before the first run finished (while the source net trained): "
            "**▶ Continue** starts again.",
            icon="⏸️",
        )
    if info is not None and info.rows:
        with st.expander(f"The {len(info.rows)} runs finished so far"):
            st.dataframe(pd.DataFrame(info.rows), hide_index=True, width="stretch")
    if info is None:
        st.info(
            f"Press **Run the comparison** to train a ResNet-{depth} source net (stored in the run store and "
            f"reused next time) and then every strategy on {', '.join(SHOT_CHOICES)} labelled examples per "
            f"class, {seeds} seed{'s' if seeds > 1 else ''}: {settings.runs} runs, as one job on the training "
            "engine. Anyone who opens these settings watches the same job; on a busy CPU it takes minutes."
        )
    st.stop()

result = transfer_jobs.result(info)
table = result.table
means = transfer.summary(table)
max_shots = int(means["shots"].max())
shots = max_shots if shots_choice == "all" else int(shots_choice)
strategy = STRATEGY_OF_FROZEN[frozen_stages]
row = means[(means["strategy"] == strategy) & (means["shots"] == shots)].iloc[0]
scratch = means[(means["strategy"] == "scratch") & (means["shots"] == shots)].iloc[0]
n_seeds = int(row["seeds"])
st.markdown(
    f"Source: **{result.source_label}** ({SOURCE_ORIGIN[result.source_reused]}), "
    f"**{result.source_accuracy:.1%}** on the source "
    f"test images. Each target run: {result.steps} SGD steps."
)
m1, m2, m3 = st.columns(3)
m1.metric(
    f"{transfer.STRATEGIES[strategy]}",
    f"{row['accuracy']:.1%}",
    f"{(row['accuracy'] - scratch['accuracy']) * 100:+.1f} points vs from scratch",
    help=f"target test accuracy, mean of {n_seeds} seed(s), {shots_choice} labelled example(s) per class",
)
m2.metric("From scratch", f"{scratch['accuracy']:.1%}", help=f"same labels and seeds ({n_seeds})")
m3.metric(f"Training time per run ({transfer.STRATEGIES[strategy]})", f"{row['train_seconds']:.2f} s")

st.subheader("1 · Target accuracy against the number of labels")
st.caption(
    f"Lines: mean over {n_seeds} seed(s); faint dots: each seed. The ring is the setting chosen above. "
    f"'all' = every labelled target training image ({max_shots} or more per class)."
)
show(transfer_figures.accuracy_figure(table, (strategy, shots)), key="tl_accuracy", name="transfer_accuracy")

few, many = int(means["shots"].min()), max_shots


def acc(strategy_key: str, k: int) -> float:
    return float(means[(means["strategy"] == strategy_key) & (means["shots"] == k)]["accuracy"].iloc[0])


best = max(("last1", "last2", "all"), key=lambda s: acc(s, many))
passes = result.steps * settings.recipe.batch_size / int(table["labels"].max())
st.markdown(
    f"**On these runs:** with {few} label(s) per class, frozen features + linear **{acc('frozen', few):.1%}** vs "
    f"from scratch **{acc('scratch', few):.1%}**; with all labels, {transfer.STRATEGIES[best]} "
    f"**{acc(best, many):.1%}** vs frozen **{acc('frozen', many):.1%}** and from scratch **{acc('scratch', many):.1%}**. "
    f"Every run had the same {result.steps} SGD steps of {settings.recipe.batch_size} images: with all "
    f"{int(table['labels'].max())} labelled images that is {passes:.1f} passes over them, so 'from scratch' is also "
    "measured on how fast it learns, where a source net's weights give a head start."
)

st.subheader("2 · What each choice costs")
frozen_s = float(table[table["strategy"] == "frozen"]["train_seconds"].mean())
frozen_runs = int((table["strategy"] == "frozen").sum())
last1_s = float(table[table["strategy"] == "last1"]["train_seconds"].mean())
cached_big = float(
    table[(table["strategy"] == "frozen") & (table["shots"] == result.recompute_shots)]["train_seconds"].iloc[0]
)
st.caption(
    f"Measured by the worker that ran this comparison ({transfer_jobs.measured_on(info) or 'its CPU'}). "
    f"The frozen net's features of all {int(table['labels'].max())} "
    f"target training images took {result.feature_seconds:.2f} s once "
    f"({'read from the cache file' if result.features_from_disk else 'then saved'}: "
    f"`{Path(result.feature_path).name}` in the feature cache). "
    f"The same linear classifier trained by running the frozen net at every step took "
    f"{result.recompute_seconds:.2f} s vs {cached_big:.3f} s on the cached features "
    f"(**{result.recompute_seconds / max(cached_big, 1e-9):.0f}×**); the one feature pass serves all "
    f"{frozen_runs} frozen runs of this comparison. Fine-tuning the last stage took "
    f"{last1_s:.2f} s per run vs {frozen_s:.3f} s."
)
show(transfer_figures.time_figure(table, result.feature_seconds), key="tl_time", name="transfer_time")

with st.expander("Every run (accuracy per strategy × labels per class × seed)"):
    st.dataframe(
        table.assign(accuracy=(table["accuracy"] * 100).round(1), train_seconds=table["train_seconds"].round(3)),
        hide_index=True,
        width="stretch",
    )
