"""Pictures a learner can read: transfer learning at any count, huge graphs, the legend (issue 10)."""
import importlib.util
import re
from pathlib import Path

import pytest
import torch
import torch.nn as nn

import autogradviz as agv
from autogradviz.layout import CAP, HARD_CAP, MOST_NO_GRAD, ROW, no_grad_boxes
from autogradviz.render import OUTPUT_PX, READABLE_PX

_spec = importlib.util.spec_from_file_location(
    "agv_benchmark_models", Path(__file__).resolve().parents[1] / "benchmarks" / "models.py")
models = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(models)


def width_px(graph) -> float:
    return float(re.search(r'<svg width="([\d.]+)pt"', graph.svg()).group(1)) * 4 / 3


def assert_readable(graph):
    """Labels at their natural size or near it, in a notebook output 1,000 px wide."""
    assert graph.label_px() >= READABLE_PX, f"labels at {graph.label_px():.1f} px"
    assert width_px(graph) <= OUTPUT_PX


def boxes(graph):
    return {n.label.split("\n")[0]: n for n in no_grad_boxes(graph.data)}


def test_resnet18_with_its_stem_and_first_stages_frozen():
    model, x = models.resnet18_like()
    for part in (model.conv1, model.bn1, model.layer1, model.layer2):
        part.requires_grad_(False)
    with agv.watch():
        out = model(x).sum()
    graph = agv.draw(out, params=model)
    assert_readable(graph)
    frozen = boxes(graph)
    assert list(frozen) == ["conv1, bn1, layer1, layer2"] and frozen["conv1, bn1, layer1, layer2"].kind == "frozen"
    assert "30 params" in frozen["conv1, bn1, layer1, layer2"].label


def test_a_backbone_run_under_no_grad_is_one_box():
    model, x = models.resnet18_like()
    backbone = nn.Sequential(*list(model.children())[:-1])
    with agv.watch():
        with torch.no_grad():
            features = backbone(x)
        out = model.fc(features.flatten(1)).sum()
    graph = agv.draw(out, params=model)
    assert_readable(graph)
    (box,) = no_grad_boxes(graph.data)
    assert box.kind == "no_path" and box.label.startswith("conv1 … layer4\n60 params\n")
    assert "torch.no_grad()" in box.label


def mobilenet_like():
    """Like mobilenet_v3_small: `features`, 13 blocks of conv-bn(-activation), then a classifier."""
    def block(cin, cout):
        return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.Hardswish(),
                             nn.Conv2d(cout, cout, 1), nn.BatchNorm2d(cout))
    torch.manual_seed(0)
    model = nn.Module()
    model.features = nn.Sequential(*[block(3 if i == 0 else 4, 4) for i in range(13)])
    model.classifier = nn.Sequential(nn.Linear(4, 8), nn.Hardswish(), nn.Linear(8, 3))
    model.forward = lambda x: model.classifier(model.features(x).mean((2, 3)))
    return model


def test_mobilenet_with_features_frozen_is_one_box_not_a_row_of_86():
    model = mobilenet_like()
    model.features.requires_grad_(False)
    with agv.watch():
        out = model(torch.randn(2, 3, 8, 8)).sum()
    graph = agv.draw(out, params=model)
    assert len(graph.full.of_kind("frozen")) == 13 * 4  # one per layer from the walk...
    assert list(boxes(graph)) == ["features"]        # ...drawn as one box
    assert_readable(graph)


def test_many_groups_of_no_grad_parameters_wrap_into_rows_and_are_summarised():
    torch.manual_seed(0)
    model = nn.Sequential(*[nn.Linear(2, 2) for _ in range(30)])
    for layer in model[::2]:
        layer.requires_grad_(False)  # 15 frozen layers, none next to another
    out = model(torch.randn(1, 2)).sum()
    graph = agv.draw(out, params=model, collapse=False)
    drawn = no_grad_boxes(graph.data)
    assert len(drawn) == MOST_NO_GRAD and drawn[-1].label.startswith("... and 7 more groups\n14 params")
    assert graph.source.count("style=invis") >= len(drawn) - ROW, "rows: each box sits under the one ROW before it"
    assert width_px(graph) <= OUTPUT_PX


def test_twenty_thousand_op_chain_is_folded_and_draws_at_once():
    w = torch.randn(3, requires_grad=True)
    y = w
    for _ in range(20_000):
        y = y + w
    graph = agv.draw(y, params={"w": w})
    assert [n.label for n in graph.nodes if n.kind == "op"] == ["AddBackward0 × 20,000", "AccumulateGrad"]
    assert graph.summary.startswith("20001 backward ops recorded.")
    assert graph.svg().startswith("<?xml")
    every = agv.draw(y, params={"w": w}, collapse=False)
    assert len(every.nodes) == HARD_CAP + 1 and every.nodes[-1].kind == "more"
    assert f"Only the {HARD_CAP:,} nodes nearest the output are drawn" in every.summary


def test_a_huge_graph_that_does_not_fold_is_capped_with_a_note():
    y = torch.randn(3, requires_grad=True)
    for i in range(2_000):
        y = y.sin() if i % 2 else y.cos()  # no two identical ops in a row
    graph = agv.draw(y)
    assert len(graph.nodes) == CAP + 1
    (more,) = graph.data.of_kind("more")
    assert more.label.startswith("... 1,943 more nodes") and "the graph goes on" in more.label
    assert "no picture of them all would be readable" in graph.summary


def test_a_graph_past_the_walks_end_is_drawn_and_freed_without_crashing_torch():
    w = torch.randn(1, requires_grad=True)
    y = w
    for i in range(60_000):  # past MAX_WALK, and past the ~40,000 visited nodes at which torch crashes
        y = y.sin() if i % 2 else y.cos()
    graph = agv.draw(y, params={"w": w})
    assert "the walk stopped after 25,000 nodes" in graph.summary
    assert "w" not in {n.name for n in graph.data.nodes if n.kind in ("no_path", "frozen")}  # not claimed
    answer = agv.why(w, y)
    assert answer.cause == "not_used" and "walk stopped after 25,000 operations" in answer.message
    del graph, answer, y  # a segfault here, before this fix: the diagnosis of w visited all 60,000 nodes


def test_collapse_takes_only_a_depth_or_a_bool():
    y = torch.randn(2, requires_grad=True) * 2
    with pytest.raises(ValueError, match="collapse=-1 is not a depth"):
        agv.draw(y, collapse=-1)
    with pytest.raises(TypeError, match="collapse takes True, False, None or a depth"):
        agv.draw(y, collapse="yes")
    with pytest.raises(TypeError, match="expand takes a module's name"):
        agv.draw(y, collapse=True, expand=3)


def test_legend_swatches_are_not_clipped():
    """Each swatch of the key lies clear of the next one, dashed ones included."""
    lin = nn.Linear(2, 2).requires_grad_(False)
    out = nn.Linear(2, 2)(lin(torch.randn(1, 2)) * torch.randn(1, 2, requires_grad=True))
    svg = agv.draw(out, params={"frozen": lin}).svg()
    key = svg[svg.index("<title>legend</title>"):]
    key = key[:key.index("</g>")]
    outlines = [line for line in key.splitlines() if 'fill="none" stroke="black"' in line]
    assert any("stroke-dasharray" in line for line in outlines), "the cut and frozen swatches are dashed"
    spans = sorted((min(ys), max(ys)) for ys in ([float(y) for y in re.findall(
        r"[\d.]+,(-?[\d.]+)", re.search(r'points="([^"]+)"', line).group(1))] for line in outlines))
    assert all(low_next - high >= 3 for (_, high), (low_next, _) in zip(spans, spans[1:]))
