"""Linked views on a trained net: what deleting a block does and how much gradient it gets, from a run in
the store. Shown by the Architecture page beside a block picked in its graph."""

from __future__ import annotations

import streamlit as st

from core.errors import UserError
from core.figures.paths import block_strip
from core.models import zoo
from ui import cached
from ui.figures import show
from ui.page import open_store, show_user_error


def runs_of(name: str, options: dict) -> list:
    """Finished runs with weights of the CIFAR net `name` at the page's width, pre-activation and
    shortcut (any dataset, epochs or seed), newest first."""
    match = zoo.CIFAR_NAME.match(name)
    if not match:
        return []
    want = {
        "net": match[1],
        "depth": int(match[2]),
        "width": options.get("width", zoo.CIFAR_OPTIONS["width"]),
        "preact": options.get("preact", False),
    }
    if match[1] == "resnet":
        want["shortcut"] = options.get("shortcut", "A")
    runs = [r for r in open_store().list(status="finished") if r.has_weights]
    return [r for r in runs if all(getattr(r.config, k) == v for k, v in want.items())]


def linked_block(name: str, options: dict, block: str) -> None:
    """The picked block's lesion error and gradient norm on the newest (or a chosen) trained run, and
    the strip of every block, in which a click picks another block."""
    if not zoo.CIFAR_NAME.match(name):
        st.caption(
            "Lesion effect and gradient norm: on the CIFAR nets (cifar-resnet-N, cifar-plain-N) once one is "
            "trained in this app."
        )
        return
    runs = runs_of(name, options)
    if not runs:
        st.caption(
            f"No trained {name} at these settings is stored yet. Train one on *Plain vs Residual* or "
            "*Ensemble of Paths*; this box then shows what deleting the block does to its test error and "
            "how much gradient the block gets."
        )
        return
    run = runs[0]
    if len(runs) > 1:
        by_id = {r.id: r for r in runs}
        run = by_id[
            st.selectbox("Trained run", list(by_id), format_func=lambda i: by_id[i].describe(), key="block_run")
        ]
    try:
        with st.spinner(f"Deleting each block of run #{run.id} in turn and measuring its gradient…"):
            effects = cached.block_effects(run.id, run.created)
    except UserError as exc:
        show_user_error(exc)
        return
    rows = effects["rows"].set_index("block")
    if block not in rows.index:
        st.caption(
            f"{block} is not a residual or plain block (stem, pooling and classifier are not deleted); "
            "pick one of stage1–3 to see its lesion effect."
        )
    else:
        r, intact = rows.loc[block], effects["intact_error"]
        cols = st.columns(3)
        if r.deletable:
            cols[0].metric(
                "Test error with it deleted",
                f"{r.error:.1%}",
                f"{100 * (r.error - intact):+.1f} points vs intact {intact:.1%}",
                delta_color="inverse",
                help="Run's own test set; the block's branch returns zeros (a plain layer passes its input on)",
            )
        else:
            cols[0].metric("Test error with it deleted", "—", help="A plain downsampling layer cannot be deleted")
        rank = int((rows.grad_norm > r.grad_norm).sum()) + 1
        cols[1].metric(
            "Gradient norm ‖∂L/∂W‖",
            f"{r.grad_norm:.3g}",
            f"rank {rank} of {len(rows)} blocks",
            delta_color="off",
            delta_arrow="off",
            help="Norm of the test loss's gradient with respect to the block's weights (256 test images)",
        )
        cols[2].metric("Trained run", f"#{run.id}", run.config.dataset, delta_color="off", delta_arrow="off")
    st.caption(
        f"{run.describe()}. Every block of the trained net below; click a bar to pick that block "
        "(orange). Hatched: downsampling blocks; dotted line: the intact net."
    )
    show(
        block_strip(effects, "error", {block}),
        key=f"linked-strip-{run.id}",
        name=f"lesion_per_block_run{run.id}",
        on_click=lambda data: st.session_state.update(block=data[0]),
    )
