"""The CLI is a contract: `list`, `count resnet50 --json` and `graph resnet34` print byte for byte what
they printed before the code was regrouped (golden files made with the flat layout of 2026-11)."""

import subprocess
import sys
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize(
    "args, golden",
    [
        (["list"], "list.txt"),
        (["count", "resnet50", "--json"], "count_resnet50.json"),
        (["graph", "resnet34"], "graph_resnet34.dot"),
    ],
)
def test_output_is_byte_identical(args, golden):
    out = subprocess.run([sys.executable, "-m", "core", *args], capture_output=True, timeout=300)
    assert out.returncode == 0, out.stderr.decode()
    assert out.stdout == (GOLDEN / golden).read_bytes()
