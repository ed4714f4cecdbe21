# %% [markdown]
# # 05 · `.detach()`: keep the values, drop the history
#
# **The question.** What exactly does `.detach()` give you, and where in real training code do
# you want the gradient to stop at one tensor?
#
# **Predict before you run.** Two questions, from a widely shared cheat sheet on gradient control:
# 1. `out = model(x)`, `target = out.detach()`, `loss = ((out - target) ** 2).mean()`,
#    `loss.backward()`. What is in `model.weight.grad`?
# 2. You change `target` in place (`target[0] = 100.`). Does `out` change too?
#
# `.detach()` is a *stop-gradient*: the result has the same values and no history, so whatever
# you compute from it is a constant as far as `backward()` is concerned. We look at what it
# returns, then at four places it is used: bootstrapped targets, truncated backpropagation
# through time, GANs and distillation.

# %%
# errors below show short: the message, without the lines inside torch that raised it
# %xmode Minimal
import weakref

import matplotlib.pyplot as plt
import torch
import torch.nn as nn
import torch.nn.functional as F

import autogradviz as agv

torch.manual_seed(0)
print("torch", torch.__version__)

# %% [markdown]
# ## What `.detach()` returns
#
# `b` is computed from `a`, so it has a `grad_fn`. `d = b.detach()` has the same values, no
# `grad_fn` and `requires_grad=False`: a new leaf that autograd does not watch.

# %%
a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
b = a * 2
d = b.detach()
print("b:", b, " requires_grad:", b.requires_grad, " grad_fn:", type(b.grad_fn).__name__)
print("d:", d, " requires_grad:", d.requires_grad, " grad_fn:", d.grad_fn, " leaf:", d.is_leaf)

# %% [markdown]
# Drawn side by side: `b` leads back to `a` (the dashed oval is the constant `2`); `d` leads
# nowhere, and a note lists what can leave a tensor without a graph.

# %%
agv.draw({"b": b, "d": d}, params={"a": a})

# %% [markdown]
# `.detach()` is also the way out of a classic error. NumPy knows nothing of autograd, so `.numpy()`
# refuses a tensor that requires grad, and says what to do:

# %% tags=["raises-exception"]
b.numpy()

# %%
assert torch.equal(d, b) and not d.requires_grad and d.grad_fn is None and d.is_leaf
assert b.grad_fn is not None  # detaching d did not change b: b still has its history
assert b.grad_fn.next_functions[1][0] is None  # the constant 2: an input with no history
try:
    b.numpy()
    error = None
except RuntimeError as e:
    error = str(e)
assert error == "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
assert (b.detach().numpy() == [2.0, 4.0, 6.0]).all()  # the fix: no history, NumPy takes it
print("checkpoint passed")

# %% [markdown]
# ## Not a copy: same memory, same version counter
#
# `.detach()` copies nothing. `d` looks at the **same storage** as `b`: the cheat sheet calls it
# "a view", and PyTorch's *Tensor Views* page lists `detach()` among the view operations (only
# the private `d._is_view()` says False: autograd keeps no view record for it). Write into `d`
# and `b` changes. They also share the **version counter** autograd uses to notice in-place
# changes: `d[0] = 100.` bumps `_version` for both.

# %%
print("same storage:", d.data_ptr() == b.data_ptr(), " versions before:", b._version, d._version)
d[0] = 100.0
print("b after d[0] = 100.:", b)
print("versions after:", b._version, d._version)

# %%
assert d.data_ptr() == b.data_ptr()
assert b[0].item() == 100.0           # the write through d is visible through b
assert b._version == d._version == 1  # one shared counter, bumped once
assert not d._is_view() and d._base is None  # no view record, though the docs list detach() as a view op
print("checkpoint passed")

# %% [markdown]
# So the answer to question 2 is **yes**. Keep that in mind: it is this notebook's pitfall.

# %% [markdown]
# ## The cheat sheet's bootstrapped target: its gradient is exactly zero
#
# The cheat sheet shows this as a "bootstrapping style" use of `detach()`. We run it as
# published, on a small linear model. It prints nothing yet: first, a quiz.

# %%
model = nn.Linear(3, 2)
x = torch.randn(4, 3)

out = model(x)
target = out.detach()  # gradient will not flow into 'out' via 'target'
loss = ((out - target) ** 2).mean()
loss.backward()

# %% [markdown]
# ### Quiz: predict, then check
#
# Question 1 from the top: what did `loss.backward()` leave in `model.weight.grad`? The answer
# is read from `model.weight.grad` itself; the cell after the quiz prints it.

# %%
grad = model.weight.grad
right = ("None" if grad is None else "a tensor of exact zeros" if torch.count_nonzero(grad) == 0
         else "a tensor of non-zero numbers")

# %%
# The exercise. This cell is hidden: it checks your answer, so run it, don't read it.
assert right == "a tensor of exact zeros"  # checked on every test run (hidden with the quiz)
agv.quiz("After loss.backward(), what is in model.weight.grad?",
         options=["None", "a tensor of exact zeros", "a tensor of non-zero numbers"], answer=right,
         explain="target holds the same numbers as out, so the loss is 0 and its derivative "
                 "2 * (out - target) / n is 0 everywhere. The gradient does flow through out, to the "
                 "weight and bias, but what flows is zero.")

# %%
print("loss:", loss.item())
print("weight.grad:\n", model.weight.grad)
print("bias.grad:", model.bias.grad)

# %% [markdown]
# The comment is right: gradient flows only through `out`, not through `target`. But `target`
# holds the same numbers as `out`. The loss is 0, and its derivative with respect to `out` is
# `2 * (out - target) / n = 0`. Every gradient that the chain rule builds from it is zero:
# the model would never learn from this loss.
#
# The graph shows where the cut is: `SubBackward0` has two inputs, `out` (with its history back to
# the weight and bias) and `target`, a dashed oval with no history. (The other dashed oval is the
# input `x`.)

# %%
agv.draw(loss, params=model)

# %%
assert loss.item() == 0.0
assert all(torch.count_nonzero(p.grad) == 0 for p in model.parameters())  # exactly zero
print("checkpoint passed")

# %% [markdown]
# ## A target that means something: temporal-difference learning
#
# Bootstrapping makes sense when the target comes from **another** input. In reinforcement
# learning, a value network `V` is trained towards `r + gamma * V(s_next)`: the reward plus the
# discounted value of the next state. The target is built with the same network, so it is
# detached: we move `V(s)` towards the target, we do not move the target towards `V(s)`.

# %%
V = nn.Linear(3, 1)
s, s_next = torch.randn(5, 3), torch.randn(5, 3)
r, gamma = torch.randn(5, 1), 0.9

td_target = r + gamma * V(s_next).detach()
td_loss = ((V(s) - td_target) ** 2).mean()
td_loss.backward()
print("td_loss:", f"{td_loss.item():.4f}", " V.weight.grad:", V.weight.grad)

# %% [markdown]
# Only the `V(s)` branch is in the graph: one `AddmmBackward0` (a linear layer), not two.

# %%
agv.draw(td_loss, params=V)

# %% [markdown]
# Now the gradient is not zero, and it is exactly the gradient you get by treating the target as
# a constant. With `L = mean((V(s) - y)**2)` and `V(s) = s @ w.T + b`, the chain rule gives
# `dL/dw = 2/n * sum((V(s) - y) * (dV(s)/dw - dy/dw))`, and `dV(s)/dw = s`. Detached, `y` is a
# constant: `dy/dw = 0`, so `dL/dw = 2/n * sum((V(s) - y) * s)`. Without the `.detach()`,
# `y = r + gamma * V(s_next)` depends on `w` too: `dy/dw = gamma * s_next`, and the gradient
# becomes `2/n * sum((V(s) - y) * (s - gamma * s_next))`: another algorithm (the "residual
# gradient").

# %%
n = len(s)
with torch.no_grad():
    y = r + gamma * V(s_next)
    error = V(s) - y
    expected_detached = 2 / n * (error * s).sum(0, keepdim=True)
    expected_full = 2 / n * (error * (s - gamma * s_next)).sum(0, keepdim=True)

grad_detached = V.weight.grad.clone()
V.zero_grad()
((V(s) - (r + gamma * V(s_next))) ** 2).mean().backward()  # the same loss, without .detach()
grad_full = V.weight.grad.clone()
print("with detach:   ", grad_detached)
print("without detach:", grad_full)

# %%
assert grad_detached.abs().min() > 0                     # not the zero of the cheat sheet
assert torch.allclose(grad_detached, expected_detached, atol=1e-6)
assert torch.allclose(grad_full, expected_full, atol=1e-6)
assert not torch.allclose(grad_detached, grad_full)
print("checkpoint passed")

# %% [markdown]
# ## Truncated backpropagation through time
#
# A recurrent cell feeds its hidden state `h` back into itself. Every step adds operations to the
# graph behind `h`, so after `t` steps `backward()` would walk back through all `t` of them, and
# every one keeps its saved tensors alive. `h = h.detach()` every `k` steps cuts that chain: the
# cheat sheet's second use.
#
# To measure the graph we count the backward nodes reachable from `h`, walking `next_functions`
# as in [01](01_the_graph.ipynb).

# %%
def count_nodes(t):
    """How many backward nodes (grad_fn and AccumulateGrad) are reachable from tensor t."""
    seen, todo = set(), [t.grad_fn]
    while todo:
        fn = todo.pop()
        if fn is not None and fn not in seen:
            seen.add(fn)
            todo += [next_fn for next_fn, _ in fn.next_functions]
    return len(seen)


cell = nn.RNNCell(3, 4)
xs = torch.randn(2, 100, 3)  # batch 2, 100 time steps, 3 features


def graph_sizes(detach_every=None):
    h = torch.zeros(2, 4)
    sizes = []
    for t in range(100):
        h = cell(xs[:, t], h)
        sizes.append(count_nodes(h))  # measured before any detach at this step
        if detach_every and (t + 1) % detach_every == 0:
            h = h.detach()  # keep the values, drop the history
    return sizes


without, every10 = graph_sizes(), graph_sizes(detach_every=10)
steps = list(range(1, 101))
print("t:                 ", [25, 50, 75, 100])
print("without detach:    ", [without[t - 1] for t in (25, 50, 75, 100)])
print("detach every 10:   ", [every10[t - 1] for t in (25, 50, 75, 100)])

# %%
plt.figure(figsize=(6, 3))
plt.plot(steps, without, label="no detach")
plt.plot(steps, every10, label="h = h.detach() every 10 steps")
plt.xlabel("time step t")
plt.ylabel("backward nodes behind h")
plt.title("RNNCell: graph size over time")
plt.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# Without detach the graph grows by the same amount at every step (6 nodes: two matrix
# multiplies, two transposes of the weights, an add and a `tanh`), on top of the 4
# `AccumulateGrad` nodes of the cell's parameters, which all steps share. With the detach, only
# the steps since the last cut count: a sawtooth that never passes 10 steps' worth.
#
# `agv.draw` counts the same nodes (its `op` kind) and shows what one step records. Here is `h`
# one step after a cut. The old `h` enters `AddmmBackward0` as an input with **no history** (a
# dashed oval, like the input `x_t` beside it): that is where `h.detach()` cut the chain.

# %%
h = torch.zeros(2, 4)
for t in range(11):
    h = cell(xs[:, t], h)
    if (t + 1) % 10 == 0:
        h = h.detach()
graph = agv.draw(h, params=cell)
graph

# %%
assert [without[t - 1] for t in (25, 50, 75, 100)] == [154, 304, 454, 604]
assert [every10[t - 1] for t in (25, 50, 75, 100)] == [34, 64, 34, 64]
assert all(without[t] - without[t - 1] == 6 for t in range(1, 100))  # grows linearly...
assert max(every10) == every10[9] == 64 and every10[10:20] == every10[:10]  # ...or is bounded
assert sum(node.kind == "op" for node in graph.nodes) == count_nodes(h) == 6 * 1 + 4
one_step = sorted(node.label for node in graph.nodes if node.kind == "op" and node.label != "AccumulateGrad")
assert one_step == ["AddBackward0", "AddmmBackward0", "AddmmBackward0", "TBackward0", "TBackward0",
                    "TanhBackward0"]  # two matrix multiplies, two transposes, an add and a tanh
print("checkpoint passed")

# %% [markdown]
# ### Why a training loop *needs* the detach
#
# Truncated BPTT calls `backward()` at the end of each chunk of steps. `backward()` frees the
# saved tensors of the graph it walked. If `h` still carries that graph into the next chunk, the
# next `backward()` runs into it again:

# %%
h = torch.zeros(2, 4)
for t in range(10):
    h = cell(xs[:, t], h)
h.pow(2).mean().backward()  # chunk 1: fine
for t in range(10, 20):
    h = cell(xs[:, t], h)   # chunk 2 starts from h, which still holds chunk 1's graph

# %% tags=["raises-exception"]
h.pow(2).mean().backward()

# %% [markdown]
# With `h = h.detach()` after each chunk's `backward()`, every chunk has its own small graph:

# %%
h = torch.zeros(2, 4)
for chunk in range(3):
    for t in range(10 * chunk, 10 * chunk + 10):
        h = cell(xs[:, t], h)
    cell.zero_grad()
    h.pow(2).mean().backward()
    h = h.detach()
print("three chunks, three backward() calls, no error; h.grad_fn:", h.grad_fn)

# %%
assert h.grad_fn is None and all(p.grad is not None for p in cell.parameters())
print("checkpoint passed")

# %% [markdown]
# ## GANs: `fake.detach()` in the discriminator step
#
# A GAN trains two networks against each other. The generator `G` turns noise `z` into fake
# samples; the discriminator `D` scores samples, real ones towards 1 and fakes towards 0. One
# training iteration has two steps, and only the first one detaches:
#
# * **D step:** `D` learns to tell `real` from `fake`. `fake` is an input here, not something to
#   train, so `fake.detach()`: backward stops at it, and `G` gets nothing from this loss.
# * **G step:** `G` learns to fool `D`. Its loss must flow back *through* `D` into `G`: no detach.
#
# Tiny networks, so the graphs stay readable: `G` and `D` are single linear layers.

# %%
G = nn.Linear(2, 2)  # noise (2) -> fake sample (2)
D = nn.Linear(2, 1)  # sample (2) -> logit "real?"
real = torch.randn(4, 2) + 2.0
z = torch.randn(4, 2)
ones, zeros = torch.ones(4, 1), torch.zeros(4, 1)

fake = G(z)
d_loss = (F.binary_cross_entropy_with_logits(D(real), ones)
          + F.binary_cross_entropy_with_logits(D(fake.detach()), zeros))
d_loss.backward()
print("D step: G.weight.grad:", G.weight.grad, " D.weight.grad:", D.weight.grad)

# %%
assert G.weight.grad is None and G.bias.grad is None  # the D loss never reaches G
assert D.weight.grad is not None and D.weight.grad.abs().sum() > 0
print("checkpoint passed")

# %% [markdown]
# Now the G step, from the same `fake`, without detach. `G` gets its gradient through `D`.

# %%
g_loss = F.binary_cross_entropy_with_logits(D(fake), ones)  # G wants D to say "real"
g_loss.backward()
print("G step: G.weight.grad:\n", G.weight.grad)

# %%
assert G.weight.grad is not None and G.weight.grad.abs().sum() > 0
print("checkpoint passed")

# %% [markdown]
# ## Explore: detach on and off in each GAN step
#
# Pick the step and whether `fake` is detached. The explorer re-runs the loss, draws its graph,
# runs `backward()` and shows who got a gradient (every `.grad` is set to `None` first).

# %%
def gan_step(step="D step", detach_fake=True):
    fake = G(z)
    if detach_fake:
        fake = fake.detach()
    if step == "D step":
        return (F.binary_cross_entropy_with_logits(D(real), ones)
                + F.binary_cross_entropy_with_logits(D(fake), zeros))
    return F.binary_cross_entropy_with_logits(D(fake), ones)


# %%
agv.explore(gan_step, params={"G": G, "D": D}, step=["D step", "G step"], detach_fake=True)

# %% [markdown]
# Things to try:
# * **D step, detach off**: `G` gets a gradient from the discriminator's loss. Wasted work, and
#   that gradient sits in `G`'s `.grad` until someone clears it;
# * **G step, detach on**: `G` gets **no** gradient. The generator would never learn. This is the
#   bug of detaching in the wrong step;
# * **G step, detach off**: both `G` **and** `D` get a gradient. `D` must not be updated from the
#   generator's loss: the D step of the next iteration starts with `D`'s optimizer
#   `zero_grad()` ([06](06_zero_grad.ipynb)), and only `G`'s optimizer steps after the G step.

# %% [markdown]
# ### Checkpoint: the explorer's lessons, asserted

# %%
def who_gets_grad(step, detach_fake):
    for p in [*G.parameters(), *D.parameters()]:
        p.grad = None
    gan_step(step, detach_fake).backward()
    return sorted(name for name, net in {"G": G, "D": D}.items() if net.weight.grad is not None)


for step in ["D step", "G step"]:
    for detach_fake in [True, False]:
        print(f"{step}, detach_fake={detach_fake!s:5}: {who_gets_grad(step, detach_fake)}")

# %%
assert who_gets_grad("D step", detach_fake=True) == ["D"]
assert who_gets_grad("D step", detach_fake=False) == ["D", "G"]
assert who_gets_grad("G step", detach_fake=True) == ["D"]        # the bug: G learns nothing
assert who_gets_grad("G step", detach_fake=False) == ["D", "G"]  # D too: clear it before its step
print("checkpoint passed")

# %% [markdown]
# ## Distillation: the teacher only gives targets
#
# A small *student* learns to match the softened outputs of a larger, already trained *teacher*.
# The teacher is not trained, so its forward pass runs under `torch.no_grad()` (the cheat sheet's
# use case 7). `teacher_out.detach()` would give the student the same gradient, but `no_grad`
# does not record the teacher's graph at all, so it saves nothing for backward.

# %%
teacher = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
student = nn.Linear(4, 3)
xb = torch.randn(8, 4)
T = 2.0  # temperature


def distill_loss(teacher_logits):
    return F.kl_div(F.log_softmax(student(xb) / T, dim=1), F.softmax(teacher_logits / T, dim=1),
                    reduction="batchmean")


with agv.watch():  # only notes each layer's grad mode, so the table can say why
    with torch.no_grad():
        teacher_out = teacher(xb)
distill_loss(teacher_out).backward()
grad_no_grad = student.weight.grad.clone()
print("teacher_out.grad_fn:", teacher_out.grad_fn)
agv.grads({"teacher": teacher, "student": student})

# %% [markdown]
# The same with `.detach()`: the student's gradient is identical. The difference: the teacher's
# forward is recorded, and its graph saves what a backward would need (here the hidden ReLU
# output, 8 × 16 floats). `teacher(xb).detach()` keeps only the detached result: the recorded
# output, its graph and what the graph saved are freed at once. `weakref.ref` watches the hidden
# activation: kept while the graph lives, gone with it. The cost of `.detach()` is the time spent
# recording and a higher peak of memory while the teacher runs, not memory kept.

# %%
student.zero_grad()
distill_loss(teacher(xb).detach()).backward()
_, saved_grad_mode = agv.saved_memory(lambda: teacher(xb))
with torch.no_grad():
    _, saved_no_grad = agv.saved_memory(lambda: teacher(xb))
print(f"teacher forward, grad mode: {saved_grad_mode.bytes} bytes of activations saved; "
      f"no_grad: {saved_no_grad.bytes}")

hidden = teacher[1](teacher[0](xb))  # the ReLU's output: the last Linear saves it
watcher = weakref.ref(hidden)
logits = teacher[2](hidden)
del hidden
kept_by_graph = watcher() is not None
print("our name for it is gone, but the graph keeps it:", kept_by_graph)
target = logits.detach()
del logits  # what teacher(xb).detach() does: only the detached result stays
print("only the detached result left, the hidden activation is freed:", watcher() is None)

# %%
assert teacher_out.grad_fn is None
assert all(p.grad is None for p in teacher.parameters())  # the teacher gets no gradient
assert torch.equal(student.weight.grad, grad_no_grad)     # detach: the same student gradient
assert saved_grad_mode.bytes == 8 * 16 * 4 and saved_no_grad.bytes == 0
assert kept_by_graph and watcher() is None                # dropped with the graph, at once
print("checkpoint passed")

# %% [markdown]
# ## The pitfall: `.detach()` is not `.clone()`
#
# Because `d` shares memory and the version counter with `b`, an in-place change to a detached
# tensor changes a tensor that autograd may still need. `sigmoid` saves its output for backward;
# change it through a detached alias and `backward()` refuses:

# %%
p = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
q = p.sigmoid()       # SigmoidBackward0 saves q itself
q_alias = q.detach()  # "just a detached copy"? No: the same memory and version counter
q_alias.mul_(2)
print("q:", q, " q._version:", q._version)

# %% tags=["raises-exception"]
q.sum().backward()

# %% [markdown]
# That error is the version counter doing its job. The old `.data` attribute also shares memory
# but **not** the version counter: the same mistake then passes silently and gives a wrong
# gradient. When you need a detached tensor you can modify, write `.detach().clone()`.

# %%
true_grad = torch.autograd.grad(p.sigmoid().sum(), p)[0]

q = p.sigmoid()
q.data.mul_(2)        # no version bump: autograd cannot notice
q.sum().backward()
wrong_grad = p.grad
print("silently wrong:", wrong_grad, " true:", true_grad)

p.grad = None
q = p.sigmoid()
q_copy = q.detach().clone()
q_copy.mul_(2)        # its own memory: q is untouched
q.sum().backward()
print("with clone:    ", p.grad)

# %%
assert not torch.allclose(wrong_grad, true_grad)  # .data: no error, wrong gradient
assert torch.allclose(p.grad, true_grad)          # .detach().clone(): correct
assert q_copy.data_ptr() != q.data_ptr() and q._version == 0
print("checkpoint passed")

# %% [markdown]
# ## Exercise
#
# Four ways to compute the teacher's output for the distillation loss. After
# `distill_loss(...).backward()`, in which of them do the teacher's parameters get **no**
# gradient? Tick all that apply.
#
# * `no_grad`: `with torch.no_grad(): t = teacher(xb)`
# * `detach`: `t = teacher(xb).detach()`
# * `freeze`: `teacher.requires_grad_(False)`, then `t = teacher(xb)`
# * `eval`: `teacher.eval()`, then `t = teacher(xb)` (this series has not met `eval()` yet: think
#   of what it is for in everyday PyTorch)
#
# The next cell writes the four ways as code; the quiz after it runs each of them to compute the
# right answer.

# %%
def teacher_gets_no_grad(way):
    teacher.train().requires_grad_(True)
    teacher.zero_grad()
    student.zero_grad()
    if way == "no_grad":
        with torch.no_grad():
            t = teacher(xb)
    elif way == "detach":
        t = teacher(xb).detach()
    elif way == "freeze":
        teacher.requires_grad_(False)
        t = teacher(xb)
    else:
        teacher.eval()
        t = teacher(xb)
    distill_loss(t).backward()
    result = all(p.grad is None for p in teacher.parameters())
    teacher.train().requires_grad_(True)
    return result


# %%
right = {way for way in ["no_grad", "detach", "freeze", "eval"] if teacher_gets_no_grad(way)}

# %%
# The exercise. This cell is hidden: it checks your answer, so run it, don't read it.
assert right == {"no_grad", "detach", "freeze"}  # checked on every test run (hidden with the quiz)
agv.quiz("After distill_loss(...).backward(), in which ways do the teacher's parameters get no gradient?",
         options=["no_grad", "detach", "freeze", "eval"], answer=right,
         explain="no_grad records nothing, detach cuts after the teacher, and freezing leaves its "
                 "parameters with requires_grad=False. eval() is the odd one out: it switches Dropout "
                 "and BatchNorm to inference behaviour, but the forward is recorded and the teacher "
                 "gets a gradient (notebook 07).")

# %% [markdown]
# ## Takeaways
#
# * `.detach()` returns the same values with no history: a stop-gradient. Whatever is computed
#   from it is a constant for `backward()`.
# * It copies nothing: same storage, same version counter. To modify it, `.detach().clone()`.
# * A target made by detaching the prediction itself gives a gradient of exactly zero. Detach a
#   target made from *other* inputs (`r + gamma * V(s_next)`), and the gradient flows only through
#   the prediction.
# * `h = h.detach()` keeps a recurrent graph bounded, and lets each chunk call `backward()`.
# * GANs: `fake.detach()` in the D step, never in the G step. Distillation: teacher under
#   `torch.no_grad()`, which records nothing; `.detach()` gives the same gradient but records first.
#
# Next: [06 · `zero_grad`](06_zero_grad.ipynb): gradients add up, and why that is sometimes useful.
