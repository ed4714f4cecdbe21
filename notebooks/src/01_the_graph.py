# %% [markdown]
# # 01 · The graph autograd records
#
# **The question.** When you compute with a tensor that has `requires_grad=True`, what does
# PyTorch write down, and what does `backward()` do with it?
#
# **Predict before you run.** `a` is a leaf tensor with `requires_grad=True`, `b = a * a` and
# `c = b.sum()`. Which of `a`, `b`, `c` will have a `.grad` after `c.backward()`? Which have a
# `grad_fn`?

# %%
# errors below show short: the message, without the lines inside torch that raised it
# %xmode Minimal
import warnings
import weakref

import torch
import torch.nn as nn

import autogradviz as agv

torch.manual_seed(0)
print("torch", torch.__version__)

# %% [markdown]
# ## `requires_grad`: asking autograd to watch a tensor
#
# A new tensor does not require grad. Computing with it records nothing.

# %%
plain = torch.tensor([2.0, 3.0])
print(plain.requires_grad, (plain * plain).grad_fn)

# %% [markdown]
# With `requires_grad=True`, every differentiable operation on it is recorded: each result
# carries a `grad_fn`, the backward function of the operation that made it.

# %%
a = torch.tensor([2.0, 3.0], requires_grad=True)
b = a * a
c = b.sum()
print("a:", a.requires_grad, a.grad_fn, "leaf:", a.is_leaf)
print("b:", b.requires_grad, type(b.grad_fn).__name__, "leaf:", b.is_leaf)
print("c:", c.requires_grad, type(c.grad_fn).__name__, "leaf:", c.is_leaf)

# %% [markdown]
# A **leaf** is a tensor that no recorded operation made: `a`, or `plain` and everything computed
# from it alone (nothing requires grad there, so nothing is recorded). Not every result computed
# from `a` is recorded, either: `argmax`, comparisons and integer casts give integer or boolean
# tensors, which can never require grad. The dtype decides, not whether the maths has a useful
# derivative: `a.round()` is recorded, and its gradient is zero.

# %%
print("a.argmax():", a.argmax().grad_fn, " a > 2:", (a > 2).grad_fn, " a.long():", a.long().grad_fn)
print("a.round():", type(a.round().grad_fn).__name__)

# %%
assert not plain.requires_grad and plain.is_leaf and (plain * plain).is_leaf
assert a.is_leaf and a.grad_fn is None          # requires grad, made by no recorded op: a leaf
assert not b.is_leaf and type(b.grad_fn).__name__ == "MulBackward0"
assert not c.is_leaf and type(c.grad_fn).__name__ == "SumBackward0"
for t in (a.argmax(), a > 2, a.long()):         # integer or bool results: never recorded
    assert t.grad_fn is None and not t.requires_grad
assert torch.equal(torch.autograd.grad(a.round().sum(), a)[0], torch.zeros(2))  # recorded; gradient 0
print("checkpoint passed")

# %% [markdown]
# ## The graph, drawn
#
# `agv.draw` walks back from `c` and draws what was recorded. (A dict names what you draw, here
# `c`; `params` names the leaves.) Each arrow points the way values flowed in the forward pass,
# from `a` down to `c`. `backward()` walks the same edges the other way, bottom-up: `c` (green)
# was made by `SumBackward0`, whose input came from `MulBackward0`, whose inputs lead to
# `AccumulateGrad`, the node that will write into `a.grad` (blue).

# %%
agv.draw({"c": c}, params={"a": a})

# %% [markdown]
# ## `next_functions`: the edges
#
# Each `grad_fn` lists where its inputs came from in `next_functions`. `a * a` uses `a` twice,
# so `MulBackward0` has two edges, both to the same `AccumulateGrad` (drawn once, with two
# arrows). `AccumulateGrad.variable` is the leaf itself.

# %%
print(c.grad_fn.next_functions)
print(b.grad_fn.next_functions)
accumulate = b.grad_fn.next_functions[0][0]
print(type(accumulate).__name__, accumulate.variable is a)

# %%
assert c.grad_fn.next_functions[0][0] is b.grad_fn
assert b.grad_fn.next_functions[0][0] is b.grad_fn.next_functions[1][0]  # the same node, twice
assert accumulate.variable is a
print("checkpoint passed")

# %% [markdown]
# ### Quiz: predict, then check
#
# Back to the question at the top. `c.backward()` comes next. Which of `a`, `b`, `c` will hold
# a `.grad` afterwards? The answer is computed by running the same three lines on fresh tensors.

# %%
fresh_a = torch.tensor([2.0, 3.0], requires_grad=True)
fresh_b = fresh_a * fresh_a
fresh_c = fresh_b.sum()
fresh_c.backward()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # reading .grad of b or c warns: see the pitfall below
    right = {name for name, t in {"a": fresh_a, "b": fresh_b, "c": fresh_c}.items() if t.grad is not None}

# %%
# The exercise. This cell is hidden: it checks your answer, so run it, don't read it.
assert right == {"a"}  # the answer, checked on every test run (hidden with the quiz)
agv.quiz("After c.backward(), which of a, b, c hold a .grad?", options=["a", "b", "c"], answer=right,
         explain="Only leaves keep their gradient: AccumulateGrad writes it into a.grad. b and c are "
                 "not leaves (recorded operations made them); backward() passes their gradients on "
                 "and does not store them.")

# %% [markdown]
# ## `backward()` and `.grad`
#
# `c.backward()` walks the graph from `c` and leaves the gradient `dc/da = 2a` in `a.grad`.
# Only leaves get `.grad`; an intermediate result such as `b` does not keep its gradient unless
# you ask with `b.retain_grad()` before the backward.

# %%
b.retain_grad()
c.backward()
print("a.grad:", a.grad, " 2a:", 2 * a.detach())
print("b.grad:", b.grad)

# %%
assert torch.equal(a.grad, 2 * a.detach())
assert torch.equal(b.grad, torch.ones(2))  # dc/db: .sum() passes ones back
assert not c.is_leaf and not c.retains_grad  # so c.grad stays None (reading it would warn)
print("checkpoint passed")

# %% [markdown]
# ## Saved tensors: what the graph keeps alive
#
# To compute `d(a*a)/da`, `MulBackward0` needs the values of its inputs, so it **saves** them.
# `show_saved=True` draws them (orange). They are the reason a recorded graph costs memory:
# every saved tensor stays alive until `backward()` frees it, or until the graph itself is
# dropped (nothing refers to it any more).

# %%
a = torch.tensor([2.0, 3.0], requires_grad=True)
b = a * a
e = b.exp()
agv.draw(e, params={"a": a}, show_saved=True)

# %% [markdown]
# `MulBackward0` saved `self` and `other`, both `a` itself; `ExpBackward0` saved its **result**,
# because `d exp(b)/db = exp(b)`. You can reach them: `_saved_self` is the very tensor `a`.

# %%
assert b.grad_fn._saved_self is a and b.grad_fn._saved_other is a
assert torch.equal(e.grad_fn._saved_result, e)
print("checkpoint passed")

# %% [markdown]
# ## After `backward()`, the saved tensors are gone
#
# `backward()` frees what the graph saved, as soon as it has used it. A second `backward()`
# through a graph that saved tensors fails, and so does reading a saved tensor.

# %%
e.sum().backward()
print(a.grad)

# %% tags=["raises-exception"]
e.sum().backward()  # a second time: the saved tensors were freed by the first

# %% [markdown]
# A graph that saved nothing, such as that of `(p + 1).sum()` (adding needs no values), can be
# walked twice: the gradients add up ([06](06_zero_grad.ipynb)). And a graph you drop is freed
# without any `backward()`: `weakref.ref` watches a saved tensor go.

# %%
p = torch.tensor([2.0, 3.0], requires_grad=True)
twice = (p + 1).sum()
twice.backward()
twice.backward()                       # no error: nothing was saved, nothing freed
print("p.grad after two backward() calls:", p.grad)

hidden = p * 2
out = (hidden ** 2).sum()              # PowBackward0 saves its input: hidden
watcher = weakref.ref(hidden)
del hidden
print("saved tensor alive while out's graph is:", watcher() is not None)
del out                                # drop the graph: nothing refers to it any more
print("after del out:", watcher())

# %%
assert torch.equal(p.grad, torch.tensor([2.0, 2.0]))  # 1 + 1: the two backward() calls added up
assert watcher() is None                               # freed with the graph, no backward() needed
freed = None
try:
    b.grad_fn._saved_self                              # e's graph: reading a freed saved tensor
except RuntimeError as error:
    freed = str(error)
assert freed.startswith("Trying to backward through the graph a second time")
print("checkpoint passed")

# %% [markdown]
# `agv.draw(..., show_saved=True)` needs those saved tensors too, so after `backward()` it tells
# you what to do instead. (Without `show_saved`, it draws the graph as before.)

# %% tags=["raises-exception"]
agv.draw(e, show_saved=True)

# %% [markdown]
# ## A layer's parameters are leaves too
#
# `nn.Linear` holds its weight and bias as `nn.Parameter`s: leaf tensors with
# `requires_grad=True`. The input `x` does not require grad: it enters the graph as an input
# without history (the dashed oval).

# %%
layer = nn.Linear(3, 2)
x = torch.randn(4, 3)
loss = layer(x).pow(2).mean()
print([(name, p.is_leaf, p.requires_grad) for name, p in layer.named_parameters()])
agv.draw(loss, params=layer)

# %%
assert all(p.is_leaf and p.requires_grad for p in layer.parameters())
assert not x.requires_grad
loss.backward()
assert layer.weight.grad.shape == layer.weight.shape
print(agv.grads(layer))

# %% [markdown]
# ## The pitfall: a "weight" that is not a leaf
#
# A classic: make a small random weight with `torch.randn(3, requires_grad=True) * 0.01`. The
# multiplication is recorded, so `w` is its result, not a leaf: after `backward()` its `.grad` is
# `None` (reading it warns, caught and printed here), and `torch.optim.SGD([w], ...)` refuses it:
# `can't optimize a non-leaf Tensor`. `.to(torch.float64)` (or `.to("cuda")`) after
# `requires_grad=True` springs the same trap.

# %%
w = torch.randn(3, requires_grad=True) * 0.01
w.sum().backward()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    w_grad = w.grad
print("w.is_leaf:", w.is_leaf, " w.grad:", w_grad)
print(str(caught[0].message)[:90], "...")

# %% [markdown]
# The fix: do the arithmetic (or the `.to`) first, then ask for gradients, so the tensor you keep
# is the leaf. (`w.retain_grad()` would fill `w.grad`, but `w` would still not be a leaf that an
# optimizer accepts.)

# %%
w = (torch.randn(3) * 0.01).requires_grad_()
w.sum().backward()
w64 = torch.randn(3, dtype=torch.float64, requires_grad=True)  # not .to(torch.float64) afterwards
print("w.is_leaf:", w.is_leaf, " w.grad:", w.grad, " w64.is_leaf:", w64.is_leaf)

# %%
assert w_grad is None and "not a leaf Tensor" in str(caught[0].message)
refused = None
try:
    torch.optim.SGD([torch.randn(3, requires_grad=True) * 0.01], lr=0.1)
except ValueError as error:
    refused = str(error)
assert refused == "can't optimize a non-leaf Tensor"
assert not torch.randn(3, requires_grad=True).to(torch.float64).is_leaf  # the same trap
assert w.is_leaf and torch.equal(w.grad, torch.ones(3)) and w64.is_leaf
print("checkpoint passed")

# %% [markdown]
# ## Exercise
#
# `w` and `bias` require grad, `x` does not. In the graph of `(w * x + bias).sum()`, how many
# `AccumulateGrad` nodes are there? Answer, then look at the drawing after the checkpoint. (The
# right answer is counted in the graph PyTorch recorded: PyTorch's answer, not ours.)

# %%
w, bias = torch.randn(3, requires_grad=True), torch.randn(3, requires_grad=True)
x = torch.randn(3)
graph = agv.draw((w * x + bias).sum(), params={"w": w, "bias": bias})
right = sum(node.label == "AccumulateGrad" for node in graph.nodes)

# %%
# The exercise. This cell is hidden: it checks your answer, so run it, don't read it.
assert right == 2  # the answer, checked on every test run (hidden with the quiz)
agv.quiz("How many AccumulateGrad nodes are in the graph of (w * x + bias).sum()?",
         options=["0", "1", "2", "3", "4"], answer=str(right),
         explain="One per leaf that requires grad and is reached from the output: w and bias. x does "
                 "not require grad, so it enters MulBackward0 as an input with no history.")

# %%
graph  # two AccumulateGrad nodes, one each for w and bias; x enters as an input with no history

# %% [markdown]
# ## Takeaways
#
# * `requires_grad=True` makes autograd record every differentiable operation on a tensor; each
#   result gets a `grad_fn`, linked to its inputs by `next_functions`. (Integer and boolean
#   results, from `argmax`, comparisons or casts, are never recorded.)
# * A leaf is a tensor no recorded operation made; `AccumulateGrad` writes `.grad` into the
#   leaves that require grad. `torch.randn(3, requires_grad=True) * 0.01` is not one: scale
#   first, then `requires_grad_()`. An intermediate keeps no `.grad` unless you `.retain_grad()`.
# * Operations save what their backward needs; that is the memory a graph costs. `backward()`
#   frees it (a second `backward()` through saved tensors then fails), and so does dropping the
#   graph.
#
# Next: [02 · backward, step by step](02_backward_step_by_step.ipynb): what `backward()` does
# with the graph, node by node.
