"""The Ensemble of Paths page's sentences come from the analyses' own numbers, and say so when an
effect of Veit et al. does not appear."""

from __future__ import annotations

import pandas as pd

from core.figures.paths import single_lesion_summary, sweep_summary


def _single(errors, downsampling=()):
    rows = pd.DataFrame(
        {
            "block": [f"stage1.{i}" for i in range(len(errors))],
            "stage": 1,
            "index": range(len(errors)),
            "downsampling": [i in downsampling for i in range(len(errors))],
            "deletable": True,
            "error": errors,
        }
    )
    return {"intact_error": 0.02, "rows": rows, "summary": None}


def test_single_deletions_barely_matter_or_the_page_says_they_do_not():
    mild = single_lesion_summary({"ResNet-56": _single([0.03, 0.04, 0.05, 0.30], downsampling=(3,))})
    assert "3 of 4 deletions cost at most 5 points" in mild and "stage1.3 (a downsampling block)" in mild
    assert "gives 30%" in mild and "most single deletions barely matter" in mild
    harsh = single_lesion_summary({"ResNet-56": _single([0.71, 0.31, 0.05, 0.20])})
    assert "1 of 4 deletions" in harsh and "not the small effect Veit et al. report" in harsh
    assert "worst, stage1.0, gives 71%" in harsh
    plain = {**_single([0.71, 0.81, 0.9, 0.6]), "residual": False}
    assert "a plain net breaks, as Veit et al. found" in single_lesion_summary({"plain-20": plain})


def test_a_net_that_never_learned_is_not_read_as_an_ensemble():
    """A net at chance (91% intact error) whose deletions change nothing must not be read as 'deletions
    barely matter' (a lecture deck prepared with too few epochs showed exactly that)."""
    chance = {**_single([0.91, 0.92, 0.91, 0.90]), "intact_error": 0.91}
    text = single_lesion_summary({"ResNet-56": chance})
    assert "has not learned" in text and "barely matter" not in text
    flat = sweep_summary({"ResNet-56": _sweep([0.91, 0.91, 0.92])})
    assert "has not learned (intact 91%)" in flat and "smooth" not in flat


def _sweep(means, mins=None, maxs=None):
    ks = list(range(0, 3 * len(means), 3))
    summary = pd.DataFrame({"k": ks, "mean": means, "std": 0.0, "min": mins or means, "max": maxs or means})
    return {"intact_error": means[0], "rows": None, "summary": summary}


def test_sweep_sentence_calls_a_jump_a_jump():
    concave = [0.02, 0.15, 0.27, 0.37, 0.46, 0.54, 0.61, 0.67, 0.72, 0.76]  # steps 13 .. 4 points: smooth
    smooth = sweep_summary({"ResNet-56 (sd 0.5)": _sweep(concave)})
    assert smooth.startswith("ResNet-56 (sd 0.5): 2.0% at k = 0, 15.0% on average at k = 3")
    assert "a smooth rise" in smooth and "76% at k = 27 deleted blocks" in smooth
    jumpy = [0.02, 0.41, 0.60, 0.72, 0.80, 0.85, 0.87, 0.88, 0.89, 0.90]  # the ResNet-56: 39 points at once
    mins = [0.02, 0.06] + jumpy[2:]
    maxs = [0.02, 0.71] + jumpy[2:]
    jump = sweep_summary({"ResNet-56": _sweep(jumpy, mins, maxs)})
    assert "range 6–71%" in jump and "not a smooth rise: 39 of its 88 points come between k = 0 and k = 3" in jump
    flat = sweep_summary({"plain-20": _sweep([0.05, 0.05])}, what="swapped pairs")
    assert "does not rise" in flat and "swapped pairs" in flat
