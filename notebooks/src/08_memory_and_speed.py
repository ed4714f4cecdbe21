# %% [markdown]
# # 08 · Memory and speed: what do you save by turning autograd off?
#
# **The question.** `torch.no_grad()` and `torch.inference_mode()` are said to save memory and
# to make the forward pass "20–30% faster". How much memory, exactly, and how much time?
#
# **Predict before you run.** An MLP of 8 `Linear(2048, 2048)` layers (each followed by ReLU) runs on
# a batch of 256. Write down:
# 1. how many MiB autograd keeps for `backward()` after one forward pass with autograd on, and
#    how many under `no_grad`;
# 2. whether `no_grad` speeds up that forward pass more, or less, than it speeds up a tiny MLP
#    (8 `Linear(64, 64)` layers, batch 8).

# %%
import sys
import time
import tracemalloc
from collections import Counter

import matplotlib.pyplot as plt
import torch
import torch.nn as nn
from torch.utils import benchmark

import autogradviz as agv

torch.manual_seed(0)
torch.set_num_threads(1)  # one thread: steadier timings when other programs share the CPU
print("torch", torch.__version__)
MiB = 2**20

# %% [markdown]
# ## Three models
#
# * `mlp(64)` on a batch of 8: tiny. Each layer does little arithmetic.
# * `mlp(2048)` on a batch of 256: each layer is one big matrix product (a GEMM) of 2 GFLOP.
# * a small CNN: 4 convolutions with BatchNorm and ReLU, two max-pools, a linear head; a batch of
#   64 colour images of 32×32 pixels.

# %%
def mlp(width, depth=8):
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), nn.ReLU()]
    return nn.Sequential(*layers)


def conv_block(c_in, c_out):
    return [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU()]


def small_cnn():
    return nn.Sequential(*conv_block(3, 32), *conv_block(32, 32), nn.MaxPool2d(2),
                         *conv_block(32, 64), *conv_block(64, 64), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64 * 8 * 8, 10))


tiny, x_tiny = mlp(64), torch.randn(8, 64)
big, x_big = mlp(2048), torch.randn(256, 2048)
cnn, x_cnn = small_cnn(), torch.randn(64, 3, 32, 32)
for name, model in [("tiny", tiny), ("big", big), ("cnn", cnn)]:
    print(f"{name:5} {sum(p.numel() for p in model.parameters()):>10,} parameters")

# %% [markdown]
# ## What autograd saves for `backward()`
#
# In [01](01_the_graph.ipynb) we saw that an operation **saves** the tensors its backward will
# need. For these models:
# * `Linear` saves its **input** (to compute its weight's gradient) and its **weight** (to pass
#   the gradient on to its input);
# * `ReLU` saves its **output** (to know where it was positive).
#
# Those tensors stay alive until `backward()` frees them. `agv.saved_memory` runs a forward pass
# with `torch.autograd.graph.saved_tensors_hooks` installed: PyTorch calls the hook for every
# tensor an operation saves, so the count is exact. It counts each piece of memory (each
# *storage*) once and leaves the parameters out: they exist whether or not autograd records
# anything.

# %%
out_big, saved = agv.saved_memory(lambda: big(x_big), params=big)
print(saved)

# %% [markdown]
# 18 MiB. One activation of this MLP is 256 × 2048 floats of 4 bytes = 2 MiB, and 9 of them are
# kept: the input `x_big` (saved by the first `Linear`) and the output of each of the 8 ReLUs.

# %%
one_activation = 256 * 2048 * 4
assert one_activation == 2 * MiB
assert saved.activations == 9
assert saved.bytes == 9 * one_activation == 18 * MiB
print("checkpoint passed")

# %% [markdown]
# ## Counting it wrong: why a naive sum says 144 MiB
#
# Add up the size of every tensor the hook sees and you get `saved.naive_bytes`: 144 MiB, eight
# times too much. Two kinds of double counting:
# * **Weights.** Each `Linear` but the first saves its weight (as a `weight.t()` view): 7 × 16
#   MiB = 112 MiB. Saving a parameter costs nothing new: it is the model's own memory, alive
#   anyway. (The first `Linear` need not pass a gradient on to `x_big`, which does not require
#   grad, so it does not keep its weight.)
# * **Shared activations.** Each ReLU output but the last is saved twice: by the ReLU itself and
#   by the next `Linear` as its input. One tensor, counted twice: 16 saves × 2 MiB = 32 MiB for 9
#   distinct tensors, 18 MiB.

# %%
assert saved.tensors == 7 + 16                          # 7 weights, 16 activation saves
assert saved.naive_bytes == 7 * 16 * MiB + 16 * 2 * MiB == 144 * MiB
print("checkpoint passed")

# %% [markdown]
# See it for yourself: the same PyTorch hook that `agv.saved_memory` uses, written out, lists
# every save. We run it on the tiny MLP: same layers, so the same pattern, in smaller numbers.

# %%
saves = []


def pack(t):
    saves.append(t)  # we keep a reference only to look at it; the graph keeps it alive anyway
    return t


with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
    out_tiny = tiny(x_tiny)

param_storages = {p.untyped_storage().data_ptr() for p in tiny.parameters()}
weights = [t for t in saves if t.untyped_storage().data_ptr() in param_storages]
activations = [t for t in saves if t.untyped_storage().data_ptr() not in param_storages]
distinct = {t.untyped_storage().data_ptr(): t.untyped_storage().nbytes() for t in activations}


def kib(tensors):
    return sum(t.numel() * t.element_size() for t in tensors) / 1024


print(f"{len(saves)} saves, {kib(saves):.0f} KiB counted naively")
print(f"  {len(weights)} are weights {tuple(weights[0].shape)}: {kib(weights):.0f} KiB")
print(f"  {len(activations)} are activations {tuple(activations[0].shape)}: {kib(activations):.0f} KiB,"
      f" in only {len(distinct)} distinct storages: {sum(distinct.values()) / 1024:.0f} KiB")

# %%
_, saved_tiny = agv.saved_memory(lambda: tiny(x_tiny), params=tiny)
assert len(saves) == saved_tiny.tensors == 23
assert len(weights) == 7 and len(activations) == 16
assert len(distinct) == saved_tiny.activations == 9
assert sum(distinct.values()) == saved_tiny.bytes == 9 * 8 * 64 * 4
del saves, weights, activations  # drop our extra references
print("checkpoint passed")

# %% [markdown]
# ## Every mode, both models
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
            _, saved = agv.saved_memory(lambda: model(x), params=model)
    elif mode == "inference_mode":
        with torch.inference_mode():
            _, saved = agv.saved_memory(lambda: model(x), params=model)
    else:
        _, saved = agv.saved_memory(lambda: model(x), params=model)
    model.requires_grad_(True)  # trainable again for the next measurement
    return saved.bytes


memory = {name: {mode: saved_bytes(model, x, mode, first_half) for mode in MODES}
          for name, model, x, first_half in [
              ("MLP 8x2048, batch 256", big, x_big, big[:8]),  # 4 x (Linear, ReLU)
              ("CNN, batch 64", cnn, x_cnn, cnn[:7]),          # 2 conv blocks and a max-pool
          ]}

# %% [markdown]
# **Predict, then check.** The measurements have run but are not printed yet. Answer first, then
# compare with the table and the chart below.

# %%
zero_saves = {mode for mode in MODES if all(row[mode] == 0 for row in memory.values())}

# %%
agv.quiz("In which settings does autograd save nothing at all (0 MiB), for both models?",
         options=MODES, answer=zero_saves,
         explain="Autograd saves only for the operations it records, and it records an operation only "
                 "if one of its inputs requires grad (a trainable parameter, or a result with history). "
                 "All frozen, with an input that does not require grad: nothing qualifies, as under "
                 "no_grad. First half frozen: the back half still records and saves.")

# %%
print(f"{'':26}" + "".join(f"{mode:>19}" for mode in MODES))
for name, row in memory.items():
    print(f"{name:26}" + "".join(f"{row[mode] / MiB:15.2f} MiB" for mode in MODES))

# %%
fig, ax = plt.subplots(figsize=(6.5, 3))
width = 0.38
for i, (name, row) in enumerate(memory.items()):
    xs = [j + (i - 0.5) * width for j in range(len(MODES))]
    bars = ax.bar(xs, [row[m] / MiB for m in MODES], width, label=name)
    ax.bar_label(bars, fmt="%.0f", fontsize=8)
ax.set_xticks(range(len(MODES)), [m.replace(" ", "\n", 1) for m in MODES], fontsize=8)
ax.set_ylabel("saved for backward (MiB)")
ax.set_ylim(0, 68)
ax.set_title("What autograd keeps alive after one forward pass")
ax.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# * Under `no_grad` and `inference_mode` autograd records nothing, so it saves nothing: **0 MiB**
#   for both models.
# * **All frozen** saves nothing either: no parameter needs a gradient and the input does not
#   require grad, so no result has history and there is nothing to record. Same memory as
#   `no_grad`.
# * **First half frozen**: the frozen front layers record nothing, their output has no history,
#   and saving starts where the trainable layers begin. The MLP keeps 10 MiB (the input of layer
#   5 and 4 ReLU outputs), the CNN 21 MiB.
# * The CNN keeps 57.75 MiB for a batch of 64 small images: convolution outputs are big
#   (64 × 32 channels × 32 × 32 floats = 8 MiB each), and each max-pool saves where its
#   maxima were as `int64` indices, twice the size of its `float32` output (the checkpoint
#   checks this on a 4×4 image).

# %%
mlp_row, cnn_row = memory.values()
assert mlp_row == {"grad": 18 * MiB, "first half frozen": 10 * MiB, "all frozen": 0,
                   "no_grad": 0, "inference_mode": 0}
assert cnn_row["grad"] == 60_558_336               # 57.75 MiB, to the byte
assert cnn_row["first half frozen"] == 22_022_144  # 21.00 MiB
assert cnn_row["all frozen"] == cnn_row["no_grad"] == cnn_row["inference_mode"] == 0
assert zero_saves == {"all frozen", "no_grad", "inference_mode"}  # the quiz's answer

pool_saves = []  # what a max-pool saves: its input, and the positions of the maxima
with torch.autograd.graph.saved_tensors_hooks(lambda t: pool_saves.append(t) or t, lambda t: t):
    pooled = nn.MaxPool2d(2)(torch.arange(16.0).reshape(1, 1, 4, 4).requires_grad_())
indices = pool_saves[-1]
assert indices.dtype == torch.int64 and indices.shape == pooled.shape
assert indices.element_size() == 2 * pooled.element_size()      # 8 bytes against 4
print("checkpoint passed")

# %% [markdown]
# **Seeds 000, 001 and 003 say `no_grad` saves memory: true.** Every activation kept for
# backward disappears: 18 MiB → 0 and 57.75 MiB → 0 here, and it grows with the batch size and
# the depth. That is why evaluation loops run under `no_grad` (or `inference_mode`) and can use
# larger batches than training.
#
# ## Speed: time the forward pass in each mode
#
# `torch.utils.benchmark.Timer` runs a statement many times, warms up first and fixes the number
# of threads (one, by default). `blocked_autorange(min_run_time=...)` runs it in blocks of many
# runs until that much time has passed; `.times` holds the time per run of each block. Three
# choices keep the comparison fair on a shared, noisy machine:
# * a block lasts tens of milliseconds or more: long enough for the system to pause us and run
#   other programs, often more than once. So we measure the **CPU time** of our thread
#   (`timer=time.thread_time`), which leaves those pauses out. (Windows counts it in steps of
#   15.6 ms, too coarse for this, so there we fall back to the wall clock, `time.perf_counter`.)
# * other programs can still make a block *slower* (they push our data out of the caches),
#   never faster, so we keep the fastest block (`min(...)`);
# * we compare modes as **ratios** measured in the same run, never absolute times across runs.

# %%
STATEMENTS = {
    "grad": "model(x)",
    "no_grad": "with torch.no_grad(): model(x)",
    "inference_mode": "with torch.inference_mode(): model(x)",
}


CLOCK = time.perf_counter if sys.platform == "win32" else time.thread_time  # see above


def time_modes(model, x, min_run_time, rounds=3):
    """The fastest block of each mode. The modes take turns (A B C, A B C, ...), so that a busy
    spell on the machine slows all of them alike instead of the one that happened to run then."""
    timers = {mode: benchmark.Timer(stmt, globals={"model": model, "x": x, "torch": torch}, timer=CLOCK)
              for mode, stmt in STATEMENTS.items()}
    seconds = {mode: float("inf") for mode in timers}
    for _ in range(rounds):
        for mode, timer in timers.items():
            block = min(timer.blocked_autorange(min_run_time=min_run_time / rounds).times)
            seconds[mode] = min(seconds[mode], block)
    return seconds


# %% tags=["nbval-ignore-output"]
# timings differ from run to run and machine to machine, so nbval does not compare this output
gemm, x_gemm = mlp(1024), torch.randn(128, 1024)  # smaller than `big`, to time it quickly; still GEMM-bound
timings = {
    "overhead-bound: MLP 8x64, batch 8": time_modes(tiny, x_tiny, min_run_time=0.05),
    "GEMM-bound: MLP 8x1024, batch 128": time_modes(gemm, x_gemm, min_run_time=0.15),
    "CNN, batch 64": time_modes(cnn, x_cnn, min_run_time=0.05),
}
print(f"{'':36}{'grad':>10}{'grad/no_grad':>14}{'grad/inference':>16}")
for name, t in timings.items():
    print(f"{name:36}{t['grad'] * 1e3:8.3f}ms{t['grad'] / t['no_grad']:14.2f}"
          f"{t['grad'] / t['inference_mode']:16.2f}")

# %% [markdown]
# Typical ratios on this 2-core machine (yours will differ a little):
#
# | model | grad / no_grad | why |
# |---|---|---|
# | overhead-bound (tiny MLP) | 1.15–1.4 | each op does almost no arithmetic; the bookkeeping is a large share |
# | GEMM-bound (MLP 8x1024, batch 128) | 0.95–1.1 | each op is a quarter-GFLOP matrix product; the bookkeeping is invisible |
# | CNN | 0.9–1.5, it jumps between runs | see below |
#
# ## Why the speed-up depends on the model
#
# With autograd on, every operation does some **bookkeeping**: it creates a backward node, links
# it to its inputs' nodes, and saves tensors. That is a roughly **fixed cost per operation**,
# around a microsecond on this CPU, whatever the size of the tensors. Both MLPs run the same 16
# layers (8 `Linear`, 8 `ReLU`) and record the same graph; only the arithmetic per operation
# differs, by a factor of 32,768.

# %%
def node_types(t):
    """The backward nodes of the graph behind t, counted by type (read off agv.draw's nodes)."""
    return Counter(node.label for node in agv.draw(t).nodes if node.kind == "op")


def gemm_flops(width, batch, depth=8):
    return depth * 2 * batch * width * width


out_tiny = tiny(x_tiny)
for name, out in [("tiny", out_tiny), ("big", out_big)]:
    types = node_types(out)
    print(f"{name:4} {types.total()} backward nodes: {dict(sorted(types.items()))}")
print(f"arithmetic per forward: {gemm_flops(64, 8) / 1e6:.1f} MFLOP (tiny), "
      f"{gemm_flops(2048, 256) / 1e9:.1f} GFLOP (big)")

# %%
assert node_types(out_tiny) == node_types(out_big) == {      # same bookkeeping...
    "AddmmBackward0": 8, "ReluBackward0": 8, "TBackward0": 8, "AccumulateGrad": 16}
assert gemm_flops(2048, 256) == 32768 * gemm_flops(64, 8)   # ...very different arithmetic
with torch.no_grad():
    assert tiny(x_tiny).grad_fn is None                      # no_grad: no node at all
print("checkpoint passed")

# %% [markdown]
# 40 nodes in both: 8 `AddmmBackward0` (the `Linear`s), 8 `ReluBackward0`, 8 `TBackward0` (the
# `weight.t()` views) and 16 `AccumulateGrad`, one per parameter. From the timings we can
# estimate the bookkeeping cost per layer, and what it adds to the GEMM-bound MLP we timed:

# %% tags=["nbval-ignore-output"]
# derived from the timings above, so it varies from run to run too
t_tiny = timings["overhead-bound: MLP 8x64, batch 8"]
t_gemm = timings["GEMM-bound: MLP 8x1024, batch 128"]
per_op = (t_tiny["grad"] - t_tiny["no_grad"]) / 16
print(f"bookkeeping: about {per_op * 1e6:.1f} µs per layer")
print(f"tiny: {16 * per_op * 1e6:.0f} µs of bookkeeping in a {t_tiny['grad'] * 1e6:.0f} µs forward pass")
print(f"gemm: {16 * per_op * 1e6:.0f} µs of bookkeeping in a {t_gemm['grad'] * 1e3:.0f} ms forward pass "
      f"({16 * per_op / t_gemm['grad']:.3%})")

# %% [markdown]
# Typically under a microsecond per layer: a sixth or so of the tiny model's forward pass, a few
# hundredths of a percent of the GEMM-bound one's, far below the noise of the clock.
#
# The **CNN** sits in between, and its ratio jumps from run to run. Its convolutions are big, so
# bookkeeping is small; but in grad mode its 58 MiB of activations must all stay alive until the
# output is dropped, so each forward pass needs fresh memory, and fresh memory from the
# operating system costs page faults. Under `no_grad` each activation is freed as soon as the
# next layer has used it, and the same few buffers are reused, warm. Whether the allocator keeps
# or returns those pages decides which of the two speeds you get.
#
# `inference_mode` skips a little more bookkeeping than `no_grad` (no version counters, no view
# tracking). On a CPU forward pass the difference is too small to see here.
#
# ### Checkpoint: the timing conclusions, asserted loosely
#
# The machine is shared and noisy, so these bounds are wide. They still state the lesson: a
# clear gain when overhead dominates, none when big matrix products dominate.

# %%
tiny_ratio = t_tiny["grad"] / t_tiny["no_grad"]
big_ratio = t_gemm["grad"] / t_gemm["no_grad"]
assert tiny_ratio > 1.05, tiny_ratio          # overhead-bound: no_grad is clearly faster
assert 0.8 < big_ratio < 1.25, big_ratio      # GEMM-bound: about the same
print("checkpoint passed")

# %% [markdown]
# **Seed 001 says `no_grad` makes the forward pass "20–30% faster in some scenarios": partly
# true.** For a model made of many small operations, about right: ×1.15–1.4 for the tiny MLP.
# For a model dominated by big matrix products, no: about ×1.0, because autograd's cost is per
# operation, not per number. The CNN lands anywhere between, from run to run. The reliable win
# is the **memory**: every saved activation, every time.
#
# ## The pitfall: measuring memory with the wrong tool
#
# Two tools that seem natural give wrong answers here:
# * **`tracemalloc`** traces memory allocated through Python's allocator. PyTorch allocates
#   tensor memory in C++, so `tracemalloc` does not see it at all:

# %%
tracemalloc.start()
out_cnn = cnn(x_cnn)  # grad mode: keeps 57.75 MiB of activations alive
traced_now, traced_peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
print(f"tracemalloc saw {traced_peak / MiB:.1f} MiB; autograd keeps {cnn_row['grad'] / MiB:.2f} MiB")

# %%
assert traced_peak < 0.1 * MiB < 57 * MiB
print("checkpoint passed")

# %% [markdown]
# * **The process's RSS** (resident memory, from `psutil` or `top`) moves in the right direction
#   but is blurred: the C allocator keeps freed pages for reuse instead of returning them, so a
#   `no_grad` forward pass can still make the RSS grow. What it shows depends on what ran
#   before, so it is not a measurement of one forward pass (and differs from run to run, which
#   is why no cell here prints it).
#
# `saved_tensors_hooks` asks autograd itself, so it is exact and the same at every run.
#
# ## Exercise
#
# Freeze the **last** half of the big MLP instead of the first half
# (`big[8:].requires_grad_(False)`). How much does autograd save now? The cell below measures
# it (the answer is PyTorch's, not ours) but keeps the number to itself until you answer.

# %%
big[8:].requires_grad_(False)  # freeze Linear 5 to 8
_, saved_back_frozen = agv.saved_memory(lambda: big(x_big), params=big)
big.requires_grad_(True)       # trainable again
right = f"{saved_back_frozen.mib:.0f} MiB"

# %%
agv.quiz("The last half of the big MLP frozen, big[8:].requires_grad_(False): how much does autograd save?",
         options=["18 MiB", "10 MiB", "8 MiB", "0 MiB"], answer=right,
         explain="As much as with nothing frozen. The trainable first half needs gradients, and they can "
                 "only come back through the frozen layers, so every ReLU still saves its output; the "
                 "frozen Linears keep their weights (free) instead of their inputs.")

# %%
assert right == "18 MiB" and saved_back_frozen.mib == 18.0  # the exercise's answer
assert saved_back_frozen.activations == 9
print("checkpoint passed")

# %% [markdown]
# ## Takeaways
#
# * With autograd on, each operation saves what its backward needs: here 18 MiB for the MLP and
#   57.75 MiB for the small CNN, per forward pass. `no_grad` and `inference_mode` save **0**.
# * Measure it with `saved_tensors_hooks` (`agv.saved_memory`), counting each storage once and
#   leaving the parameters out. Summing every save said 144 MiB; `tracemalloc` said 0.
# * Freezing saves memory only where no gradient has to pass: a frozen *front* saves, a frozen
#   *back* does not. Freezing everything saves as much as `no_grad`.
# * The speed gain is a fixed cost per operation: large for many small operations (×1.15–1.4),
#   invisible behind big matrix products (×1.0). "20–30% faster" is true only sometimes.
# * Time with `torch.utils.benchmark.Timer`, in CPU time (`time.thread_time`) on a shared machine,
#   and compare modes as ratios measured in the same run. Expect noise all the same.
#
# Next: [09 · in-place updates](09_in_place_and_updates.ipynb): changing weights by hand without
# breaking autograd.
