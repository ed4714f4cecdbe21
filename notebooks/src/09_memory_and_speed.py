# %% [markdown]
# # 09 · Memory and speed: what do you save by turning autograd off?
#
# **The question.** `torch.no_grad()` and `torch.inference_mode()` are said to save memory and
# to make the forward pass "20–30% faster". How much memory, exactly, and how much time?
#
# **Predict before you run.** Two MLPs of 8 `Linear` layers, each followed by a ReLU: a *tiny*
# one (64 features, batch 8) and a *wide* one (512 features, batch 128). Write down:
# 1. how many MiB autograd keeps for `backward()` after one forward pass of the wide MLP with
#    autograd on, and how many under `no_grad`;
# 2. whether `no_grad` speeds up the wide MLP's forward pass more, or less, than the tiny one's.

# %%
import statistics
import time
import tracemalloc
import weakref
from collections import Counter

import matplotlib.pyplot as plt
import torch
import torch.nn as nn
from torch.utils.checkpoint import checkpoint
from torch.utils.flop_counter import FlopCounterMode

import autogradviz as agv

torch.manual_seed(0)
torch.set_num_threads(1)  # one thread: steadier timings when other programs share the CPU
MiB = 2**20

# %% [markdown]
# ## Three models
#
# * `mlp(64)` on a batch of 8: tiny. Each layer does little arithmetic.
# * `mlp(512)` on a batch of 128: wide. Each layer is one matrix product (a GEMM) of 67 million
#   floating-point operations.
# * a small CNN: 4 convolutions with BatchNorm and ReLU, two max-pools, a linear head; a batch of
#   64 colour images of 32×32 pixels.

# %%
def mlp(width, depth=8, activation=nn.ReLU):
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), activation()]
    return nn.Sequential(*layers)


def conv_block(c_in, c_out):
    return [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU()]


def small_cnn():
    return nn.Sequential(*conv_block(3, 32), *conv_block(32, 32), nn.MaxPool2d(2),
                         *conv_block(32, 64), *conv_block(64, 64), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64 * 8 * 8, 10))


tiny, x_tiny = mlp(64), torch.randn(8, 64)
wide, x_wide = mlp(512), torch.randn(128, 512)
cnn, x_cnn = small_cnn(), torch.randn(64, 3, 32, 32)
for name, model in [("tiny", tiny), ("wide", wide), ("cnn", cnn)]:
    print(f"{name:5} {sum(p.numel() for p in model.parameters()):>10,} parameters")

# %% [markdown]
# ## What autograd keeps for `backward()`
#
# In [01](01_the_graph.ipynb) we saw that an operation **saves** the tensors its backward will
# need. For these models:
# * `Linear` saves its **input** (for its weight's gradient) and its **weight** (to pass the
#   gradient on to its input, when the input needs one);
# * `ReLU` saves its **output** (to know where it was positive).
#
# The graph keeps them alive until `backward()` frees them (or the graph is dropped).
# `agv.saved_memory` runs a forward pass with PyTorch's
# `torch.autograd.graph.saved_tensors_hooks` installed, which PyTorch calls for every tensor an
# operation saves, so the count is exact. It counts each piece of memory (each *storage*) once,
# and it tells apart the tensors the forward pass **created** (the activations: memory the graph
# adds) from those that **existed anyway** (your input, the weights).

# %%
out_wide, saved = agv.saved_memory(lambda: wide(x_wide))
print(saved)

# %% [markdown]
# 2 MiB. One activation of the wide MLP is 128 × 512 floats of 4 bytes = 0.25 MiB, and the graph
# keeps 8 of them: each ReLU's output (which the next `Linear` also saves, as its input: one
# tensor, saved twice, counted once). It saved 8 tensors that existed anyway: the input `x_wide`
# and the weights of `Linear` 2 to 8. (The first `Linear` keeps no weight: its input `x_wide`
# needs no gradient, so there is nothing to pass on.) Summing every save instead, as a naive
# count does, says 11 MiB.

# %%
one_activation = 128 * 512 * 4
assert one_activation == MiB // 4
assert saved.activations == 8 and saved.bytes == 8 * one_activation == 2 * MiB
assert saved.existing == 1 + 7 and saved.existing_bytes == one_activation + 7 * (512 * 512 * 4)
assert saved.tensors == 16 + 7                       # 16 saves of activations or x_wide, 7 of weights
assert saved.naive_bytes == 16 * one_activation + 7 * MiB == 11 * MiB
print("checkpoint passed")

# %% [markdown]
# ## Every mode, two models
#
# Now the same measurement in five settings. The switches are the lesson, so they are written
# out here:
# * `grad`: autograd on, every parameter trainable;
# * `first half frozen`: `requires_grad_(False)` on the first half of the layers (as when
#   fine-tuning a pretrained model);
# * `all frozen`: `requires_grad_(False)` on every parameter;
# * `no_grad` and `inference_mode`: the context managers.

# %%
MODES = ["grad", "first half frozen", "all frozen", "no_grad", "inference_mode"]


def saved_bytes(model, x, mode, first_half):
    if mode == "first half frozen":
        first_half.requires_grad_(False)
    if mode == "all frozen":
        model.requires_grad_(False)
    if mode == "no_grad":
        with torch.no_grad():
            _, saved = agv.saved_memory(lambda: model(x))
    elif mode == "inference_mode":
        with torch.inference_mode():
            _, saved = agv.saved_memory(lambda: model(x))
    else:
        _, saved = agv.saved_memory(lambda: model(x))
    model.requires_grad_(True)  # trainable again for the next measurement
    return saved.bytes


memory = {name: {mode: saved_bytes(model, x, mode, first_half) for mode in MODES}
          for name, model, x, first_half in [
              ("wide MLP, batch 128", wide, x_wide, wide[:8]),  # 4 x (Linear, ReLU)
              ("CNN, batch 64", cnn, x_cnn, cnn[:7]),           # 2 conv blocks and a max-pool
          ]}

# %% [markdown]
# **Predict, then check.** The measurements have run but are not printed yet. Answer first, then
# compare with the table and the chart below.

# %%
# The exercise. This cell is hidden: it checks your answer, so run it, don't read it.
zero_saves = {mode for mode in MODES if all(row[mode] == 0 for row in memory.values())}
assert zero_saves == {"all frozen", "no_grad", "inference_mode"}  # the quiz's answer, checked
agv.quiz("In which settings does autograd save nothing at all (0 MiB), for both models?",
         options=MODES, answer=zero_saves,
         explain="Autograd saves only for the operations it records, and it records an operation only "
                 "if one of its inputs requires grad (a trainable parameter, or a result with history). "
                 "All frozen, with an input that does not require grad: nothing qualifies, as under "
                 "no_grad. First half frozen: the back half still records and saves.")

# %%
print(f"{'':22}" + "".join(f"{mode:>19}" for mode in MODES))
for name, row in memory.items():
    print(f"{name:22}" + "".join(f"{row[mode] / MiB:15.2f} MiB" for mode in MODES))

# %%
fig, ax = plt.subplots(figsize=(6.5, 3))
width = 0.38
for i, (name, row) in enumerate(memory.items()):
    xs = [j + (i - 0.5) * width for j in range(len(MODES))]
    bars = ax.bar(xs, [row[m] / MiB for m in MODES], width, label=name)
    ax.bar_label(bars, fmt="%.2f", fontsize=8)
ax.set_xticks(range(len(MODES)), [m.replace(" ", "\n", 1) for m in MODES], fontsize=8)
ax.set_ylabel("kept for backward (MiB)")
ax.set_ylim(0, 66)
ax.set_title("What autograd keeps alive after one forward pass")
ax.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# * Under `no_grad` and `inference_mode` autograd records nothing, so it keeps nothing: **0 MiB**
#   for both models.
# * **All frozen** keeps nothing either: no parameter needs a gradient and the input does not
#   require grad, so no result has history and there is nothing to record.
# * **First half frozen**: the frozen front layers record nothing, their output has no history,
#   and saving starts where the trainable layers begin. The wide MLP keeps 1.25 MiB (the input
#   of layer 5 and 4 ReLU outputs), the CNN 21 MiB.
# * The CNN keeps 57 MiB (and 1.5 KiB of BatchNorm's per-channel batch statistics) for a batch
#   of 64 small images: convolution outputs are big (64 × 32 channels × 32 × 32 floats = 8 MiB
#   each), and each max-pool saves where its maxima were as `int64` indices, twice the size of
#   its `float32` output.

# %%
wide_row, cnn_row = memory.values()
assert wide_row == {"grad": 2 * MiB, "first half frozen": 5 * one_activation, "all frozen": 0,
                    "no_grad": 0, "inference_mode": 0}
batch_stats = 2 * 4 * (32 + 32 + 64 + 64)   # each BatchNorm's batch mean and 1/std, per channel
assert cnn_row["grad"] == 57 * MiB + batch_stats                          # to the byte
assert cnn_row["first half frozen"] == 21 * MiB + 2 * 4 * (64 + 64)       # the back half's 2 BatchNorms
assert cnn_row["all frozen"] == cnn_row["no_grad"] == cnn_row["inference_mode"] == 0

pool_saves = []  # what a max-pool saves: its input, and the positions of the maxima
with torch.autograd.graph.saved_tensors_hooks(lambda t: pool_saves.append(t) or t, lambda t: t):
    pooled = nn.MaxPool2d(2)(torch.arange(16.0).reshape(1, 1, 4, 4).requires_grad_())
indices = pool_saves[-1]
assert indices.dtype == torch.int64 and indices.shape == pooled.shape
assert indices.element_size() == 2 * pooled.element_size()      # 8 bytes against 4
print("checkpoint passed")

# %% [markdown]
# **Seeds 000, 001 and 003 say `no_grad` saves memory: true.** Every activation kept for
# backward disappears, and it grows with the batch size and the depth. That is why evaluation
# loops run under `no_grad` (or `inference_mode`) and can use larger batches than training.

# %% [markdown]
# ## Kept, and at its peak
#
# What the graph *keeps* is one number; how much memory the forward pass needs *at its peak* is
# another. Follow every layer's output with a forward hook: a weak reference to it (which does
# not keep it alive), and its size. Then add up, after each layer, the outputs still alive.

# %%
def outputs_alive(model, x):
    """Run model(x); return its output, the most bytes of layer outputs alive at once, and the
    bytes still alive when the forward pass is over."""
    followed, peak = [], 0

    def follow(layer, inputs, output):
        nonlocal peak
        followed.append((weakref.ref(output), output.untyped_storage().nbytes()))
        peak = max(peak, sum(size for ref, size in followed if ref() is not None))

    hooks = [layer.register_forward_hook(follow) for layer in model]
    out = model(x)
    for hook in hooks:
        hook.remove()
    return out, peak, sum(size for ref, size in followed if ref() is not None)


out, peak_grad, kept_grad = outputs_alive(wide, x_wide)
with torch.no_grad():
    out, peak_no_grad, kept_no_grad = outputs_alive(wide, x_wide)
print(f"autograd on: peak {peak_grad / MiB:.2f} MiB, kept {kept_grad / MiB:.2f} MiB")
print(f"no_grad:     peak {peak_no_grad / MiB:.2f} MiB, kept {kept_no_grad / MiB:.2f} MiB")

# %% [markdown]
# With autograd on, the ReLU outputs pile up: each stays alive because the graph keeps it, so the
# peak is all 8 of them plus the `Linear` output in flight (9 activations). Under `no_grad`, each
# output is freed as soon as the next layer has used it: never more than 2 alive at once, and
# only the final output (which we hold) at the end.
#
# Training needs more than the activations. The **parameters**, one **gradient** per parameter,
# and the **optimizer's state** (Adam keeps two running averages per parameter) are there at
# every step, whatever the batch size; the activations grow with it.

# %%
assert peak_grad == 9 * one_activation and kept_grad == 8 * one_activation
assert peak_no_grad == 2 * one_activation and kept_no_grad == one_activation
del out


def nbytes(tensors):
    return sum(t.numel() * t.element_size() for t in tensors)


optimizer = torch.optim.Adam(wide.parameters())
wide(x_wide).sum().backward()
optimizer.step()
training = {
    "parameters": nbytes(wide.parameters()),
    "gradients": nbytes(p.grad for p in wide.parameters()),
    "Adam's state": nbytes(v for s in optimizer.state.values() for k, v in s.items() if k != "step"),
    "activations (batch 128)": saved.bytes,
}
for what, size in training.items():
    print(f"{what:24}{size / MiB:6.2f} MiB")
assert training["gradients"] == training["parameters"]
assert training["Adam's state"] == 2 * training["parameters"]
optimizer.zero_grad()

# %% [markdown]
# ## Trading time for memory: activation checkpointing
#
# `torch.utils.checkpoint.checkpoint(block, x)` runs `block` without keeping its activations, and
# runs its forward pass **again** during `backward()` to get them back. Checkpoint the first half
# of the wide MLP: the graph keeps only the second half's activations and input, the gradients
# are exactly the same, and the backward pass does the first half's arithmetic once more, which
# `torch.utils.flop_counter.FlopCounterMode` counts.

# %%
def backward_flops_and_grads(forward):
    out = forward()
    with FlopCounterMode(display=False) as flops:
        out.sum().backward()
    grads = [p.grad.clone() for p in wide.parameters()]
    wide.zero_grad()
    return flops.get_total_flops(), grads


first_half, second_half = wide[:8], wide[8:]
_, saved_checkpointed = agv.saved_memory(lambda: second_half(checkpoint(first_half, x_wide, use_reentrant=False)))
plain_flops, plain_grads = backward_flops_and_grads(lambda: wide(x_wide))
checkpointed_flops, checkpointed_grads = backward_flops_and_grads(
    lambda: second_half(checkpoint(first_half, x_wide, use_reentrant=False)))
with FlopCounterMode(display=False) as first_half_forward:
    first_half(x_wide)
print(f"kept for backward: {saved.mib:.2f} MiB plain, {saved_checkpointed.mib:.2f} MiB checkpointed")
print(f"backward: {plain_flops / 1e6:,.0f} MFLOP plain, {checkpointed_flops / 1e6:,.0f} MFLOP checkpointed")

# %%
assert saved_checkpointed.bytes == 5 * one_activation  # its input and 4 ReLU outputs: 1.25 MiB, not 2
assert all(torch.equal(a, b) for a, b in zip(plain_grads, checkpointed_grads))
assert checkpointed_flops - plain_flops == first_half_forward.get_total_flops()
print("checkpoint passed")

# %% [markdown]
# On a GPU, `torch.autograd.graph.save_on_cpu()` is the other classic: a `with` block that moves
# every saved tensor to the CPU's memory and brings it back for backward. It is built on the same
# `saved_tensors_hooks` that `agv.saved_memory` uses to watch what autograd saves.

# %%
assert issubclass(torch.autograd.graph.save_on_cpu, torch.autograd.graph.saved_tensors_hooks)

# %% [markdown]
# ## Speed: time the forward pass in each mode
#
# A timing on a shared machine is noisy: another program can slow down any measurement. Three
# choices make the comparison fairer:
# * the two modes are timed in **pairs**, back to back, taking turns at going first, so a
#   slow-down that lasts longer than one pair slows both of its halves alike;
# * the `with` sits **outside** the loop of forward passes: we time the passes, not the `with`;
# * we report the **median** of the pairs' ratios, which a few disturbed pairs barely move, and
#   the middle half of the ratios: the wider it is, the busier the machine and the less one run
#   proves.
#
# (`torch.utils.benchmark.Timer` is the tool for timing one statement; here the pairing is the
# point, so the loop is written out.) A timing is shown, never asserted: the tests check the
# deterministic facts that explain it, below.

# %%
def time_forward(model, x, calls, grad):
    start = time.perf_counter()
    with torch.set_grad_enabled(grad):  # outside the loop
        for _ in range(calls):
            model(x)
    return (time.perf_counter() - start) / calls


def grad_over_no_grad(model, x, calls, pairs):
    """Per pair: the time of a forward pass with autograd on, divided by the time under no_grad."""
    ratios, times = [], []
    for i in range(pairs):
        order = [True, False] if i % 2 == 0 else [False, True]  # take turns at going first
        t = {grad: time_forward(model, x, calls, grad) for grad in order}
        ratios.append(t[True] / t[False])
        times.append(t[True])
    return statistics.median(ratios), statistics.quantiles(ratios, n=4), statistics.median(times)


# %% tags=["nbval-ignore-output"]
# timings differ from run to run and machine to machine, so nbval does not compare this output
timings = {
    "tiny MLP, batch 8": grad_over_no_grad(tiny, x_tiny, calls=20, pairs=41),
    "wide MLP, batch 128": grad_over_no_grad(wide, x_wide, calls=1, pairs=21),
    "CNN, batch 64": grad_over_no_grad(cnn, x_cnn, calls=1, pairs=9),
}
print(f"{'':22}{'autograd on':>12}{'grad / no_grad':>16}   middle half of the pairs")
for name, (ratio, (q1, _, q3), seconds) in timings.items():
    print(f"{name:22}{seconds * 1e3:10.3f}ms{ratio:16.2f}   {q1:.2f} to {q3:.2f}")

# %% [markdown]
# Your numbers will differ from ours and from run to run. Twelve runs on the busy 2-core machine
# this notebook was built on gave medians of 1.23 to 1.63 (tiny MLP), 0.92 to 1.40 (wide MLP)
# and 0.94 to 1.41 (CNN); once, the two MLPs tied. One run decides nothing: the explanation must
# come from facts that do not depend on the machine.

# %% [markdown]
# ## Why the speed-up depends on the model
#
# With autograd on, every operation does some **bookkeeping**: it creates a backward node, links
# it to its inputs' nodes, and saves tensors. That is a roughly **fixed cost per operation**,
# whatever the size of the tensors. Both MLPs run the same 16 layers and record the same graph;
# only the size of their matrix products differs: the wide one does 1,024 times the arithmetic.
# The arithmetic itself is the same in both modes: `FlopCounterMode` counts every matrix product.

# %%
def node_types(t):
    """The backward nodes of the graph behind t, counted by type (read off agv.draw's nodes)."""
    return Counter(node.label for node in agv.draw(t).nodes if node.kind == "op")


def forward_flops(model, x, grad):
    with torch.set_grad_enabled(grad), FlopCounterMode(display=False) as flops:
        model(x)
    return flops.get_total_flops()


for name, model, x in [("tiny", tiny, x_tiny), ("wide", wide, x_wide)]:
    print(f"{name:4} {forward_flops(model, x, grad=True) / 1e6:9.1f} MFLOP per forward pass; "
          f"backward nodes recorded: {dict(sorted(node_types(model(x)).items()))}")

# %%
same_graph = {"AddmmBackward0": 8, "ReluBackward0": 8, "TBackward0": 8, "AccumulateGrad": 16}
assert node_types(tiny(x_tiny)) == node_types(wide(x_wide)) == same_graph  # same bookkeeping...
assert forward_flops(wide, x_wide, True) == 1024 * forward_flops(tiny, x_tiny, True)  # ...not the same arithmetic
for model, x in [(tiny, x_tiny), (wide, x_wide), (cnn, x_cnn)]:
    assert forward_flops(model, x, grad=True) == forward_flops(model, x, grad=False)  # no_grad does the same arithmetic
    with torch.no_grad():
        assert model(x).grad_fn is None                                               # and records no node at all
print("checkpoint passed")

# %% [markdown]
# 40 nodes in both MLPs: 8 `AddmmBackward0` (the `Linear`s), 8 `ReluBackward0`, 8 `TBackward0`
# (the `weight.t()` views) and 16 `AccumulateGrad`, one per parameter. `no_grad` removes all 40
# and what they would keep alive; the arithmetic is identical. The tiny MLP's timings give the
# bookkeeping's cost per layer; 16 layers of it, set against the wide MLP's forward pass, give the
# share that bookkeeping explains there:

# %% tags=["nbval-ignore-output"]
# derived from the timings above, so it varies from run to run too
tiny_ratio, _, tiny_seconds = timings["tiny MLP, batch 8"]
wide_ratio, _, wide_seconds = timings["wide MLP, batch 128"]
per_layer = tiny_seconds * (1 - 1 / tiny_ratio) / 16  # the tiny MLP's extra time, per layer
print(f"tiny MLP: bookkeeping ≈ {1 - 1 / tiny_ratio:.0%} of a forward pass, {per_layer * 1e6:.1f} µs per layer")
print(f"wide MLP: 16 layers of bookkeeping ≈ {16 * per_layer / wide_seconds:.1%} of a forward pass; "
      f"measured extra time {1 - 1 / wide_ratio:.1%}")

# %% [markdown]
# Microseconds per layer: a large share of the tiny MLP's forward pass, a small one of the wide
# MLP's. The rest of the wide MLP's measured extra time is noise, or a cost that grows with the
# size of the tensors: the kept activations need fresh memory (9 alive at the peak instead of 2,
# above), slower to fill than a buffer reused while still in the CPU's cache. The CNN keeps the
# most (57 MiB); what that costs depends on the machine and on what ran before.
#
# `inference_mode` skips a little more bookkeeping than `no_grad` (no version counters, no view
# tracking: [08](08_grad_modes.ipynb)): a smaller gain again, not timed here.
#
# **Seed 001 says `no_grad` makes the forward pass "20–30% faster in some scenarios": partly
# true.** For a model made of many small operations, a gain of that order is real: bookkeeping
# is a large share of its work. For a model dominated by big matrix products, bookkeeping is a
# small share; what gain remains comes from memory and depends on the machine. The reliable win
# is the **memory**: every activation kept for backward, every time.

# %% [markdown]
# ## The pitfall: measuring memory with the wrong tool
#
# `tracemalloc` traces memory allocated through Python's allocator. PyTorch allocates tensor
# memory in C++, so `tracemalloc` does not see it at all. The process's RSS (from `psutil` or
# `top`) moves in the right direction but is blurred: the C allocator keeps freed pages for
# reuse, so what it shows depends on what ran before. `saved_tensors_hooks` asks autograd itself.

# %%
tracemalloc.start()
out_cnn = cnn(x_cnn)  # grad mode: keeps 57 MiB of activations alive
traced_now, traced_peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
print(f"tracemalloc saw {traced_peak / MiB:.1f} MiB; autograd keeps {cnn_row['grad'] / MiB:.2f} MiB")
assert traced_peak < 0.1 * MiB < 57 * MiB
del out_cnn

# %% [markdown]
# ## Exercise
#
# Freeze the **last** half of the wide MLP instead of the first half
# (`wide[8:].requires_grad_(False)`). How much does autograd keep now? The cell below measures
# it (the answer is PyTorch's, not ours) and keeps the number to itself until you answer.

# %%
# The exercise. This cell is hidden: it checks your answer, so run it, don't read it.
wide[8:].requires_grad_(False)  # freeze Linear 5 to 8
_, saved_back_frozen = agv.saved_memory(lambda: wide(x_wide))
wide.requires_grad_(True)       # trainable again
right = f"{saved_back_frozen.mib:.2f} MiB"
assert right == "2.00 MiB" and saved_back_frozen.activations == 8  # the exercise's answer
gelu_mlp = mlp(512, activation=nn.GELU)
saved_gelu = agv.saved_memory(lambda: gelu_mlp(x_wide))[1].activations
gelu_mlp[8:].requires_grad_(False)
assert (saved_gelu, agv.saved_memory(lambda: gelu_mlp(x_wide))[1].activations) == (15, 11)  # GELU: 4 freed
agv.quiz("The last half of the wide MLP frozen, wide[8:].requires_grad_(False): how much does autograd keep?",
         options=["2.00 MiB", "1.25 MiB", "1.00 MiB", "0.00 MiB"], answer=right,
         explain="As much as with nothing frozen. The trainable first half needs gradients, and they can "
                 "only come back through the frozen layers, so every ReLU still keeps its output; the "
                 "frozen Linears keep their weights (which exist anyway) instead of their inputs. With "
                 "GELU, which keeps its input, not its output, 4 of them would be freed: measured, 15 "
                 "activations kept with nothing frozen, 11 with the back frozen.")

# %% [markdown]
# ## Takeaways
#
# * With autograd on, each operation saves what its backward needs: here 2 MiB for the wide MLP
#   and 57 MiB for the small CNN, per forward pass. `no_grad` and `inference_mode` keep **0**.
# * Measure it with `saved_tensors_hooks` (`agv.saved_memory`), counting each storage once and
#   apart from what existed anyway. Summing every save said 11 MiB; `tracemalloc` said 0.
# * Kept is not peak: under `no_grad` only two activations are ever alive at once. Training adds
#   gradients (as big as the parameters) and the optimizer's state (Adam: twice as big).
# * A frozen *front* saves memory. A frozen *back* saved nothing here, because each ReLU keeps the
#   output its frozen `Linear` no longer keeps; with GELU, which keeps its input, it saves.
#   Checkpointing trades a second forward pass for memory.
# * The bookkeeping `no_grad` skips is a fixed cost per operation: a large share of many small
#   operations, a small one behind big matrix products. "20–30% faster" is true only sometimes.
#   Time modes in pairs, read the median with its spread, and never trust one run.
#
# Next: [10 · in-place updates](10_in_place_and_updates.ipynb): changing weights by hand without
# breaking autograd.
