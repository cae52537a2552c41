"""ConvAtlas landing page: what it is and a card per page."""
import streamlit as st

from ui.page import setup

setup("ConvAtlas", "🧭")
st.title("🧭 ConvAtlas")
st.markdown(
    "An interactive explorer of deep CNN architectures — ResNet, Inception, Xception, VGG, MobileNet "
    "and more. Move the sliders for depth and width and *see* why these designs work."
)

PAGES = [
    ("pages/1_Architecture.py", "Architecture", "🏛️",
     "Pick a net from the zoo: its block graph with skip connections, per-layer multiply counts and parameters."),
    ("pages/2_Compare.py", "Compare", "⚖️",
     "2–4 nets side by side (VGG-19 / plain-34 / ResNet-34 by default), stage by stage, and accuracy vs cost."),
    ("pages/3_Cost_Lab.py", "Cost Lab", "🧮",
     "Why 1×1 bottlenecks, depthwise separables and factorised kernels are cheap: calculators with the arithmetic."),
    ("pages/4_Plain_vs_Residual.py", "Plain vs Residual", "📉",
     "Train plain and residual nets live, side by side: the deeper plain net trains worse; skip connections fix it."),
    ("pages/5_Ensemble_of_Paths.py", "Ensemble of Paths", "🕸️",
     "Unravel a ResNet into 2ⁿ paths, delete its blocks at test time, and see which paths carry the gradient."),
    ("pages/6_Representation_Drift.py", "Representation Drift", "🌊",
     "Residual stages refine one representation; plain nets re-represent at every layer: CKA, per-block change, paths."),
]
columns = st.columns(3)
for i, (path, label, icon, caption) in enumerate(PAGES):
    with columns[i % 3].container(border=True):
        st.page_link(path, label=label, icon=icon)
        st.caption(caption)

st.header("Scenes for a lecture")
st.caption("Each opens a page set up for one point of the lecture. Scenes that train are precomputed with "
           "`python -m core scene NAME` and then replay at once; presentation view is in the sidebar's Lecture mode.")
from core import scenes  # noqa: E402  (after the cards: the landing page shows before torch loads)

columns = st.columns(3)
for i, scene in enumerate(scenes.SCENES):
    with columns[i % 3].container(border=True):
        st.markdown(f"**{scene.title}**")
        st.caption(scene.caption)
        st.page_link(scene.page, label="Open scene", icon="▶️", query_params=scene.params)
        if scene.runs:
            todo = len(scenes.missing_runs(scene))
            st.caption("💾 runs stored: replays at once" if not todo else
                       f"⏳ {todo} run(s) to train first: `python -m core scene {scene.key}`")
