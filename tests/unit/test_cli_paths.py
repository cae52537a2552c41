"""`python -m core paths`: train into a temporary run store, analyse the stored run, refuse bad input."""

import json
import os
import subprocess
import sys


def run_cli(home, *args):
    return subprocess.run(
        [sys.executable, "-m", "core", "paths", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "CONVATLAS_HOME": str(home)},
    )


def test_paths_cli_trains_then_analyses_a_stored_run(tmp_path):
    out = run_cli(tmp_path, "--train", "resnet-8", "--epochs", "1", "--json")
    assert out.returncode == 0, out.stderr
    single = json.loads(out.stdout)
    assert single["net"] == "ResNet-8" and single["analysis"] == "single" and single["blocks"] == 3
    assert [r["block"] for r in single["rows"]] == ["stage1.0", "stage2.0", "stage3.0"]
    assert all(0 <= r["error"] <= 1 for r in single["rows"]) and single["rows"][1]["downsampling"]

    out = run_cli(tmp_path, "--run", str(single["run"]), "--lesion", "random", "--k", "0,3", "--samples", "2", "--json")
    assert out.returncode == 0, out.stderr
    random_sweep = json.loads(out.stdout)
    assert [r["k"] for r in random_sweep["summary"]] == [0, 3] and len(random_sweep["rows"]) == 4
    assert random_sweep["summary"][0]["mean"] == single["intact_error"]

    out = run_cli(tmp_path, "--run", str(single["run"]), "--gradient")
    assert out.returncode == 0 and "gradient_per_path" in out.stdout and "intact test error" in out.stdout

    out = run_cli(tmp_path, "--run", str(single["run"]), "--lesion", "random", "--k", "4")
    assert out.returncode == 2 and out.stderr.strip() == (
        "error: k must be between 0 and 3 (the number of deletable blocks of this net), got 4"
    )


def test_paths_cli_bad_input(tmp_path):
    out = run_cli(tmp_path, "--run", "7")
    assert out.returncode == 2 and out.stderr.strip() == "error: no stored run with id 7"
    out = run_cli(tmp_path, "--train", "resnet-9")
    assert out.returncode == 2 and "Traceback" not in out.stderr and "6n+2" in out.stderr
