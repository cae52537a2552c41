"""Figures and summaries of training runs (plotly figures built from `History` data, no Streamlit).

Conventions of the "Plain vs Residual" page: one colour per depth, plain nets dashed, residual nets
solid, big fonts for a projector.
"""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.figures.theme import LOG_AXIS, SERIES, layout
from core.training.config import History, RunConfig

METRICS = {  # key -> (title, y-axis label, source, per cent)
    "train_error": ("Training error", "training error (%)", "steps", True),
    "test_error": ("Test error", "test error (%)", "epochs", True),
    "train_loss": ("Training loss", "cross-entropy loss", "steps", False),
}

Runs = list[tuple[RunConfig, History]]


def _style(runs: Runs) -> dict[int, dict]:
    depths = sorted({c.depth for c, _ in runs})
    return {
        i: dict(color=SERIES[depths.index(c.depth) % len(SERIES)], dash="solid" if c.net == "resnet" else "dash")
        for i, (c, _) in enumerate(runs)
    }


def smooth(values: list[float], window: int) -> list[float]:
    """Trailing moving average (per-step metrics are noisy; the paper's curves are averaged too)."""
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v - (values[i - window] if i >= window else 0.0)
        out.append(total / min(i + 1, window))
    return out


def curve_figure(runs: Runs, metric: str) -> go.Figure:
    """One metric against epochs for every run (steps smoothed over half an epoch)."""
    title, y_title, source, percent = METRICS[metric]
    styles, fig = _style(runs), go.Figure()
    scale = 100.0 if percent else 1.0
    for i, (config, history) in enumerate(runs):
        if source == "steps":
            steps = history.steps
            per_epoch = round(steps[0]["step"] / steps[0]["epoch"]) if steps else 1
            key = "error" if metric == "train_error" else "loss"
            x = [s["epoch"] for s in steps]
            y = [scale * v for v in smooth([s[key] for s in steps], max(1, per_epoch // 2))]
            mode = "lines"
        else:
            x = [e["epoch"] for e in history.epochs]
            y = [scale * e[metric] for e in history.epochs]
            mode = "lines+markers"
        fig.add_trace(go.Scatter(x=x, y=y, mode=mode, name=config.label, line=dict(width=3, **styles[i])))
    layout(fig, title, x_title="epoch", y_title=y_title, hovermode="x unified")
    fig.update_yaxes(**(LOG_AXIS if metric == "train_loss" else dict(type="linear")))
    # the whole run on the x axis from the start, so live curves grow into a fixed frame
    return fig.update_xaxes(range=[0, max((c.epochs for c, _ in runs), default=1)])


def gradient_flow_figure(runs: Runs, epoch: int | None = None) -> go.Figure:
    """Per-layer gradient norms at initialisation and after `epoch` (latest if None), log scale:
    layer 1 is next to the input, so a vanishing gradient shows as a curve falling to the left."""
    fig = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        horizontal_spacing=0.04,
        subplot_titles=("at initialisation", "after epoch ?"),
    )
    styles, shown_epoch = _style(runs), None
    for i, (config, history) in enumerate(runs):
        if not history.grad_norms:
            continue
        snapshots = [g for g in history.grad_norms if g["step"] > 0]
        if epoch is not None:
            snapshots = [g for g in snapshots if round(g["epoch"]) <= epoch]
        for col, snap in ((1, history.grad_norms[0]), (2, snapshots[-1] if snapshots else None)):
            if snap is None:
                continue
            if col == 2:
                shown_epoch = max(shown_epoch or 0, round(snap["epoch"]))
            x = list(range(1, len(snap["norms"]) + 1))
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=snap["norms"],
                    mode="lines",
                    name=config.label,
                    legendgroup=config.label,
                    showlegend=col == 1,
                    line=dict(width=3, **styles[i]),
                ),
                row=1,
                col=col,
            )
    fig.layout.annotations[1].text = f"after epoch {shown_epoch}" if shown_epoch else "after training (not yet)"
    # a short title and one x title per panel: this figure shares its row with another (half the width)
    layout(fig, "Gradient norm per layer", height=480, margin=dict(l=80, r=20, t=90, b=70))
    fig.update_xaxes(title="layer (1 = input side)", row=1, col=1)
    fig.update_xaxes(title="layer", row=1, col=2)
    fig.update_yaxes(title="gradient norm (log)", row=1, col=1)
    fig.update_yaxes(**LOG_AXIS)
    return fig


def summary_rows(runs: Runs) -> list[dict]:
    rows = []
    for config, history in runs:
        last = history.epochs[-1] if history.epochs else {}
        init = history.grad_norms[0]["norms"] if history.grad_norms else None
        rows.append(
            {
                "run": config.label,
                "epochs": f"{len(history.epochs)}/{config.epochs}",
                "gradient spread at init (max/min)": round(max(init) / min(init), 1) if init else None,
                "train error %": round(100 * last["train_error"], 2) if last else None,
                "test error %": round(100 * last["test_error"], 2) if last else None,
                "train loss": round(last["train_loss"], 4) if last else None,
                "seconds": last.get("seconds"),
                "images/s": round(last["images_per_s"]) if last else None,
            }
        )
    return rows


def degradation_summary(runs: Runs) -> str | None:
    """One sentence on the degradation effect: deepest vs shallowest plain and residual net
    (final training error, as in the paper's Fig. 1; for the residual nets the test error too, since
    "depth helps" is a claim about it), or None when the runs do not allow it."""
    finals = {}
    for config, history in runs:
        if history.epochs:
            last = history.epochs[-1]
            finals[(config.net, config.depth)] = (100 * last["train_error"], 100 * last["test_error"])
    parts = []
    for net, name in (("plain", "plain"), ("resnet", "ResNet")):
        depths = sorted(d for n, d in finals if n == net)
        if len(depths) >= 2:
            lo, hi = depths[0], depths[-1]
            (a, a_test), (b, b_test) = finals[(net, lo)], finals[(net, hi)]
            verdict = "worse than" if b > a + 0.5 else "better than" if b < a - 0.5 else "as well as"
            text = f"{name}-{hi} trains {verdict} {name}-{lo} ({b:.1f}% vs {a:.1f}% training error)"
            if net == "resnet":
                tested = "worse" if b_test > a_test + 0.5 else "better" if b_test < a_test - 0.5 else "as well"
                text += f" and tests {tested} ({b_test:.1f}% vs {a_test:.1f}% test error)"
            parts.append(text)
    return "; ".join(parts) + "." if parts else None
