"""draw(..., collapse=...): big graphs grouped by module call, the teaching marks kept, one module expandable."""
import graphlib
import importlib.util
import re
from pathlib import Path

import ipywidgets
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import autogradviz as agv
from autogradviz.collapse import MAX_NODES
from autogradviz.layout import MAX_NODES as AUTO_COLLAPSE

_spec = importlib.util.spec_from_file_location(
    "agv_benchmark_models", Path(__file__).resolve().parents[1] / "benchmarks" / "models.py")
models = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(models)


def module_labels(graph):
    return [n.label.split("\n")[0] for n in graph.nodes if n.kind == "module"]


def op_labels(graph):
    return [n.label for n in graph.nodes if n.kind == "op"]


def drawn_count(graph):
    return sum(1 for n in graph.nodes if n.kind not in ("frozen", "no_path"))


def assert_no_cycle(graph):
    """The picture is a DAG, like the backward graph it stands for (graphlib raises CycleError)."""
    order = graphlib.TopologicalSorter()
    for n in graph.nodes:
        order.add(n.id)
    for e in graph.data.edges:
        order.add(e.dst, e.src)
    tuple(order.static_order())


def test_mlp_128_draws_collapsed_with_a_note():
    loss, model = models.run_mlp(128, agv.watch)
    graph = agv.draw(loss, params=model)
    assert len(graph.full.nodes) > AUTO_COLLAPSE
    assert graph.collapsed and drawn_count(graph) <= MAX_NODES
    assert "0–7 (4 Linear, 4 ReLU)" in module_labels(graph)
    assert "is too big to read, so modules are drawn collapsed" in graph.summary
    assert "collapse=False" in graph.summary and "collapse=False" in graph.source
    assert graph.svg().startswith("<?xml")
    assert_no_cycle(graph)


def test_resnet_20_draws_one_box_per_stage_then_per_block():
    loss, model = models.run_resnet(20, agv.watch)
    stages = agv.draw(loss, params=model)
    assert stages.collapsed and stages.collapse.depth == 1
    assert [lab for lab in module_labels(stages) if lab.startswith("layer")] == [
        f"layer{i} (Sequential)" for i in (4, 3, 2, 1)]
    graph = agv.draw(loss, params=model, collapse=2)
    graph.svg()  # its time is measured in benchmarks/, never asserted here
    assert graph.collapsed and drawn_count(graph) <= MAX_NODES
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


def test_a_small_readable_graph_is_drawn_as_it_is():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    with agv.watch():
        out = model(torch.randn(2, 3))
    graph = agv.draw(out, params=model)
    assert not graph.collapsed
    assert graph.data == agv.draw(out, params=model, collapse=False).data
    assert "graph [size=" not in graph.source, "at its natural size: labels at 10 pt, a tall picture scrolls"


def test_collapse_is_decided_from_the_whole_drawing():
    """A residual MLP with one block under no_grad has 95 nodes, far under 300, and drawn in full is
    too wide to read (1,268 px, labels at 9 px): it is collapsed, no-.grad boxes and all."""
    torch.manual_seed(0)
    model = models.ResMLP()
    with agv.watch():
        out = model(torch.randn(8, 4)).sum()
    graph = agv.draw(out, params=model)
    assert len(graph.full.nodes) < AUTO_COLLAPSE
    assert not agv.draw(out, params=model, collapse=False).label_px() >= agv.render.READABLE_PX
    assert graph.collapsed and graph.label_px() >= agv.render.READABLE_PX
    assert {"blocks.21.lin1 (Linear)", "out (Linear)"} <= set(module_labels(graph))
    assert "too big to read" in graph.summary


def test_a_chain_with_one_module_is_folded_too():
    w = torch.randn(2, requires_grad=True)
    lin = nn.Linear(2, 2)
    y = w
    for _ in range(100):
        y = y * 2
    with agv.watch():
        out = lin(y)
    graph = agv.draw(out, params={"lin": lin})
    assert graph.collapsed and "lin (Linear)" in module_labels(graph)
    assert "MulBackward0 × 100" in op_labels(graph) and len(graph.nodes) < 10
    assert "Runs of identical ops are drawn as one node" in graph.summary


def test_small_graph_collapsed_on_request():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    with agv.watch():
        out = model(torch.randn(2, 3))
    graph = agv.draw(out, params=model, collapse=True)
    assert module_labels(graph) == ["2 (Linear)", "1 (ReLU)", "0 (Linear)"]
    assert "Modules drawn collapsed (3-D boxes, one per module call, depth 1): 5 of 15 nodes." in graph.summary


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


def no_grad_boxes(graph):
    boxes = agv.layout.no_grad_boxes(graph.data)
    return {n.label.split("\n")[0]: n for n in boxes}


def test_frozen_no_path_and_cut_marks_survive_collapse():
    out, model = frozen_and_cut_resnet()
    graph = agv.draw(out, params=model, collapse=2)
    assert graph.collapsed and drawn_count(graph) <= MAX_NODES
    boxes = no_grad_boxes(graph)
    assert boxes["layer1"].kind == "no_path", "a whole stage under no_grad is one box"
    assert "30 params" in boxes["layer1"].label and "its layer ran under torch.no_grad()" in boxes["layer1"].label
    assert boxes["conv1, bn1"].kind == boxes["layer3.2"].kind == "frozen"
    # the cut where the recorded history starts (layer2.0's input came from no_grad) is drawn
    (cut,) = [n for n in graph.nodes if n.kind == "cut"]
    first = next(n for n in graph.nodes if n.label.startswith("layer2.0 "))
    assert any(e.src == cut.id and e.dst == first.id for e in graph.data.edges)
    # a block that is all frozen but records ops (its input has history) is painted frozen, and says so
    block = next(n for n in graph.nodes if n.kind == "module" and n.label.startswith("layer3.2 "))
    assert "(6 frozen)" in block.label
    assert graph.groups[block.id].fill() == "#dde3ea"
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
    assert "layer3 (Sequential)" in labels, "the rest of the model stays collapsed"
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
    assert drawn_count(deep) < 80
    assert "layer2.3.conv1, bn1, conv2, bn2 (2 Conv2d, 2 BatchNorm2d)" in module_labels(deep)
    assert_no_cycle(deep)


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
    assert graph.collapsed and drawn_count(graph) <= MAX_NODES
    assert graph.collapse.source == "names"
    assert "Not recorded under agv.watch()" in graph.summary
    assert "layer1 (Sequential)" in module_labels(graph)
    assert_no_cycle(graph)


def test_nothing_to_group_says_why_and_folds_the_runs():
    w = torch.randn(2, requires_grad=True)
    y = w
    for _ in range(400):
        y = y.sin()
    graph = agv.draw(y)  # no params, no watch(): no names, no modules
    assert not graph.collapsed
    assert "Not grouped by module" in graph.summary and "Not grouped by module" in graph.source
    assert op_labels(graph) == ["SinBackward0 × 400", "AccumulateGrad"]
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
    assert graph.collapsed and drawn_count(graph) <= MAX_NODES
    labels = module_labels(graph)
    assert "head (Linear)" in labels and "layers.0–7 (8 Linear)" in labels
    assert "Deep" not in " ".join(labels), "the one model watched is the root, as params=model would make it"
    assert_no_cycle(graph)


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
    # the menu lists the boxes drawn now, each of which holds more: expanding any changes the picture
    assert expand.options == ("(none)", "conv1", "bn1", "layer1", "layer2", "layer3", "layer4", "fc")
    assert "layer3 (Sequential)" in ex.view.value
    expand.value = "layer3"
    assert "layer3.0 (BasicBlock)" in ex.view.value and "layer3 (Sequential)" not in ex.view.value
    assert {"layer3", "layer3.0", "layer3.1", "layer4"} <= set(expand.options) and "layer3.1.conv2" not in expand.options
    expand.value = "layer3.0"
    assert "layer3.0.conv1" in expand.options and "layer3.0.relu" not in expand.options  # a box of one op
    assert "layer3.0.conv1 (Conv2d)" in ex.view.value and "AddBackward0" in ex.view.value
    controls["stem"].value = "frozen"  # the opened module stays open across runs
    assert "layer3.0.conv1 (Conv2d)" in ex.view.value and "conv1 (Conv2d)" in ex.view.value
    assert "data:image/png;base64," in ex._repr_mimebundle_()["text/html"]


def test_explorer_of_a_small_model_has_no_expand_control(seed_layers):
    _, layers = seed_layers
    ex = agv.explore(lambda: layers["lin0"](torch.randn(1, 2)), params=layers)
    assert [w.description for w in ex.children[0].children] == []


def test_a_module_called_twice_is_two_boxes_and_no_cycle():
    """Issue 10, item 2: a box stands for a module call, so the picture stays a DAG."""
    lin = nn.Linear(3, 3)
    model = nn.Sequential(lin, nn.Tanh(), lin)
    with agv.watch():
        out = model(torch.randn(2, 3)).sum()
    graph = agv.draw(out, params=model, collapse=True)
    assert sorted(module_labels(graph)) == ["0 (Linear, call 1)", "0 (Linear, call 2)", "1 (Tanh)"]
    assert_no_cycle(graph)
    unwatched = agv.draw(model(torch.randn(2, 3)).sum(), params=model, collapse=True)
    assert_no_cycle(unwatched)  # by parameter names both calls are one module: it is drawn opened


def test_torchvision_block_with_its_shared_relu_never_draws_a_cycle():
    model, x = models.resnet18_like()
    with agv.watch():
        out = model(x).sum()
    for depth in (1, 2, 3, 4):
        assert_no_cycle(agv.draw(out, params=model, collapse=depth))
    labels = module_labels(agv.draw(out, params=model, expand="layer2.0"))
    assert {"layer2.0.relu (ReLU, call 1)", "layer2.0.relu (ReLU, call 2)"} <= set(labels)
    for name in agv.draw(out, params=model).collapse.expandable:
        assert_no_cycle(agv.draw(out, params=model, expand=name))


def test_expand_opens_exactly_the_module_named():
    """Issue 10, item 3: resnet18's layer3 shows its blocks, layer4 stays one box."""
    model, x = models.resnet18_like()
    with agv.watch():
        out = model(x).sum()
    default = module_labels(agv.draw(out, params=model))
    assert "layer3 (Sequential)" in default and "layer4 (Sequential)" in default
    labels = module_labels(agv.draw(out, params=model, expand="layer3"))
    assert {"layer3.0 (TorchvisionBlock)", "layer3.1 (TorchvisionBlock)", "layer4 (Sequential)"} <= set(labels)
    assert "layer3 (Sequential)" not in labels and not any(lab.startswith("layer4.") for lab in labels)


def test_expand_shows_more_than_collapse_true_did():
    """BERT: expand="bert.encoder.layer.0" draws layer 0 in more detail than collapse=True."""
    torch.manual_seed(0)
    model = models.BertLike()
    with agv.watch():
        out = model(torch.randint(0, 50, (1, 8))).sum()

    def inside(graph, name="bert.encoder.layer.0"):
        return [n for n in graph.nodes if n.kind == "module" and (n.name + ".").startswith(name + ".")]

    auto = agv.draw(out, params=model, collapse=True)
    opened = agv.draw(out, params=model, expand="bert.encoder.layer.0")
    assert len(inside(opened)) > len(inside(auto)) >= 1
    assert "bert.encoder.layer.1 (BertLayer)" in module_labels(opened)
    deeper = agv.draw(out, params=model, expand="bert.encoder.layer.0.attention")
    assert len(inside(deeper, "bert.encoder.layer.0.attention")) > len(inside(opened, "bert.encoder.layer.0.attention"))
    # layers called with keyword arguments are still told apart: both layers hold the same ops
    layers = [n.label for n in agv.draw(out, params=model, collapse=3).nodes if "(BertLayer)" in n.label]
    assert len(layers) == 2 and layers[0].split("\n")[1] == layers[1].split("\n")[1]


def test_saved_tensors_are_counted_per_box_when_collapsed():
    """Issue 10, item 8: show_saved on a big model keeps the saved tensors, counted in their box."""
    model, x = models.resnet18_like()
    with agv.watch():
        out = model(x).sum()
    graph = agv.draw(out, params=model, show_saved=True)
    saved = len(graph.full.of_kind("saved"))
    assert graph.collapsed and saved > 100
    assert sum(g.saved for g in graph.groups.values()) + len(graph.data.of_kind("saved")) == saved
    assert any(" saved" in n.label for n in graph.nodes if n.kind == "module")
    assert "saved tensors are counted in their module's box" in graph.summary


def test_a_tied_weight_counts_for_both_modules():
    """Issue 10, item 9: GPT-2's head shares the embedding's trainable weight: not grey, not empty."""
    torch.manual_seed(0)
    model = models.GPT2Like()
    with agv.watch():
        out = model(torch.randint(0, 50, (1, 8))).sum()
    graph = agv.draw(out, params=model, collapse=1)
    head = next(n for n in graph.nodes if n.label.startswith("lm_head (Linear)"))
    embedding = next(n for n in graph.nodes if n.label.startswith("wte (Embedding)"))
    assert graph.groups[head.id].params == {"grad": 1} == graph.groups[embedding.id].params
    assert graph.groups[head.id].fill() == "lightblue" and "1 param" in head.label
    model.wte.requires_grad_(False)  # frozen once: frozen in both
    with agv.watch():
        out = model(torch.randint(0, 50, (1, 8))).sum()
    graph = agv.draw(out, params=model, collapse=1)
    head = next(n for n in graph.nodes if n.label.startswith("lm_head (Linear)"))
    assert graph.groups[head.id].params == {"frozen": 1}


def test_a_cell_called_at_every_step_is_one_box_per_step():
    """An RNNCell passed as params is the model itself: its 25 calls are 25 boxes, in a chain."""
    torch.manual_seed(0)
    cell = nn.RNNCell(3, 5)
    h = torch.zeros(1, 5)
    with agv.watch():
        for _ in range(25):
            h = cell(torch.randn(1, 3), h)
    graph = agv.draw(h, params=cell)
    assert graph.collapsed and sorted(module_labels(graph)) == sorted(f"RNNCell (call {i})" for i in range(1, 26))
    assert_no_cycle(graph)


def test_cut_ovals_say_what_the_tensor_is():
    # transfer learning: the backbone under no_grad, the head with grad; the oval names what feeds the head
    model, x = models.resnet18_like()
    with agv.watch():
        with torch.no_grad():
            h = model.maxpool(model.relu(model.bn1(model.conv1(x))))
            h = model.layer4(model.layer3(model.layer2(model.layer1(h))))
        loss = model.fc(torch.flatten(model.avgpool(h), 1)).sum()
    for collapse in (False, True):
        (cut,) = [n for n in agv.draw(loss, params=model, collapse=collapse).nodes if n.kind == "cut"]
        assert cut.label == "from layer4's output (2, 32)\nmade under torch.no_grad()"
    # frozen instead (requires_grad_(False), grad mode): no cut, and the input to fc is named all the same
    for name, p in model.named_parameters():
        p.requires_grad_(name.startswith("fc."))
    with agv.watch():
        loss = model(x).sum()
    (cut,) = [n for n in agv.draw(loss, params=model).nodes if n.kind == "cut"]
    assert cut.label == "from avgpool's output (2, 32)\nrequires_grad=False", "flatten(avgpool(...)): from its output"
    # a module call's own output, with the learner's variable for it; without watch() only the variable
    backbone, head = nn.Sequential(nn.Linear(4, 8), nn.ReLU()), nn.Linear(8, 2)
    for watching in (True, False):
        with agv.watch() if watching else torch.enable_grad():
            with torch.no_grad():
                feats = backbone(torch.randn(3, 4))
            loss = head(feats).sum()
        (cut,) = [n for n in agv.draw(loss, params={"backbone": backbone, "head": head}).nodes if n.kind == "cut"]
        assert cut.label == ("feats: backbone's output (3, 8)\nmade under torch.no_grad()" if watching else
                             "feats (3, 8)\nno history"), "unwatched: head's Linear saved it, and it is a variable"
    def step():  # `feats` is gone when the graph is drawn: the call is still known
        with torch.no_grad():
            feats = backbone(torch.randn(3, 4))
        return head(feats).sum()
    with agv.watch():
        loss = step()
    (cut,) = [n for n in agv.draw(loss, params={"backbone": backbone, "head": head}).nodes if n.kind == "cut"]
    assert cut.label == "backbone's output (3, 8)\nmade under torch.no_grad()"
    # a GAN's discriminator step: four inputs without history, each named
    G, D = nn.Linear(2, 2), nn.Linear(2, 1)
    real, z, ones, zeros = torch.randn(4, 2), torch.randn(4, 2), torch.ones(4, 1), torch.zeros(4, 1)
    with agv.watch():
        d_loss = (F.binary_cross_entropy_with_logits(D(real), ones)
                  + F.binary_cross_entropy_with_logits(D(G(z).detach()), zeros))
    ovals = sorted(n.label for n in agv.draw(d_loss, params={"G": G, "D": D}).nodes if n.kind == "cut")
    assert ovals == ["G's output (4, 2)\ncut by .detach()", "ones (4, 1)\nno history", "real (4, 2)\nno history",
                     "zeros (4, 1)\nno history"]
