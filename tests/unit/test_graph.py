"""Block graph: structure read from the per-layer table, DOT that Graphviz renders, the CLI contract."""

import re
import shutil
import subprocess
import sys

import pytest

from core.anatomy.graph import LEVELS, skip_counts, to_dot, to_svg
from core.anatomy.profile import profile
from core.cli import main
from core.errors import UserError


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "core", *args], capture_output=True, text=True, timeout=120)


def nodes_with(dot: str, text: str) -> int:
    return sum(text in line for line in dot.splitlines() if re.match(r"\s*n\d+ \[label=", line))


def test_resnet34_skips_and_dashed_projections():
    result = profile("resnet34")
    for level in ("block", "layer"):
        dot = to_dot(result, level)
        assert skip_counts(dot) == {"identity": 13, "projection": 3}  # 16 blocks, 3 stage changes
        dashed = [line for line in dot.splitlines() if 'class="skip projection"' in line]
        assert all('style="dashed"' in line for line in dashed)
        identity = [line for line in dot.splitlines() if 'class="skip identity"' in line]
        assert not any("dashed" in line for line in identity)
    # The layer level has every weighted layer: 33 convs (3 of them projections) + fc = 37 boxes.
    layer = to_dot(result, "layer")
    assert nodes_with(layer, " conv, ") == 36 and nodes_with(layer, "fc 1000") == 1
    assert nodes_with(layer, "1x1 conv") == 3 and layer.count('style="rounded,filled,dashed"') == 3


def test_cifar_option_a_zero_pad_shortcuts_are_dashed_edges_without_weights():
    dot = to_dot(profile("cifar-resnet-20"), "layer")
    assert skip_counts(dot) == {"identity": 7, "projection": 2}
    assert dot.count("subsample + zero-pad") == 2 and nodes_with(dot, "1x1 conv") == 0
    option_b = to_dot(profile("cifar-resnet-20", shortcut="B"), "layer")
    assert skip_counts(option_b) == {"identity": 7, "projection": 2} and nodes_with(option_b, "1x1 conv") == 2


def test_plain_nets_have_no_skips():
    for arch in ("plain34", "cifar-plain-20", "vgg19"):
        for level in LEVELS:
            assert skip_counts(to_dot(profile(arch), level)) == {}


def test_googlenet_inception_modules_show_four_branches_and_concat():
    dot = to_dot(profile("googlenet"), "block")
    clusters = re.findall(r'subgraph "cluster_(inception\w+)" \{(.*?)\n  \}', dot, re.S)
    assert [name for name, _ in clusters] == [
        "inception3a",
        "inception3b",
        "inception4a",
        "inception4b",
        "inception4c",
        "inception4d",
        "inception4e",
        "inception5a",
        "inception5b",
    ]
    for _, body in clusters:
        assert body.count("#branch") == 0  # keys are ids, labels show the layers
        assert len(re.findall(r"\n    n\d+ \[", body)) == 5  # 4 branch nodes + concat
        assert body.count('label="concat"') == 1
    inception3a = clusters[0][1]
    assert "1x1 conv, 96<br/>3x3 conv, 128" in inception3a and "max pool 3x3<br/>1x1 conv, 32" in inception3a
    assert "MACs" in inception3a  # the module's cost on its cluster label


def test_depthwise_separable_units_are_recognisable():
    dot = to_dot(profile("mobilenet_v1"), "block")
    assert nodes_with(dot, "3x3 dw + 1x1 pw, 64") == 1 and nodes_with(dot, "#d6f0df") == 13
    layer = to_dot(profile("xception"), "layer")
    assert nodes_with(layer, "3x3 dw conv") == nodes_with(layer, "1x1 pw conv") == 34
    assert skip_counts(layer) == {"identity": 8, "projection": 4}


def test_stage_level_one_node_per_stage():
    result = profile("resnet34")
    dot = to_dot(result, "stage")
    for stage, res in result.stage_resolution.items():
        assert f"<b>{stage} · {res.replace('x', '×')}</b>" in dot
    assert "6 layers, 3 residual blocks<br/>+ 1 projection shortcut" in dot  # stage5 (conv5_x)
    assert "<b>head</b>" in dot and dot.count(" -> ") == len(result.stage_resolution) + 1


def test_long_runs_collapse_and_totals_are_kept():
    result = profile("resnet152")
    dot = to_dot(result, "block")
    # Stage 4 has 36 blocks: the first projects, then a run of 35 shows two, "32 more", and the last.
    assert "⋮ 32 more blocks like this" in dot and skip_counts(dot)["identity"] < 46
    full = to_dot(result, "block", collapse=0)
    assert skip_counts(full) == {"identity": 46, "projection": 4} and "⋮" not in full


def test_dot_renders_with_graphviz():
    if shutil.which("dot") is None:
        pytest.fail("Graphviz `dot` is not installed (make test installs it)")
    for arch, level in (
        ("resnet34", "layer"),
        ("inception_v3", "block"),
        ("densenet121", "layer"),
        ("cifar-resnet-20", "stage"),
    ):
        svg = to_svg(to_dot(profile(arch), level))
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    svg = to_svg(to_dot(profile("resnet18"), "block"))
    assert svg.count('class="edge skip projection"') == 3 and svg.count('class="edge skip identity"') == 5


def test_title_line_can_be_left_out():
    result = profile("resnet18")
    assert "1.81 G MACs · 11.7 M params · depth 18" in to_dot(result)
    untitled = to_dot(result, title=False)
    assert "MACs · 11.7 M params" not in untitled and 'label=""' in untitled.splitlines()[1]


def test_bad_level_and_missing_graphviz(monkeypatch):
    with pytest.raises(UserError, match="level"):
        to_dot(profile("resnet18"), "blocks")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(UserError, match="Graphviz"):
        to_svg("digraph { a -> b }")


def test_cli_graph_contract(capsys):
    out = run_cli("graph", "cifar-resnet-20", "--level", "layer", "--input", "3,32,32", "--set", "shortcut=B")
    assert out.returncode == 0 and out.stdout.startswith("digraph ")
    assert skip_counts(out.stdout) == {"identity": 7, "projection": 2}
    bad = run_cli("graph", "resnet18", "--level", "pixel")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    for args in (
        ["graph", "nope"],
        ["graph", "vgg19", "--input", "3,8,8"],
        ["graph", "resnet18", "--input", "3,a,2"],
        ["graph", "cifar-resnet-20", "--collapse", "-1"],
    ):
        assert main(args) == 2  # in-process: same code path, no interpreter start-up per case
        err = capsys.readouterr().err
        assert err.startswith("error: ") and len(err.strip().splitlines()) == 1


def test_every_node_of_a_block_carries_its_name_for_the_linked_views():
    """A click on any node of a block (its conv box, its '+', an Inception branch) must name that block;
    the block table behind the linked view adds up to the net."""
    from core.anatomy.compare import block_table
    from core.anatomy.graph import BLOCK_CLASS, block_rows

    for arch in ("cifar-resnet-20", "inception_v3", "mobilenet_v2"):
        result = profile(arch)
        names = set(block_rows(result))
        for level in ("block", "layer"):
            dot = to_dot(result, level)
            nodes = [line for line in dot.splitlines() if re.match(r"\s*n\d+ \[label=", line)]
            tagged = re.findall(r'class="' + re.escape(BLOCK_CLASS) + r'([^"]+)"', dot)
            assert set(tagged) <= names and len(tagged) == len(nodes) - 1, (arch, level)  # all but the input
        assert 'class="block=' not in to_dot(result, "stage")  # a stage node spans many blocks
        table = block_table(result)
        assert table.macs.sum() == result.total_macs and table.params.sum() == result.total_params
    svg = to_svg(to_dot(profile("cifar-resnet-20"), "block"))  # Graphviz is installed by make's set-up
    assert 'class="node block=stage2.0"' in svg  # kept by Graphviz for the browser
