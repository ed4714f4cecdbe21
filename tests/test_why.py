"""agv.why(): every cause, the learner's line (.where), and the same words in grads() and draw()."""
import re
import warnings
from pathlib import Path

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

import autogradviz as agv
from autogradviz.widgets import run_and_render

SOURCE = Path(__file__).read_text().splitlines()


def line(marker: str) -> str:
    """ "test_why.py:N" of the line that carries ``# <marker>`` in this file."""
    (n,) = [i + 1 for i, text in enumerate(SOURCE) if text.rstrip().endswith(f"# {marker}")]
    return f"{__file__}:{n}"


@pytest.fixture
def net():
    torch.manual_seed(0)
    return nn.Linear(4, 3), nn.Linear(3, 3), nn.Linear(3, 2), torch.randn(5, 4)


def test_ok_and_the_optimizer(net):
    lin0, lin1, lin2, x = net
    with agv.watch():
        loss = lin2(lin1(lin0(x))).sum()
    answer = agv.why(lin0.weight, loss)
    assert (answer.cause, answer.where) == ("ok", None)
    assert "lin0.weight gets a gradient" in answer.message
    opt = torch.optim.SGD([*lin0.parameters(), *lin1.parameters(), *lin2.parameters()], lr=0.1)
    assert agv.why(lin0.weight, loss, optimizer=opt).cause == "ok"


def test_frozen_parameter_and_a_tensor_that_never_asked(net):
    lin0, lin1, lin2, x = net
    lin0.requires_grad_(False)
    with agv.watch():
        loss = lin2(lin1(lin0(x))).sum()
    answer = agv.why(lin0.weight, loss)
    assert answer.cause == "frozen" and answer.reason == "frozen: requires_grad=False"
    assert "requires_grad_(True)" in answer.message
    assert agv.why(x, loss).cause == "frozen"
    assert "never asked for a gradient" in agv.why(x, loss).message


def test_not_leaf_says_where_it_was_computed():
    with agv.watch():
        w = torch.randn(4, 2, requires_grad=True) * 0.01  # NOT_LEAF
        b = torch.zeros(2, requires_grad=True).to(torch.float64)  # TO
        loss = (torch.randn(3, 4) @ w).sum() + b.sum()
    answer = agv.why(w, loss)
    assert (answer.cause, answer.where) == ("not_leaf", line("NOT_LEAF"))
    assert "retain_grad()" in answer.message and "w was computed" in answer.message
    assert (agv.why(b, loss).cause, agv.why(b, loss).where) == ("not_leaf", line("TO"))
    w.retain_grad()  # an intermediate that keeps its .grad gets one
    assert agv.why(w, loss).cause == "ok"


def test_no_grad_names_the_layer_and_the_line(net):
    lin0, lin1, lin2, x = net
    with agv.watch():
        h = lin0(x)
        with torch.no_grad():
            h2 = lin1(h)  # NO_GRAD
        loss = lin2(h2).sum()
    upstream, own = agv.why(lin0.weight, loss), agv.why(lin1.bias, loss)
    assert upstream.cause == own.cause == "no_grad"
    assert upstream.where == own.where == line("NO_GRAD")
    assert upstream.reason == "no path: lin1 ran under torch.no_grad()"
    assert own.reason == "no path: its layer ran under torch.no_grad()"
    assert "`h2 = lin1(h)  # NO_GRAD`" in upstream.message and "requires_grad_(False)" in upstream.message
    made = agv.why(h2)
    assert made.cause == "no_grad" and made.message.startswith("h2 was made by lin1")
    assert agv.why(lin2.weight, loss).cause == "ok"


def test_inference_mode(net):
    lin0, lin1, lin2, x = net
    with agv.watch():
        with torch.inference_mode():
            h = lin0(x)  # INFERENCE
        loss = lin2(lin1(h.clone())).sum()
    answer = agv.why(lin0.weight, loss)
    assert (answer.cause, answer.where) == ("inference_mode", line("INFERENCE"))
    with torch.inference_mode():  # without watch(): the output itself says it
        out = lin2(lin1(lin0(x)))
    unwatched = agv.why(lin0.weight, out)
    assert (unwatched.cause, unwatched.where) == ("inference_mode", None)


@pytest.mark.parametrize("cause", ["detached", "data"])
def test_detach_and_data(net, cause):
    lin0, lin1, lin2, x = net
    with agv.watch():
        h = lin1(lin0(x))
        h = h.detach() if cause == "detached" else h.data  # CUT
        loss = lin2(h).sum()
    for p in (lin0.weight, lin1.bias):
        answer = agv.why(p, loss)
        assert (answer.cause, answer.where) == (cause, line("CUT"))
        assert "lin1's output" in answer.reason
    assert agv.why(lin2.weight, loss).cause == "ok"


def test_copied_values(net):
    lin0, lin1, lin2, x = net
    with agv.watch():
        h = lin1(lin0(x))
        listed = torch.tensor(h.tolist())  # TOLIST
        scale = h.sum().item()  # ITEM
        arr = lin0(x).detach().numpy()  # NUMPY
        copied = torch.tensor(h)  # TENSOR
        losses = [lin2(listed).sum(), lin2(x[:, :3]).sum() * torch.tensor(scale),
                  lin1(torch.as_tensor(arr)).sum(), lin2(copied).sum()]
    expected = [(lin0.weight, 0, "TOLIST"), (lin1.weight, 1, "ITEM"), (lin0.bias, 2, "NUMPY"), (lin1.bias, 3, "TENSOR")]
    for p, i, marker in expected:
        answer = agv.why(p, losses[i])
        assert (answer.cause, answer.where) == ("copied", line(marker)), marker
    assert "autograd cannot follow values that leave torch" in answer.message


@pytest.mark.parametrize("op", ["argmax", "gt", "long"])
def test_non_differentiable_ops(net, op):
    lin0, lin1, lin2, x = net
    with agv.watch():
        h = lin1(lin0(x))
        hard = h.argmax(1, keepdim=True) if op == "argmax" else (h > 0) if op == "gt" else h.long()  # HARD
        loss = (lin2.weight.sum() * hard.float()).sum()
    answer = agv.why(lin0.weight, loss)
    assert (answer.cause, answer.where) == ("non_differentiable", line("HARD"))
    assert "integer and boolean results never require grad" in answer.reason


def test_integer_output_without_watch(net):
    lin0, _, _, x = net
    answer = agv.why(lin0.weight, lin0(x).argmax(1))
    assert answer.cause == "non_differentiable" and answer.where is None
    graph = agv.draw(lin0(x).argmax(1), params={"lin0": lin0})
    assert "integer and boolean results never require grad" in graph.summary
    assert "no_grad" not in graph.summary


def test_not_used_and_a_layer_that_did_not_run():
    torch.manual_seed(0)
    blocks = nn.ModuleList(nn.Linear(3, 3) for _ in range(3))
    spare = torch.randn(3, requires_grad=True)
    with agv.watch():
        h = torch.randn(2, 3)
        for block in blocks[:2]:  # the third block never runs
            h = block(h)
        loss = h.sum()
    assert agv.why(spare, loss).cause == "not_used"
    skipped = agv.why(blocks[2].weight, loss)
    assert skipped.cause == "not_used" and skipped.reason == "not used: its layer did not run"
    assert agv.grads({"blocks": blocks}, outputs=loss)["blocks.2.weight"].why_none == "not used: its layer did not run"


def test_not_in_optimizer(net):
    lin0, lin1, lin2, x = net
    lin0.requires_grad_(False)
    opt = torch.optim.SGD([p for m in (lin0, lin1, lin2) for p in m.parameters() if p.requires_grad], lr=0.1)
    lin0.requires_grad_(True)  # unfrozen after the optimizer was built
    heads = [nn.Linear(2, 2)]  # a plain list: model.parameters() would not see it
    with agv.watch():
        loss = heads[0](lin2(lin1(lin0(x)))).sum()
    unfrozen, in_a_list = agv.why(lin0.weight, loss, optimizer=opt), agv.why(heads[0].weight, loss, optimizer=opt)
    assert unfrozen.cause == in_a_list.cause == "not_in_optimizer"
    assert "built while the parameter was frozen" in unfrozen.message and "add_param_group" in unfrozen.message
    assert "plain Python list" in in_a_list.message and "nn.ModuleList" in in_a_list.message
    assert agv.why(lin1.weight, loss, optimizer=opt).cause == "ok"
    temperature = torch.ones(1, requires_grad=True)  # never given to the optimizer
    never = agv.why(temperature, (loss / temperature), optimizer=opt)
    assert never.cause == "not_in_optimizer" and "not among the tensors the optimizer was given" in never.message
    lin2.weight = nn.Parameter(lin2.weight.detach().clone())  # replaced after the optimizer was made
    replaced = agv.why(lin2.weight, lin2(x[:, :3]).sum(), optimizer=opt)
    assert replaced.cause == "not_in_optimizer" and "replaced after the optimizer" in replaced.message


def test_no_backward_yet_then_the_backward_watch_saw(net):
    lin0, lin1, lin2, x = net
    fresh = nn.Linear(2, 2)
    assert agv.why(fresh.weight).cause == "no_backward_yet"
    with agv.watch():
        h = lin0(x).detach()  # DETACHED
        loss = lin2(lin1(h)).sum()
        assert agv.why(lin1.weight).cause == "no_backward_yet"  # reached, but no backward yet
        loss.backward()
    answer = agv.why(lin0.weight)  # no outputs: the backward watch() saw
    assert (answer.cause, answer.where) == ("detached", line("DETACHED"))
    assert agv.why(lin1.weight).cause == "ok"


def test_without_watch_it_says_watch_would_tell_more(net):
    lin0, lin1, lin2, x = net
    h = lin0(x)
    with torch.no_grad():
        h2 = lin1(h)
    answer = agv.why(lin0.weight, lin2(h2).sum())
    assert answer.where is None and not answer.exact
    assert "agv.watch()" in answer.message


def test_renders_as_text_and_html(net):
    lin0, lin1, lin2, x = net
    with agv.watch():
        loss = lin2(lin1(lin0(x)).detach()).sum()
    answer = agv.why(lin0.weight, loss)
    assert str(answer).startswith("why: detached\n") and repr(answer) == str(answer)
    page = answer._repr_html_()
    assert "data-cause='detached'" in page and "<code>.detach()</code>" in page


def test_bad_input_says_what_to_pass(net):
    lin0, _, _, x = net
    with pytest.raises(TypeError, match="why\\(\\) takes a tensor first"):
        agv.why(lin0)
    with pytest.raises(TypeError, match="takes outputs= the tensor backward"):
        agv.why(lin0.weight, outputs=3.0)
    with pytest.raises(TypeError, match="takes optimizer= a torch.optim.Optimizer"):
        agv.why(lin0.weight, lin0(x).sum(), optimizer=[lin0.weight])


def test_grads_and_draw_say_what_why_says(net):
    lin0, lin1, lin2, x = net
    with agv.watch():
        h = lin0(x)
        with torch.no_grad():
            h2 = lin1(h)
        loss = lin2(h2).sum()
    params = {"lin0": lin0, "lin1": lin1, "lin2": lin2}
    report = agv.grads(params, outputs=loss)
    boxes = {n.name: n.label.rsplit("\n", 1)[1] for n in agv.draw(loss, params=params).nodes if n.kind == "no_path"}
    for name, p in [("lin0.weight", lin0.weight), ("lin1.bias", lin1.bias)]:
        answer = agv.why(p, loss)
        assert report[name].why_none == answer.reason and report[name].cause == answer.cause
        assert any(name in members and reason == answer.reason for members, reason in boxes.items())
    (cut,) = [n for n in agv.draw(loss, params=params).nodes if n.kind == "cut"]
    assert cut.label == "h2: lin1's output (5, 3)\nmade under torch.no_grad()", "the learner's variable, the call, the shape"


def test_inference_mode_without_watch_boxes_agree_with_the_caption(net):
    lin0, lin1, lin2, x = net
    with torch.inference_mode():
        out = lin2(lin1(lin0(x)))
    graph = agv.draw(out, params={"lin0": lin0, "lin1": lin1, "lin2": lin2})
    reasons = {n.label.rsplit("\n", 1)[1] for n in graph.nodes if n.kind == "no_path"}
    assert reasons == {"made under torch.inference_mode()"}
    assert "no_grad" not in graph.summary and "detach" not in graph.summary


def test_reentrant_checkpoint_parameters_get_grad():
    torch.manual_seed(0)
    block, head = nn.Linear(3, 3), nn.Linear(3, 1)
    x = torch.randn(2, 3, requires_grad=True)
    with agv.watch():
        out = head(checkpoint(block, x, use_reentrant=True)).sum()
    params = {"block": block, "head": head}
    graph = agv.draw(out, params=params)
    assert {n.name for n in graph.nodes if n.kind == "leaf"} >= {"block.weight", "block.bias"}
    assert not [n for n in graph.nodes if n.kind == "no_path"]
    assert agv.why(block.weight, out).cause == "ok"
    out.backward()
    assert block.weight.grad is not None  # what the picture says


def test_retain_grad_intermediate_in_params_gets_grad():
    w = torch.randn(3, requires_grad=True)
    h = w * 2
    h.retain_grad()
    graph = agv.draw((h ** 2).sum(), params={"w": w, "h": h})
    assert {n.name for n in graph.nodes if n.kind == "leaf"} == {"w", "h"}
    assert not [n for n in graph.nodes if n.kind == "no_path"]


def test_grads_of_a_module_without_parameters():
    with pytest.raises(ValueError, match="ReLU has none"):
        agv.grads(nn.ReLU())


def test_explorer_after_a_failed_backward():
    torch.manual_seed(0)
    lin = nn.Linear(3, 3)

    def step():
        h = lin(torch.randn(2, 3)).sigmoid()
        h.mul_(2)  # IN_PLACE
        return h

    view, _, graph = run_and_render(step, {"lin": lin}, {})
    assert "backward() raised an error" in view
    assert f"line {line('IN_PLACE').rsplit(':', 1)[1]}: <code>h.mul_(2)  # IN_PLACE</code>" in view
    assert "No parameter got a gradient" in view and "cut after" not in view
    assert not [n for n in graph.nodes if n.kind == "leaf"], "no blue 'gets .grad' box after a failed backward"


def test_a_failed_backward_with_many_leaves_draws_no_bare_ids():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3), nn.Linear(3, 3))  # 6 leaves: merged in one box

    def step():
        h = net(torch.randn(2, 3)).sigmoid()
        h.mul_(2)
        return h

    _, _, graph = run_and_render(step, net, {})
    declared = set(re.findall(r"^\s+(\w+) \[", graph.source, re.M))
    ends = {end for edge in re.findall(r"^\s+(\w+ -> \w+)", graph.source, re.M) for end in edge.split(" -> ")}
    assert ends <= declared, f"edges to undeclared nodes (drawn as bare ids): {ends - declared}"
    assert "0.weight, 0.bias" in graph.source or "6 params" in graph.source


def test_warnings_under_watch_point_at_the_learners_line():
    w = torch.randn(3, requires_grad=True)
    with agv.watch(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        h = w * 2
        h.grad  # READ_GRAD
    (warning,) = [c for c in caught if ".grad attribute" in str(c.message)]
    assert f"{warning.filename}:{warning.lineno}" == line("READ_GRAD")


def test_watch_changes_no_result(net):
    lin0, lin1, lin2, x = net
    plain = lin2(lin1(lin0(x)).detach())
    with agv.watch():
        watched = lin2(lin1(lin0(x)).detach())
    assert torch.equal(plain, watched) and type(watched.grad_fn) is type(plain.grad_fn)


def test_rounding_gives_a_zero_gradient(net):
    lin0, _, _, x = net
    with agv.watch():
        loss = lin0(x).round().sum()  # ROUND
    answer = agv.why(lin0.weight, loss)
    assert (answer.cause, answer.where) == ("non_differentiable", line("ROUND"))
    assert "straight-through" in answer.message
    with agv.watch():
        loss = lin0(x).round().sum() + lin0(x).sum()  # a second path, around round()
    assert agv.why(lin0.weight, loss).cause == "ok"


def test_a_new_leaf_made_from_copied_values(net):
    lin0, _, _, x = net
    with agv.watch():
        loss = torch.tensor(lin0(x).sum().item(), requires_grad=True) * 2  # NEW_LEAF
    answer = agv.why(lin0.weight, loss)
    assert (answer.cause, answer.where) == ("copied", line("NEW_LEAF"))


class Finetune(nn.Module):
    def __init__(self):
        super().__init__()
        self.body, self.head = nn.Linear(4, 3), nn.Linear(3, 2)

    def forward(self, x):
        with torch.no_grad():
            h = self.body(x)  # INSIDE_FORWARD
        return self.head(h)


def test_no_grad_inside_a_forward_names_its_line_and_module():
    model = Finetune()
    with agv.watch():
        loss = model(torch.randn(5, 4)).sum()
    answer = agv.why(model.body.weight, loss)
    assert (answer.cause, answer.where) == ("no_grad", line("INSIDE_FORWARD"))
    assert answer.reason == "no path: its layer ran under torch.no_grad()"
    assert answer.message.startswith("model.body ran under `torch.no_grad()`")


def test_no_grad_around_a_whole_model_names_the_calling_line():
    model = Finetune()
    frozen_first = nn.Linear(4, 4)
    with agv.watch():
        with torch.no_grad():
            h = frozen_first(torch.randn(5, 4))  # AROUND
        loss = model(h).sum()
    answer = agv.why(frozen_first.weight, loss)
    assert (answer.cause, answer.where) == ("no_grad", line("AROUND"))
    assert answer.message.startswith("frozen_first ran under")


def test_a_path_lost_through_numpy_from_numpy(net):
    lin0, lin1, lin2, x = net
    with agv.watch():
        values = lin1(lin0(x)).detach().numpy()  # FROM_NUMPY
        loss = lin2(torch.from_numpy(values)).sum()  # (torch.from_numpy is not seen by TorchFunctionMode)
    answer = agv.why(lin0.weight, loss)
    assert (answer.cause, answer.where) == ("detached", line("FROM_NUMPY"))
    spare = torch.zeros(2, requires_grad=True)
    assert agv.why(spare, loss).cause == "not_used", "a tensor no cut ever saw is still not_used"


# -- the words fit the program: what the fact-check found said more than was true --------------------

def test_not_leaf_tells_an_update_out_of_place_from_an_activation(net):
    lin0, lin1, lin2, x = net
    w = torch.zeros(3, requires_grad=True)
    (x[:, :3] @ w).sum().backward()
    w = w - 0.1 * w.grad  # an SGD step out of place: a non-leaf, and the graph grows
    update = agv.why(w, (x[:, :3] @ w).sum())
    assert update.cause == "not_leaf" and "w -= lr * w.grad" in update.message
    assert "requires_grad_()" not in update.message, "requires_grad_() on a non-leaf changes nothing"
    with agv.watch():
        h = lin0(x)
        loss = lin2(lin1(h)).sum()
    activation = agv.why(h, loss)
    assert "h.retain_grad()" in activation.message and "would stop learning" in activation.message


def test_a_parameter_outside_any_module_not_in_the_optimizer(net):
    lin0, lin1, lin2, x = net
    temperature = nn.Parameter(torch.ones(1))  # a learnable temperature, in no module
    opt = torch.optim.SGD(lin0.parameters(), lr=0.1)
    with agv.watch():
        loss = (lin0(x) / temperature).sum()
    answer = agv.why(temperature, loss, optimizer=opt)
    assert answer.cause == "not_in_optimizer" and "outside any module" in answer.message
    assert "list" not in answer.message


def test_replaced_only_when_the_optimizer_holds_a_plausible_old_copy(net):
    lin0, lin1, lin2, x = net
    lin0.requires_grad_(False)
    scale = nn.Parameter(torch.ones(1))  # a parameter in no module, of another shape
    opt = torch.optim.SGD([p for m in (lin0, lin1) for p in m.parameters() if p.requires_grad] + [scale], lr=0.1)
    lin0.requires_grad_(True)
    with agv.watch():
        loss = (lin1(lin0(x)) * scale).sum()
    for p in lin0.parameters():
        answer = agv.why(p, loss, optimizer=opt)
        assert "built while the parameter was frozen" in answer.message and "replaced" not in answer.message


def test_a_module_without_parameters_is_not_told_to_unfreeze(net):
    relu = nn.ReLU()
    with agv.watch():
        h = relu(net[3])
    answer = agv.why(h)
    assert answer.cause == "frozen" and "relu has no parameters" in answer.message
    assert "requires_grad_(True)" not in answer.message
    lin0 = net[0].requires_grad_(False)
    with agv.watch():
        frozen_out = lin0(net[3])
    assert "unfreeze it (`lin0.requires_grad_(True)`)" in agv.why(frozen_out).message


def test_a_layer_that_ran_before_the_watched_block_is_not_said_not_to_run(net):
    enc, _, head, x = net
    z = enc(x).detach()  # before the block: watch() did not see enc run
    with agv.watch():
        loss = head(nn.functional.pad(z, (0, 0)).narrow(1, 0, 3)).sum()
    answer = agv.why(enc.weight, loss)
    assert answer.cause == "not_used" and not answer.exact
    assert "did not run" not in answer.message and "inside `with agv.watch():` too" in answer.message


def test_the_lists_of_what_cuts_a_path_name_inference_mode_and_ops_without_gradient(net):
    gate, head = nn.Linear(4, 1), nn.Linear(4, 1)
    x = net[3]
    loss = (head(x) * (gate(x) > 0).float()).sum()  # a comparison cuts gate off, unwatched
    answer = agv.why(gate.weight, loss)
    assert "torch.inference_mode()" in answer.message and "argmax" in answer.message
    assert "inference_mode" in answer.reason and "argmax" in answer.reason
    out = (gate(x) > 0).float()
    assert "argmax" in agv.why(gate.weight, out).message
    graph = agv.draw(out)
    assert "inference" in graph.summary and "argmax" in graph.summary


def test_set_grad_enabled_is_named_as_such(net):
    lin0, lin1, lin2, x = net
    with agv.watch():
        with torch.set_grad_enabled(False):
            h = lin0(x)  # SET_GRAD
        loss = lin2(lin1(h)).sum()
    answer = agv.why(lin0.weight, loss)
    assert (answer.cause, answer.where) == ("no_grad", line("SET_GRAD"))
    assert "torch.set_grad_enabled(False)" in answer.message and "torch.no_grad()" not in answer.message
    assert "torch.set_grad_enabled(True)" in answer.message

    def grad_off():  # grad mode turned off where the learner's line does not show it
        torch.set_grad_enabled(False)

    with agv.watch():
        grad_off()
        h = lin0(x)
        torch.set_grad_enabled(True)
        loss = lin2(lin1(h)).sum()
    unknown = agv.why(lin0.weight, loss)
    assert "with grad mode off (`torch.no_grad()`, `@torch.no_grad`, or `torch.set_grad_enabled(False)`)" in \
        unknown.message and "Run it outside that block" not in unknown.message
    assert unknown.reason == "no path: its layer ran with grad mode off"


def test_an_inference_tensor_message_claims_only_what_is_true():
    with torch.inference_mode():
        made = torch.ones(3)
    answer = agv.why(made)
    assert answer.cause == "inference_mode" and "never gets a gradient" not in answer.message
    with pytest.raises(RuntimeError):  # what it says: outside inference_mode it cannot be made to require grad
        made.requires_grad_()
    with torch.inference_mode():
        asked = torch.ones(3, requires_grad=True)
    (asked * 2).sum().backward()  # yet one made with requires_grad=True inside can get a .grad
    assert asked.grad is not None
