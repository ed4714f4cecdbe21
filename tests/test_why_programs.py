"""why() on programs as learners write them: the cut a forward under watch() made, named by the
learner's line and layer; and watch() keeps no graph alive across a training loop."""
import gc
import weakref
from pathlib import Path

import pytest
import torch
import torch.nn as nn

import autogradviz as agv

SOURCE = Path(__file__).read_text().splitlines()


def line(marker: str) -> str:
    (n,) = [i + 1 for i, text in enumerate(SOURCE) if text.rstrip().endswith(f"# {marker}")]
    return f"{__file__}:{n}"


def test_a_watched_training_loop_keeps_no_graph_alive():
    torch.manual_seed(0)
    cell, head = nn.RNNCell(4, 4), nn.Linear(4, 1)
    params = [*cell.parameters(), *head.parameters()]
    states, losses = [], []
    with agv.watch():
        h = torch.zeros(1, 4)
        for _ in range(50):  # truncated BPTT, logging with .item(): each a cut
            h = cell(torch.randn(1, 4), h)
            loss = head(h).pow(2).sum()
            loss.backward(retain_graph=True)
            with torch.no_grad():  # (torch.optim's first step imports torch._dynamo: seconds)
                for p in params:
                    p -= 0.01 * p.grad
                    p.grad = None
            states.append(weakref.ref(h))
            losses.append(weakref.ref(loss))
            loss.item()
            h = h.detach()  # BPTT_CUT
        answer = agv.why(cell.weight_hh, head(h).sum())  # the cut is still known, as a summary
    gc.collect()
    assert sum(r() is not None for r in states + losses) <= 2, "only the last step's tensors may live"
    assert (answer.cause, answer.where) == ("detached", line("BPTT_CUT"))


def test_detach_in_place_is_recorded():
    torch.manual_seed(0)
    cell, head = nn.GRUCell(3, 5), nn.Linear(5, 1)
    with agv.watch():
        h = cell(torch.randn(2, 3))
        h.detach_()  # DETACH_
        loss = head(h).sum()
    answer = agv.why(cell.weight_ih, loss)
    assert (answer.cause, answer.where) == ("detached", line("DETACH_"))
    assert "`.detach_()` of h (cell's output)" in answer.message
    assert agv.why(h).cause == "detached"


class Block(nn.Module):
    def __init__(self, frozen=False):
        super().__init__()
        self.fc, self.frozen = nn.Linear(6, 6), frozen

    def forward(self, x):
        if self.frozen:
            with torch.no_grad():
                return torch.relu(self.fc(x))  # BLOCK_NO_GRAD
        return torch.relu(self.fc(x))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem, self.blocks, self.head = nn.Linear(4, 6), nn.Sequential(Block(), Block(), Block()), nn.Linear(6, 2)

    def forward(self, x):
        h = self.blocks[0](self.stem(x))
        h = self.blocks[1](h).detach()  # NESTED_DETACH
        return self.head(self.blocks[2](h))


def test_the_layer_named_is_the_one_that_cut():
    torch.manual_seed(0)
    x = torch.randn(5, 4)
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 6), nn.ReLU(), nn.Linear(6, 2))
    with agv.watch():
        h = model[1](model[0](x))
        with torch.no_grad():
            h = model[2](h)  # SEQ_NO_GRAD
        loss = model[4](model[3](h)).sum()
    answer = agv.why(model[0].weight, loss)
    assert (answer.cause, answer.where) == ("no_grad", line("SEQ_NO_GRAD"))
    assert answer.reason == "no path: model.2 ran under torch.no_grad()"
    net = Net()
    with agv.watch():
        loss = net(x).sum()
    for p in (net.stem.weight, net.blocks[1].fc.weight):
        answer = agv.why(p, loss)
        assert (answer.cause, answer.where) == ("detached", line("NESTED_DETACH"))
        assert answer.reason == "no path: .detach() of net.blocks.1's output"
    assert agv.why(net.blocks[2].fc.weight, loss).cause == "ok"
    layers = nn.ModuleList(nn.Linear(4, 4) for _ in range(3))
    with agv.watch():
        h = x
        for i, layer in enumerate(layers):  # after the loop, `layer` is layers[2]: name layers.1
            if i == 1:
                with torch.no_grad():
                    h = layer(h)  # LOOP_NO_GRAD
            else:
                h = layer(h)
    answer = agv.why(layers[0].weight, h.sum())
    assert (answer.cause, answer.where) == ("no_grad", line("LOOP_NO_GRAD"))
    assert answer.message.startswith("layers.1 ran under")
    frozen_middle = nn.Sequential(Block(), Block(frozen=True), Block())
    with agv.watch():
        loss = frozen_middle(x @ torch.ones(4, 6)).sum()
    answer = agv.why(frozen_middle[0].fc.weight, loss)
    assert (answer.cause, answer.where) == ("no_grad", line("BLOCK_NO_GRAD"))
    assert answer.reason == "no path: frozen_middle.1.fc ran under torch.no_grad()"


def test_a_frozen_layers_output_and_a_scaled_leaf():
    torch.manual_seed(0)
    backbone, head = nn.Sequential(nn.Linear(4, 3), nn.ReLU()), nn.Linear(3, 2)
    backbone.requires_grad_(False)
    with agv.watch():
        feats = backbone(torch.randn(5, 4))  # FEATS
        w = nn.Parameter(torch.randn(2)) * 0.01  # SCALED
        loss = (head(feats) * w).sum()
    answer = agv.why(feats, loss)
    assert (answer.cause, answer.where) == ("frozen", line("FEATS"))
    assert "computed by backbone" in answer.message and "its parameters are frozen" in answer.message
    assert "never asked" not in answer.message and "backbone.requires_grad_(True)" in answer.message
    assert (agv.why(w, loss).cause, agv.why(w, loss).where) == ("not_leaf", line("SCALED"))


def test_a_loss_computed_after_watch_and_a_rebound_parameter():
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    with agv.watch():
        with torch.no_grad():
            out = model(torch.randn(4, 3))  # EVAL_STYLE
    loss = ((out - 1) ** 2).mean()  # made after watch() ended: its history is out's cut
    assert (agv.why(model.weight, loss).cause, agv.why(model.weight, loss).where) == ("no_grad", line("EVAL_STYLE"))
    w = torch.zeros(3, requires_grad=True)
    with agv.watch():
        (torch.randn(3) @ w).backward()
        with torch.no_grad():
            w = w - 0.1 * w.grad  # REBIND
    answer = agv.why(w)
    assert (answer.cause, answer.where) == ("no_grad", line("REBIND"))
    assert "`w -= lr * w.grad`" in answer.message


@pytest.mark.parametrize("bad", [dict(t=3.0), dict(outputs=[1.0]), dict(optimizer="sgd")])
def test_bad_input_is_a_type_error(bad):
    args = {"t": torch.zeros(1, requires_grad=True), **bad}
    with pytest.raises(TypeError, match="takes"):
        agv.why(args.pop("t"), **args)


def test_a_cut_made_for_logging_is_not_the_reason():
    torch.manual_seed(0)
    clf, x, y = nn.Linear(4, 3), torch.randn(8, 4), torch.randint(0, 3, (8,))
    with agv.watch():
        logits = clf(x)
        loss = nn.functional.cross_entropy(logits, y)
        accuracy = (logits.argmax(1) == y).float().mean()  # cuts a path, not the loss's
        logged = logits.detach()
    assert agv.why(clf.weight).cause == "no_backward_yet"  # no backward yet; the loss reaches it
    assert agv.why(clf.weight, loss).cause == "ok"
    assert agv.why(clf.weight, accuracy).cause == "non_differentiable"
