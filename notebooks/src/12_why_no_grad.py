# %% [markdown]
# # 12 · Why is my gradient `None`? A dozen classic bugs
#
# **The question.** A layer does not learn: its `.grad` is `None`, or its weights never move.
# Why? It is the question learners ask most about autograd, and the answers are usually forum
# threads. Here are twelve classic bugs, each written as a learner writes it, in a small training
# step on real data.
#
# **Predict before you run.** For each bug, before you run it: which layer stops learning, and
# does PyTorch raise an error or stay silent?
#
# For each one we run the step, see what does not learn, and ask `agv.why(t, outputs=None,
# optimizer=None)`: it names the *cause* (one of a dozen), the *line* that caused it (when the
# forward ran inside `agv.watch()`), and the fix. The sections stand alone: read the one whose
# symptom you have; the checklist at the end sums them up.

# %%
# errors below show short: the message, without the lines inside torch that raised it
# %xmode Minimal
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_digits

import autogradviz as agv

torch.manual_seed(0)
print("torch", torch.__version__)

# %% [markdown]
# ## The data, the model, and a test for "does it learn?"
#
# Scikit-learn's handwritten digits (8×8 pixels, shipped with the package). A small network: a
# `body` (64 → 32, ReLU) and a `head` (32 → 10). `what_learns` runs three training steps on
# three batches and lists the layers whose weights moved.

# %%
digits = load_digits()
X = torch.tensor(digits.data, dtype=torch.float32) / 16  # pixels in [0, 1]
Y = torch.tensor(digits.target)
xb, yb = X[:64], Y[:64]


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(64, 32), nn.ReLU())
        self.head = nn.Linear(32, 10)

    def forward(self, x):
        return self.head(self.body(x))


def fresh(model_class=Net):
    torch.manual_seed(0)
    model = model_class()
    return model, torch.optim.SGD(model.parameters(), lr=0.5)


def what_learns(model, step, steps=3):
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    for i in range(steps):
        step(X[64 * i:64 * (i + 1)], Y[64 * i:64 * (i + 1)])
    moved = {name.rsplit(".", 1)[0] for name, p in model.named_parameters() if not torch.equal(p, before[name])}
    return sorted(moved)

# %% [markdown]
# First, a training step without a bug: every layer learns, and `agv.why` says so.

# %%
model, opt = fresh()


def train_step(x, y):
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss


print(what_learns(model, train_step))
agv.why(model.body[0].weight, train_step(xb, yb), optimizer=opt)

# %%
assert what_learns(model, train_step) == ["body.0", "head"]
assert agv.why(model.body[0].weight, train_step(xb, yb), optimizer=opt).cause == "ok"
print("checkpoint passed")

# %% [markdown]
# ## 1 · Frozen by mistake: `requires_grad=False`
#
# Fine-tuning code copied from a ResNet tutorial freezes everything but the head, which that
# model calls `fc`. Ours calls it `head`.

# %%
model, opt = fresh()
for name, p in model.named_parameters():
    if not name.startswith("fc"):  # "freeze everything but the head"
        p.requires_grad = False

# %% tags=["raises-exception"]
train_step(xb, yb)

# %% [markdown]
# Nothing in the graph requires grad, so the loss has no `grad_fn`, and `backward()` refuses it.
# Ask why the head gets nothing:

# %%
with agv.watch():
    loss = F.cross_entropy(model(xb), yb)
agv.why(model.head.weight, loss)

# %%
assert agv.why(model.head.weight, loss).cause == "frozen" and loss.grad_fn is None and not loss.requires_grad
model, opt = fresh()
for name, p in model.named_parameters():
    if not name.startswith("head"):  # the fix: this model's name for its head
        p.requires_grad = False
assert what_learns(model, train_step) == ["head"]
print("checkpoint passed")

# %% [markdown]
# ## 2 · Not a leaf: `* 0.01` after `requires_grad=True`
#
# Logistic regression by hand, with small initial weights. `W` is computed (`* 0.01`) from the
# tensor that asked for a gradient, so `W` is not a leaf, and backward fills `.grad` only on
# leaves.

# %%
W = torch.randn(64, 10, requires_grad=True) * 0.01  # small initial weights
b = torch.zeros(10, requires_grad=True)


def step_by_hand(x, y):
    loss = F.cross_entropy(x @ W + b, y)
    loss.backward()
    with torch.no_grad():
        W.sub_(0.5 * W.grad)
        b.sub_(0.5 * b.grad)
    W.grad = b.grad = None  # clear them for the next step

# %% tags=["raises-exception"]
with warnings.catch_warnings(record=True) as caught:  # PyTorch's warning, printed below
    warnings.simplefilter("always")
    step_by_hand(xb, yb)

# %% [markdown]
# `W.grad` was `None`, and PyTorch warned when it was read:

# %%
print(str(caught[0].message).split(" If you")[0])
with agv.watch():
    W = torch.randn(64, 10, requires_grad=True) * 0.01
    loss = F.cross_entropy(xb @ W + b, yb)
agv.why(W, loss)

# %% [markdown]
# An optimizer refuses such a tensor outright:

# %% tags=["raises-exception"]
torch.optim.SGD([W, b], lr=0.5)

# %% [markdown]
# The fix: make `W` first, then ask for its gradient.

# %%
assert agv.why(W, loss).cause == "not_leaf" and not W.is_leaf
assert str(caught[0].message).startswith("The .grad attribute of a Tensor that is not a leaf Tensor is being accessed")
W = (torch.randn(64, 10) * 0.01).requires_grad_()
before = W.detach().clone()
step_by_hand(xb, yb)
assert W.is_leaf and not torch.equal(W, before)  # the update read W.grad: None would raise
print("checkpoint passed")

# %% [markdown]
# ## 3 · `no_grad` around a layer that should learn
#
# "The body is pretrained: wrap it in `no_grad` to save memory." But the plan was to fine-tune it.
# No error, no warning: the body just does not learn.

# %%
model, opt = fresh()


def step(x, y):
    opt.zero_grad()
    with torch.no_grad():  # "save memory"
        features = model.body(x)
    loss = F.cross_entropy(model.head(features), y)
    loss.backward()
    opt.step()
    return loss


learned = what_learns(model, step)
print(learned)

# %% [markdown]
# Run one step inside `agv.watch()`, then ask. Without `outputs=`, `why` uses the backward it saw.

# %%
with agv.watch():
    loss = step(xb, yb)
agv.why(model.body[0].weight)

# %% [markdown]
# The graph says the same: the dashed oval is the body's output, made under `no_grad`, and the
# body's parameters are in the "will get no .grad" box, with the same words.

# %%
graph = agv.draw(loss, params=model)
graph

# %% [markdown]
# If the body was meant to stay fixed, `no_grad` is right (and saves memory). To fine-tune it,
# take the `no_grad` away: that is `train_step`, which trains both layers (first checkpoint).

# %%
answer = agv.why(model.body[0].weight)
assert learned == ["head"] and answer.cause == "no_grad"
assert [n.label for n in graph.nodes if n.kind == "cut"] == ["body's output (64, 32)\nmade under torch.no_grad()"]
assert {n.label.rsplit("\n", 1)[1] for n in graph.nodes if n.kind == "no_path"} == {answer.reason}
print("checkpoint passed")

# %% [markdown]
# ## 4 · `inference_mode` in a helper reused for training
#
# A `predict` helper, rightly decorated with `@torch.inference_mode()` for serving, is reused in
# the training step.

# %%
model, opt = fresh()


@torch.inference_mode()
def predict(x):
    return model(x)


def step(x, y):
    opt.zero_grad()
    loss = F.cross_entropy(predict(x), y)
    loss.backward()
    opt.step()
    return loss

# %% tags=["raises-exception"]
step(xb, yb)

# %%
with agv.watch():
    loss = F.cross_entropy(predict(xb), yb)
agv.why(model.head.weight, loss)

# %% [markdown]
# The fix: training calls the model itself (`train_step`); `predict` stays for serving.

# %%
assert agv.why(model.head.weight, loss).cause == "inference_mode"
print("checkpoint passed")

# %% [markdown]
# ## 5 · `.detach()` copied from a GAN
#
# In a GAN's discriminator step, `fake.detach()` stops the discriminator's loss from sending
# gradients into the generator (they would pile up in its `.grad`). Copied into an ordinary model,
# it stops the body.

# %%
class DetachedNet(Net):
    def forward(self, x):
        features = self.body(x).detach()  # copied from a GAN's D step
        return self.head(features)


model, opt = fresh(DetachedNet)
learned = what_learns(model, train_step)
print(learned)

# %%
with agv.watch():
    loss = train_step(xb, yb)
agv.why(model.body[0].bias)

# %% [markdown]
# The fix: no `.detach()`, which is `Net` itself.

# %%
assert learned == ["head"] and agv.why(model.body[0].bias).cause == "detached"
G, D = nn.Linear(4, 4), nn.Linear(4, 1)  # a GAN's D step: with the detach, G's .grad stays empty
D(G(torch.randn(8, 4)).detach()).mean().backward()
assert G.weight.grad is None and D.weight.grad is not None
D(G(torch.randn(8, 4))).mean().backward()  # without it, D's loss fills G's .grad
assert G.weight.grad is not None
print("checkpoint passed")

# %% [markdown]
# ## 6 · `.data` from an old tutorial
#
# Before PyTorch 0.4, `.data` unwrapped a `Variable` into a tensor. Today it does what
# `.detach()` does, and worse: autograd does not see in-place changes made through it.

# %%
model, opt = fresh()


def step(x, y):
    opt.zero_grad()
    hidden = model.body(x).data  # "unwrap the Variable"
    loss = F.cross_entropy(model.head(hidden), y)
    loss.backward()
    opt.step()
    return loss


print(what_learns(model, step))
with agv.watch():
    loss = step(xb, yb)
agv.why(model.body[0].weight)

# %% [markdown]
# And the "worse": `sigmoid` saves its output for backward. Changed in place through `.detach()`,
# the change is seen and backward refuses; through `.data`, it is not, and the gradient is wrong.

# %%
a = torch.zeros(3, requires_grad=True)
s = a.sigmoid()
s.data.mul_(2)  # unseen by autograd
s.sum().backward()
print("gradient:", a.grad, " right answer:", torch.sigmoid(torch.zeros(3)) * (1 - torch.sigmoid(torch.zeros(3))))

# %%
assert what_learns(model, step) == ["head"] and agv.why(model.body[0].weight).cause == "data"
assert torch.equal(a.grad, torch.zeros(3)) and not torch.equal(a.grad, torch.full((3,), 0.25))  # 1 * (1 - 1)
s = a.sigmoid()
s.detach().mul_(2)  # the same change through .detach(): it shares the version counter
try:
    s.sum().backward()
    refused = ""
except RuntimeError as error:
    refused = str(error)
assert "modified by an inplace operation" in refused
print("checkpoint passed")

# %% [markdown]
# The fix is the same as in 5: use `model.body(x)` itself.

# %% [markdown]
# ## 7 · `torch.tensor(...)` of a list of losses
#
# One loss per sample, collected in a list, then turned into a tensor to average it.
# `torch.tensor` copies the *values*: the result has no history.

# %%
model, opt = fresh()


def step(x, y):
    opt.zero_grad()
    losses = [F.cross_entropy(model(xi[None]), yi[None]) for xi, yi in zip(x, y)]
    loss = torch.tensor(losses).mean()
    loss.backward()
    opt.step()
    return loss

# %% tags=["raises-exception"]
with warnings.catch_warnings(record=True) as caught:  # PyTorch's warning, printed below
    warnings.simplefilter("always")
    step(xb, yb)

# %%
print(str(caught[0].message).splitlines()[0])
with agv.watch(), warnings.catch_warnings():
    warnings.simplefilter("ignore")  # printed above
    losses = [F.cross_entropy(model(xi[None]), yi[None]) for xi, yi in zip(xb, yb)]
    loss = torch.tensor(losses).mean()
agv.why(model.head.weight, loss)

# %%
assert agv.why(model.head.weight, loss).cause == "copied"


def step(x, y):
    opt.zero_grad()
    losses = [F.cross_entropy(model(xi[None]), yi[None]) for xi, yi in zip(x, y)]
    loss = torch.stack(losses).mean()  # the fix: stack keeps the history
    loss.backward()
    opt.step()
    return loss


assert what_learns(model, step) == ["body.0", "head"]
print("checkpoint passed")

# %% [markdown]
# ## 8 · A NumPy softmax
#
# A softmax from an old NumPy course, reused for the loss.

# %%
def softmax_np(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


model, opt = fresh()

# %% tags=["raises-exception"]
probs = torch.tensor(softmax_np(model(xb).numpy()))

# %% [markdown]
# The error says what to do: `.detach().numpy()`. Do it, and the error moves to `backward()`:

# %%
def step(x, y):
    opt.zero_grad()
    probs = torch.tensor(softmax_np(model(x).detach().numpy()))  # as the error says
    loss = F.nll_loss(probs.log(), y)
    loss.backward()
    opt.step()
    return loss

# %% tags=["raises-exception"]
step(xb, yb)

# %%
with agv.watch():
    loss = F.nll_loss(torch.tensor(softmax_np(model(xb).detach().numpy())).log(), yb)
agv.why(model.head.weight, loss)

# %% [markdown]
# `.detach()` silenced the first error, but the values still left torch. Keep the computation in
# torch: `F.cross_entropy(model(x), y)` (softmax, log and loss in one, and numerically safer).

# %%
assert agv.why(model.head.weight, loss).cause == "copied"
try:
    model(xb).numpy()
    said = ""
except RuntimeError as error:
    said = str(error)
assert said.endswith("Use tensor.detach().numpy() instead.")  # what the first error said to do
print("checkpoint passed")

# %% [markdown]
# ## 9 · The accuracy as the loss
#
# "Optimize what you measure": one minus the accuracy. `argmax` returns integer indices and
# `==` booleans, and integer and boolean results never require grad.

# %% tags=["raises-exception"]
loss = 1 - (model(xb).argmax(1) == yb).float().mean()
loss.backward()

# %%
with agv.watch():
    loss = 1 - (model(xb).argmax(1) == yb).float().mean()
agv.why(model.head.weight, loss)

# %% [markdown]
# The fix: a differentiable loss (`F.cross_entropy`, as in `train_step`), and the accuracy for
# reporting only.

# %%
assert agv.why(model.head.weight, loss).cause == "non_differentiable" and loss.grad_fn is None
print("checkpoint passed")

# %% [markdown]
# ## 10 · A layer that never runs
#
# A typo in `forward` calls `hidden1` twice. `hidden2` is built, counted in the parameters, handed
# to the optimizer, and never used.

# %%
class Deeper(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(64, 32)
        self.hidden1 = nn.Linear(32, 32)
        self.hidden2 = nn.Linear(32, 32)
        self.head = nn.Linear(32, 10)

    def forward(self, x):
        h = F.relu(self.inp(x))
        h = F.relu(self.hidden1(h))
        h = F.relu(self.hidden1(h))  # meant hidden2
        return self.head(h)


model, opt = fresh(Deeper)
learned = what_learns(model, train_step)
print(learned)
with agv.watch():
    loss = train_step(xb, yb)
agv.why(model.hidden2.weight)

# %% [markdown]
# The graph shows the typo: `hidden1.weight` feeds two operations (the layer ran twice), and
# `hidden2` sits in the "will get no .grad" box.

# %%
graph = agv.draw(loss, params=model)
graph

# %%
weight = next(n.id for n in graph.nodes if n.name == "hidden1.weight")
accumulate = next(e.dst for e in graph.data.edges if e.src == weight)
assert sum(e.src == accumulate for e in graph.data.edges) == 2
assert learned == ["head", "hidden1", "inp"]
assert agv.why(model.hidden2.weight).cause == "not_used" and model.hidden2.weight.grad is None
print("checkpoint passed")

# %% [markdown]
# ## 11 · Layers in a plain Python list
#
# `nn.Module` finds the layers stored in its attributes, in an `nn.ModuleList`, in an
# `nn.Sequential`; not in a plain list. So `model.parameters()` misses them and the optimizer never
# holds them. They get a `.grad` and never change.

# %%
class Blocks(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = [nn.Linear(64, 64) for _ in range(2)]  # a plain list
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        for block in self.blocks:
            x = F.relu(block(x))
        return self.head(x)


model, opt = fresh(Blocks)
first = model.blocks[0].weight.detach().clone()
print("parameters the model knows:", [name for name, _ in model.named_parameters()])
with agv.watch():
    loss = train_step(xb, yb)
agv.why(model.blocks[0].weight, optimizer=opt)

# %% [markdown]
# The fix: `self.blocks = nn.ModuleList(...)` in `__init__`; here, on the model already built,
# then a new optimizer.

# %%
assert [name for name, _ in model.named_parameters()] == ["head.weight", "head.bias"]
assert model.blocks[0].weight.grad is not None and torch.equal(model.blocks[0].weight, first)
answer = agv.why(model.blocks[0].weight, optimizer=opt)
assert answer.cause == "not_in_optimizer" and "plain Python list" in answer.message
model.blocks = nn.ModuleList(model.blocks)
opt = torch.optim.SGD(model.parameters(), lr=0.5)
assert what_learns(model, train_step) == ["blocks.0", "blocks.1", "head"]
print("checkpoint passed")

# %% [markdown]
# ## 12 · `zero_grad()` in the wrong place
#
# Every line of a training step is there, in the wrong order: the gradients are cleared after
# `backward()` and before `step()`. Nothing learns, and nothing complains.

# %%
model, opt = fresh()


def step(x, y):
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.zero_grad()
    opt.step()
    return loss


learned = what_learns(model, step)
print(learned)
with agv.watch():
    loss = step(xb, yb)
agv.why(model.head.weight)

# %%
assert learned == []
assert agv.why(model.head.weight).cause == "no_backward_yet"
print("checkpoint passed")

# %% [markdown]
# The fix: `zero_grad()`, `backward()`, `step()`, in that order (the first step above).

# %% [markdown]
# ## Explore: cut the path between body and head
#
# Six ways to pass the body's output to the head, and a checkbox that freezes the body instead.
# Each click re-runs the forward under `watch()`, redraws the graph, runs `backward()` and shows
# the table, in `why`'s words. Try `inference_mode` (an error, unlike `no_grad`), and compare
# `no_grad` with **freeze_body** (same table for the body, different reason).

# %%
net, _ = fresh()  # its own model: `model` is reassigned below, the explorer keeps this one
CUTS = ["none", "no_grad", "inference_mode", ".detach()", ".data", "torch.tensor(h.tolist())"]


def body_to_head(cut="no_grad", freeze_body=False):
    net.body.requires_grad_(not freeze_body)
    if cut == "no_grad":
        with torch.no_grad():
            h = net.body(xb)
    elif cut == "inference_mode":
        with torch.inference_mode():
            h = net.body(xb)
    else:
        h = net.body(xb)
    if cut == ".detach()":
        h = h.detach()
    elif cut == ".data":
        h = h.data
    elif cut == "torch.tensor(h.tolist())":
        h = torch.tensor(h.tolist())
    return F.cross_entropy(net.head(h), yb)


# %%
agv.explore(body_to_head, params=net, cut=CUTS, freeze_body=False)

# %% [markdown]
# ### Checkpoint: what the explorer shows, asserted

# %%
def body_gets_grad(**controls):
    net.zero_grad()
    try:
        body_to_head(**controls).backward()
    except RuntimeError as error:  # inference_mode: the head cannot save an inference tensor for backward
        assert str(error).startswith("Inference tensors cannot be saved for backward")
        return None
    finally:
        net.body.requires_grad_(True)
    return net.body[0].weight.grad is not None


assert body_gets_grad(cut="none") and not body_gets_grad(cut="none", freeze_body=True)
assert [body_gets_grad(cut=c) for c in CUTS[1:]] == [False, None, False, False, False]
with agv.watch():
    loss = body_to_head(cut="none", freeze_body=True)
assert agv.why(net.body[0].weight, loss).cause == "frozen"
net.body.requires_grad_(True)
print("checkpoint passed")

# %% [markdown]
# ## The pitfall
#
# A layer that does not learn has a dozen causes, and only some raise an error. The silent ones
# (3, 5, 6, 10, 11 and 12) raise nothing, and all but 12 still train part of the model: check
# which layers move, not only the loss. And when an error message suggests a fix (`.detach().numpy()`), it may
# only move the bug.

# %% [markdown]
# ## Exercise
#
# A learner freezes the body, builds the optimizer from the trainable parameters only, trains
# the head, then unfreezes the body to fine-tune everything, with the same optimizer. After the
# next step, what does the body get? (The answer is computed below by running it.)

# %%
model, opt = fresh()
model.body.requires_grad_(False)
opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.5)
what_learns(model, train_step)
model.body.requires_grad_(True)  # unfreeze: fine-tune everything
moved = what_learns(model, train_step)
gets = {".grad after backward": model.body[0].weight.grad is not None,
        "an update from opt.step()": "body.0" in moved}
right = {name for name, happened in gets.items() if happened}

# %%
# The exercise. This cell is hidden: it checks your answer, so run it, don't read it.
assert right == {".grad after backward"}  # checked on every test run (hidden with the quiz), and why:
with agv.watch():
    loss = train_step(xb, yb)
answer = agv.why(model.body[0].weight, optimizer=opt)
assert answer.cause == "not_in_optimizer" and "built while the parameter was frozen" in answer.message
agv.quiz("After unfreezing, what does the body get?", options=list(gets), answer=right,
         explain="backward() fills .grad for every parameter on the path that requires grad, unfrozen ones "
                 "included, but opt.step() updates only the parameters the optimizer holds, and this one was "
                 "built while the body was frozen. "
                 "agv.why(p, optimizer=opt) says not_in_optimizer. Fix: opt.add_param_group({'params': "
                 "model.body.parameters()}), or build the optimizer again.")

# %% [markdown]
# ## A checklist to keep
#
# When a layer does not learn, run one step inside `with agv.watch():` and ask
# `agv.why(param, optimizer=opt)`. Or go down this list:
#
# | symptom | cause (`why`) | check | fix |
# |---|---|---|---|
# | `element 0 of tensors does not require grad` | `frozen` | `p.requires_grad` | `p.requires_grad_(True)` |
# | `.grad` of your weight is `None`, with a warning | `not_leaf` | `w.is_leaf` | create, then `.requires_grad_()` |
# | a layer does not move, silently | `no_grad` | a `with torch.no_grad():` around it | move it out; freeze with `requires_grad_(False)` |
# | `element 0 ...` or `Inference tensors cannot be saved for backward` | `inference_mode` | a decorated helper in the training path | call the model itself when training |
# | a layer does not move, silently | `detached`, `data` | `.detach()` or `.data` between it and the loss | use the tensor itself |
# | `element 0 ...`, `Can't call numpy()`, or a warning about converting | `copied` | `torch.tensor(...)`, `.item()`, `.numpy()`, `.tolist()` in the loss | `torch.stack`, torch ops |
# | `element 0 ...` with an accuracy-like loss; or a `.grad` of zeros | `non_differentiable` | `argmax`, `==`, `>`, `.long()`, `round()` in the loss | a differentiable loss |
# | `.grad` is `None`, no error | `not_used` | does `forward` call it? | call it |
# | `.grad` is set, weights never move | `not_in_optimizer` | `any(p is q for g in opt.param_groups for q in g["params"])` | `nn.ModuleList`; `opt.add_param_group` |
# | nothing moves at all | `no_backward_yet` | the order of the step | `zero_grad()`, `backward()`, `step()` |

# %% [markdown]
# ## Takeaways
#
# * A parameter gets a gradient only along a path of recorded operations from the loss back to it.
#   Everything above either cuts that path, never builds it, or drops the gradient after.
# * Some bugs raise (`element 0 of tensors does not require grad...`); the worst ones are silent.
#   Check which layers move.
# * `agv.why(t)` names the cause and, under `agv.watch()`, the line; `agv.grads` and `agv.draw`
#   use the same words.
#
# That ends the series. Back to the start: [00 · start here](00_start_here.ipynb).
