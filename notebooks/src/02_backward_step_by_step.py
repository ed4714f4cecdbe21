# %% [markdown]
# # 02 · Backward, step by step
#
# **The question.** `backward()` walks back through the graph autograd recorded. Which node runs
# when, what gradient arrives at each one, and what does each send on?
#
# [01](01_the_graph.ipynb) showed what autograd *records*; here is what `backward()` *does* with it.
#
# **Predict before you run.** `a = 2`, `b = -3`, `c = a * b`, `d = c + a`, `L = d * d`. Autograd
# will run five backward nodes. Which runs first? What gradient arrives at `a`, which `L` reaches
# along two roads?

# %%
# errors below show short: the message, without the lines inside torch that raised it
# %xmode Minimal
import warnings

import torch
import torch.nn as nn

import autogradviz as agv

torch.manual_seed(0)
print("torch", torch.__version__)

# %% [markdown]
# ## The chain rule by hand
#
# First without PyTorch, with plain numbers, the way micrograd teaches it. Forward: compute each
# value. Backward: start from `dL/dL = 1` and walk back; each operation multiplies the gradient
# that arrives by its own local derivative and passes the result to its inputs. Where a value
# feeds two operations, the gradients coming back from both **add up**.

# %%
# forward
a_, b_ = 2.0, -3.0
c_ = a_ * b_               # -6
d_ = c_ + a_               # -4
L_ = d_ * d_               # 16

# backward: what arrives, times the local derivative
grad_L = 1.0
grad_d = grad_L * d_ + grad_L * d_   # L = d * d uses d twice: d from each factor, added: 2d = -8
grad_c = grad_d * 1.0                # d = c + a: a sum passes its gradient on unchanged
grad_a_direct = grad_d * 1.0         # ...to both of its inputs, a included
grad_a_via_c = grad_c * b_           # c = a * b: the gradient to a is times b
grad_b = grad_c * a_                 # ...and to b, times a
grad_a = grad_a_via_c + grad_a_direct  # a's two roads add up
print(f"dL/dd = {grad_d}, dL/dc = {grad_c}, dL/da = {grad_a_via_c} + {grad_a_direct} = {grad_a}, dL/db = {grad_b}")

# %% [markdown]
# ## What autograd ran: `agv.trace_backward`
#
# Now the same graph in PyTorch. `agv.trace_backward(L)` runs the same backward as `L.backward()`
# and records every node autograd executes, in order. For each step it keeps what **arrived**
# (`grad_outputs`, the gradient with respect to the forward op's outputs) and what it **sent on**
# (`grad_inputs`, the gradients with respect to the op's inputs): PyTorch's own names, from its
# node hooks. `AccumulateGrad` sends nothing on: it adds what arrives into the leaf's `.grad` (or
# stores it there, the first time).

# %%
a = torch.tensor(2.0, requires_grad=True)
b = torch.tensor(-3.0, requires_grad=True)
c = a * b
d = c + a
L = d * d
trace = agv.trace_backward({"L": L}, params={"a": a, "b": b})
print(trace)
print("a.grad:", a.grad, " b.grad:", b.grad)

# %% [markdown]
# Read it against the hand computation. Step 0 is `L = d * d`: `1` arrives, and it sends `d = -4`
# to each of its two inputs, both `d`. Both go to the same node, `AddBackward0`, which receives
# their sum, `-8`, before it runs. Step 2 is `c = a * b`: it sends `-8 * b = 24` to `a` and
# `-8 * a = -16` to `b`.

# %% [markdown]
# ### Checkpoint: every hand-computed gradient, asserted against the trace

# %%
square, add, mul = trace.steps[:3]
accumulate = {s.name: s for s in trace.steps if s.label == "AccumulateGrad"}
assert [s.label for s in trace.steps] == ["MulBackward0", "AddBackward0", "MulBackward0",
                                          "AccumulateGrad", "AccumulateGrad"]
assert square.grad_outputs[0].item() == grad_L
assert [g.item() for g in square.grad_inputs] == [d_, d_]     # d from each factor...
assert add.grad_outputs[0].item() == grad_d                   # ...added before AddBackward0 ran
assert [g.item() for g in add.grad_inputs] == [grad_c, grad_a_direct]
assert mul.grad_outputs[0].item() == grad_c
assert [g.item() for g in mul.grad_inputs] == [grad_a_via_c, grad_b]
assert accumulate["a"].grad_outputs[0].item() == grad_a == a.grad.item()
assert accumulate["b"].grad_outputs[0].item() == grad_b == b.grad.item()
print("checkpoint passed")

# %% [markdown]
# ## Step through it
#
# `trace.explore()` draws the graph at each step: the node running now (yellow, red border), the
# nodes that already ran (lilac), and on every edge travelled, the gradient it carried. Those
# arrows are turned round, to point the way the gradient went (red: sent by this step). Use the
# slider or the buttons. At step 3, `a`'s `AccumulateGrad` runs: two edges lead into it, `24`
# and `-8`.

# %%
trace.explore()

# %% [markdown]
# ## Two roads into one tensor add up
#
# `a` is used twice, in `a * b` and in `+ a`. Autograd gives `a` one `AccumulateGrad` node, and
# that node runs **once**, after both roads have delivered: the engine counts, before it starts,
# how many gradients each node waits for, and holds what arrives early. Drawn at step 3:

# %%
trace.draw(step=3)

# %%
step_a = accumulate["a"]
assert sum(1 for s in trace.steps if s.name == "a") == 1           # one AccumulateGrad step for a
assert step_a.index > max(add.index, mul.index)                     # after both roads delivered
assert step_a.grad_outputs[0].item() == add.grad_inputs[1].item() + mul.grad_inputs[0].item()  # -8 + 24
print("checkpoint passed")

# %% [markdown]
# ## Why this order?
#
# Among the nodes whose gradients are complete, the engine runs the one recorded **last** in the
# forward pass (each node has a sequence number, `grad_fn._sequence_nr()`), and an
# `AccumulateGrad` before anything else: its sequence number is the largest there is. So
# backward runs your code in reverse, and a leaf's `.grad` is written as soon as it is complete.
# That is how PyTorch's engine orders the nodes of one device (the CPU here), a choice that frees
# memory early, not a documented promise: do not write code that depends on it.

# %%
print([(type(fn).__name__, fn._sequence_nr()) for fn in (L.grad_fn, d.grad_fn, c.grad_fn)])
accumulate_a = c.grad_fn.next_functions[0][0]
print(type(accumulate_a).__name__, accumulate_a._sequence_nr())

# %%
assert L.grad_fn._sequence_nr() > d.grad_fn._sequence_nr() > c.grad_fn._sequence_nr()
assert accumulate_a._sequence_nr() == 2**64 - 1
print("checkpoint passed")

# %% [markdown]
# ## The lin0/lin1/lin2 chain: backward never reaches lin0 and lin1
#
# [03](03_no_grad.ipynb)'s experiment: three linear layers, the middle one under
# `torch.no_grad()`. The trace shows backward's whole journey: five steps, the `.sum()` and lin2's
# four. `AddmmBackward0` (lin2's `x2 @ W.T + b`) sends `None` toward `x2`: that input has no history
# (lin1 recorded nothing), so there is no node to send a gradient to, and autograd does not even
# compute it. Nothing of lin1 or lin0 ever runs. (Step 2 shows the order of the previous section:
# after step 1, lin2.bias's `AccumulateGrad` and `TBackward0` were both ready; `AccumulateGrad`
# went first.)

# %%
x = torch.randn(2, 2, requires_grad=True)
lin0, lin1, lin2 = nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 2)
with agv.watch():  # notes each layer's grad mode, so the drawing can say why lin0 and lin1 get nothing
    x1 = lin0(x)
    with torch.no_grad():
        x2 = lin1(x1)
    x3 = lin2(x2)
chain = agv.trace_backward(x3.sum(), params={"x": x, "lin0": lin0, "lin1": lin1, "lin2": lin2})
print(chain)

# %%
chain.draw()

# %%
addmm = chain.steps[1]
assert [s.label for s in chain.steps] == ["SumBackward0", "AddmmBackward0", "AccumulateGrad", "TBackward0",
                                          "AccumulateGrad"]
assert {s.name for s in chain.steps if s.name} == {"lin2.bias", "lin2.weight"}
assert addmm.grad_inputs[1] is None                      # nothing sent toward x2: it has no history
assert lin0.weight.grad is None and lin1.weight.grad is None and x.grad is None
print("checkpoint passed")

# %% [markdown]
# ## A non-scalar output needs `gradient=`
#
# `backward()` starts from `dL/dL = 1`, which only makes sense when `L` is one number. From a
# vector, PyTorch refuses:

# %%
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x * x

# %% tags=["raises-exception"]
y.backward()

# %% [markdown]
# Backward never builds the Jacobian `J = dy/dx`. It starts from a vector `v` you give, one number
# per element of `y`, and sends it back through the graph: the result is the
# **vector-Jacobian product** `v @ J`, the gradient of `(v * y).sum()`. For a scalar, `v = 1` is
# implied; `gradient=torch.ones_like(y)` gives what `y.sum().backward()` gives.

# %%
v = torch.tensor([1.0, 0.0, -1.0])
vjp = agv.trace_backward(y, params={"x": x}, gradient=v)
print(vjp)
J = torch.autograd.functional.jacobian(lambda t: t * t, x.detach())
print("J =\n", J)
print("v @ J =", v @ J, "  x.grad =", x.grad)

# %%
x_again, x_ones, x_sum = (x.detach().requires_grad_() for _ in range(3))
(v * (x_again * x_again)).sum().backward()
agv.trace_backward(x_ones * x_ones, gradient=torch.ones(3))
(x_sum * x_sum).sum().backward()
assert torch.equal(vjp.steps[0].grad_outputs[0], v)   # backward started from v
assert torch.equal(x.grad, v @ J)                      # and computed v @ J
assert torch.equal(x.grad, x_again.grad)               # the gradient of (v * y).sum()
assert torch.equal(x_ones.grad, x_sum.grad)            # gradient=ones: as y.sum().backward()
print("checkpoint passed")

# %% [markdown]
# ## `retain_graph=True`, and when a second backward fails
#
# [01](01_the_graph.ipynb) showed it: a second `backward()` fails when the first freed tensors the
# graph saved; a graph that saved none backs up twice, and the gradients add up. Which graphs save?
# `(a + 1).sum()` saves no tensor: the gradient of `a + 1` is 1 whatever `a` is. `(a * a).sum()`
# saves `a`, for its gradient `2a`. And `(a * 2).sum()` saves the `2`: `MulBackward0` keeps the
# other factor, even a constant. Orange: what was saved. `retain_graph=True` keeps the saved
# tensors after the backward, for a second one.

# %%
a = torch.tensor([1.0, 2.0], requires_grad=True)
outputs = {"(a * a).sum()": (a * a).sum(), "(a * 2).sum()": (a * 2).sum(), "(a + 1).sum()": (a + 1).sum()}
saved = agv.draw(outputs, params={"a": a}, show_saved=True)
saved


# %%
def second_backward(make, retain_graph=False):
    """Two backward passes through one graph: the error, or a.grad after both."""
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    out = make(a)
    agv.trace_backward(out, retain_graph=retain_graph)
    try:
        agv.trace_backward(out)
    except RuntimeError as e:
        return str(e).split(" (")[0]
    return a.grad


print("(a + 1).sum():", second_backward(lambda a: (a + 1).sum()))
print("(a * 2).sum():", second_backward(lambda a: (a * 2).sum()))
print("(a * a).sum():", second_backward(lambda a: (a * a).sum()))
print("(a * a).sum(), retain_graph=True:", second_backward(lambda a: (a * a).sum(), retain_graph=True))

# %%
assert [n.label for n in saved.nodes if n.kind == "saved"] == ["other\n(2)", "self\n(2)", "other\n()"]  # a twice; the 2
assert torch.equal(second_backward(lambda a: (a + 1).sum()), torch.tensor([2.0, 2.0]))  # 1 + 1
for make in (lambda a: (a * a).sum(), lambda a: (a * 2).sum()):
    assert second_backward(make) == "Trying to backward through the graph a second time"
assert torch.equal(second_backward(lambda a: (a * a).sum(), retain_graph=True), torch.tensor([4.0, 8.0]))  # 2a + 2a
print("checkpoint passed")

# %% [markdown]
# ## `create_graph=True`: the gradient of a gradient
#
# Backward's own arithmetic is normally not recorded. With `create_graph=True` it is, so the
# gradient has a graph of its own and you can differentiate it again. For `y = x ** 3` at
# `x = 3`: `dy/dx = 3x² = 27`, and `d²y/dx² = 6x = 18`. (`torch.autograd.grad` returns the
# gradient instead of adding it into `.grad`: `backward(create_graph=True)` works too, but PyTorch
# warns that it ties `.grad` and the graph in a reference cycle.)

# %%
x = torch.tensor(3.0, requires_grad=True)
y = x ** 3
(dy_dx,) = torch.autograd.grad(y, x, create_graph=True)
print("dy/dx:", dy_dx)
agv.draw({"dy/dx": dy_dx}, params={"x": x})

# %% [markdown]
# That is `PowBackward0`'s own computation, recorded: `x ** 2` (`PowBackward0`), times 3
# (`MulBackward1`: the product with a plain number that PyTorch's C++ code calls; `x * 3` in
# Python records `MulBackward0`), times the gradient that arrived, `1` (`MulBackward0`; the `1`
# has no history). Backward through it gives the second derivative:

# %%
second = agv.trace_backward(dy_dx, params={"x": x})
print(second)
print("x.grad:", x.grad)

# %%
assert dy_dx.item() == 3 * 3.0 ** 2 and dy_dx.grad_fn is not None
assert torch.autograd.grad(x ** 3, x)[0].grad_fn is None           # without create_graph: not recorded
assert [s.label for s in second.steps][:3] == ["MulBackward0", "MulBackward1", "PowBackward0"]
assert second.steps[0].grad_inputs[0] is None                      # toward the 1: no history
assert type((x * 3).grad_fn).__name__ == "MulBackward0"            # x * 3 in Python
assert x.grad.item() == 6 * 3.0
with warnings.catch_warnings(record=True) as warned:
    warnings.simplefilter("always")
    (x ** 3).backward(create_graph=True)                           # backward(), not grad(): warns
assert "reference cycle" in str(warned[0].message)
print("checkpoint passed")

# %% [markdown]
# ## Hooks: look at a gradient, or change it
#
# `tensor.register_hook(fn)` calls `fn(grad)` when the gradient of that tensor is complete. A hook
# that returns `None` only looks. A hook that returns a tensor **replaces** the gradient, for the
# hooks registered after it and the rest of backward: here the second hook clips `h`'s gradient
# to `[-1, 1]`.

# %%
w = torch.tensor([3.0, -4.0], requires_grad=True)
h = w * 10
seen = []
look = h.register_hook(lambda grad: seen.append(grad.clone()))  # returns None: changes nothing
clip = h.register_hook(lambda grad: grad.clamp(-1.0, 1.0))      # returns a tensor: replaces it
hooked = agv.trace_backward((h * h).sum(), params={"w": w})
look.remove()
clip.remove()
print(hooked)
print("h's gradient, seen by the first hook:", seen[0], "  w.grad:", w.grad)

# %% [markdown]
# The trace shows the hook at work between two steps: `h * h` sent `h` to each factor (together
# `2h = [60, -80]`), yet `h`'s node, `w * 10`, received `[1, -1]`. Unclipped, `w.grad` would
# have been `2h · 10 = [600, -800]`.

# %%
hooked.draw(step=2)

# %%
assert len(seen) == 1 and torch.equal(seen[0], 2 * h.detach())             # once, the complete 2h
assert torch.equal(sum(hooked.steps[1].grad_inputs), torch.tensor([60.0, -80.0]))
assert torch.equal(hooked.steps[2].grad_outputs[0], torch.tensor([1.0, -1.0]))  # after the clip
assert torch.equal(w.grad, torch.tensor([10.0, -10.0]))
w_unclipped = w.detach().requires_grad_()
((w_unclipped * 10) ** 2).sum().backward()
assert torch.equal(w_unclipped.grad, torch.tensor([600.0, -800.0]))            # without the hooks
print("checkpoint passed")

# %% [markdown]
# ### Module backward hooks
#
# A module's `register_full_backward_hook(fn)` calls `fn(module, grad_input, grad_output)`:
# `grad_output` is the gradient with respect to the module's output, `grad_input` with respect to
# its **inputs** (not its parameters: theirs go to `.grad` as usual). To catch them, PyTorch wraps
# the module's output, and each input that requires grad, in identity nodes,
# `BackwardHookFunctionBackward`; they appear in the trace. An input that requires no grad, such as
# a batch of data entering the first layer, gets `None` in `grad_input`, and PyTorch warns.

# %%
lin = nn.Linear(3, 2)
inp = torch.randn(4, 3, requires_grad=True)
caught = {}

def catch(module, grad_input, grad_output):
    caught.update(grad_input=grad_input, grad_output=grad_output)

handle = lin.register_full_backward_hook(catch)
module_trace = agv.trace_backward(lin(inp).sum(), params={"lin": lin, "inp": inp})
handle.remove()
print(module_trace)
print("grad_output:", [tuple(g.shape) for g in caught["grad_output"]],
      " grad_input:", [tuple(g.shape) for g in caught["grad_input"]])

# %%
labels = [s.label for s in module_trace.steps]
assert labels.count("BackwardHookFunctionBackward") == 2
assert torch.equal(caught["grad_output"][0], torch.ones(4, 2))        # d sum / d output
assert torch.equal(caught["grad_input"][0], inp.grad)                  # d sum / d input, as inp.grad
assert len(caught["grad_input"]) == 1                                  # one input; no parameters
handle = lin.register_full_backward_hook(catch)
with warnings.catch_warnings(record=True) as warned:
    warnings.simplefilter("always")
    data_trace = agv.trace_backward(lin(torch.randn(4, 3)).sum())     # a batch that requires no grad
handle.remove()
assert [s.label for s in data_trace.steps].count("BackwardHookFunctionBackward") == 1  # the output's
assert caught["grad_input"] == (None,) and "no inputs require gradients" in str(warned[0].message)
print("checkpoint passed")

# %% [markdown]
# ## The pitfall
#
# A training loop carries a tensor from one iteration to the next (an RNN's hidden state, a
# running total). The second `backward()` fails with "Trying to backward through the graph a
# second time": the new graph runs back into the previous iteration's, already freed.

# %%
w = torch.tensor(0.5, requires_grad=True)
h = torch.tensor(1.0)

# %% tags=["raises-exception"]
for step in range(3):
    h = h * w
    h.backward()

# %% [markdown]
# Adding `retain_graph=True` silences the error, and is rarely what you want: every iteration then
# back-propagates through **all** the earlier ones again. The trace counts the steps: they grow
# with every iteration, and the gradient becomes that of `w + w² + w³` (every iteration's output
# as a function of `w`), not the sum of each iteration's own. The usual fix is to cut the carried
# tensor with `.detach()` ([05](05_detach.ipynb)): each backward then covers one iteration.

# %%
def steps_per_iteration(cut: bool):
    w.grad, h = None, torch.tensor(1.0)
    counts = []
    for step in range(3):
        h = (h.detach() if cut else h) * w
        counts.append(len(agv.trace_backward(h, params={"w": w}, retain_graph=not cut)))
    return counts, w.grad.item()


print("retain_graph=True:", steps_per_iteration(cut=False))
print("h.detach():       ", steps_per_iteration(cut=True))

# %%
assert steps_per_iteration(cut=False) == ([2, 3, 4], 1 + 2 * 0.5 + 3 * 0.5 ** 2)  # d(w + w² + w³)/dw
assert steps_per_iteration(cut=True) == ([2, 2, 2], 1 + 0.5 + 0.5 ** 2)
print("checkpoint passed")

# %% [markdown]
# ## Exercise
#
# `u = 3`, `v = u * u`, `out = v * u`. What gradient arrives at `u`'s `AccumulateGrad`? Answer,
# then check: `print(exercise)` shows the trace made below. (The right answer is read from that
# trace: PyTorch's answer, not ours.)

# %%
u = torch.tensor(3.0, requires_grad=True)
v = u * u
out = v * u
exercise = agv.trace_backward(out, params={"u": u})
right = f"{exercise.steps[-1].grad_outputs[0].item():g}"

# %%
# The exercise. This cell is hidden: it checks your answer, so run it, don't read it.
assert exercise.steps[-1].label == "AccumulateGrad" and right == "27"  # checked on every test run (hidden with the quiz)
agv.quiz("u = 3, v = u * u, out = v * u. What arrives at u's AccumulateGrad?",
         options=["3", "9", "18", "27", "36"], answer=right,
         explain="Three edges lead into it. `out = v * u` sends v = 9 straight to u, and u = 3 to v; "
                 "`v = u * u` then sends 3 · u = 9 to each of its two inputs, both u. AccumulateGrad "
                 "adds 9 + 9 + 9 = 27, which is d(u³)/du = 3u².")

# %% [markdown]
# ## Takeaways
#
# * `backward()` starts from `1` at a scalar output (or from your `gradient=` vector: a
#   vector-Jacobian product) and walks the recorded graph back. Each node gets what arrives
#   (`grad_outputs`) and sends on what arrives times its local derivative (`grad_inputs`; for
#   tensors, a vector-Jacobian product).
# * Gradients that meet at a node add up before it runs; a leaf's `AccumulateGrad` runs once,
#   with the sum of every road to it, and adds it into `.grad`.
# * Backward only goes where the graph goes: a `no_grad` step leaves `None` on that road, and the
#   layers before it never run.
# * A second backward fails only when the first freed saved tensors. `retain_graph=True` keeps
#   them; it is rarely the fix in a loop, where `.detach()` is.
# * `create_graph=True` records backward itself, for second derivatives. Tensor hooks look at or
#   replace a gradient; module full backward hooks see the gradients at a module's input and output.
#
# Next: [03 · `no_grad` in the middle of a network](03_no_grad.ipynb).
