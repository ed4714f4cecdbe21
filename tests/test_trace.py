"""agv.trace_backward on graphs whose backward is known by hand: order, values, accumulation,
gradient=, retain_graph, errors, and .grad exactly as a plain backward() leaves it."""
import sys
from pathlib import Path

import ipywidgets
import pytest
import torch
import torch.nn as nn

import autogradviz as agv

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from models import run_mlp  # noqa: E402


def labels(trace):
    return [s.label for s in trace.steps]


def scalar_graph():
    """L = (a*b + a)**2 as d*d, with a = 2, b = -3: d = -4, dL/dd = -8, dL/da = -8*(b+1) = 16, dL/db = -8*a = -16."""
    a = torch.tensor(2.0, requires_grad=True)
    b = torch.tensor(-3.0, requires_grad=True)
    d = a * b + a
    return a, b, d * d


def test_steps_in_the_order_autograd_ran_them_with_their_gradients():
    a, b, loss = scalar_graph()
    trace = agv.trace_backward(loss, params={"a": a, "b": b})
    assert labels(trace) == ["MulBackward0", "AddBackward0", "MulBackward0", "AccumulateGrad", "AccumulateGrad"]
    square, add, mul, acc_a, acc_b = trace.steps
    assert [s.index for s in trace.steps] == [0, 1, 2, 3, 4]
    assert square.grad_outputs == (torch.tensor(1.0),)                    # backward starts from 1
    assert square.grad_inputs == (torch.tensor(-4.0), torch.tensor(-4.0))  # d(d*d): d for each factor
    assert add.grad_outputs == (torch.tensor(-8.0),)                     # the two factors' paths added up
    assert add.grad_inputs == (torch.tensor(-8.0), torch.tensor(-8.0))
    assert mul.grad_inputs == (torch.tensor(24.0), torch.tensor(-16.0))  # (-8 * b, -8 * a)
    assert (acc_a.name, acc_a.grad_outputs, acc_a.grad_inputs) == ("a", (torch.tensor(16.0),), ())
    assert (acc_b.name, acc_b.grad_outputs) == ("b", (torch.tensor(-16.0),))
    assert a.grad == 16.0 and b.grad == -16.0


def test_a_chain_runs_from_the_output_back_to_the_leaf():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    trace = agv.trace_backward(x.exp().sin().sum())
    assert labels(trace) == ["SumBackward0", "SinBackward0", "ExpBackward0", "AccumulateGrad"]
    assert torch.allclose(trace.steps[-1].grad_outputs[0], x.exp().cos().detach() * x.exp().detach())


def test_labels_are_those_draw_gives_the_same_nodes():
    a, b, loss = scalar_graph()
    drawn = {n.id: n.label for n in agv.draw(loss).nodes}
    trace = agv.trace_backward(loss)
    assert all(drawn[s.node] == s.label for s in trace.steps)


def test_a_shared_tensor_receives_the_sum_of_its_two_paths():
    x = torch.tensor([1.0, -1.0], requires_grad=True)
    trace = agv.trace_backward((x * 2 + x * 3).sum(), params={"x": x})
    accumulate = trace.steps[-1]
    assert labels(trace).count("AccumulateGrad") == 1 and accumulate.label == "AccumulateGrad"
    sent = sorted(s.grad_inputs[0].tolist() for s in trace.steps if s.label == "MulBackward0")
    assert sent == [[2.0, 2.0], [3.0, 3.0]]
    assert accumulate.grad_outputs[0].tolist() == [5.0, 5.0] == x.grad.tolist()


def test_gradient_is_the_vector_of_a_vector_jacobian_product():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = torch.tensor([1.0, 0.0, -1.0])
    trace = agv.trace_backward(x * x, params={"x": x}, gradient=v)
    assert torch.equal(trace.steps[0].grad_outputs[0], v)  # what backward starts with
    assert torch.equal(x.grad, v * 2 * x.detach())          # v @ J, J = diag(2x)


def test_several_outputs_each_with_its_gradient():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    trace = agv.trace_backward({"y": x * 3, "z": (x * x).sum()}, gradient={"y": torch.ones(2)})
    assert torch.equal(x.grad, 3 + 2 * x.detach())
    assert labels(trace).count("AccumulateGrad") == 1
    y = x * 2
    agv.trace_backward([y], gradient=torch.ones(2))  # one tensor for a one-output list, as backward() takes it
    with pytest.raises(TypeError, match="one tensor .or None. per output"):
        agv.trace_backward([y, y.sum()], gradient=[torch.ones(2)])


def test_grad_is_exactly_what_plain_backward_leaves():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(12, 2))
    x = torch.randn(4, 2, 4, 4)
    for _ in range(2):  # the second backward accumulates into the .grad the first left
        model(x).pow(2).sum().backward()
    plain = {n: (p.grad.clone(), p.grad.stride()) for n, p in model.named_parameters()}
    model.zero_grad()
    for _ in range(2):
        agv.trace_backward(model(x).pow(2).sum(), model)
    for name, p in model.named_parameters():
        assert torch.equal(p.grad, plain[name][0]) and p.grad.stride() == plain[name][1], name


def test_the_trace_keeps_copies_and_removes_its_hooks():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    trace = agv.trace_backward(loss, retain_graph=True)
    recorded = trace.steps[-1].grad_outputs[0].clone()
    loss.backward()  # plain: the hooks are gone, and w.grad grows in place
    assert len(trace.steps) == 3
    assert torch.equal(trace.steps[-1].grad_outputs[0], recorded)
    assert torch.equal(w.grad, 2 * recorded)


def test_the_graph_is_freed_unless_retain_graph():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    loss = (a * a).sum()  # MulBackward0 saves a
    agv.trace_backward(loss)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        agv.trace_backward(loss)
    a.grad = None
    loss = (a * a).sum()
    agv.trace_backward(loss, retain_graph=True)
    agv.trace_backward(loss)
    assert torch.equal(a.grad, 4 * a.detach())


def test_a_graph_that_saved_nothing_backs_up_twice_and_accumulates():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    loss = (a + 1).sum()
    agv.trace_backward(loss)
    agv.trace_backward(loss)
    assert torch.equal(a.grad, torch.tensor([2.0, 2.0]))


def test_a_tensor_hook_that_changes_a_gradient_shows_in_what_arrives():
    w = torch.tensor([3.0, -4.0], requires_grad=True)
    h = w * 10
    h.register_hook(lambda g: g.clamp(-1, 1))
    trace = agv.trace_backward((h * h).sum())
    square, times_ten = trace.steps[1], trace.steps[2]
    assert [g.tolist() for g in square.grad_inputs] == [[30.0, -40.0]] * 2  # sent: h to each factor
    assert times_ten.grad_outputs[0].tolist() == [1.0, -1.0]  # arrived: clipped by the hook
    assert w.grad.tolist() == [10.0, -10.0]


def test_a_leaf_output_runs_only_its_accumulate_grad():
    a = torch.tensor(1.5, requires_grad=True)
    trace = agv.trace_backward(a)
    assert labels(trace) == ["AccumulateGrad"] and a.grad == 1.0
    assert "AccumulateGrad" in trace.draw(0).summary


def test_bad_input_says_what_to_pass():
    with pytest.raises(TypeError, match=r"trace_backward\(loss\)"):
        agv.trace_backward(3.0)
    with pytest.raises(TypeError, match="takes tensors"):
        agv.trace_backward([torch.ones(1, requires_grad=True), "loss"])
    with pytest.raises(ValueError, match="no history"):
        agv.trace_backward(torch.ones(1))
    with torch.no_grad():
        made_under_no_grad = torch.ones(1, requires_grad=True) * 2
    with pytest.raises(ValueError, match="no history"):
        agv.trace_backward(made_under_no_grad)
    y = torch.ones(3, requires_grad=True) * 2
    with pytest.raises(ValueError, match="grad can be implicitly created only for scalar outputs.*gradient="):
        agv.trace_backward(y)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        agv.trace_backward(y)  # torch's error type too, for code written for backward()
    with pytest.raises(ValueError, match=r"has shape \(2\), but output has shape \(3\)"):
        agv.trace_backward(y, gradient=torch.ones(2))
    with pytest.raises(TypeError, match="must be a tensor"):
        agv.trace_backward(y, gradient=[1.0, 1.0, 1.0])
    with pytest.raises(TypeError, match="params takes"):
        agv.trace_backward(y.sum(), params=3)
    trace = agv.trace_backward(y.sum())
    with pytest.raises(ValueError, match="steps 0 to 2"):
        trace.draw(step=3)
    with pytest.raises(TypeError, match="step= takes an int"):
        trace.draw(step="1")
    assert y.grad_fn is not None  # nothing ran twice: the errors came before any backward


def test_a_failed_check_runs_no_backward():
    w = torch.ones(2, requires_grad=True)
    with pytest.raises(ValueError):
        agv.trace_backward([(w * 2).sum(), w * 3])  # the second needs gradient=
    assert w.grad is None


def edges(graph, *styles):
    kinds = {n.id: n.label for n in graph.nodes}
    return [(kinds[e.src], kinds[e.dst], e.label) for e in graph.data.edges if e.style in styles]


def test_draw_marks_the_step_and_labels_every_edge_travelled():
    a, b, loss = scalar_graph()
    trace = agv.trace_backward({"L": loss}, params={"a": a, "b": b})
    first = trace.draw(step=0)
    assert edges(first, "grad") == [("MulBackward0", "L\n()", "1")]  # the gradient backward starts with
    assert edges(first, "grad_now") == [("AddBackward0", "MulBackward0", "-4")] * 2
    assert first.source.count('fillcolor="#ffd166"') == 1                 # the node running now
    assert first.marks == {trace.steps[0].node: "now"}
    assert trace.draw(step=2).marks == {**{s.node: "done" for s in trace.steps[:2]}, trace.steps[2].node: "now"}
    third = trace.draw(step=2)
    assert sorted(e[2] for e in edges(third, "grad_now")) == ["-16", "24"]
    assert ("AccumulateGrad", "AddBackward0", "-8") in edges(third, "grad")
    assert "Step 2 (of 0 to 4): MulBackward0 receives grad_outputs (-8,); sends grad_inputs (24, -16)." in third.summary
    done = trace.draw()
    assert not edges(done, "grad_now") and ("a\n()", "AccumulateGrad", "16") in edges(done, "grad")
    assert "<svg" in done.svg()
    assert trace.draw(-1).source == trace.draw(4).source


def test_big_values_show_as_shape_and_norm():
    x = torch.ones(3, 4, requires_grad=True)
    trace = agv.trace_backward((x * 2).sum())
    assert ("AccumulateGrad", "MulBackward0", "(3, 4) norm 6.928") in edges(trace.draw(1), "grad_now")
    w = torch.ones(2, 2, requires_grad=True)
    trace = agv.trace_backward((w * torch.tensor([[1.0, 2.0], [3.0, 4.0]])).sum())
    assert ("AccumulateGrad", "MulBackward0", "[[1, 2],\\l [3, 4]]\\l") in edges(trace.draw(), "grad")  # a row a line


def test_a_big_graph_is_drawn_collapsed_with_the_step_marked():
    loss, model = run_mlp(128, agv.watch)
    trace = agv.trace_backward(loss, model)
    graph = trace.draw(step=len(trace.steps) // 2)
    assert graph.collapsed and len(graph.nodes) < 60
    assert graph.source.count('fillcolor="#ffd166"') == 1
    assert ("SumBackward0", "output\n()", "1") in edges(graph, "grad")
    assert any("norm" in label for _, _, label in edges(graph, "grad"))  # between two boxes
    assert all(p.grad is not None for p in model.parameters())


def test_explore_steps_with_the_slider_and_the_buttons(monkeypatch):
    a, b, loss = scalar_graph()
    trace = agv.trace_backward(loss, params={"a": a, "b": b})
    ex = trace.explore()
    slider = ex.inputs["step"]
    back, ahead = [w for w in ex.children[0].children if isinstance(w, ipywidgets.Button)]
    assert (slider.min, slider.max, slider.value, back.disabled) == (0, 4, 0, True)
    first = ex.view.value
    assert "data-run='1'" in first and "<svg" in first and "<b>step 0: MulBackward0" in first
    ahead.click()
    assert slider.value == 1 and "data-run='2'" in ex.view.value and "<b>step 1: AddBackward0" in ex.view.value
    slider.value = 4
    assert ahead.disabled and "<b>step 4: AccumulateGrad (b)" in ex.view.value
    back.click()
    assert slider.value == 3
    bundle = ex._repr_mimebundle_()
    assert "data:image/png;base64," in bundle["text/html"] and "step=3" in bundle["text/plain"]
    monkeypatch.setenv("AUTOGRADVIZ_STATIC", "1")
    page = ex._repr_mimebundle_()["text/html"]
    assert page.count("<template data-key=") == 5 and "type='range'" in page


def test_explore_without_graphviz_says_how_to_get_it_and_keeps_stepping(monkeypatch):
    import graphviz

    def no_dot(*args, **kwargs):
        raise graphviz.ExecutableNotFound(["dot"])

    monkeypatch.setattr(graphviz.Digraph, "pipe", no_dot)
    monkeypatch.setattr(agv.render.dot_process, "svg", lambda source: None)  # no dot to keep running either
    a, b, loss = scalar_graph()
    ex = agv.trace_backward(loss).explore()
    assert "apt-get install graphviz" in ex.view.value
    ex.inputs["step"].value = 2
    assert "<b>step 2: MulBackward0" in ex.view.value and "apt-get install graphviz" in ex.view.value
