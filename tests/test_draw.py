import re

import graphviz
import pytest
import torch
import torch.nn as nn
from torchviz import make_dot

import autogradviz as agv


def kinds(graph):
    return [n.kind for n in graph.nodes]


def test_same_program_same_dot():
    def program():
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
        return agv.draw(model(torch.randn(2, 3)), params=model).source

    first, second = program(), program()
    assert first == second
    assert not re.search(r"\b\d{9,}\b", first), "no id()-based node names"


def test_same_structure_as_torchviz():
    """Our ops and leaves are exactly the nodes torchviz draws, edge for edge."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    out = model(torch.randn(5, 3)).sum()
    ours = agv.draw(out, params=model)
    theirs = make_dot(out, params=dict(model.named_parameters()))
    their_edges = sum(1 for line in theirs.body if "->" in line)
    our_data_edges = [e for e in ours.data.edges
                      if {ours.nodes[int(e.src[1:])].kind, ours.nodes[int(e.dst[1:])].kind} <= {"op", "leaf", "output"}]
    assert len(our_data_edges) == their_edges
    their_labels = sorted(re.findall(r'label="?([A-Za-z0-9_.]+)', "".join(theirs.body)))
    our_labels = sorted(n.label.split("\n")[0] for n in ours.nodes if n.kind in ("op", "leaf"))
    our_labels += ["output"]  # torchviz labels the output only by its shape
    assert sorted(set(our_labels) - {"output"}) == sorted(set(their_labels) - {"output"})


def test_seed_000_marks_params_that_get_no_grad(seed_layers):
    x3, layers = seed_layers
    graph = agv.draw(x3, params=layers)
    got = {n.name for n in graph.nodes if n.kind == "leaf"}
    assert got == {"lin2.weight", "lin2.bias"}
    no_path = {n.name: n.label for n in graph.nodes if n.kind == "no_path"}
    assert set(no_path) == {"lin0.weight, lin0.bias", "lin1.weight, lin1.bias"}
    assert "no_grad" in no_path["lin1.weight, lin1.bias"]
    assert "no path: lin1 ran under torch.no_grad()" in no_path["lin0.weight, lin0.bias"]
    assert "cut" in kinds(graph), "x2 enters lin2 without history: drawn as a cut"
    (cut,) = [n for n in graph.nodes if n.kind == "cut"]
    assert cut.label == "lin1's output (2, 2)\nmade under torch.no_grad()", "the cut says what it is"
    assert "Gets .grad: lin2.bias, lin2.weight." in graph.summary


def test_frozen_params_are_drawn_not_dropped():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    model[0].requires_grad_(False)
    graph = agv.draw(model(torch.randn(1, 2)), params=model)
    frozen = [n for n in graph.nodes if n.kind == "frozen"]
    assert [n.name for n in frozen] == ["0.weight, 0.bias"]
    assert "requires_grad=False" in frozen[0].label


def test_unknown_reason_without_watch():
    lin0, lin1 = nn.Linear(2, 2), nn.Linear(2, 2)
    with torch.no_grad():
        h = lin0(torch.randn(1, 2))
    graph = agv.draw(lin1(h), params={"lin0": lin0, "lin1": lin1})
    (node,) = [n for n in graph.nodes if n.kind == "no_path"]
    assert "no_grad block" not in node.label, "without watch() the reason is not guessed"
    assert "not used, or cut" in node.label and "agv.watch() tells which" in node.label


def test_inference_mode_reason():
    lin = nn.Linear(2, 2)
    head = nn.Linear(2, 1)
    with agv.watch():
        with torch.inference_mode():
            h = lin(torch.randn(1, 2))
        out = head(h.clone())
    graph = agv.draw(out, params={"lin": lin, "head": head})
    (node,) = [n for n in graph.nodes if n.kind == "no_path"]
    assert "inference_mode" in node.label


def test_outputs_as_tuple_list_dict():
    w = torch.randn(3, requires_grad=True)
    a, b = w * 2, w.exp()
    for outputs in [(a, b), [a, b], {"a": a, "b": b}]:
        graph = agv.draw(outputs, params={"w": w})
        assert len([n for n in graph.nodes if n.kind == "output"]) == 2
        assert len([n for n in graph.nodes if n.kind == "leaf"]) == 1, "w is shared, drawn once"
    assert "a\n(3)" in [n.label for n in agv.draw({"a": a, "b": b}).nodes]


@pytest.mark.parametrize("bad, words", [
    (3, "got int"), ("loss", "got str"), ([torch.ones(1), 2], "output[1] is of type int"),
    ({"a": None}, "a is of type NoneType"), ([], "empty"),
])
def test_non_tensor_gives_clear_type_error(bad, words):
    with pytest.raises(TypeError, match=re.escape(words)):
        agv.draw(bad)


def test_bad_params_gives_clear_type_error():
    with pytest.raises(TypeError, match="params takes an nn.Module or a dict"):
        agv.draw(torch.ones(1), params=[1, 2])
    with pytest.raises(TypeError, match=r"params\['w'\] is a int"):
        agv.draw(torch.ones(1), params={"w": 1})


@pytest.mark.parametrize("make, reason", [
    (lambda w: w, "a leaf"),
    (lambda w: (w * 2).detach(), "detach"),
    (lambda w: torch.randn(2), "requires_grad=False"),
])
def test_tensor_without_history_says_why(make, reason):
    w = torch.randn(2, requires_grad=True)
    graph = agv.draw(make(w))
    (note,) = [n for n in graph.nodes if n.kind == "no_history"]
    assert reason in note.label
    assert graph.svg().startswith("<?xml")


def test_no_grad_and_inference_outputs_say_why():
    w = torch.randn(2, requires_grad=True)
    with torch.no_grad():
        a = w * 2
    with torch.inference_mode():
        b = w * 2
    assert "torch.no_grad()" in agv.draw(a).summary
    assert "inference_mode" in agv.draw(b).summary


def test_ten_thousand_op_chain_draws():
    y = w = torch.randn(3, requires_grad=True)
    for _ in range(10_000):
        y = y.sin()
    graph = agv.draw(y, params={"w": w})
    assert len([n for n in graph.full.nodes if n.kind == "op"]) == 10_001  # + AccumulateGrad
    assert "SinBackward0 × 10,000" in graph.source  # drawn folded: 10,000 boxes are read by nobody


def test_show_saved_draws_saved_tensors_even_when_saved_is_the_leaf():
    x = torch.randn(3, requires_grad=True)
    y = x.pow(2)  # saves x itself: torchviz loses this node, we keep it
    graph = agv.draw(y, params={"x": x}, show_saved=True)
    assert [n.label for n in graph.nodes if n.kind == "saved"] == ["self\n(3)"]
    attrs = agv.draw(y, show_attrs=True)
    assert any("exponent" in n.label for n in attrs.nodes)


def test_show_saved_after_backward_gives_clear_message():
    x = torch.randn(3, requires_grad=True)
    y = x.exp().sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Draw before calling .backward"):
        agv.draw(y, show_saved=True)
    agv.draw(y)  # the plain drawing still works after backward


def test_missing_dot_binary(monkeypatch):
    def no_dot(*args, **kwargs):
        raise graphviz.ExecutableNotFound(["dot"])

    monkeypatch.setattr(graphviz.Digraph, "pipe", no_dot)
    monkeypatch.setattr(agv.render.dot_process, "svg", lambda source: None)  # no dot to keep running either
    graph = agv.draw(torch.randn(2, requires_grad=True) * 2)
    assert "digraph" in graph.source
    with pytest.raises(agv.GraphvizMissing, match="apt-get install graphviz"):
        graph.svg()
    bundle = graph._repr_mimebundle_()
    assert "image/svg+xml" not in bundle and "Graphviz" in bundle["text/plain"]


def test_legend_names_only_the_kinds_present():
    w = torch.randn(2, requires_grad=True)
    source = agv.draw(w * 2).source
    assert "gets .grad after backward" in source
    assert "frozen" not in source


def test_view_output_points_at_its_base():
    x = torch.randn(4, requires_grad=True)
    y = x * 2
    graph = agv.draw({"y": y, "first": y[:2]})
    assert not [n for n in graph.nodes if n.kind == "view_base"], "y is drawn already"
    assert any(e.style == "view" for e in graph.data.edges)


def test_bundle_has_svg_for_trusted_and_png_for_untrusted_notebooks():
    import base64
    bundle = agv.draw(torch.randn(2, requires_grad=True) * 2)._repr_mimebundle_()
    assert bundle["image/svg+xml"].startswith("<?xml")
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")
    assert bundle["text/plain"].startswith("2 backward ops recorded.")


def test_an_argument_not_given_is_no_input():
    # bias=False, a norm without affine weights: next_functions holds None, yet no tensor went in
    torch.manual_seed(0)
    x = torch.randn(2, 3, 5, 5)
    net = nn.Sequential(nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4, affine=False), nn.Flatten(),
                        nn.LayerNorm(36, elementwise_affine=False))
    graph = agv.draw(net(x).sum(), params=net)
    assert [n.label for n in graph.nodes if n.kind == "cut"] == ["x (2, 3, 5, 5)\nno history"], "only x, the conv's input"
    frozen_bias = nn.Conv2d(3, 4, 3)
    frozen_bias.bias.requires_grad_(False)
    assert kinds(agv.draw(frozen_bias(x).sum())).count("cut") == 2, "x, and the frozen bias: inputs with no history"
