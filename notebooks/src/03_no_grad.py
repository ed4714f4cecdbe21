# %% [markdown]
# # 03 · `torch.no_grad()` in the middle of a network
#
# **The question.** Three linear layers run one after the other, and only the middle one runs
# under `torch.no_grad()`. After `backward()`, which layers have a gradient?
#
# **Predict before you run.** Write down, for `lin0.weight.grad`, `lin1.weight.grad` and
# `lin2.weight.grad`: `None`, or a tensor? And if a tensor, anything special about it?
#
# This is the experiment from a widely copied article on gradient control. We run its code
# exactly, then look at the graph autograd recorded, then toggle every layer between four modes.

# %%
# errors below show short: the message, without the lines inside torch that raised it
# %xmode Minimal
import torch
import torch.nn as nn

import autogradviz as agv

torch.manual_seed(0)  # the article did not seed: its numbers differ from ours, its pattern does not
print("torch", torch.__version__)

# %% [markdown]
# ## The experiment, exactly as published

# %%
x = torch.randn(2, 2)
x.requires_grad = True
lin0 = nn.Linear(2, 2)
lin1 = nn.Linear(2, 2)
lin2 = nn.Linear(2, 2)
x1 = lin0(x)
with torch.no_grad():
    x2 = lin1(x1)
x3 = lin2(x2)
x3.sum().backward()
print(lin0.weight.grad, lin1.weight.grad, lin2.weight.grad)

# %% [markdown]
# `None, None, tensor`: the article's result. Our tensor has other numbers (we seeded, it did not),
# but look at its two rows: they are **identical**. We will see why.

# %% [markdown]
# ### Checkpoint: what we just claimed

# %%
assert lin0.weight.grad is None and lin0.bias.grad is None
assert lin1.weight.grad is None and lin1.bias.grad is None
assert lin2.weight.grad is not None and lin2.bias.grad is not None
assert x.grad is None  # even the input that asked for a gradient gets none
assert torch.equal(lin2.weight.grad[0], lin2.weight.grad[1])
print("checkpoint passed")

# %% [markdown]
# ## Look at what autograd recorded
#
# `agv.draw` shows the backward graph behind `x3`, like torchviz, and also the parameters that
# will get **no** gradient, instead of letting them vanish. To say *why* each got none,
# `agv.watch()` notes which grad mode each layer ran in. It only observes: autograd records
# exactly the same graph with or without it. We re-run the same forward pass inside it.

# %%
with agv.watch():
    x1 = lin0(x)
    with torch.no_grad():
        x2 = lin1(x1)
    x3 = lin2(x2)
params = {"lin0": lin0, "lin1": lin1, "lin2": lin2}  # the parameters; x is the input
agv.draw(x3, params=params)

# %% [markdown]
# Read it from the bottom up, as `backward()` walks it: from the output `x3`, through
# `AddmmBackward0` (lin2's `x2 @ W.T + b`), to lin2's weight and bias (blue: they will get
# `.grad`). The dashed **no history** input of that op is `x2`: lin1 produced it under
# `no_grad`, so it carries no `grad_fn`. That is where the graph is cut, and nothing before it
# (lin1, lin0, `x`) can be reached.

# %% [markdown]
# ## lin0 and lin1 get `None` for different reasons
#
# * **lin1** ran under `no_grad`: autograd recorded nothing at all for it. Its output has no
#   `grad_fn` and `requires_grad=False`.
# * **lin0** ran with autograd on: its graph *was* recorded (`x1` has a `grad_fn`). But the only
#   road from `x3` back to `x1` went through lin1, and that road was never built. lin0's graph is
#   a dead end that no `backward()` from `x3` reaches.

# %%
print("x1:", type(x1.grad_fn).__name__, x1.requires_grad)
print("x2:", x2.grad_fn, x2.requires_grad)
print("x3:", type(x3.grad_fn).__name__, x3.requires_grad)
print("inputs of x3's op:", [type(fn).__name__ if fn else None for fn, _ in x3.grad_fn.next_functions])

# %%
assert x1.grad_fn is not None and x1.requires_grad       # lin0 was recorded...
assert x2.grad_fn is None and not x2.requires_grad       # ...lin1 was not...
assert x3.grad_fn.next_functions[1][0] is None           # ...so x3's op has no road back to x2
print("checkpoint passed")

# %% [markdown]
# lin0's own graph is still there, hanging off `x1`. Drawn from `x1`, it reaches `x` and lin0's
# parameters. Nothing from `x3` leads into it.

# %%
agv.draw(x1, params={"x": x, "lin0": lin0})

# %% [markdown]
# ## Why lin2's weight gradient has two identical rows
#
# `x3 = x2 @ W2.T + b2`, and the loss is `x3.sum()`, so `dL/dx3` is a matrix of ones. The chain
# rule gives `dL/dW2 = (dL/dx3).T @ x2 = ones(2, 2).T @ x2`: every row is the column sum of `x2`,
# `x2.sum(0)`. Nothing to do with `no_grad`: it is `.sum()`. And `dL/db2` counts the rows of the
# batch: `[2., 2.]`.

# %%
lin2.weight.grad = None
lin2.bias.grad = None
x3.sum().backward()
print("lin2.weight.grad:\n", lin2.weight.grad)
print("x2.sum(0):", x2.sum(0))
print("lin2.bias.grad:", lin2.bias.grad)

# %%
assert torch.allclose(lin2.weight.grad, torch.ones(2, 2).T @ x2)
assert torch.allclose(lin2.weight.grad, x2.sum(0).expand(2, 2))
assert torch.equal(lin2.bias.grad, torch.tensor([2.0, 2.0]))
print("checkpoint passed")

# %% [markdown]
# ## Explore: every layer in every mode
#
# Each layer can run in one of four modes:
#
# | mode | what the code does |
# |---|---|
# | `grad` | `layer(h)`: autograd records it |
# | `no_grad` | `with torch.no_grad(): layer(h)`: nothing recorded, the output has no history |
# | `frozen` | `layer.requires_grad_(False)`, then `layer(h)`: its parameters get no `.grad`; recorded only because its input requires grad (on plain data, a frozen first layer records nothing: [04](04_freezing.ipynb)) |
# | `detached output` | `layer(h).detach()`: recorded, then cut right after |
#
# The explorer starts at the article's setting. Click a mode: it re-runs the experiment,
# redraws the graph, runs `backward()` on the sum of the output and shows the gradient table.
# (It sets the layers' `.grad` to `None` before each run, so the table shows that run alone.)

# %%
MODES = ["grad", "no_grad", "frozen", "detached output"]
layers = {"lin0": lin0, "lin1": lin1, "lin2": lin2}


def run_layer(layer, h, mode):
    layer.requires_grad_(mode != "frozen")
    if mode == "no_grad":
        with torch.no_grad():
            return layer(h)
    out = layer(h)
    return out.detach() if mode == "detached output" else out


def experiment(lin0="grad", lin1="no_grad", lin2="grad"):
    h = x
    for name, mode in [("lin0", lin0), ("lin1", lin1), ("lin2", lin2)]:
        h = run_layer(layers[name], h, mode)
    return h

# %%
agv.explore(experiment, params=params, lin0=MODES, lin1=MODES, lin2=MODES)

# %% [markdown]
# Things to try:
# * set lin1 to **frozen**: lin1 gets no gradient, yet lin0 and `x` get theirs (`x` is the
#   unnamed `(2, 2)` leaf at the top: `params` names only the layers). Freezing stops a layer's
#   *parameters*, not the flow of gradient through it;
# * set lin1 to **detached output**: the same graph as `no_grad`, lin0 and lin1 get nothing, yet
#   lin1 was recorded this time (the labels and the table's reasons now name `.detach()`);
# * set lin2 to **no_grad**: the output has no history and there is nothing to call `backward()`
#   on. Call it anyway and you meet the error every PyTorch user meets once:

# %% tags=["raises-exception"]
experiment(lin2="no_grad").sum().backward()

# %% [markdown]
# "element 0 of tensors" is the tensor you called `backward()` on: it has no `grad_fn`, because
# whatever made it ran under `no_grad` or `inference_mode`, was detached, went through an
# operation that is never recorded (`argmax`, a comparison), or never touched a tensor that
# requires grad.
# [12 · why no grad](12_why_no_grad.ipynb) finds which, in your own code.

# %% [markdown]
# ### Checkpoint: the explorer's lessons, asserted
#
# `who_gets_grad` runs the same `experiment` and backward, and lists who received a gradient.

# %%
def who_gets_grad(**modes):
    x.grad = None
    for layer in layers.values():
        layer.zero_grad()  # sets every .grad to None (the default since torch 2.0)
    out = experiment(**modes)
    if out.requires_grad:
        out.sum().backward()
    weights = {"x": x, **{name: layer.weight for name, layer in layers.items()}}
    return sorted(name for name, w in weights.items() if w.grad is not None)


print(who_gets_grad(lin0="grad", lin1="grad", lin2="grad"))
print(who_gets_grad(lin0="grad", lin1="frozen", lin2="grad"))
print(who_gets_grad(lin0="grad", lin1="detached output", lin2="grad"))
print(who_gets_grad(lin0="grad", lin1="grad", lin2="no_grad"))

# %%
assert who_gets_grad(lin0="grad", lin1="grad", lin2="grad") == ["lin0", "lin1", "lin2", "x"]
assert who_gets_grad(lin0="grad", lin1="no_grad", lin2="grad") == ["lin2"]
# freezing the middle layer does not cut the graph: gradient still flows through it
assert who_gets_grad(lin0="grad", lin1="frozen", lin2="grad") == ["lin0", "lin2", "x"]
# a frozen first layer is recorded here, because x requires grad: x gets its gradient through it
assert who_gets_grad(lin0="frozen", lin1="grad", lin2="grad") == ["lin1", "lin2", "x"]
# detaching lin1's output cuts like no_grad did, though lin1 itself was recorded
assert who_gets_grad(lin0="grad", lin1="detached output", lin2="grad") == ["lin2"]
# no_grad on the last layer: nothing to back-propagate
assert who_gets_grad(lin0="grad", lin1="grad", lin2="no_grad") == []
def backward_error(out):
    try:
        out.sum().backward()
    except RuntimeError as e:
        return str(e)


with torch.inference_mode():
    out_inference = lin2(x)
assert backward_error(experiment(lin2="no_grad")) == backward_error(out_inference) == (
    "element 0 of tensors does not require grad and does not have a grad_fn")
print("checkpoint passed")

# %% [markdown]
# ## The pitfall
#
# `torch.no_grad()` is sometimes suggested as a way to "freeze" a layer. In the middle of a
# network it freezes **everything before it too**, because it cuts the graph. To freeze one
# layer and keep training the layers before it, use `layer.requires_grad_(False)`: the
# explorer's checkpoint above shows the difference (`['lin2']` versus `['lin0', 'lin2', 'x']`).

# %% [markdown]
# ## Exercise
#
# With `lin0="frozen", lin1="grad", lin2="detached output"`, which of `x`, `lin0`, `lin1`, `lin2`
# get a gradient? Answer below, then check it in the explorer above. (The right answer is computed
# by running the experiment, so it is PyTorch's answer, not ours.)

# %%
right = set(who_gets_grad(lin0="frozen", lin1="grad", lin2="detached output"))

# %%
# The exercise. This cell is hidden: it checks your answer, so run it, don't read it.
assert right == set()  # the answer, checked on every test run (hidden with the quiz)
agv.quiz('With lin0="frozen", lin1="grad", lin2="detached output": which get a gradient?',
         options=["x", "lin0", "lin1", "lin2"], answer=right,
         explain="lin2's output is detached, so the output has no history at all: there is nothing for "
                 "backward() to walk, whatever lin0 and lin1 did.")

# %% [markdown]
# ## Takeaways
#
# * `torch.no_grad()` records nothing inside it; the tensors it creates have no history.
# * Gradient reaches a parameter only along recorded operations. A `no_grad` step cuts the road
#   for everything before it, even for layers that were recorded (lin0).
# * `requires_grad_(False)` stops a parameter's gradient without cutting the road.
# * `.detach()` cuts after a recorded step: same effect on earlier layers as `no_grad`.
# * lin2's identical rows come from `.sum()`, not from `no_grad`.
#
# Next: [04 · freezing](04_freezing.ipynb), where `requires_grad_(False)` is put to work.
