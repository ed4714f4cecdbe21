# %% [markdown]
# # 04 · Freezing: training only part of a model
#
# **The question.** How do you stop some layers from learning while the rest trains, and what
# does autograd then skip, save and still do?
#
# **Predict before you run.** A model has three linear layers, `lin0 → lin1 → lin2`. You freeze
# `lin0` with `lin0.requires_grad_(False)`.
# 1. Does the model's output change?
# 2. All trainable, the graph has 6 `AccumulateGrad` nodes (a weight and a bias per layer). And
#    with `lin0` frozen?
# 3. After `backward()`, what is `lin0.weight.grad`?
# 4. Freezing the *first* layer and freezing the *last* layer: does each save memory?
#
# Freezing is how transfer learning works: keep a pretrained body, train a new head. We end with
# a real run of it on handwritten digits, and with the pitfall that makes a "frozen" weight move.

# %%
import copy
from collections import OrderedDict

import matplotlib.pyplot as plt
import torch
import torch.nn as nn

import autogradviz as agv

torch.manual_seed(0)
torch.set_num_threads(1)  # our tensors are tiny: extra threads would only wait on each other
print("torch", torch.__version__)

# %% [markdown]
# ## Freezing a parameter, a layer, a whole model
#
# Freezing is one flag on each parameter: `requires_grad`. You can set it three ways:
#
# * on one tensor: `p.requires_grad_(False)` (or `p.requires_grad = False`);
# * on a module: `layer.requires_grad_(False)` sets it on **every** parameter inside, recursively,
#   and returns the module;
# * on the whole model: `model.requires_grad_(False)`, which is the same call one level up.
#
# Our small model: three `Linear` layers with a ReLU between them. `make_model()` seeds, so
# every call builds exactly the same weights.

# %%
def make_model():
    torch.manual_seed(0)
    return nn.Sequential(OrderedDict(
        lin0=nn.Linear(4, 3), relu0=nn.ReLU(),
        lin1=nn.Linear(3, 3), relu1=nn.ReLU(),
        lin2=nn.Linear(3, 2),
    ))


def trainable(model):
    return [name for name, p in model.named_parameters() if p.requires_grad]


model = make_model()
model.lin0.requires_grad_(False)                 # one layer: its weight and its bias
print("lin0 frozen:   ", trainable(model))

model.lin1.weight.requires_grad_(False)          # one tensor: lin1.bias still trains
print("+ lin1.weight: ", trainable(model))

for p in model.lin2.parameters():                # the loop many tutorials use: the same thing
    p.requires_grad = False
print("+ lin2 (loop): ", trainable(model))

model.requires_grad_(True)                       # and back: a whole model, all at once
print("unfrozen:      ", trainable(model))

# %%
assert trainable(make_model()) == ["lin0.weight", "lin0.bias", "lin1.weight", "lin1.bias",
                                   "lin2.weight", "lin2.bias"]
assert model.lin0.requires_grad_(False) is model.lin0          # returns the module: chainable
assert trainable(model) == ["lin1.weight", "lin1.bias", "lin2.weight", "lin2.bias"]
assert trainable(model.requires_grad_(False)) == []            # the whole model
assert all(p.is_leaf for p in model.parameters())              # frozen or not, still leaves
model.requires_grad_(True)
print("checkpoint passed")

# %% [markdown]
# ### A freeze that does nothing
#
# `model.requires_grad = False` (no underscore, no call) looks right and freezes **nothing**.
# A module has no `requires_grad` flag of its own: the assignment just sticks a new Python
# attribute on the module object, and every parameter keeps `requires_grad=True`.

# %%
silent = make_model()
silent.requires_grad = False          # a typo-sized mistake
print("the attribute:", silent.requires_grad)
print("still trainable:", trainable(silent))

# %%
assert silent.requires_grad is False                              # the attribute exists...
assert all(p.requires_grad for p in silent.parameters())          # ...and froze nothing
print("checkpoint passed")

# %% [markdown]
# ## The graph loses its `AccumulateGrad` branches
#
# First the fully trainable model. Each parameter is a leaf (blue) that hangs off an
# `AccumulateGrad` node: the node that writes its `.grad` during `backward()`. Read from the
# bottom up, as `backward()` travels. `x` is data (it does not require grad), so it enters the
# graph as an input with no history.

# %%
x = torch.randn(8, 4)
model = make_model()
out_trainable = model(x)
graph_trainable = agv.draw(out_trainable, params=model)
graph_trainable

# %% [markdown]
# Now freeze `lin0` and run the same input through the same weights.

# %%
model = make_model()
model.lin0.requires_grad_(False)
out_frozen = model(x)
graph_frozen = agv.draw(out_frozen, params=model)
graph_frozen

# %% [markdown]
# Two `AccumulateGrad` nodes went away, and more with them: 14 backward ops became 9. `lin0` now
# computes only from things that need no gradient (`x` and its own frozen weights), so autograd
# recorded nothing for it: no `AddmmBackward0`, no `TBackward0` for its weight, and no
# `ReluBackward0` after it either. The graph now starts at `lin1`, whose input arrives with no
# history. The frozen parameters do not vanish from the picture: they sit in the "will get no
# .grad" box, with the reason.

# %%
def count(graph):
    ops = [node.label for node in graph.nodes if node.kind == "op"]
    return {"ops": len(ops), "AccumulateGrad": ops.count("AccumulateGrad"),
            "leaves": len([n for n in graph.nodes if n.kind == "leaf"]),
            "frozen boxes": len([n for n in graph.nodes if n.kind == "frozen"])}


print("trainable: ", count(graph_trainable))
print("lin0 frozen:", count(graph_frozen))

# %%
assert count(graph_trainable) == {"ops": 14, "AccumulateGrad": 6, "leaves": 6, "frozen boxes": 0}
assert count(graph_frozen) == {"ops": 9, "AccumulateGrad": 4, "leaves": 4, "frozen boxes": 1}
frozen_box = next(n for n in graph_frozen.nodes if n.kind == "frozen")
assert frozen_box.name == "lin0.weight, lin0.bias" and "requires_grad=False" in frozen_box.label
print("checkpoint passed")

# %% [markdown]
# ## Does freezing change "intermediate results"?
#
# A widely read article says that `requires_grad=False`, "unlike `torch.no_grad()`, does not
# affect intermediate results during forward propagation". That is **partly true**.
#
# * **True for the values.** The weights are the same numbers, so every output is the same.
# * **Not true for what is recorded.** With `lin0` frozen, its output has no `grad_fn` and
#   `requires_grad=False`: exactly what `torch.no_grad()` would have produced for that layer,
#   because its input `x` does not require grad either. Fed an input that requires grad, the
#   frozen layer is recorded (gradient must reach that input). For a layer in the *middle*,
#   the outputs carry history too, because gradient must flow through it to the layers before.

# %%
h_trainable = make_model().lin0(x)
frozen_lin0 = make_model().lin0.requires_grad_(False)
h_frozen = frozen_lin0(x)
with torch.no_grad():
    h_no_grad = make_model().lin0(x)

print("same output values:      ", torch.equal(out_trainable, out_frozen))
print("lin0 output, trainable:  ", h_trainable.requires_grad, type(h_trainable.grad_fn).__name__)
print("lin0 output, frozen:     ", h_frozen.requires_grad, h_frozen.grad_fn)
print("lin0 output, no_grad:    ", h_no_grad.requires_grad, h_no_grad.grad_fn)

h_asks = frozen_lin0(x.clone().requires_grad_())            # an input that requires grad
print("lin0 frozen, x asks:     ", h_asks.requires_grad, type(h_asks.grad_fn).__name__)
middle = make_model()
middle.lin1.requires_grad_(False)                            # a frozen layer in the middle
h_middle = middle.lin1(middle.relu0(middle.lin0(x)))
print("lin1 output, lin1 frozen:", h_middle.requires_grad, type(h_middle.grad_fn).__name__)

# %%
assert torch.equal(out_trainable, out_frozen)                       # values: unchanged
assert torch.equal(h_frozen, h_trainable)
assert h_trainable.grad_fn is not None                              # trainable: recorded
assert h_frozen.grad_fn is None and not h_frozen.requires_grad      # frozen first layer: no history,
assert h_no_grad.grad_fn is None and not h_no_grad.requires_grad    # just as under no_grad,
assert h_asks.grad_fn is not None                                   # unless its input requires grad
assert h_middle.grad_fn is not None and h_middle.requires_grad      # frozen middle: still recorded
print("checkpoint passed")

# %% [markdown]
# ## A frozen parameter gets no gradient buffer
#
# The same article says that with `requires_grad=False` "PyTorch does not allocate gradient
# buffers". **True**: after `backward()`, a frozen parameter's `.grad` is still `None`. No tensor
# was ever made for it. (A trainable parameter's `.grad` is `None` too, until its first
# backward.) `agv.grads` shows every parameter, and why the frozen ones have none.

# %%
print("before backward, lin1.weight.grad:", model.lin1.weight.grad)
out_frozen.sum().backward()
agv.grads(model)

# %%
assert model.lin0.weight.grad is None and model.lin0.bias.grad is None     # frozen: no buffer
assert all(p.grad is not None for p in [model.lin1.weight, model.lin1.bias,
                                        model.lin2.weight, model.lin2.bias])
report = agv.grads(model)
assert report["lin0.weight"].why_none == "frozen: requires_grad=False"
assert report["lin1.weight"].has_grad and not report["lin0.bias"].has_grad
print("checkpoint passed")

# %% [markdown]
# ## Memory: what freezing saves, and what it does not
#
# To compute a weight's gradient, a `Linear` layer needs its **input**, so it saves it during
# the forward pass. A ReLU saves its output. The tensors the forward pass creates and the graph
# keeps for backward, the **activations**, are what a graph adds to memory. `agv.saved_memory`
# counts them exactly, each storage once. What the graph saved that existed anyway (your input
# batch, the weights) it reports apart, as `existing_bytes`.
#
# A bigger model makes the numbers readable: four `Linear(1024, 1024)` layers with ReLUs
# between them, a batch of 256. One activation of shape (256, 1024) in float32 is exactly
# 1 MiB.

# %%
torch.manual_seed(0)
big = nn.Sequential(OrderedDict(
    lin0=nn.Linear(1024, 1024), relu0=nn.ReLU(),
    lin1=nn.Linear(1024, 1024), relu1=nn.ReLU(),
    lin2=nn.Linear(1024, 1024), relu2=nn.ReLU(),
    lin3=nn.Linear(1024, 1024),
))
x_big = torch.randn(256, 1024)


def saved_when_frozen(*frozen):
    big.requires_grad_(True)
    for name in frozen:
        big.get_submodule(name).requires_grad_(False)
    return agv.saved_memory(lambda: big(x_big))


choices = {"nothing": (), "lin0, lin1": ("lin0", "lin1"), "lin1 only": ("lin1",),
           "lin3 only": ("lin3",), "everything": ("lin0", "lin1", "lin2", "lin3")}
saved = {label: saved_when_frozen(*names)[1] for label, names in choices.items()}
for label, s in saved.items():
    print(f"frozen {label:<11} the graph adds {s.mib:.0f} MiB in {s.activations} activations"
          f" (and keeps {s.existing_bytes / 2**20:.0f} MiB that existed anyway)")

fig, ax = plt.subplots(figsize=(6, 2.8))
bars = ax.barh(list(saved)[::-1], [s.mib for s in saved.values()][::-1], color="tab:blue")
ax.bar_label(bars, fmt="%.0f MiB", padding=3)
ax.set_xlim(0, 4)
ax.set_xlabel("activations the graph keeps for backward (MiB)")
ax.set_ylabel("frozen")
ax.set_title("4 × Linear(1024) + ReLU, batch 256")
plt.tight_layout()
plt.show()

# %% [markdown]
# * **Nothing frozen: 3 MiB**, the three ReLU outputs (each saved by its ReLU and by the next
#   `Linear`, counted once). `lin0` saves `x` too, but `x` is your batch: it exists anyway.
# * **`lin0` and `lin1` frozen: 2 MiB.** Nothing before `lin2` needs a gradient (`x` does not
#   require grad), so nothing there is recorded: the leading block behaves as if it ran under
#   `no_grad`, and `relu0`'s output is no longer kept.
# * **Only `lin1` frozen: still 3 MiB.** `lin1` no longer saves its input (one save fewer), but
#   backward must still pass through `lin1` to reach `lin0`, and `relu0` saved that very same
#   tensor, its output, for its own backward.
# * **Only `lin3` frozen: still 3 MiB**, for the same reason: `relu2` saved `lin3`'s input
#   anyway. Freezing the last layer stops its weight from learning; the graph is as long.
#
# "Not a byte less" is ReLU's doing: it saves its *output*, the very tensor the next `Linear`
# saves. GELU saves its *input* instead, and with no activation nothing else keeps the
# `Linear`'s input. Then freezing a middle layer does save memory: three `Linear(1024)` layers,
# nothing frozen against the middle one frozen:

# %%
def middle_frozen(activation):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(1024, 1024), activation(), nn.Linear(1024, 1024), activation(),
                        nn.Linear(1024, 1024))
    _, nothing = agv.saved_memory(lambda: net(x_big))
    net[2].requires_grad_(False)                # the middle Linear
    _, middle = agv.saved_memory(lambda: net(x_big))
    return nothing.mib, middle.mib


between = {activation.__name__: middle_frozen(activation) for activation in (nn.ReLU, nn.GELU, nn.Identity)}
for name, (nothing, middle) in between.items():
    print(f"{name:8} between the layers: {nothing:.0f} MiB, middle Linear frozen: {middle:.0f} MiB")

# %%
out_last, _ = saved_when_frozen("lin3")
out_last.sum().backward()                      # lin3 is frozen, yet gradient reaches lin0
print("lin0.weight.grad after backward, lin3 frozen:", big.lin0.weight.grad is not None)
print("lin3.weight.grad:", big.lin3.weight.grad)
big.requires_grad_(True)


def front_under_no_grad():
    with torch.no_grad():
        h = big.relu1(big.lin1(big.relu0(big.lin0(x_big))))   # the leading block under no_grad...
    return big.lin3(big.relu2(big.lin2(h)))


_, saved_no_grad = agv.saved_memory(front_under_no_grad)
print(f"lin0, lin1 under no_grad: {saved_no_grad.mib:.2f} MiB")  # ...keeps what freezing keeps

# %%
MiB = 2**20
assert saved["nothing"].bytes == 3 * MiB and saved["nothing"].activations == 3
assert saved["nothing"].existing_bytes == 1 * MiB + 3 * 4 * MiB      # x; lin1-lin3's weights
assert saved["lin0, lin1"].bytes == 2 * MiB                         # front frozen: less
for label in ["lin1 only", "lin3 only"]:                            # middle or back frozen:
    assert saved[label].bytes == saved["nothing"].bytes             # not a byte less,
    assert saved[label].tensors == saved["nothing"].tensors - 1     # though the layer dropped its save
    assert saved["nothing"].naive_bytes - saved[label].naive_bytes == 1 * MiB  # of its 1 MiB input
assert saved["everything"].bytes == 0
assert between == {"ReLU": (2, 2), "GELU": (4, 3), "Identity": (2, 1)}  # ReLU hides the saving
assert big.lin0.weight.grad is not None and big.lin3.weight.grad is None
assert saved_no_grad.bytes == saved["lin0, lin1"].bytes             # front frozen == no_grad
big.zero_grad()
print("checkpoint passed")

# %% [markdown]
# ## Give the optimizer only what trains
#
# Freezing tells autograd not to compute a gradient. The optimizer is a separate object: you
# decide which parameters it holds. Give it only the trainable ones, either by filtering on the
# flag or by naming the part that trains:
#
# ```python
# optimizer = torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.1)
# optimizer = torch.optim.SGD(model.lin2.parameters(), lr=0.1)   # just the head
# ```
#
# Then a step cannot touch a frozen weight, whatever is in its `.grad`. (Handing it every
# parameter works too, as long as the frozen ones keep `.grad is None`: the pitfall below shows
# what happens when they do not.) The flip side: a layer you unfreeze later is not in that
# optimizer, and `add_param_group` must add it ([11](11_use_cases.ipynb), job 6).

# %%
model = make_model()
model.lin0.requires_grad_(False)
model.lin1.requires_grad_(False)
optimizer = torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.1)
head_only = torch.optim.SGD(model.lin2.parameters(), lr=0.1)
print("the optimizer holds", len(optimizer.param_groups[0]["params"]), "tensors; head_only holds",
      len(head_only.param_groups[0]["params"]))

before = copy.deepcopy(model.state_dict())
for _ in range(5):
    optimizer.zero_grad()
    model(x).pow(2).mean().backward()
    optimizer.step()
changed = [name for name, value in model.state_dict().items() if not torch.equal(value, before[name])]
print("changed after 5 steps:", changed)

# %%
held = optimizer.param_groups[0]["params"]
assert len(held) == 2 and held[0] is model.lin2.weight and held[1] is model.lin2.bias
assert all(a is b for a, b in zip(head_only.param_groups[0]["params"], held, strict=True))
assert changed == ["lin2.weight", "lin2.bias"]
assert model.lin0.weight.grad is None and model.lin1.weight.grad is None
print("checkpoint passed")

# %% [markdown]
# ## Explore: freeze any layer, two ways
#
# Each layer of the small model is **trainable** or **frozen**, and **freeze_by** says how a
# frozen layer is frozen:
#
# | freeze_by | what the code does to a frozen layer |
# |---|---|
# | `requires_grad_(False)` | `layer.requires_grad_(False)`, then `layer(h)` |
# | `no_grad` | `with torch.no_grad(): layer(h)` (the tool of [03](03_no_grad.ipynb)) |
#
# First the experiment: `tiny_forward` runs the small model with each layer in its state.

# %%
tiny = make_model()
x_small = torch.randn(8, 4)
STATES = ["trainable", "frozen"]
FREEZE_BY = ["requires_grad_(False)", "no_grad"]


def run_layer(layer, h, state, freeze_by):
    if state == "frozen" and freeze_by == "requires_grad_(False)":
        layer.requires_grad_(False)
    if state == "frozen" and freeze_by == "no_grad":
        with torch.no_grad():
            return layer(h)
    return layer(h)


def tiny_forward(lin0, lin1, lin2, freeze_by):
    tiny.requires_grad_(True)  # every run starts from an unfrozen model
    h = tiny.relu0(run_layer(tiny.lin0, x_small, lin0, freeze_by))
    h = tiny.relu1(run_layer(tiny.lin1, h, lin1, freeze_by))
    return run_layer(tiny.lin2, h, lin2, freeze_by)


# %% [markdown]
# ### Quiz: predict, then check
#
# The explorer below starts with `lin1`, the middle layer, frozen by `requires_grad_(False)`.
# Suppose you freeze it with `no_grad` instead. Which layers get a gradient? Answer, then click
# **freeze_by `no_grad`** in the explorer to see it.

# %%
def who_gets_grad(lin0="trainable", lin1="trainable", lin2="trainable",
                  freeze_by="requires_grad_(False)"):
    tiny.zero_grad()  # every .grad back to None
    out = tiny_forward(lin0, lin1, lin2, freeze_by)
    if out.requires_grad:
        out.sum().backward()
    return sorted({name.split(".")[0] for name, p in tiny.named_parameters() if p.grad is not None})


right = set(who_gets_grad(lin1="frozen", freeze_by="no_grad"))

# %%
# The exercise. This cell is hidden: it checks your answer, so run it, don't read it.
assert right == {"lin2"}  # the answer, checked on every test run (hidden with the quiz)
agv.quiz("lin1 frozen with no_grad (lin0 and lin2 trainable): which layers get a gradient?",
         options=["lin0", "lin1", "lin2"], answer=right,
         explain="Under no_grad nothing is recorded for lin1, so its output has no history and the "
                 "graph is cut there: backward() cannot reach lin0 either. requires_grad_(False) "
                 "would have stopped only lin1's own parameters.")

# %% [markdown]
# The explorer. Each click re-runs the forward pass, redraws the graph, runs `backward()` on the
# sum of the output and shows the gradient table.

# %%
def freeze_experiment(lin0="trainable", lin1="frozen", lin2="trainable",
                      freeze_by="requires_grad_(False)"):
    return tiny_forward(lin0, lin1, lin2, freeze_by)


# %%
agv.explore(freeze_experiment, params=tiny, lin0=STATES, lin1=STATES, lin2=STATES,
            freeze_by=FREEZE_BY)

# %% [markdown]
# Things to try:
# * At the start, `lin1` is frozen: its `AddmmBackward0` is still in the graph (gradient must
#   cross it to reach `lin0`), but its weight and bias enter it as constants, the dashed "no
#   history" inputs, instead of blue leaves. `lin0` gets its gradient.
# * Click **freeze_by `no_grad`**: `lin0` loses its gradient too, and the `lin0`/`lin1` boxes turn
#   pink: they still *require* grad, but no path reaches them. `no_grad` cuts the graph;
#   `requires_grad_(False)` does not. `lin0`'s part of the graph was recorded and saved all the
#   same, but nothing refers to it once lin1 has run, so it is freed unused (like a graph cut by
#   `.detach()`, [05](05_detach.ipynb)): time spent for nothing. The graph keeps 96 bytes instead
#   of 192 (measured in the checkpoint below).
# * Set **`lin1` trainable, `lin0` frozen**: the two ways record the same 9 backward ops and keep
#   the same 192 bytes; only the box and the table's reason differ ("frozen" against "ran under
#   torch.no_grad()"). A leading layer is where the two tools agree.
# * Back to the start, then **`lin1` trainable, `lin2` frozen**: by `requires_grad_(False)`,
#   `lin0` and `lin1` still train and the graph keeps the same 192 bytes. By `no_grad`: nothing
#   at all has a path, and there is no backward.

# %% [markdown]
# ### Checkpoint: the explorer's lessons, asserted

# %%
def saved_bytes(lin0="trainable", lin1="trainable", lin2="trainable",
                freeze_by="requires_grad_(False)"):
    return agv.saved_memory(lambda: tiny_forward(lin0, lin1, lin2, freeze_by))[1].bytes


for layer, freeze_by in [("lin1", "requires_grad_(False)"), ("lin1", "no_grad"),
                         ("lin0", "requires_grad_(False)"), ("lin0", "no_grad")]:
    state = {layer: "frozen", "freeze_by": freeze_by}
    print(f"{layer} frozen by {freeze_by:<21}  gets .grad: {str(who_gets_grad(**state)):<16}"
          f"  the graph keeps {saved_bytes(**state)} bytes")

# %%
assert who_gets_grad() == ["lin0", "lin1", "lin2"]
assert who_gets_grad(lin1="frozen", freeze_by="requires_grad_(False)") == ["lin0", "lin2"]
assert who_gets_grad(lin1="frozen", freeze_by="no_grad") == ["lin2"]     # no_grad cut lin0 off too
assert who_gets_grad(lin2="frozen") == ["lin0", "lin1"]
assert who_gets_grad(lin2="frozen", freeze_by="no_grad") == []          # nothing has a path
all_trainable = saved_bytes()
assert all_trainable == 2 * (8 * 3 * 4)                 # two ReLU outputs, float32 (x existed)
for freeze_by in FREEZE_BY:                             # a leading layer: both ways save the same
    assert saved_bytes(lin0="frozen", freeze_by=freeze_by) == all_trainable  # (it spared only x)
assert saved_bytes(lin2="frozen") == all_trainable
assert saved_bytes(lin1="frozen") == all_trainable == 192               # the explorer's start
assert saved_bytes(lin1="frozen", freeze_by="no_grad") == 8 * 3 * 4    # lin0's part: freed unused
assert not tiny_forward("frozen", "frozen", "frozen", "requires_grad_(False)").requires_grad

start = agv.draw(tiny_forward("trainable", "frozen", "trainable", "requires_grad_(False)"), params=tiny)
ops = [n.label for n in start.nodes if n.kind == "op"]
assert ops.count("AddmmBackward0") == 3 and ops.count("AccumulateGrad") == 4  # lin1's op stays
assert len([n for n in start.nodes if n.kind == "cut"]) == 3    # x, and lin1's weight and bias
for freeze_by in FREEZE_BY:                                      # lin0 frozen: the same 9 ops
    out = tiny_forward("frozen", "trainable", "trainable", freeze_by)
    assert count(agv.draw(out, params=tiny))["ops"] == 9
print("checkpoint passed")

# %% [markdown]
# ## A real run: transfer learning on handwritten digits
#
# scikit-learn ships a small real data set: 1797 handwritten digits of 8×8 pixels. We split it
# into two tasks:
#
# * **task A**, digits 0–4, with plenty of labels: we *pretrain* a small network on it, a body
#   `Linear(64, 128) + ReLU` and a head `Linear(128, 5)`;
# * **task B**, digits 5–9, with only **10 labelled images per digit**: a new head must learn it.
#
# Then four runs on task B: the pretrained body or a fresh random one, frozen or trained along.
# Every run has the same new head, the same 50 images, 100 full-batch Adam steps, a fixed seed.

# %%
import sys

from sklearn.datasets import load_digits
from tqdm import tqdm  # text progress bars: they show in JupyterLab and on static pages alike

digits = load_digits()
X = torch.tensor(digits.data, dtype=torch.float32) / 16        # pixels 0..16, scaled to 0..1
y = torch.tensor(digits.target)
order = torch.randperm(len(X), generator=torch.Generator().manual_seed(0))  # one fixed shuffle
X, y = X[order], y[order]

X_a, y_a = X[y < 5], y[y < 5]                 # task A: digits 0-4
X_b, y_b = X[y >= 5], y[y >= 5] - 5           # task B: digits 5-9, relabelled 0-4 for the head
few = torch.cat([torch.nonzero(y_b == c).flatten()[:10] for c in range(5)])
is_few = torch.zeros(len(y_b), dtype=torch.bool)
is_few[few] = True
print(f"task A: {len(y_a)} images, 600 to pretrain, {len(y_a) - 600} to test")
print(f"task B: {int(is_few.sum())} labelled images to train, {int((~is_few).sum())} to test")


def make_body():
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU())


def train(model, params, X, y, steps, desc):
    optimizer = torch.optim.Adam(params, lr=0.01)
    for _ in tqdm(range(steps), desc=desc, file=sys.stdout, mininterval=0.5):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(X), y).backward()
        optimizer.step()


def accuracy(model, X, y):
    with torch.no_grad():
        return (model(X).argmax(1) == y).float().mean().item()


# %% [markdown]
# The training cell. Read the two lines that matter: `body.requires_grad_(False)` and the
# optimizer built from the parameters that still require grad. (Its output is only progress
# bars.)

# %% tags=["nbval-ignore-output"]
# nbval-ignore-output: the progress bars show speeds and times, which differ on every run
torch.manual_seed(0)
body, old_head = make_body(), nn.Linear(128, 5)
pretrain_model = nn.Sequential(body, old_head)
train(pretrain_model, pretrain_model.parameters(), X_a[:600], y_a[:600], 50, "pretrain on 0-4")
pretrained = copy.deepcopy(body.state_dict())

runs = {}
for start in ["pretrained", "fresh"]:
    for plan in ["frozen body", "train everything"]:
        torch.manual_seed(1)                         # the same new head in every run
        body = make_body()
        if start == "pretrained":
            body.load_state_dict(pretrained)
        if plan == "frozen body":
            body.requires_grad_(False)
        model = nn.Sequential(body, nn.Linear(128, 5))
        params = [p for p in model.parameters() if p.requires_grad]
        train(model, params, X_b[is_few], y_b[is_few], 100, f"{start}, {plan}")
        runs[start, plan] = model

# %% [markdown]
# The results. "task A" re-attaches the *old* head to each pretrained body after the task B
# run: does the body still know digits 0–4?

# %%
task_a_before = accuracy(pretrain_model, X_a[600:], y_a[600:])
print(f"pretrained on 0-4: task A test accuracy {task_a_before:.2f}\n")
print(f"{'body':<11} {'plan':<17} {'trainable':>9} {'task B (5-9)':>13} {'task A (0-4)':>13}")
results = {}
for (start, plan), model in runs.items():
    n_train = sum(p.numel() for p in model.parameters() if p.requires_grad)
    acc_b = accuracy(model, X_b[~is_few], y_b[~is_few])
    acc_a = None  # task A needs the old head, which only fits a pretrained body
    if start == "pretrained":
        acc_a = accuracy(nn.Sequential(model[0], old_head), X_a[600:], y_a[600:])
    results[start, plan] = (n_train, acc_b, acc_a)
    task_a = "" if acc_a is None else f"{acc_a:.2f}"
    print(f"{start:<11} {plan:<17} {n_train:>9} {acc_b:>13.2f} {task_a:>13}")

frozen_p, everything_p = runs["pretrained", "frozen body"], runs["pretrained", "train everything"]
X_few = X_b[is_few]
_, saved_frozen = agv.saved_memory(lambda: frozen_p(X_few))
_, saved_all = agv.saved_memory(lambda: everything_p(X_few))
print(f"\nactivations kept for backward in one step: {saved_frozen.bytes} bytes with the body frozen, "
      f"{saved_all.bytes} training everything")

# %%
assert results["pretrained", "frozen body"][0] == 128 * 5 + 5           # only the head trains
assert results["pretrained", "train everything"][0] == 64 * 128 + 128 + 128 * 5 + 5
assert all(torch.equal(v, pretrained[k]) for k, v in frozen_p[0].state_dict().items())  # untouched
assert all(p.grad is None for p in frozen_p[0].parameters())            # never got a .grad
assert saved_frozen.bytes == saved_all.bytes == 50 * 128 * 4  # the ReLU's output, either way
assert not torch.equal(everything_p[0].state_dict()["0.weight"], pretrained["0.weight"])
assert task_a_before > 0.95
assert results["pretrained", "frozen body"][2] == task_a_before          # task A: exactly kept
assert results["pretrained", "train everything"][2] < task_a_before      # task A: some forgotten
assert all(acc_b > 0.8 for _, acc_b, _ in results.values())              # every run learnt task B
assert results["pretrained", "train everything"][1] > results["pretrained", "frozen body"][1]
assert results["fresh", "frozen body"][1] > results["pretrained", "frozen body"][1]  # the control won
print("checkpoint passed")

# %% [markdown]
# What the table says, honestly:
#
# * **The frozen body works**: a head of 645 parameters, trained on 50 images, reads digits it
#   never saw during pretraining, and the body is bit-for-bit the pretrained one. Its old head
#   still scores exactly what it scored on task A.
# * **Training everything scored higher on task B here**, and paid for it: the body moved, and
#   with the old head it now does worse on task A.
# * **The fresh random body is the control, and it beat the pretrained one when frozen.** On
#   8×8 digits a wide layer of random ReLU features is already a decent input to a linear head,
#   and features learnt to tell 0–4 apart are a little specialised. A pretrained body earns its
#   place only when its features beat that control: run it before you trust a transfer result.
#
# What freezing bought here, for sure: 645 parameters to train instead of 8965, no gradient
# computed for the body, and an old task kept exactly. Not memory: the frozen body records
# nothing, yet the graph keeps the same 25,600 bytes, the body's ReLU output, which the head
# saves as its input anyway (the ReLU story above).

# %% [markdown]
# ## The pitfall: a "frozen" weight that keeps moving
#
# You train everything for a while, then freeze the first layer and go on. The optimizer still
# holds that layer's parameters. Does it leave them alone?
#
# It skips a parameter whose `.grad is None`. But `optimizer.zero_grad(set_to_none=False)`
# (the old default, still common in code) leaves `.grad` as a tensor of **zeros**, and a
# frozen parameter keeps that tensor. To the optimizer a zero gradient is a gradient:
#
# * **weight decay** adds `weight_decay * w` to it, so the weight shrinks;
# * **momentum** keeps pushing in the direction of past steps;
# * **Adam / AdamW** step along their running averages of past gradients, which a zero only
#   shrinks a little at each step.
#
# We measure the largest change of the frozen weight over 3 steps taken after freezing, three
# ways: `.grad` left as zeros, `.grad` set to `None`, and (with zeros again) a layer frozen from
# the very first step. That last one never had a `.grad`, and `zero_grad(set_to_none=False)`
# only zeroes gradients that exist, so its `.grad` stays `None`.

# %%
def drift_after_freezing(make_optimizer, set_to_none, freeze_from_start=False):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    inputs, targets = torch.randn(16, 4), torch.randn(16, 1)
    optimizer = make_optimizer(net.parameters())   # it holds every parameter

    def step():
        optimizer.zero_grad(set_to_none=set_to_none)
        nn.functional.mse_loss(net(inputs), targets).backward()
        optimizer.step()

    if freeze_from_start:
        net[0].requires_grad_(False)
    for _ in range(3):              # train for 3 steps...
        step()
    net[0].requires_grad_(False)    # ...freeze the first layer...
    frozen_weight = net[0].weight.detach().clone()
    for _ in range(3):              # ...and take 3 more steps
        step()
    return (net[0].weight - frozen_weight).abs().max().item()


optimizers = {
    "SGD": lambda p: torch.optim.SGD(p, lr=0.1),
    "SGD, weight_decay=0.01": lambda p: torch.optim.SGD(p, lr=0.1, weight_decay=0.01),
    "SGD, momentum=0.9": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
    "Adam": lambda p: torch.optim.Adam(p, lr=0.1),
    "AdamW": lambda p: torch.optim.AdamW(p, lr=0.1),
}
drifts = {}
print(f"{'optimizer':<24} {'.grad zeros':>12} {'.grad None':>11} {'frozen at start':>16}")
for name, make in optimizers.items():
    drifts[name] = (drift_after_freezing(make, set_to_none=False),
                    drift_after_freezing(make, set_to_none=True),
                    drift_after_freezing(make, set_to_none=False, freeze_from_start=True))
    print(f"{name:<24} {drifts[name][0]:>12.4f} {drifts[name][1]:>11.4f} {drifts[name][2]:>16.4f}")

# %%
for name, (zeros, none, from_start) in drifts.items():
    assert none == 0 and from_start == 0, name      # .grad None: the optimizer skips the weight
    if name == "SGD":
        assert zeros == 0                            # plain SGD: lr * 0 is 0, no harm
    else:
        assert zeros > 0, name                       # decay, momentum, Adam: the weight moves
assert drifts["SGD, momentum=0.9"][0] > 0.1 and drifts["Adam"][0] > 0.1
print("checkpoint passed")

# %% [markdown]
# The fixes, any one of them:
#
# * keep the default `optimizer.zero_grad()` (`set_to_none=True` since torch 2.0), so a frozen
#   parameter's `.grad` goes back to `None` and stays there;
# * when you freeze, also drop the old gradient: `for p in layer.parameters(): p.grad = None`;
# * build a new optimizer with only the trainable parameters (this also forgets their
#   momentum and Adam state, which may or may not be what you want).

# %% [markdown]
# ## Exercise
#
# In the big model (four `Linear(1024, 1024)` with ReLUs, batch 256), you freeze **only
# `lin0`**. How many MiB of activations does the graph keep? (Nothing frozen: 3 MiB; `lin0` and
# `lin1` frozen: 2 MiB.) Answer, then check: `saved_when_frozen("lin0")[1].mib`.

# %%
saved_lin0 = saved_when_frozen("lin0")[1]
right = f"{saved_lin0.mib:g} MiB"

# %%
# The exercise. This cell is hidden: it checks your answer, so run it, don't read it.
assert saved_lin0.bytes == 3 * MiB and right == "3 MiB"  # checked on every test run (hidden with the quiz)
agv.quiz("Only lin0 frozen: how many MiB of activations does the graph keep?",
         options=["4 MiB", "3 MiB", "2 MiB", "1 MiB", "0 MiB"], answer=right,
         explain="lin0 and relu0 record nothing, so x is no longer saved, but x is your batch: it "
                 "exists anyway. lin1 still saves its input (relu0's output) to compute its weight's "
                 "gradient, and so do the layers after it: all 3 MiB remain. The graph is shorter, "
                 "not smaller.")

# %% [markdown]
# ## Takeaways
#
# * `module.requires_grad_(False)` freezes every parameter in it; `model.requires_grad = False`
#   freezes nothing.
# * Frozen parameters get no `AccumulateGrad` node and keep `.grad is None`: no gradient buffer.
# * Freezing does not change the output. It changes what is recorded: a frozen *leading* block
#   fed data that does not require grad records and saves nothing, just like `no_grad`; a frozen
#   layer in the middle or at the end still passes gradient through, and spares only what its
#   own weights alone needed: nothing behind a ReLU (which keeps that input), its input behind
#   GELU or no activation.
# * Give the optimizer only what trains, and let `zero_grad()` set gradients to `None`: a zero
#   `.grad` lets weight decay, momentum and Adam move a "frozen" weight.
# * Transfer learning is a bet that the frozen features suit the new task; compare with a fresh
#   body to know whether you won it.
#
# Next: [05 · detach](05_detach.ipynb), which cuts the graph at one tensor.
