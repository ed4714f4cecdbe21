"""draw(..., collapse=...): big graphs grouped by module, the teaching marks kept, one module expandable."""
import importlib.util
import re
import time
from pathlib import Path

import ipywidgets
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import autogradviz as agv
from autogradviz.collapse import AUTO_COLLAPSE, MAX_NODES

_spec = importlib.util.spec_from_file_location(
    "agv_benchmark_models", Path(__file__).resolve().parents[1] / "benchmarks" / "models.py")
models = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(models)


def module_labels(graph):
    return [n.label.split("\n")[0] for n in graph.nodes if n.kind == "module"]


def op_labels(graph):
    return [n.label for n in graph.nodes if n.kind == "op"]


def test_mlp_128_draws_collapsed_with_a_note():
    loss, model = models.run_mlp(128, agv.watch)
    graph = agv.draw(loss, params=model)
    assert len(graph.full.nodes) > AUTO_COLLAPSE
    assert graph.collapsed and len(graph.nodes) <= MAX_NODES
    assert "0–7 (4 Linear, 4 ReLU)" in module_labels(graph)
    assert "nodes are too many to read, so modules are drawn collapsed" in graph.summary
    assert "collapse=False" in graph.summary and "collapse=False" in graph.source
    assert graph.svg().startswith("<?xml")


def test_resnet_20_draws_one_box_per_block():
    loss, model = models.run_resnet(20, agv.watch)
    start = time.perf_counter()
    graph = agv.draw(loss, params=model)
    graph.svg()
    assert time.perf_counter() - start < 5  # about 0.03 s here; generous for a busy machine
    assert graph.collapsed and len(graph.nodes) <= MAX_NODES
    labels = module_labels(graph)
    assert [f"layer{s}.{b} (BasicBlock)" for s in (1, 2, 3, 4) for b in range(5)] == [
        lab for lab in reversed(labels) if "BasicBlock" in lab]
    assert "fc (Linear)" in labels and "conv1 (Conv2d)" in labels
    assert "ReluBackward0" in op_labels(graph), "the ResNet's own F.relu, outside any child module"
    block = next(n for n in graph.nodes if n.label.startswith("layer1.1 "))
    assert block.label.endswith("13 ops · 6 params")


def test_collapse_false_forces_the_full_graph():
    loss, model = models.run_mlp(128, agv.watch)
    graph = agv.draw(loss, params=model, collapse=False)
    assert not graph.collapsed and graph.collapse is None
    assert len(graph.nodes) == len(graph.full.nodes) > AUTO_COLLAPSE
    assert "collapsed" not in graph.summary


def test_automatic_only_above_the_threshold():
    def chain(n_ops):
        w = torch.randn(2, requires_grad=True)
        y = w
        for _ in range(n_ops):
            y = y * 2
        return y, w

    lin = nn.Linear(2, 2)
    with agv.watch():
        small, _ = chain(100)
        out = lin(small)
    graph = agv.draw(out, params={"lin": lin})
    assert not graph.collapsed and len(graph.nodes) < AUTO_COLLAPSE
    assert graph.source == agv.draw(out, params={"lin": lin}, collapse=False).source

    big = nn.Sequential(*[nn.Linear(2, 2) for _ in range(60)])  # 60 * 5 + 3 nodes
    with agv.watch():
        out = big(torch.randn(1, 2))
    graph = agv.draw(out, params=big)
    assert len(graph.full.nodes) > AUTO_COLLAPSE and graph.collapsed


def test_small_graph_collapsed_on_request():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    with agv.watch():
        out = model(torch.randn(2, 3))
    graph = agv.draw(out, params=model, collapse=True)
    assert module_labels(graph) == ["2 (Linear)", "1 (ReLU)", "0 (Linear)"]
    assert "Modules drawn collapsed (3-D boxes, depth 1): 5 of 15 nodes." in graph.summary


def frozen_and_cut_resnet():
    """A ResNet with its stem frozen, layer1 run under no_grad and one block of layer3 frozen."""
    torch.manual_seed(0)
    model = models.resnet(20)
    model.conv1.requires_grad_(False)
    model.bn1.requires_grad_(False)
    model.layer3[2].requires_grad_(False)
    x = torch.randn(2, 3, 16, 16)
    with agv.watch():
        h = F.relu(model.bn1(model.conv1(x)))
        with torch.no_grad():
            h = model.layer1(h)
        h = model.layer4(model.layer3(model.layer2(h)))
        out = model.fc(torch.flatten(model.pool(h), 1)).sum()
    return out, model


def test_frozen_no_path_and_cut_marks_survive_collapse():
    out, model = frozen_and_cut_resnet()
    graph = agv.draw(out, params=model)
    assert graph.collapsed and len(graph.nodes) <= MAX_NODES
    no_grad = {n.label.split("\n")[0]: (n.kind, n.label) for n in graph.nodes if n.kind in ("frozen", "no_path")}
    assert no_grad["layer1 (Sequential)"][0] == "no_path", "a whole stage under no_grad is one box"
    assert "30 params" in no_grad["layer1 (Sequential)"][1]
    assert "its layer ran under torch.no_grad()" in no_grad["layer1 (Sequential)"][1]
    assert no_grad["conv1 (Conv2d)"][0] == no_grad["bn1 (BatchNorm2d)"][0] == "frozen"
    assert no_grad["layer3.2 (BasicBlock)"][0] == "frozen"
    # the cut where the recorded history starts (layer2.0's input came from no_grad) is drawn
    (cut,) = [n for n in graph.nodes if n.kind == "cut"]
    first = next(n for n in graph.nodes if n.label.startswith("layer2.0 "))
    assert any(e.src == cut.id and e.dst == first.id for e in graph.data.edges)
    # a block that is half frozen is painted in both colours, and says so
    half = next(n for n in graph.nodes if n.kind == "module" and n.label.startswith("layer3.2 "))
    assert "(6 frozen)" in half.label
    assert graph.groups[half.id].fill() == "#dde3ea"
    assert 'fillcolor="#dde3ea"' in graph.source and "no path: its layer ran under torch.no_grad()" in graph.summary


def test_mixed_group_colour_is_split():
    model = nn.Sequential(nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2)), nn.Linear(2, 1))
    model[0][0].requires_grad_(False)
    with agv.watch():
        out = model(torch.randn(1, 2, requires_grad=True))
    graph = agv.draw(out, params=model, collapse=1)
    box = next(n for n in graph.nodes if n.label.startswith("0 (Sequential)"))
    assert "(2 frozen)" in box.label
    assert graph.groups[box.id].fill() == "lightblue;0.50:#dde3ea"


def test_expand_one_module_shows_its_inner_nodes():
    loss, model = models.run_resnet(20, agv.watch)
    graph = agv.draw(loss, params=model, expand="layer2.0")
    labels = module_labels(graph)
    assert "layer2.0.conv1 (Conv2d)" in labels and "layer2.0.shortcut (Sequential)" in labels
    assert "layer2.0 (BasicBlock)" not in labels and "layer2.1 (BasicBlock)" in labels
    assert "AddBackward0" in op_labels(graph), "the residual add, inside the opened block"
    assert "layer2.0 opened" in graph.summary
    leaf = agv.draw(loss, params=model, expand="fc")
    assert "AddmmBackward0" in op_labels(leaf)
    assert {"fc.weight", "fc.bias"} <= {n.name for n in leaf.nodes if n.kind == "leaf"}
    with pytest.raises(ValueError, match="expand='layer9' is not a module in this graph"):
        agv.draw(loss, params=model, expand="layer9")


def test_explicit_depth():
    loss, model = models.run_resnet(20, agv.watch)
    top = module_labels(agv.draw(loss, params=model, collapse=1))
    assert [lab for lab in top if lab.startswith("layer")] == [f"layer{i} (Sequential)" for i in (4, 3, 2, 1)]
    deep = agv.draw(loss, params=model, collapse=3)
    assert deep.collapse.depth == 3 and deep.collapse.run > 1, "too many boxes: runs of siblings share one"
    assert len(deep.nodes) < 80 and "layer2.3.conv1 … bn2 (2 Conv2d, 2 BatchNorm2d)" in module_labels(deep)


def test_collapsed_source_is_deterministic():
    def program():
        loss, model = models.run_resnet(20, agv.watch)
        return agv.draw(loss, params=model).source

    first, second = program(), program()
    assert first == second
    assert not re.search(r"\b\d{9,}\b", first)


def test_without_watch_groups_by_parameter_names_and_says_so():
    loss, model = models.run_resnet(20)  # not recorded under watch()
    graph = agv.draw(loss, params=model)
    assert graph.collapsed and len(graph.nodes) <= MAX_NODES
    assert graph.collapse.source == "names"
    assert "Not recorded under agv.watch()" in graph.summary
    assert "layer1 (Sequential)" in module_labels(graph)


def test_nothing_to_group_says_why_and_draws_everything():
    w = torch.randn(2, requires_grad=True)
    y = w
    for _ in range(400):
        y = y.sin()
    graph = agv.draw(y)  # no params, no watch(): no names, no modules
    assert not graph.collapsed and len(graph.nodes) == len(graph.full.nodes)
    assert "Not grouped by module" in graph.summary and "Not grouped by module" in graph.source
    assert "pass params=model" in agv.draw(y, collapse=True).summary


def test_watch_without_params_names_modules_from_the_model():
    class Deep(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList(nn.Linear(4, 4) for _ in range(100))
            self.head = nn.Linear(4, 1)

        def forward(self, x):
            for layer in self.layers:
                x = F.relu(layer(x))
            return self.head(x)

    with agv.watch():
        out = Deep()(torch.randn(2, 4)).sum()
    graph = agv.draw(out)
    assert graph.collapsed and len(graph.nodes) <= MAX_NODES
    labels = module_labels(graph)
    assert "head (Linear)" in labels and "layers.0–3 (4 Linear)" in labels
    assert "Deep" not in " ".join(labels), "the one model watched is the root, as params=model would make it"


def test_watch_records_the_same_graph_and_nests():
    torch.manual_seed(0)
    model = models.mlp(3)
    x = torch.randn(2, 16)
    plain = agv.draw(model(x), params=model, collapse=False).source
    with agv.watch(), agv.watch():
        out = model(x)
    assert agv.draw(out, params=model, collapse=False).source == plain
    calls = out.grad_fn.metadata["autogradviz.calls"]  # the last ReLU's output is the Sequential's
    assert [(type(c.module).__name__, c.depth) for c in calls] == [("ReLU", 1), ("Sequential", 0)], \
        "one record per call, nested watch() or not"


def test_explorer_of_a_big_model_can_expand_one_module():
    torch.manual_seed(0)
    model = models.resnet(20)
    x = torch.randn(2, 3, 16, 16)

    def experiment(stem="grad"):
        model.conv1.requires_grad_(stem != "frozen")
        return model(x).sum()

    ex = agv.explore(experiment, params=model, stem=["grad", "frozen"])
    controls = {w.description: w for w in ex.children[0].children}
    expand = controls["expand"]
    assert isinstance(expand, ipywidgets.Dropdown)
    assert "layer3" in expand.options and "layer3.1.conv2" in expand.options
    assert "layer3.0 (BasicBlock)" in ex.view.value
    expand.value = "layer3.0"
    assert "layer3.0.conv1 (Conv2d)" in ex.view.value and "AddBackward0" in ex.view.value
    controls["stem"].value = "frozen"  # the opened module stays open across runs
    assert "layer3.0.conv1 (Conv2d)" in ex.view.value and "conv1 (Conv2d)" in ex.view.value
    assert "data:image/png;base64," in ex._repr_mimebundle_()["text/html"]


def test_explorer_of_a_small_model_has_no_expand_control(seed_layers):
    _, layers = seed_layers
    ex = agv.explore(lambda: layers["lin0"](torch.randn(1, 2)), params=layers)
    assert [w.description for w in ex.children[0].children] == []
