# %% [markdown]
# # 10 · In-place operations and updates by hand
#
# **The question.** Sometimes you change a parameter yourself: you initialise it, take a gradient
# step, keep a moving average of it. When does PyTorch refuse an in-place change, why, and what
# is the right way to write such an update?
#
# **Predict before you run.**
# 1. `w = torch.randn(3, requires_grad=True)`, then `w.add_(1)`. Does it work, raise an error,
#    or silently spoil the graph?
# 2. `b = a.sigmoid()`, then `b.mul_(2)`, then `b.sum().backward()`. Same question.
# 3. A gradient step written by hand, `p -= lr * p.grad` under `torch.no_grad()`, and
#    `torch.optim.SGD`: the same numbers, to the last bit?

# %%
# errors below show short: the message, without the lines inside torch that raised it
# %xmode Minimal
import copy
import inspect
import warnings

import torch
import torch.nn as nn

import autogradviz as agv

torch.manual_seed(0)
print("torch", torch.__version__)


def error_of(fn):
    """Run fn(); return the message of the RuntimeError it raises, or None (used in checkpoints)."""
    try:
        fn()
    except RuntimeError as e:
        return str(e)
    return None


# %% [markdown]
# ## An in-place change of a leaf that requires grad: refused
#
# An **in-place** operation writes into the tensor's own memory instead of making a new tensor:
# methods ending in `_` (`add_`, `mul_`, `fill_`, `zero_`), `+=` and `-=`, and index assignment
# `w[0] = ...`. Try one on a leaf that requires grad:

# %%
w = torch.randn(3, requires_grad=True)
print("leaf:", w.is_leaf, " requires_grad:", w.requires_grad, " version:", w._version)

# %% tags=["raises-exception"]
w.add_(1)

# %% tags=["raises-exception"]
w[0] = 0.0

# %% [markdown]
# Why refuse? A leaf is where `backward()` delivers gradients; it has no history by definition.
# With autograd on, every differentiable operation on `w` is recorded as a new step of history. Recording an
# in-place change *of `w` itself* would give the leaf a history, so it would no longer be the
# leaf its `.grad` belongs to. PyTorch stops you instead. `w[0] = 0.0` writes through a *view*
# of `w` (`w[0]`), hence the second message. Nothing was changed:

# %%
assert error_of(lambda: w.add_(1)) == (
    "a leaf Variable that requires grad is being used in an in-place operation.")


def set_first():
    w[0] = 0.0


assert error_of(set_first) == (
    "a view of a leaf Variable that requires grad is being used in an in-place operation.")
assert w._version == 0  # the refused operations wrote nothing
print("checkpoint passed")

# %% [markdown]
# ## Under `torch.no_grad()` it works
#
# Under `no_grad` nothing is recorded, so there is no history to worry about: the change is just
# a change of values. `w` stays a leaf that requires grad, with no `grad_fn`. Each in-place
# operation bumps the tensor's **version counter**, `w._version`; we will see below what autograd
# uses it for.

# %%
before = w.detach().clone()
with torch.no_grad():
    w.add_(1)
    w[0] = 0.0
print("values:", [round(v, 4) for v in w.tolist()], " was:", [round(v, 4) for v in before.tolist()])
print("leaf:", w.is_leaf, " requires_grad:", w.requires_grad, " grad_fn:", w.grad_fn,
      " version:", w._version)

# %%
assert torch.equal(w.detach(), torch.cat([torch.zeros(1), before[1:] + 1]))
assert w.is_leaf and w.requires_grad and w.grad_fn is None
assert w._version == 2  # two in-place operations, two bumps
print("checkpoint passed")

# %% [markdown]
# ## Initialisation
#
# Seed article 001: "directly modifying model weights (such as `model.weight.fill_(1.0)`) needs
# `no_grad`". **True**: a layer's weight is a leaf that requires grad.

# %%
lin = nn.Linear(3, 2)

# %% tags=["raises-exception"]
lin.weight.fill_(1.0)

# %%
with torch.no_grad():
    lin.weight.fill_(1.0)
nn.init.zeros_(lin.bias)  # no `with` needed: the nn.init functions use no_grad inside
print(lin.weight)
print(lin.bias)
print(inspect.getsource(nn.init._no_grad_fill_))

# %% [markdown]
# The last print is how `nn.init` fills a tensor: under `torch.no_grad()` itself. That is why
# `nn.init.zeros_`, `normal_`, `kaiming_uniform_` and friends work on parameters without
# a `with` block of your own, and why the article's `init_weights` function, which calls the
# tensor methods `m.weight.normal_(...)` and `m.bias.fill_(0)` directly, needs its `with`.

# %%
assert "leaf Variable" in error_of(lambda: lin.weight.fill_(2.0))
assert torch.equal(lin.weight, torch.ones(2, 3)) and torch.equal(lin.bias, torch.zeros(2))
assert lin.weight.is_leaf and lin.weight.requires_grad and lin.bias.is_leaf
print("checkpoint passed")

# %% [markdown]
# ## A gradient step by hand
#
# Plain gradient descent is `p ← p − lr · p.grad` for every parameter. Written by hand it is an
# in-place change of leaves, so it goes under `no_grad`. We train two copies of the same small
# model on the same data for three steps: one by hand, one with `torch.optim.SGD`.

# %%
X, Y = torch.randn(16, 4), torch.randn(16, 1)
lr = 0.1


def sgd_by_hand(model):
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad


def train(model, step, steps=3):
    for _ in range(steps):
        loss = ((model(X) - Y) ** 2).mean()
        loss.backward()
        step()
        model.zero_grad()
    return loss.item()


by_hand = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
with_sgd = copy.deepcopy(by_hand)
opt = torch.optim.SGD(with_sgd.parameters(), lr=lr)
print(f"by hand: last loss {train(by_hand, lambda: sgd_by_hand(by_hand)):.6f}")
print(f"SGD:     last loss {train(with_sgd, opt.step):.6f}")
diffs = [(p - q).abs().max().item() for p, q in zip(by_hand.parameters(), with_sgd.parameters())]
print(f"largest difference between the parameters: {max(diffs):.1e}")

# %% [markdown]
# The same training, but not quite the same bits: `lr * p.grad` is rounded to a float, then
# subtracted and rounded again. `torch.optim.SGD` computes `p.add_(p.grad, alpha=-lr)`, a single
# operation that rounds once. Written that way, the step by hand matches SGD **exactly**:

# %%
def sgd_by_hand_exact(model):
    with torch.no_grad():
        for p in model.parameters():
            p.add_(p.grad, alpha=-lr)  # what torch.optim.SGD does (no momentum, no weight decay)


torch.manual_seed(1)  # a fresh model, trained both ways again
by_hand = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
with_sgd = copy.deepcopy(by_hand)
opt = torch.optim.SGD(with_sgd.parameters(), lr=lr)
train(by_hand, lambda: sgd_by_hand_exact(by_hand))
train(with_sgd, opt.step)
print("identical:", all(torch.equal(p, q) for p, q in zip(by_hand.parameters(), with_sgd.parameters())))

# %%
assert max(diffs) < 1e-7  # p -= lr * p.grad: equal up to float rounding
assert all(torch.equal(p, q) for p, q in zip(by_hand.parameters(), with_sgd.parameters()))
assert all(p.is_leaf and p.grad_fn is None for p in with_sgd.parameters())  # still leaves
print("checkpoint passed")

# %% [markdown]
# `optimizer.step()` does the same thing: its update runs with grad mode off (torch's optimizers
# wrap `step` in `torch.set_grad_enabled(False)`), which is why the parameters are still leaves
# afterwards.

# %% [markdown]
# ## Why the step must be under `no_grad`
#
# Leave out the `with torch.no_grad():` and the in-place step is refused, as on `w` above:

# %%
p = by_hand[0].weight
loss = ((by_hand(X) - Y) ** 2).mean()
loss.backward()

# %% tags=["raises-exception"]
p -= lr * p.grad

# %% [markdown]
# ## The pitfall: an out-of-place update
#
# "Then I'll write `p = p - lr * p.grad`": no error. But `p - lr * p.grad` makes a **new** tensor,
# recorded by autograd (`p` requires grad), and `p = ...` only rebinds the name `p` to it. The
# model's parameter is left untouched. Training silently does nothing:

# %%
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
start = copy.deepcopy(model.state_dict())
losses = []
for step in range(3):
    loss = ((model(X) - Y) ** 2).mean()
    loss.backward()
    for p in model.parameters():
        p = p - lr * p.grad  # a new tensor, bound to the local name p
    model.zero_grad()
    losses.append(round(loss.item(), 4))
print("losses:", losses)
print("the last p:", "leaf:", p.is_leaf, " grad_fn:", type(p.grad_fn).__name__)
print("model unchanged:", all(torch.equal(v, start[k]) for k, v in model.state_dict().items()))

# %%
assert losses[0] == losses[1] == losses[2]                   # no learning at all
assert all(torch.equal(v, start[k]) for k, v in model.state_dict().items())
assert not p.is_leaf and type(p.grad_fn).__name__ == "SubBackward0"
print("checkpoint passed")

# %% [markdown]
# With a bare tensor instead of a module, `w = w - lr * w.grad` does replace `w`, but by a
# **non-leaf**, made from the old leaf by a recorded subtraction. The next `backward()` walks
# through that subtraction and delivers the gradient to the *old* leaf; the new `w`, not a leaf,
# gets no `.grad` at all, so the step after that computes `lr * None` and fails with a
# `TypeError`. The explorer shows the first step; the checkpoint after it, the second.

# %% [markdown]
# ## Explore: three ways to write the update
#
# `w` plays a parameter: a leaf that requires grad. `one_step` resets it to zeros, computes a
# loss, runs `backward()`, updates it in one of three ways, and returns the loss **after** the
# step. `p` is the name the update writes to, as in a loop `for p in model.parameters()`. The
# graph drawn is the one the *next* `backward()` would walk. The step is smaller here,
# `lr = 0.01`: on this data the loss is a bowl with curvature up to 60 (the largest eigenvalue
# of `2/3 · Xsᵀ Xs`), and gradient descent diverges unless `lr < 2/60 ≈ 0.033`. With `lr = 0.1`
# even the right update would raise the loss, from 4.67 to 118.8.

# %%
Xs = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
ys = torch.tensor([1.0, 2.0, 3.0])
w = torch.zeros(2, requires_grad=True)
lr = 0.01  # a step this loss can take (see above)
UPDATES = ["under no_grad: p -= lr * p.grad", "no no_grad: p -= lr * p.grad",
           "out of place: p = p - lr * p.grad"]


def one_step(update="under no_grad: p -= lr * p.grad", verbose=True):
    with torch.no_grad():
        w.zero_()  # the same start every time
    w.grad = None
    ((Xs @ w - ys) ** 2).mean().backward()
    p = w
    if update == UPDATES[0]:
        with torch.no_grad():
            p -= lr * p.grad
    elif update == UPDATES[1]:
        p -= lr * p.grad  # refused: p is w, a leaf that requires grad
    else:
        p = p - lr * p.grad  # a new tensor; w is not touched
    w.grad = None  # as zero_grad() would
    if verbose:
        print("p:", [round(v, 4) for v in p.tolist()], " leaf:", p.is_leaf,
              " grad_fn:", type(p.grad_fn).__name__ if p.grad_fn else None)
        print("w:", [round(v, 4) for v in w.tolist()], " leaf:", w.is_leaf)
    return ((Xs @ p - ys) ** 2).mean()


# %% [markdown]
# **Predict, then check.** Answer first, then click each update in the explorer below and look
# at the grads table.

# %%
gets_grad = {update.split(":")[0] for update in UPDATES  # run each, then the next backward()
             if error_of(lambda: one_step(update, verbose=False).backward()) is None
             and w.grad is not None}

# %%
# The exercise. This cell is hidden: it checks your answer, so run it, don't read it.
assert gets_grad == {"under no_grad", "out of place"}  # checked on every test run (hidden with the quiz)
agv.quiz("After which of the three updates does the next loss's backward() give w a gradient?",
         options=[update.split(":")[0] for update in UPDATES], answer=gets_grad,
         explain="Under no_grad, w itself is updated and the next loss is computed from it. Out of "
                 "place, the next loss is computed from p, whose SubBackward0 leads back to w: w gets a "
                 "gradient although its values never changed. Without no_grad the step is refused, so "
                 "there is no next loss.")

# %%
agv.explore(one_step, params={"w": w}, update=UPDATES)

# %% [markdown]
# * **under no_grad**: `p` *is* `w`, updated in place, still a leaf. The next loss leads straight
#   back to it (`AccumulateGrad`), and `w` gets its gradient.
# * **no no_grad**: the leaf error, shown inside the explorer.
# * **out of place**: `p` is a new non-leaf made by `SubBackward0`; `w` still holds zeros. The
#   next `backward()` walks through the extra `SubBackward0` into `w`: the gradient lands on a
#   parameter that was never updated. In a loop over `model.parameters()` the model never changes
#   (the pitfall above); with a bare tensor the step after fails (checked below).

# %%
next_in_place = one_step(UPDATES[0], verbose=False)
next_out_of_place = one_step(UPDATES[2], verbose=False)
subs = [sum(n.label == "SubBackward0" for n in agv.draw(loss).nodes) for loss in (next_in_place, next_out_of_place)]
print("SubBackward0 nodes in the graph of the next loss, in place and out of place:", subs)
agv.draw({"next loss, in place": next_in_place, "next loss, out of place": next_out_of_place},
         params={"w": w})  # out of place: one more SubBackward0 between w and the loss

# %%
assert subs == [1, 2]  # the loss's own subtraction; plus the recorded update when out of place
curvature = torch.linalg.eigvalsh(2 / 3 * Xs.T @ Xs).max()
assert lr < 2 / curvature < 0.1                                   # 0.01 is stable; 0.1 would not be
lr = 0.1
assert round(one_step(UPDATES[0], verbose=False).item(), 1) == 118.8  # from 4.67: the loss rose
lr = 0.01
assert one_step(UPDATES[0], verbose=False) < ((Xs @ torch.zeros(2) - ys) ** 2).mean()  # the loss fell
one_step(UPDATES[0], verbose=False)
assert w.is_leaf and not torch.equal(w.detach(), torch.zeros(2))  # w itself moved
assert "leaf Variable" in error_of(lambda: one_step(UPDATES[1], verbose=False))
next_loss = one_step(UPDATES[2], verbose=False)
assert torch.equal(w.detach(), torch.zeros(2))                    # w never moved...
next_loss.backward()
assert w.grad is not None                                         # ...yet gets the gradient

v = torch.zeros(2, requires_grad=True)                            # a bare tensor:
((Xs @ v - ys) ** 2).mean().backward()
v = v - lr * v.grad                                               # step 1 runs, v is a non-leaf
((Xs @ v - ys) ** 2).mean().backward()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    assert v.grad is None                                         # so step 2 computes lr * None
assert "not a leaf Tensor" in str(caught[0].message)              # (PyTorch warns as you read it)
print("checkpoint passed")

# %% [markdown]
# ## A moving average of the weights (EMA)
#
# Seed article 003 keeps an exponential moving average of a model's weights, a common trick for
# a smoother model to evaluate:
# ```python
# with torch.no_grad():
#     for p, p_ema in zip(model.parameters(), ema_model.parameters()):
#         p_ema.mul_(0.999).add_(p, alpha=0.001)
# ```
# That is `p_ema ← 0.999 · p_ema + 0.001 · p`, in place. We check it against the formula.
# (`add_(p, alpha=0.001)` multiplies and adds in one operation, rounding once, while the formula
# rounds three times: we allow for rounding, 1e-6.)

# %%
torch.manual_seed(0)
model = nn.Linear(3, 2)
ema_model = copy.deepcopy(model)
with torch.no_grad():  # pretend training moved the model away from its average
    for p in model.parameters():
        p.add_(torch.randn_like(p))
old = [p_ema.detach().clone() for p_ema in ema_model.parameters()]

with torch.no_grad():
    for p, p_ema in zip(model.parameters(), ema_model.parameters()):
        p_ema.mul_(0.999).add_(p, alpha=0.001)

for (name, p_ema), o, p in zip(ema_model.named_parameters(), old, model.parameters()):
    formula = 0.999 * o + 0.001 * p
    print(f"{name}: matches the formula: {torch.allclose(p_ema, formula, rtol=0, atol=1e-6)}; "
          f"moved by {(p_ema - o).abs().max().item():.4f} towards the model")

# %%
for p_ema, o, p in zip(ema_model.parameters(), old, model.parameters()):
    assert torch.allclose(p_ema, 0.999 * o + 0.001 * p, rtol=0, atol=1e-6)
    assert not torch.equal(p_ema, o)  # it did move
    assert p_ema.is_leaf and p_ema.grad_fn is None
print("checkpoint passed")

# %% [markdown]
# Is the `no_grad` needed here? Yes, twice over:
# * `ema_model` is a deep copy, so its parameters require grad: `p_ema.mul_(...)` is refused, as
#   on any such leaf;
# * freeze the copy (`ema_model.requires_grad_(False)`) and the in-place update *is* allowed, but
#   `add_(p, ...)` reads the trainable `p`, so autograd records it: the EMA parameter turns into a
#   non-leaf whose `grad_fn` leads to the model's weight. No error, but a `backward()` through the
#   EMA model now sends gradients into the model being trained.

# %%
frozen_ema = copy.deepcopy(model).requires_grad_(False)
q, p = frozen_ema.weight, model.weight
q.mul_(0.999).add_(p, alpha=0.001)  # no no_grad
print(type(q).__name__, " requires_grad:", q.requires_grad, " leaf:", q.is_leaf,
      " grad_fn:", type(q.grad_fn).__name__)

# %%
assert "leaf Variable" in error_of(lambda: next(ema_model.parameters()).mul_(0.999))
assert q.requires_grad and not q.is_leaf and type(q.grad_fn).__name__ == "AddBackward0"
assert model.weight.grad is None
frozen_ema(torch.ones(1, 3)).sum().backward()                  # a loss of the EMA model...
assert model.weight.grad is not None                           # ...reaches the trained model
print("checkpoint passed")

# %% [markdown]
# One more gap in the seed's loop: it averages `parameters()` only. A model with BatchNorm also
# carries **buffers**, its running statistics, and the EMA copy keeps its old ones. PyTorch's
# `AveragedModel` with `use_buffers=True` averages them too (it updates through `.detach()`ed
# tensors: no grad mode needed).

# %%
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

torch.manual_seed(0)
bn_model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
by_hand_ema = copy.deepcopy(bn_model)                  # the seed's loop, parameters only
ema = AveragedModel(bn_model, multi_avg_fn=get_ema_multi_avg_fn(0.999), use_buffers=True)
for _ in range(3):
    bn_model(torch.randn(8, 3) + 2)                    # train mode: the running mean moves
    with torch.no_grad():
        for p, p_ema in zip(bn_model.parameters(), by_hand_ema.parameters()):
            p_ema.mul_(0.999).add_(p, alpha=0.001)
    ema.update_parameters(bn_model)
for name, m in [("model", bn_model), ("seed's EMA", by_hand_ema), ("AveragedModel", ema.module)]:
    print(f"{name:14} running_mean: {[round(v, 3) for v in m[1].running_mean.tolist()]}")

# %%
assert torch.count_nonzero(by_hand_ema[1].running_mean) == 0   # left at its initial zeros
assert torch.count_nonzero(ema.module[1].running_mean) == 4    # averaged along
assert all(p.is_leaf for p in ema.parameters())
print("checkpoint passed")

# %% [markdown]
# ## In-place on a tensor the graph saved: the version counter
#
# Now the other error. `b` is not a leaf, so changing it in place is allowed...

# %%
a = torch.randn(3, requires_grad=True)
b = a.sigmoid()
print("b's version when sigmoid saved it:", b._version)
b.mul_(2)
print("b's version now:", b._version)

# %% tags=["raises-exception"]
b.sum().backward()

# %% [markdown]
# ...but the derivative of the sigmoid is `b · (1 − b)`, so `SigmoidBackward0` **saved its output
# `b`**, at version 0. `mul_` changed `b` and bumped its version to 1. At `backward()`, autograd
# compares the versions, sees that the saved value is stale and stops, rather than return a
# wrong gradient. This is what the version counter is for.

# %%
b = a.sigmoid()  # the same steps again: a failed backward leaves its graph half used
b.mul_(2)
message = error_of(lambda: b.sum().backward())
assert message.startswith(
    "one of the variables needed for gradient computation has been modified by an inplace "
    "operation: [torch.FloatTensor [3]], which is output 0 of Sigmoid, is at version 1; "
    "expected version 0 instead.")
print("checkpoint passed")

# %% [markdown]
# ### Which tensors does an operation save?
#
# It depends on what its derivative needs. `exp` saves its **output** (`d exp(y)/dy = exp(y)`),
# `y ** 2` saves its **input** (`d y²/dy = 2y`). `show_saved=True` draws the saved tensors in
# orange. `y = x.clone()` is a non-leaf copy of `x`, so we may change it in place.

# %%
x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
y = x.clone()
e = y.exp()
s = y ** 2
agv.draw({"e": e, "s": s}, params={"x": x}, show_saved=True)

# %% [markdown]
# So changing `y` in place spoils `s`'s backward, but not `e`'s:

# %%
y.add_(1)
e.sum().backward()
print("x.grad:", [round(v, 4) for v in x.grad.tolist()], " exp(x):",
      [round(v, 4) for v in x.detach().exp().tolist()])

# %% tags=["raises-exception"]
s.sum().backward()

# %% [markdown]
# The message calls the stale tensor "output 0 of Add": that is `y`, named after the last
# operation that wrote it, our `add_(1)`. `PowBackward0` saved it at version 0.

# %%
assert torch.allclose(x.grad, x.detach().exp())  # exp's backward used its saved output: correct
assert type(y.grad_fn).__name__ == "AddBackward0"  # y's last writer: add_
assert ("modified by an inplace operation: [torch.FloatTensor [3]], which is output 0 of Add, "
        "is at version 1; expected version 0 instead.") in error_of(lambda: s.sum().backward())
print("checkpoint passed")

# %% [markdown]
# ### The fixes
#
# * Write the operation **out of place**: `b = b * 2` makes a new tensor and leaves the saved
#   `b` alone.
# * Or change a **copy**: `c = b.clone(); c.mul_(2)`.
#
# Both give the right gradient, `2 · b · (1 − b)`:

# %%
sig = a.detach().sigmoid()
expected = 2 * sig * (1 - sig)

a.grad = None
b = a.sigmoid()
b = b * 2  # out of place
b.sum().backward()
grad_out_of_place = a.grad

a.grad = None
b = a.sigmoid()
c = b.clone()
c.mul_(2)  # in place, on a copy
c.sum().backward()
grad_clone = a.grad
print([round(v, 4) for v in grad_out_of_place.tolist()], [round(v, 4) for v in grad_clone.tolist()])

# %%
assert torch.allclose(grad_out_of_place, expected) and torch.allclose(grad_clone, expected)
print("checkpoint passed")

# %% [markdown]
# ## Seed 001: "in-place operations under `no_grad` on leaves need care ... zero the grads after"
#
# The article: *when you modify leaf tensors that require grad (model parameters) under
# `torch.no_grad()`, use in-place operations such as `tensor.add_()` with care, or you may break
# the gradient chain. Recommended: after updating parameters under no_grad, zero the gradients
# manually.* **Half right.**
#
# * **"May break the gradient chain": no.** Under `no_grad` nothing is recorded, so nothing is
#   broken: the parameter stays a leaf, and the next forward pass builds a fresh graph from it.
#   That is exactly what `optimizer.step()` does. The care really needed is about **timing**: a
#   graph that is still waiting for its `backward()` may have saved that parameter. Update it in
#   between and the version counter stops you:

# %%
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
loss = ((model(X) - Y) ** 2).mean()  # the second Linear saved its weight, for the backward
with torch.no_grad():
    model[2].weight.add_(0.1)  # updated before that backward

# %% tags=["raises-exception"]
loss.backward()

# %% [markdown]
# The tensor in the message, `[8, 1]`, is `weight.t()` of the second Linear (its weight is
# `[1, 8]`): the view that `Linear` saved, which the message calls "output 0 of AsStrided".
# Saved at version 1 (its initialisation was one in-place change), it is now at version 2.
#
# * **"Zero the gradients after": needed, but not because of `no_grad`.** The update does not
#   touch `.grad` at all. You zero because the next `backward()` *adds* to `.grad`
#   ([06 · zero_grad](06_zero_grad.ipynb)). Right after the step or right before the next
#   `backward()`: the same thing.

# %%
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))  # the same steps again
loss = ((model(X) - Y) ** 2).mean()
with torch.no_grad():
    model[2].weight.add_(0.1)
message = error_of(lambda: loss.backward())
assert "[torch.FloatTensor [8, 1]], which is output 0 of AsStrided, is at version 2; " \
       "expected version 1 instead." in message

model.zero_grad()
((model(X) - Y) ** 2).mean().backward()
g1 = model[0].weight.grad.clone()
sgd_by_hand(model)                                  # the step leaves .grad as it was...
assert torch.equal(model[0].weight.grad, g1)
((model(X) - Y) ** 2).mean().backward()             # ...and the next backward adds to it
g2 = model[0].weight.grad - g1
model.zero_grad()
((model(X) - Y) ** 2).mean().backward()
assert torch.allclose(model[0].weight.grad, g2, atol=1e-7)  # alone, the second gradient is g2
print("checkpoint passed")

# %% [markdown]
# ## Exercise
#
# `y = x.clone()`, then `z = f(y)`, then `y.mul_(2)`, then `z.sum().backward()`. For which of these
# `f` does the backward fail? Think about what each derivative needs: the input, the output, or
# nothing. The cell below runs all five (so the answer is PyTorch's, not ours) before it asks.

# %%
FUNCTIONS = {"exp(y)": torch.exp, "sin(y)": torch.sin, "tanh(y)": torch.tanh,
             "y ** 2": lambda t: t ** 2, "y * 3": lambda t: t * 3}


def fails(f):
    x = torch.randn(3, requires_grad=True)
    y = x.clone()
    z = f(y)
    y.mul_(2)
    return error_of(lambda: z.sum().backward()) is not None


right = {name for name, f in FUNCTIONS.items() if fails(f)}

# %%
# The exercise. This cell is hidden: it checks your answer, so run it, don't read it.
assert right == {"sin(y)", "y ** 2"}  # checked on every test run (hidden with the quiz)
agv.quiz("y = x.clone(); z = f(y); y.mul_(2); z.sum().backward(). For which f does backward() fail?",
         options=list(FUNCTIONS), answer=right,
         explain="sin (derivative cos y) and y ** 2 (derivative 2y) saved their input y, which mul_ "
                 "changed. exp and tanh saved only their output, which mul_ did not touch; y * 3 saved "
                 "nothing of y (its derivative is the constant 3).")

# %% [markdown]
# ## Takeaways
#
# * An in-place change of a leaf that requires grad is refused with autograd on: `w.add_(1)`,
#   `w[0] = 0.`, `lin.weight.fill_(1.0)`. Under `torch.no_grad()` it works, the leaf stays a leaf,
#   and `w._version` goes up.
# * Initialise with `nn.init.*` (they use `no_grad` inside) or tensor methods under `no_grad`.
# * A step by hand: `with torch.no_grad(): p -= lr * p.grad`. It matches `torch.optim.SGD`
#   up to one rounding; `p.add_(p.grad, alpha=-lr)` matches it exactly.
# * `p = p - lr * p.grad` does not update the model: it makes a new non-leaf tensor. No error,
#   no learning. (On a bare tensor `w = w - lr * w.grad` runs once, then `w.grad` is `None`.)
# * EMA updates go under `no_grad` too, even for a frozen copy, or it joins the training graph;
#   `AveragedModel(..., use_buffers=True)` also averages BatchNorm's buffers.
# * In-place on a tensor a graph saved fails at `backward()` (the version counter). `exp`,
#   `sigmoid`, `tanh` save their output; `sin`, `y ** 2` their input. Fix: out of place, or `clone()`.
# * Never update parameters between a forward pass and its `backward()`; zero the gradients
#   before the next `backward()` because they add up, not because of `no_grad`.
#
# Next: [11 · use cases](11_use_cases.ipynb): which tool for which everyday job.
