# %% [markdown]
# # 06 · `zero_grad()`: gradients add up
#
# **The question.** What happens to `.grad` when you call `backward()` a second time, what does
# `zero_grad()` really do in PyTorch 2, and how do you use the adding-up on purpose?
#
# **Predict before you run.**
# 1. Two `backward()` calls, on two different batches, with no `zero_grad()` in between. Is
#    `.grad` the second batch's gradient, their sum, or their average?
# 2. Right after `optimizer.zero_grad()`, is `.grad` a tensor of zeros, or `None`?
# 3. You split a batch of 32 into 4 micro-batches of 8 and call `backward()` on each
#    `loss / 4`. Is the sum of those gradients the full batch's gradient?

# %%
# errors below show short: the message, without the lines inside torch that raised it
# %xmode Minimal
import inspect

import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_digits

import autogradviz as agv

torch.manual_seed(0)
print("torch", torch.__version__)

# %% [markdown]
# Real data, small: the first 32 of scikit-learn's 8×8 handwritten digits (it ships with the
# package), and a small classifier.

# %%
images, labels = load_digits(return_X_y=True)
X = torch.tensor(images[:32], dtype=torch.float32) / 16  # 32 digits, 64 pixels in [0, 1]
y = torch.tensor(labels[:32])
mlp = nn.Sequential(nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10))
print("X:", tuple(X.shape), " y:", y[:10].tolist(), "...")

# %% [markdown]
# ## `backward()` adds into `.grad`
#
# We take the gradient of the first half of the batch, then of the second half, each from a
# clean start (`.grad = None`). Then both again, one after the other, without clearing.

# %%
w = mlp[0].weight


def loss_on(rows):
    return F.cross_entropy(mlp(X[rows]), y[rows])


first, second = slice(0, 16), slice(16, 32)

w.grad = None
loss_on(first).backward()
g1 = w.grad.clone()

w.grad = None
loss_on(second).backward()
g2 = w.grad.clone()

w.grad = None
loss_on(first).backward()
loss_on(second).backward()  # no zero_grad() in between
print(f"|g1| = {g1.norm():.4f}   |g2| = {g2.norm():.4f}   |g1 + g2| = {(g1 + g2).norm():.4f}")
print(f"after two backward() calls: |w.grad| = {w.grad.norm():.4f}")

# %% [markdown]
# `.grad` holds **g1 + g2**, exactly. The `AccumulateGrad` node you met in
# [01](01_the_graph.ipynb) does what its name says: the first `backward()` stores its gradient in
# `.grad`, every later one adds to it. Nothing is averaged and nothing is overwritten.

# %%
assert torch.equal(w.grad, g1 + g2)  # bit for bit
assert not torch.allclose(w.grad, g2)
print("checkpoint passed")

# %% [markdown]
# That is why a training loop clears the gradients once per step: otherwise each step would
# follow the sum of every gradient since the start. It is also a feature: gradients from
# several losses or several micro-batches add up without any extra code. Both are below.

# %% [markdown]
# ## `zero_grad()` in PyTorch 2: `.grad` becomes `None`
#
# Older tutorials, and the cheat sheet this series tests (seed 003), say that
# `model.zero_grad()` fills the gradients with zeros. Since PyTorch 2.0, both
# `optimizer.zero_grad()` and `model.zero_grad()` take `set_to_none=True` by **default**: they
# drop the gradient tensors.

# %%
print("Optimizer.zero_grad", inspect.signature(torch.optim.Optimizer.zero_grad))
print("Module.zero_grad   ", inspect.signature(nn.Module.zero_grad))

opt = torch.optim.SGD(mlp.parameters(), lr=0.1)
b = mlp[2].bias  # the last layer's bias: 10 numbers, short to print

b.grad = None    # a clean start, as above
loss_on(first).backward()
print("after backward():                       ", b.grad)
opt.zero_grad()
print("after opt.zero_grad():                  ", b.grad)

loss_on(first).backward()
mlp.zero_grad()
print("after mlp.zero_grad():                  ", b.grad)

loss_on(first).backward()
opt.zero_grad(set_to_none=False)
print("after opt.zero_grad(set_to_none=False): ", b.grad)

# %%
assert inspect.signature(torch.optim.Optimizer.zero_grad).parameters["set_to_none"].default is True
assert inspect.signature(nn.Module.zero_grad).parameters["set_to_none"].default is True
assert all(p.grad is not None and torch.count_nonzero(p.grad) == 0 for p in mlp.parameters())
for clear in [opt.zero_grad, mlp.zero_grad]:  # both default to set_to_none=True
    loss_on(first).backward()
    clear()
    assert all(p.grad is None for p in mlp.parameters())
print("checkpoint passed")

# %% [markdown]
# So the cheat sheet's advice, `optimizer.zero_grad(set_to_none=True)  # recommended`, is
# **right**, and it is now what a bare `zero_grad()` does. Its note that `model.zero_grad()`
# "zeros tensors in-place" is out of date: that needs `set_to_none=False`.
#
# One consequence: code that reads `.grad` right after `zero_grad()` (gradient logging, say)
# finds `None`:

# %% tags=["raises-exception"]
mlp[0].weight.grad.norm()

# %% [markdown]
# The two clear different sets, though: `optimizer.zero_grad()` clears the parameters that
# optimizer holds, `model.zero_grad()` every parameter of the model. With two optimizers, as in
# a GAN ([05](05_detach.ipynb): one for `G`, one for `D`), each clears only its own.

# %%
head_opt = torch.optim.SGD(mlp[2].parameters(), lr=0.1)  # an optimizer for the last layer only
loss_on(first).backward()
head_opt.zero_grad()
print("after head_opt.zero_grad(): first layer's .grad is None:", mlp[0].weight.grad is None,
      " last layer's:", mlp[2].weight.grad is None)

# %%
assert mlp[0].weight.grad is not None and mlp[2].weight.grad is None  # only its own parameters
mlp.zero_grad()
assert all(p.grad is None for p in mlp.parameters())                  # the model's: all of them
print("checkpoint passed")

# %% [markdown]
# ### Why `None` is better than zeros
#
# * **Memory.** `None` frees the gradient buffers until the next `backward()` allocates them.
# * **The optimizer's next step.** Predict first. A layer has taken one real SGD step with
#   momentum. You clear its gradients, then call `step()` again with no `backward()` in between.
#   After which ways of clearing does the weight move? (Think of what momentum does with a
#   gradient of zero, and what an optimizer can do with a gradient that is `None`.)

# %%
def weight_change_after(clear):
    """One real SGD step with momentum, then clear(sgd, layer), then a step with no backward().
    Returns the second step's size as a fraction of the first's."""
    torch.manual_seed(1)
    layer = nn.Linear(64, 10)
    sgd = torch.optim.SGD(layer.parameters(), lr=0.1, momentum=0.9)
    start = layer.weight.detach().clone()
    F.cross_entropy(layer(X), y).backward()
    sgd.step()  # a real step: the momentum buffer now holds a velocity
    clear(sgd, layer)
    before = layer.weight.detach().clone()
    sgd.step()  # no backward() in between
    return ((layer.weight.detach() - before).norm() / (before - start).norm()).item()


CLEARS = {
    "opt.zero_grad()": lambda opt, model: opt.zero_grad(),
    "opt.zero_grad(set_to_none=False)": lambda opt, model: opt.zero_grad(set_to_none=False),
    "model.zero_grad()": lambda opt, model: model.zero_grad(),
    "model.zero_grad(set_to_none=False)": lambda opt, model: model.zero_grad(set_to_none=False),
}
moved = {name for name, clear in CLEARS.items() if weight_change_after(clear) > 0}

# %%
# The exercise. This cell is hidden: it checks your answer, so run it, don't read it.
assert moved == {"opt.zero_grad(set_to_none=False)", "model.zero_grad(set_to_none=False)"}  # hidden with the quiz
agv.quiz("SGD with momentum has taken one step. You clear the gradients in one of these ways, then "
         "call step() again without backward(). After which ones does the weight move?",
         options=list(CLEARS), answer=moved,
         explain="A bare zero_grad() (the optimizer's or the model's) sets .grad to None, and SGD skips "
                 "such a parameter. set_to_none=False leaves a tensor of zeros: SGD does not skip it, "
                 "and momentum repeats the last step, shrunk by momentum=0.9.")

# %% [markdown]
# The check, all four ways:

# %%
for name, clear in CLEARS.items():
    print(f"{name:35} second step = {weight_change_after(clear):.2f} x the first")

# %%
assert weight_change_after(CLEARS["opt.zero_grad()"]) == 0.0    # None: the optimizer skips it
assert weight_change_after(CLEARS["model.zero_grad()"]) == 0.0
for zeros in ["opt.zero_grad(set_to_none=False)", "model.zero_grad(set_to_none=False)"]:
    assert abs(weight_change_after(CLEARS[zeros]) - 0.9) < 1e-4  # zeros: momentum x the last step
print("checkpoint passed")

# %% [markdown]
# Optimizers skip a parameter whose `.grad` is `None`. A tensor of zeros is not skipped, and
# momentum, weight decay and Adam's running averages all move the weight without any gradient.
# [04 · freezing](04_freezing.ipynb) measures all of them: it matters most when you freeze a
# parameter in the middle of training.

# %% [markdown]
# ## Explore: how many `backward()` calls, and `zero_grad()` or not
#
# The explorer computes the loss of the same batch and calls `backward()` on it, `calls` times.
# Each call builds the loss, and so its graph, anew (a graph that saved tensors can be walked only
# once): the same graph every time. With **zero_grad_each** ticked, it calls `opt.zero_grad()`
# before each `backward()`. Watch the `.grad` column. (The explorer makes the last `backward()`
# call itself, after drawing; it sets every `.grad` to `None` before each run.)

# %%
def train_steps(calls=3, zero_grad_each=False):
    for i in range(calls - 1):
        if zero_grad_each:
            opt.zero_grad()
        loss_on(first).backward()
        print(f"after backward() {i + 1}: |0.weight.grad| = {mlp[0].weight.grad.norm():.4f}")
    if zero_grad_each:
        opt.zero_grad()
    print(f"backward() {calls}: run by the explorer, see the table")
    return loss_on(first)


# %%
agv.explore(train_steps, params=mlp, calls=(1, 5), zero_grad_each=False)

# %% [markdown]
# Things to try:
# * **calls** 1, 2, 3... without zero_grad: every norm in the table grows in steps of the same
#   size. The same batch each time, so `.grad` is exactly `calls` times one gradient;
# * tick **zero_grad_each**: the table shows the same norms whatever `calls` is.

# %% [markdown]
# ### Checkpoint: the explorer's lessons, asserted

# %%
def grad_after(calls, zero_grad_each):
    mlp.zero_grad()
    for _ in range(calls):
        if zero_grad_each:
            opt.zero_grad()
        loss_on(first).backward()
    return mlp[0].weight.grad.clone()


once = grad_after(1, zero_grad_each=False)
for calls in range(1, 6):
    print(f"calls={calls}: without zero_grad |grad| = {grad_after(calls, False).norm():.4f},"
          f"  with zero_grad |grad| = {grad_after(calls, True).norm():.4f}")

# %%
for calls in range(1, 6):
    assert torch.equal(grad_after(calls, zero_grad_each=False), calls * once)  # exactly, bit for bit
    assert torch.equal(grad_after(calls, zero_grad_each=True), once)
print("checkpoint passed")

# %% [markdown]
# ## Using it on purpose: gradient accumulation
#
# When a batch does not fit in memory, split it into `k` micro-batches, call `backward()` on each,
# and step once. `.grad` sums the micro-batch gradients. The loss of each micro-batch is a mean
# over its samples; dividing it by `k` makes the sum a mean over the whole batch:

# %%
def accumulate(model, X, y, sizes, scale):
    """Gradient accumulation over micro-batches of the given sizes; returns all grads, flattened."""
    model.zero_grad()                                  # once, before the micro-batches
    start = 0
    for n in sizes:
        loss = F.cross_entropy(model(X[start:start + n]), y[start:start + n])
        (loss * scale(n)).backward()                   # adds into .grad
        start += n
    return torch.cat([p.grad.flatten() for p in model.parameters()])


def full_batch(model, X, y):
    model.zero_grad()
    F.cross_entropy(model(X), y).backward()
    return torch.cat([p.grad.flatten() for p in model.parameters()])


k = 4
g_full = full_batch(mlp, X, y)
g_accum = accumulate(mlp, X, y, sizes=[8, 8, 8, 8], scale=lambda n: 1 / k)  # loss / k
g_forgot = accumulate(mlp, X, y, sizes=[8, 8, 8, 8], scale=lambda n: 1)     # forgot the / k
print("loss / k:       max |difference| < 1e-6:", bool((g_accum - g_full).abs().max() < 1e-6))
print(f"forgot the / k: max |difference| = {(g_forgot - g_full).abs().max():.4f}, "
      f"ratio of norms = {g_forgot.norm() / g_full.norm():.4f}")

# %% [markdown]
# Forgetting the `/ k` makes the gradient `k` times too large. What that does depends on the
# optimizer: plain SGD steps by `lr * grad`, so it is exactly a `k`-times learning rate. Adam
# divides each step by a running average of the gradient's size, so a constant factor cancels
# out (up to its tiny `eps`). Three steps each, weights from the same start:

# %%
def weights_after_3_steps(make_optimizer, scale):
    torch.manual_seed(0)
    net = nn.Linear(64, 10)
    optimizer = make_optimizer(net.parameters())
    for _ in range(3):
        optimizer.zero_grad()
        (F.cross_entropy(net(X), y) * scale).backward()
        optimizer.step()
    return net.weight.detach()


sgd = {f"SGD lr={lr}, loss x {scale}": weights_after_3_steps(lambda p: torch.optim.SGD(p, lr=lr), scale)
       for lr, scale in [(0.1, 1), (0.1, k), (0.1 * k, 1)]}
adam = {f"Adam lr=0.1, loss x {scale}": weights_after_3_steps(lambda p: torch.optim.Adam(p, lr=0.1), scale)
        for scale in [1, k]}
for name, weights in {**sgd, **adam}.items():
    print(f"{name:22} weight[0, 2:5]: {[round(v, 4) for v in weights[0, 2:5].tolist()]}")

# %%
assert torch.allclose(g_accum, g_full, atol=1e-6, rtol=0)
assert torch.allclose(g_forgot, k * g_full, atol=1e-6)  # k times too large
assert torch.allclose(sgd["SGD lr=0.1, loss x 4"], sgd["SGD lr=0.4, loss x 1"], atol=1e-6)  # SGD: k x lr
assert not torch.allclose(sgd["SGD lr=0.1, loss x 4"], sgd["SGD lr=0.1, loss x 1"], atol=1e-3)
assert torch.allclose(adam["Adam lr=0.1, loss x 4"], adam["Adam lr=0.1, loss x 1"], atol=1e-4)  # Adam: ~no change
print("checkpoint passed")

# %% [markdown]
# ### Two cases where `loss / k` is not the full-batch gradient
#
# **BatchNorm in training mode.** BatchNorm normalizes each batch with that batch's own mean and
# variance. Four micro-batches of 8 are normalized with four different sets of statistics, the
# full batch with one: a different function, so a different gradient. Its running statistics are
# also updated `k` times instead of once. (In `eval()` mode BatchNorm uses its stored running
# statistics, and the equality is back.)
#
# **An uneven last micro-batch.** 30 samples as 8, 8, 8, 6: the mean of the four micro-batch means
# is not the mean over the 30 samples. Each of the last 6 samples weighs `1/4 × 1/6 = 1/24`
# instead of `1/30`. The fix: weight each micro-batch's mean loss by its share of the samples,
# `n_i / N`, instead of `1 / k`.

# %%
bn_net = nn.Sequential(nn.Linear(64, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 10))
X30, y30 = X[:30], y[:30]
even, uneven = [8, 8, 8, 8], [8, 8, 8, 6]

cases = {}
cases["MLP, 4 × 8, loss / k"] = (accumulate(mlp, X, y, even, lambda n: 1 / 4), full_batch(mlp, X, y))
bn_net.train()
cases["BatchNorm train(), loss / k"] = (accumulate(bn_net, X, y, even, lambda n: 1 / 4),
                                        full_batch(bn_net, X, y))
bn_net.eval()
cases["BatchNorm eval(), loss / k"] = (accumulate(bn_net, X, y, even, lambda n: 1 / 4),
                                       full_batch(bn_net, X, y))
cases["8,8,8,6, loss / k"] = (accumulate(mlp, X30, y30, uneven, lambda n: 1 / 4),
                              full_batch(mlp, X30, y30))
cases["8,8,8,6, loss × n_i / N (fix)"] = (accumulate(mlp, X30, y30, uneven, lambda n: n / 30),
                                          full_batch(mlp, X30, y30))

diffs = {name: (acc - full).abs().max().item() for name, (acc, full) in cases.items()}
relative = {name: ((acc - full).norm() / full.norm()).item() for name, (acc, full) in cases.items()}
print(f"{'case':32} {'max |difference|':>17} {'relative':>9}")
for name in cases:
    if diffs[name] < 1e-6:
        print(f"{name:32} {'< 1e-6':>17} {'~0':>9}   equal")
    else:
        print(f"{name:32} {diffs[name]:17.4f} {relative[name]:9.1%}   DIFFERENT")

# %%
assert diffs["MLP, 4 × 8, loss / k"] < 1e-6
assert diffs["BatchNorm train(), loss / k"] > 1e-2   # per-micro-batch statistics
assert diffs["BatchNorm eval(), loss / k"] < 1e-6    # running statistics: equal again
assert diffs["8,8,8,6, loss / k"] > 1e-3             # the last 6 samples weigh too much
assert diffs["8,8,8,6, loss × n_i / N (fix)"] < 1e-6
bn_net.train()                                       # in train mode, BatchNorm's statistics are
tracked = bn_net[1].num_batches_tracked.item()       # updated once per micro-batch: 4 times
accumulate(bn_net, X, y, even, lambda n: 1 / 4)
assert bn_net[1].num_batches_tracked.item() == tracked + 4
print("checkpoint passed")

# %% [markdown]
# ## The pitfall: `zero_grad()` inside the accumulation loop
#
# `zero_grad()` belongs once per optimizer step. Put it inside the micro-batch loop, where it
# sits in an ordinary training loop, and each `backward()` throws away the micro-batches before
# it: the "accumulated" gradient is the last micro-batch's alone.

# %%
mlp.zero_grad()
for start in range(0, 32, 8):
    opt.zero_grad()  # wrong place: wipes the micro-batches before this one
    (F.cross_entropy(mlp(X[start:start + 8]), y[start:start + 8]) / 4).backward()
g_wrong = torch.cat([p.grad.flatten() for p in mlp.parameters()])
g_last = accumulate(mlp, X[24:], y[24:], sizes=[8], scale=lambda n: 1 / 4)
print(f"max |difference| from the full batch:      {(g_wrong - g_full).abs().max():.4f}")
print(f"max |difference| from the last micro-batch: {(g_wrong - g_last).abs().max():.4f}")

# %%
assert torch.equal(g_wrong, g_last)
assert not torch.allclose(g_wrong, g_full, atol=1e-3)
print("checkpoint passed")

# %% [markdown]
# ## Exercise
#
# A batch of 25 samples is split into micro-batches of 10, 10 and 5. By what should you multiply
# each micro-batch's mean loss, so that the accumulated gradient equals the full-batch gradient?
# (The answer is computed below by trying every option against the full batch.)

# %%
X25, y25 = X[:25], y[:25]
g_full25 = full_batch(mlp, X25, y25)


def accumulated_with(weights):
    mlp.zero_grad()
    start = 0
    for n, weight in zip([10, 10, 5], weights):
        (F.cross_entropy(mlp(X25[start:start + n]), y25[start:start + n]) * weight).backward()
        start += n
    return torch.cat([p.grad.flatten() for p in mlp.parameters()])


OPTIONS = {  # what the learner sees: the three weights it means
    "1/3, 1/3, 1/3": [1 / 3, 1 / 3, 1 / 3],
    "2/5, 2/5, 1/5": [2 / 5, 2 / 5, 1 / 5],
    "1/4, 1/4, 1/2": [1 / 4, 1 / 4, 1 / 2],
    "1, 1, 1": [1, 1, 1],
}
(right,) = [option for option, weights in OPTIONS.items()  # exactly one option must match
            if torch.allclose(accumulated_with(weights), g_full25, atol=1e-6)]

# %%
# The exercise. This cell is hidden: it checks your answer, so run it, don't read it.
assert right == "2/5, 2/5, 1/5"  # checked on every test run (hidden with the quiz)
assert torch.allclose(accumulated_with([0.4, 0.4, 0.2]), g_full25, atol=1e-6)
assert not torch.allclose(accumulated_with([1 / 3, 1 / 3, 1 / 3]), g_full25, atol=1e-4)
agv.quiz("A batch of 25 is split into micro-batches of 10, 10 and 5. Multiply each micro-batch's "
         "mean loss by what, to get the full-batch gradient?",
         options=list(OPTIONS), answer=right,
         explain="Weight each mean loss by its share of the samples, n_i / N: 10/25, 10/25, 5/25. "
                 "With 1/3 each (loss / k), each of the last 5 samples counts 1/15 instead of 1/25.")

# %% [markdown]
# ## Takeaways
#
# * `backward()` **adds** into `.grad`: two calls give exactly `g1 + g2`.
# * `optimizer.zero_grad()` and `model.zero_grad()` set `.grad` to `None` by default in PyTorch 2
#   (`set_to_none=True`). `None` saves memory, and optimizers skip such parameters; zeros do not
#   stop momentum or weight decay.
# * Clear once per optimizer step. Gradient accumulation relies on it: `k` micro-batches with
#   `loss / k` give the full-batch gradient, except with BatchNorm in training mode (other
#   statistics) and uneven micro-batches (weight by `n_i / N`). Forget the `/ k` and SGD steps
#   `k` times too far; Adam hardly notices.
# * `optimizer.zero_grad()` clears the optimizer's parameters; `model.zero_grad()` the model's.
#
# Next: [07 · `eval()` is not `no_grad()`](07_eval_is_not_no_grad.ipynb).
