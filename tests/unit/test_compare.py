"""core.anatomy.compare / core.figures.architecture / core.units: the data behind the Architecture and Compare pages."""

import pytest

from core.anatomy import compare
from core.anatomy.profile import profile
from core.figures import architecture as charts
from core.models import zoo
from core.units import human


@pytest.mark.parametrize(
    "n,text",
    [
        (3_663_761_408, "3.66 G"),
        (21_797_672, "21.8 M"),
        (9408, "9.41 K"),
        (512, "512"),
        (999_999, "1.00 M"),
        (99_999, "100 K"),
        (0, "0"),
    ],
)
def test_human_units(n, text):
    assert human(n) == text


@pytest.fixture(scope="module")
def figure3():
    return [profile(n) for n in ("vgg19", "plain34", "resnet34")]


def test_stage_table_aligns_stages_by_resolution(figure3):
    table = compare.stage_table(figure3).set_index("resolution")
    # VGG-19 has a full-resolution stage the ResNets lack; everything else lines up row by row
    assert list(table.index) == ["224x224", "112x112", "56x56", "28x28", "14x14", "7x7", "head", "total"]
    assert table.loc["224x224", "resnet34 MACs"] == "" and table.loc["224x224", "vgg19 output"] == "64x224x224"
    assert table.loc["28x28", "resnet34 output"] == "128x28x28"
    assert table.loc["total", "vgg19 MACs"] == "19.6 G" and table.loc["total", "resnet34 MACs"] == "3.66 G"


def test_stage_rows_add_up_to_the_totals(figure3):
    rows = compare.stage_rows(figure3)
    for p in figure3:
        mine = rows[rows.arch == p.arch]
        assert mine.macs.sum() == p.total_macs and mine.params.sum() == p.total_params


def test_stage_summary_shares(figure3):
    summary = compare.stage_summary(figure3[2]).set_index("stage")
    assert summary.loc["total", "macs"] == figure3[2].total_macs
    assert summary.drop("total").macs_pct.sum() == pytest.approx(100)
    assert summary.loc["stage2", "resolution"] == "56x56"


def test_totals_and_counterparts(figure3):
    totals = compare.totals(figure3).set_index("arch")
    assert totals.loc["plain34", "depth"] == totals.loc["resnet34", "depth"] == 34
    assert totals.loc["plain34", "params"] < totals.loc["resnet34", "params"]  # projection shortcuts (option B)
    assert compare.counterparts("resnet50") == ["resnet50-paper"]
    assert compare.counterparts("googlenet-5x5") == ["googlenet"]
    assert compare.counterparts("cifar-resnet-56") == ["cifar-plain-56"]
    assert compare.counterparts("vgg19") == []


def test_accuracy_points_use_published_figures_or_our_counts():
    names = ["resnet34", "plain34", "inception_v3", "cifar-resnet-20"]
    assert compare.unpublished(names) == ["inception_v3"]  # plain34 is not plotted (10-crop only)
    points = compare.accuracy_points(names).set_index("arch")
    assert "cifar-resnet-20" not in points.index  # no published ImageNet accuracy
    assert points.loc["resnet34", "counted"] == "published"
    assert points.loc["resnet34", "gmacs"] == pytest.approx(profile("resnet34").total_macs / 1e9, abs=5e-4)
    # torchvision counts inception_v3's aux head: we count the model as built instead
    assert points.loc["inception_v3", "counted"] == "profiled"
    assert points.loc["inception_v3", "mparams"] * 1e6 == profile("inception_v3").total_params
    assert "plain34" not in points.index


def test_accuracy_axis_has_one_protocol():
    """1-crop top-1 of ImageNet-1k weights only: the paper's 10-crop plain nets and SWAG weights are
    left off (with the reason), newer-recipe weights are marked, the paper's ResNets are 1-crop."""
    names = [
        "plain18",
        "plain34",
        "resnet18",
        "resnet50",
        "resnet50-paper",
        "resnet101-paper",
        "resnet152-paper",
        "regnet_y_128gf",
        "resnext101_64x4d",
        "resnext50_32x4d",
    ]
    points = compare.accuracy_points(names).set_index("arch")
    left = dict(compare.left_off(names))
    assert set(left) == {"plain18", "plain34", "regnet_y_128gf"} and not set(left) & set(points.index)
    assert "10-crop" in left["plain18"] and "SWAG" in left["regnet_y_128gf"]
    # the authors' repository, 1-crop: ResNet-50/101/152 v1 at 75.3/76.4/77.0, below torchvision's v1.5
    assert [points.loc[f"resnet{d}-paper", "top1"] for d in (50, 101, 152)] == [75.3, 76.4, 77.0]
    assert points.loc["resnet50-paper", "top1"] < points.loc["resnet50", "top1"]
    assert all("1-crop" in src for src in points.top1_source)
    assert (
        not points.loc["resnext101_64x4d", "comparable"] and "newer recipe" in points.loc["resnext101_64x4d", "caveat"]
    )
    assert points.loc["resnext50_32x4d", "comparable"] and points.loc["resnet18", "comparable"]
    assert points.loc["resnet50", "top1_weights"].endswith("ResNet50_Weights.IMAGENET1K_V1")
    scatter = charts.accuracy_scatter(points.reset_index(), [])
    marked = [t for t in scatter.data if t.name.startswith("newer training recipe")]
    assert len(marked) == 1 and [c[0] for c in marked[0].customdata] == ["resnext101_64x4d"]
    assert all("resnext101_64x4d" not in [c[0] for c in t.customdata] for t in scatter.data if t not in marked)


def test_every_published_accuracy_names_its_weights():
    for name in zoo.names():
        arch = zoo.get(name)
        if arch.top1 is None:
            continue
        assert arch.top1_weights and arch.top1_source, name
        assert f"{arch.top1_crops}-crop" in arch.top1_source, name
        if "IMAGENET1K_V1" not in arch.top1_weights and arch.top1_weights.startswith("torchvision"):
            assert arch.top1_caveat, name  # V2 / SWAG weights are never shown as if comparable


def test_figures_are_labelled_and_projector_sized(figure3):
    resnet = figure3[2]
    layer = charts.layer_figure(resnet)
    macs_bars = [t for t in layer.data if t.yaxis == "y"]
    assert sum(len(t.x) for t in macs_bars) == sum(1 for l in resnet.layers if l.macs or l.params)
    assert sum(sum(t.y) for t in macs_bars) == resnet.total_macs
    assert layer.layout.font.size >= 16 and layer.layout.yaxis.title.text == "MACs"
    cumulative = charts.cumulative_figure(resnet)
    assert cumulative.data[0].y[-1] == pytest.approx(100) and cumulative.data[1].y[-1] == pytest.approx(100)
    points = compare.accuracy_points(["vgg19", "plain34", "resnet34", "mobilenet_v2"])
    scatter = charts.accuracy_scatter(points, ["resnet34"])
    assert scatter.layout.xaxis.type == "log"
    assert list(scatter.data[-1].text) == ["resnet34"]  # the selected model is ringed and named


def test_untitled_graph_is_narrower_for_side_by_side_columns(figure3):
    from core.anatomy import graph

    resnet = figure3[2]
    full, narrow = graph.to_dot(resnet, "layer"), graph.to_dot(resnet, "layer", title=False)
    assert graph.skip_counts(narrow) == graph.skip_counts(full) and sum(graph.skip_counts(narrow).values()) == 16
    assert _svg_width(graph.to_svg(narrow)) < _svg_width(graph.to_svg(full))


def _svg_width(svg: str) -> float:
    return float(svg.split('width="', 1)[1].split("pt", 1)[0])
