# %% [markdown]
# # 07 · `model.eval()` is not `torch.no_grad()`
#
# **The question.** A typical validation loop writes `model.eval()` and `with torch.no_grad():`
# together. What does each one do on its own, and what goes wrong when you use only one?
#
# **Predict before you run.** A small model has a `Dropout` and a `BatchNorm1d` layer. After
# `model.eval()`:
# 1. does any parameter's `requires_grad` change?
# 2. does the output have a `grad_fn`, and does `backward()` fill `.grad`?
# 3. in *train* mode, under `torch.no_grad()`, does BatchNorm's `running_mean` change?
#
# Write your three answers down, then run the notebook.

# %%
from collections import OrderedDict

import torch
import torch.nn as nn

import autogradviz as agv

torch.manual_seed(0)
print("torch", torch.__version__)

# %% [markdown]
# ## A small model with the two layers that care about `.training`
#
# `Dropout` zeroes random activations in training (and scales the rest by 2, for `p=0.5`).
# `BatchNorm1d` normalises with the batch's own mean and variance in training, and keeps a
# running average of them (of the unbiased variance) in two **buffers**, `running_mean` and
# `running_var`. In evaluation it uses those running averages instead. The other layers do the
# same thing in both modes.

# %%
model = nn.Sequential(OrderedDict(
    lin0=nn.Linear(3, 4),
    bn=nn.BatchNorm1d(4),
    relu=nn.ReLU(),
    drop=nn.Dropout(0.5),
    lin1=nn.Linear(4, 1),
))
x = torch.randn(4, 3)  # a batch of 4 examples with 3 features; x itself does not require grad
fresh = {k: v.clone() for k, v in model.state_dict().items()}  # to start each experiment afresh
print(model)
print("buffers:", [name for name, _ in model.named_buffers()])

# %% [markdown]
# ## What `model.eval()` changes
#
# We note every public attribute of every module, call `model.eval()`, and compare.

# %%
def public_attributes(model):
    return {(name or "model", key): value
            for name, module in model.named_modules()
            for key, value in vars(module).items() if not key.startswith("_")}


before = public_attributes(model)
model.eval()
after = public_attributes(model)
print("changed:", sorted(key for key in after if after[key] != before[key]))
print("training:", {name or "model": m.training for name, m in model.named_modules()})
print("requires_grad:", {name: p.requires_grad for name, p in model.named_parameters()})

# %% [markdown]
# One attribute changed, on every module: `training`, from `True` to `False`. That is all
# `eval()` does (it is `model.train(False)`, which sets the flag on the model and each submodule).
# Dropout and BatchNorm read the flag in their `forward`. Nothing touches `requires_grad`, and
# the parameters and buffers keep their values.

# %% [markdown]
# ### Checkpoint: `eval()` only flips `.training`

# %%
assert all(not m.training for m in model.modules())
assert {key for key in after if after[key] != before[key]} == {
    (name or "model", "training") for name, _ in model.named_modules()}
assert all(p.requires_grad for p in model.parameters())
assert all(torch.equal(v, fresh[k]) for k, v in model.state_dict().items())
print("checkpoint passed")

# %% [markdown]
# ## Gradients in eval mode
#
# The model is still in eval mode. Run it, and call `backward()`.

# %%
out = model(x)
print("out.requires_grad:", out.requires_grad, " grad_fn:", type(out.grad_fn).__name__)
out.sum().backward()
print(agv.grads(model))

# %% [markdown]
# Autograd recorded the forward pass as usual, and `backward()` gave **every** parameter a
# gradient. Eval mode is not a grad mode: `torch.is_grad_enabled()` is still `True`.

# %%
assert out.requires_grad and out.grad_fn is not None
assert all(row.has_grad for row in agv.grads(model).rows)
assert torch.is_grad_enabled()
print("checkpoint passed")

# %% [markdown]
# ## A seed article's claim, tested
#
# One article (seed 002, "Pytorch Set Part Gradient To Zero") lists `model.eval()`
# among the ways to freeze part of a model:
#
# > *"While primarily intended for switching a model to evaluation mode, model.eval() can also be
# > used to freeze gradients. During evaluation mode, gradients are typically disabled to avoid
# > unnecessary computations."*
#
# Its example is `model = nn.Linear(10, 1)` followed by `model.eval()`. We run exactly that, then
# one training step. If `eval()` froze anything, the weight would not move.

# %%
article_model = nn.Linear(10, 1)
article_model.eval()  # "Freeze gradients during evaluation", says the article

optimizer = torch.optim.SGD(article_model.parameters(), lr=0.1)
weight_before = article_model.weight.detach().clone()
loss = article_model(torch.randn(8, 10)).pow(2).mean()
loss.backward()
optimizer.step()
print("weight.grad is None:", article_model.weight.grad is None)
print("weight moved by:", f"{(article_model.weight.detach() - weight_before).abs().max().item():.4f}")

# %%
assert article_model.weight.requires_grad and article_model.weight.grad is not None
assert not torch.equal(article_model.weight.detach(), weight_before)  # the "frozen" weight trained
print("checkpoint passed: the claim is refuted")

# %% [markdown]
# **Verdict: false.** `eval()` freezes nothing. The gradient is computed and the optimizer
# updates the weight. "Gradients are typically disabled during evaluation" is true only because
# people *also* write `torch.no_grad()`: that is the part that disables them. To freeze
# parameters, use `requires_grad_(False)` ([04 · freezing](04_freezing.ipynb)).
#
# Two other seed articles get this right:
#
# * seed 000: *"Note that model.eval() does not change the requires_grad attribute of
#   parameters; it only modifies the training attribute of layers."* Exactly what the first
#   checkpoint asserted.
# * seed 001: *"model.eval() :改变模型层的行为(如关闭Dropout、固定BatchNorm统计量),但不影响梯度计算。"*
#   ("changes how layers behave, such as turning Dropout off and fixing BatchNorm's statistics,
#   but does not affect gradient computation"). Right: gradients are still computed. One nuance:
#   the gradient *values* change, because eval mode computes a different function (no Dropout,
#   running statistics). We check that next.

# %%
model.load_state_dict(fresh)
grads_of = {}
for mode in ["train", "eval"]:
    model.train(mode == "train")
    model.zero_grad()
    torch.manual_seed(0)  # the same Dropout mask each time we run in train mode
    model(x).sum().backward()
    grads_of[mode] = model.lin0.weight.grad.clone()
    print(mode, "lin0.weight.grad norm:", f"{grads_of[mode].norm():.4f}")

# %%
assert not torch.allclose(grads_of["train"], grads_of["eval"])  # computed in both, but different
print("checkpoint passed")

# %% [markdown]
# ## What eval mode does change: the shape of the graph
#
# Dropout and BatchNorm compute something else in eval mode. Does autograd record something
# else too? Predict first. The cell below runs the model once in each mode and draws both
# graphs, without showing them yet. (The node names are the CPU's, where this runs; on a CUDA
# GPU, Dropout and BatchNorm record other backward nodes, such as `NativeDropoutBackward0`.)

# %%
NODES = {  # the backward node each layer records, as the graph labels it
    "MulBackward0 (Dropout)": "MulBackward0",
    "NativeBatchNormBackward0 (BatchNorm)": "NativeBatchNormBackward0",
    "ReluBackward0 (ReLU)": "ReluBackward0",
    "AddmmBackward0 (the Linear layers)": "AddmmBackward0",
}
model.load_state_dict(fresh)
model.train()
torch.manual_seed(0)
graph_train = agv.draw(model(x), params=model)
model.eval()
graph_eval = agv.draw(model(x), params=model)
labels_train = [node.label for node in graph_train.nodes]
labels_eval = [node.label for node in graph_eval.nodes]
gone = {option for option, label in NODES.items() if label in labels_train and label not in labels_eval}

# %%
# The exercise. This cell is hidden: it checks your answer, so run it, don't read it.
assert gone == {"MulBackward0 (Dropout)"}  # checked on every test run (hidden with the quiz)
agv.quiz("Which of these nodes are in the train-mode graph but missing from the eval-mode graph?",
         options=list(NODES), answer=gone,
         explain="In train mode Dropout multiplies its input by a random mask, recorded as "
                 "MulBackward0; in eval mode it returns its input untouched: no operation, no node. "
                 "BatchNorm is recorded in both modes; only the statistics it uses differ.")

# %% [markdown]
# Train mode first. The dashed "no history" input of `MulBackward0` is Dropout's random mask:
# a constant for autograd.

# %%
graph_train

# %% [markdown]
# Now eval mode. Between `ReluBackward0` and the last `AddmmBackward0` there is no
# `MulBackward0`: Dropout returned its input untouched. BatchNorm is still there
# (`NativeBatchNormBackward0`); only the statistics it normalises with have changed.

# %%
graph_eval

# %%
print("train:", sorted(set(labels_train) - set(labels_eval)), "only in train mode")
print("eval: ", sorted(set(labels_eval) - set(labels_train)), "only in eval mode")

# %%
assert "MulBackward0" in labels_train       # Dropout's mask, recorded
assert "MulBackward0" not in labels_eval    # Dropout is a no-op in eval mode
assert "NativeBatchNormBackward0" in labels_train and "NativeBatchNormBackward0" in labels_eval
assert sum(n.kind == "leaf" for n in graph_eval.nodes) == 6  # all six parameters still get .grad
assert x.device.type == "cpu"  # the node names above are the CPU's
print("checkpoint passed")

# %% [markdown]
# ## BatchNorm learns its statistics in every forward pass in train mode, even under `no_grad`
#
# `running_mean` and `running_var` are not parameters: no gradient updates them. BatchNorm
# updates them itself, in place, during every forward pass in train mode. `torch.no_grad()` only
# stops recording, so it does not stop that update. A "validation" pass in train mode changes the
# model.

# %%
model.load_state_dict(fresh)
model.train()  # forgot model.eval()
mean_before = model.bn.running_mean.clone()
with torch.no_grad():
    model(x)
print("train + no_grad: running_mean", [round(v, 4) for v in mean_before.tolist()],
      "->", [round(v, 4) for v in model.bn.running_mean.tolist()],
      " batches tracked:", model.bn.num_batches_tracked.item())

model.load_state_dict(fresh)
model.eval()
with torch.no_grad():
    model(x)
print("eval  + no_grad: running_mean", [round(v, 4) for v in model.bn.running_mean.tolist()],
      " batches tracked:", model.bn.num_batches_tracked.item())

# %%
model.load_state_dict(fresh)
model.train()
with torch.no_grad():
    model(x)
    h = model.lin0(x)  # what BatchNorm saw
assert not torch.equal(model.bn.running_mean, fresh["bn.running_mean"])  # no_grad did not stop it
assert model.bn.num_batches_tracked.item() == 1
# a running average with momentum 0.1, from 0 and 1; the variance's unbiased estimate
assert torch.allclose(model.bn.running_mean, 0.1 * h.mean(0))
assert torch.allclose(model.bn.running_var, 0.9 + 0.1 * h.var(0, unbiased=True))

model.load_state_dict(fresh)
model.eval()
model(x)  # eval mode, even with grad enabled: the statistics stay put
assert torch.equal(model.bn.running_mean, fresh["bn.running_mean"])
assert torch.equal(model.bn.running_var, fresh["bn.running_var"])
assert model.bn.num_batches_tracked.item() == 0
print("checkpoint passed")

# %% [markdown]
# ## Explore: the two switches, all four combinations
#
# `mode` is the layer behaviour (`model.train()` / `model.eval()`); `grad` is the grad mode
# (recording on, or `torch.no_grad()`). The function restores the model from `fresh` and reseeds
# before each run, so every redraw starts from the same state and draws the same Dropout mask.
# What it prints appears above the graph.

# %%
def run(mode="train", grad="grad"):
    model.load_state_dict(fresh)  # the same BatchNorm statistics at the start of every run
    if mode == "train":
        model.train()
    else:
        model.eval()
    torch.manual_seed(0)  # the same Dropout mask at every redraw
    mean_before = model.bn.running_mean.clone()
    if grad == "no_grad":
        with torch.no_grad():
            out = model(x)
    else:
        out = model(x)
    changed = not torch.equal(model.bn.running_mean, mean_before)
    print("model.training =", model.training)
    print("out =", [f"{v:.4f}" for v in out.squeeze(1).tolist()])
    print("out.requires_grad =", out.requires_grad,
          " grad_fn =", type(out.grad_fn).__name__ if out.grad_fn else None)
    print("bn.running_mean before:", [f"{v:.4f}" for v in mean_before.tolist()])
    print("bn.running_mean after: ", [f"{v:.4f}" for v in model.bn.running_mean.tolist()],
          "(changed)" if changed else "(unchanged)")
    return out


# %%
agv.explore(run, params=model, mode=["train", "eval"], grad=["grad", "no_grad"])

# %% [markdown]
# Things to try:
# * **train → eval** (grad on): `MulBackward0` (Dropout) leaves the graph, the outputs change,
#   `running_mean` stays at zero, and all six parameters still get a gradient in the table.
# * **grad → no_grad** (train mode): the graph is gone (one output node, no history) and every
#   parameter moves to the "will get no .grad" box, yet `running_mean` *still* changes.
# * **eval + no_grad**: the inference setting. No graph, no change to the model.
# * look at `lin0.bias` in the table: norm `0.0000` in train mode, not in eval mode. In train mode
#   BatchNorm subtracts the batch mean, so shifting all its inputs by a bias changes nothing: the
#   gradient is zero in exact arithmetic (in float32, rounding leaves about `1e-7`, printed
#   below). Another case of eval mode changing gradient *values*.

# %% [markdown]
# ### Checkpoint: the four combinations, asserted

# %%
import contextlib
import io

table = {}
for mode in ["train", "eval"]:
    for grad in ["grad", "no_grad"]:
        with contextlib.redirect_stdout(io.StringIO()):  # run() prints for the explorer; not here
            out = run(mode, grad)
        labels = [n.label for n in agv.draw(out, params=model).nodes]
        model.zero_grad()
        if out.requires_grad:
            out.sum().backward()
        table[mode, grad] = dict(
            lin0_bias_grad=model.lin0.bias.grad.norm().item() if out.requires_grad else None,
            out=out.detach().clone(),
            requires_grad=out.requires_grad,
            dropout_in_graph="MulBackward0" in labels,
            bn_stats_changed=not torch.equal(model.bn.running_mean, fresh["bn.running_mean"]),
        )
print(f"{'mode':6} {'grad':8} {'requires_grad':14} {'Dropout node':13} {'BN stats changed'}")
for (mode, grad), row in table.items():
    print(f"{mode:6} {grad:8} {row['requires_grad']!s:14} {row['dropout_in_graph']!s:13} "
          f"{row['bn_stats_changed']}")

# %%
assert [row["requires_grad"] for row in table.values()] == [True, False, True, False]
assert [row["dropout_in_graph"] for row in table.values()] == [True, False, False, False]
assert [row["bn_stats_changed"] for row in table.values()] == [True, True, False, False]
# grad mode never changes the numbers; the layer mode does
assert torch.equal(table["train", "grad"]["out"], table["train", "no_grad"]["out"])
assert torch.equal(table["eval", "grad"]["out"], table["eval", "no_grad"]["out"])
assert not torch.equal(table["train", "grad"]["out"], table["eval", "grad"]["out"])
# BatchNorm in train mode cancels lin0's bias: its gradient is zero up to float rounding; in eval
# mode it is not
print("lin0.bias gradient norm, train mode:", table["train", "grad"]["lin0_bias_grad"])
assert table["train", "grad"]["lin0_bias_grad"] < 1e-6 < table["eval", "grad"]["lin0_bias_grad"]
print("checkpoint passed")

# %% [markdown]
# The two switches are independent. `mode` decides **what the layers compute** (and whether
# BatchNorm updates its statistics). `grad` decides **whether autograd records** it. Neither
# does the other's job.

# %% [markdown]
# ## The right recipe for inference
#
# Use both, and switch back to train mode before training again:

# %%
model.load_state_dict(fresh)
model.train()

model.eval()             # layers: Dropout off, BatchNorm uses its running statistics
with torch.no_grad():    # autograd: record nothing, save nothing
    preds = model(x)
model.train()            # back to training behaviour before the next training step

print("preds:", [f"{v:.4f}" for v in preds.squeeze(1).tolist()], " requires_grad:", preds.requires_grad)
print("model.training:", model.training)

# %% [markdown]
# `torch.inference_mode()` can replace `torch.no_grad()` here: same numbers, and a little leaner
# (see [08 · grad modes](08_grad_modes.ipynb)). Its results are *inference tensors*, which you
# cannot later feed into a recorded computation that saves them.

# %%
model.eval()
with torch.inference_mode():
    preds_inference = model(x)
model.train()
print("same predictions:", torch.equal(preds, preds_inference), " is_inference:", preds_inference.is_inference())

# %%
assert not preds.requires_grad and preds.grad_fn is None
assert torch.equal(preds, preds_inference) and preds_inference.is_inference()
assert model.training and all(m.training for m in model.modules())
assert torch.equal(model.bn.running_mean, fresh["bn.running_mean"])  # validation left no trace
print("checkpoint passed")

# %% [markdown]
# ## The pitfalls
#
# **1. `no_grad` without `eval()`.** Validation silently changes BatchNorm's statistics (shown
# above), and Dropout still drops: two passes over the same batch give different predictions.

# %%
model.load_state_dict(fresh)
model.train()  # forgot model.eval()
with torch.no_grad():
    first = model(x)
    second = model(x)
print("first: ", [f"{v:.4f}" for v in first.squeeze(1).tolist()])
print("second:", [f"{v:.4f}" for v in second.squeeze(1).tolist()])
print("BatchNorm has now seen", model.bn.num_batches_tracked.item(), "validation batches")

# %%
assert not torch.equal(first, second)  # random Dropout masks
assert model.bn.num_batches_tracked.item() == 2
print("checkpoint passed")

# %% [markdown]
# **2. `eval()` without `no_grad`.** The numbers are right, but autograd records the whole
# forward pass and keeps the activations its backward would need, for nothing. `agv.saved_memory`
# counts the activations, the tensors the forward pass created and the graph keeps. (The graph
# also holds on to `x`, `bn.weight`, `lin1.weight` and BatchNorm's running statistics, which
# exist anyway.)

# %%
model.load_state_dict(fresh)
model.eval()
_, saved_eval_only = agv.saved_memory(lambda: model(x))
x8 = torch.randn(8, 3)  # a batch twice as big
_, saved_batch_8 = agv.saved_memory(lambda: model(x8))
with torch.no_grad():
    _, saved_both = agv.saved_memory(lambda: model(x))
model.train()
print(f"eval() only:         {saved_eval_only.bytes} bytes in {saved_eval_only.activations} activations")
print(f"eval() + no_grad():  {saved_both.bytes} bytes in {saved_both.activations} activations")

# %%
assert saved_eval_only.bytes == 2 * (4 * 4 * 4)  # lin0's and the ReLU's outputs: 4 x 4 floats each
assert saved_eval_only.existing_bytes == (4 * 3 + 4 + 4 + 4 + 4) * 4  # x, bn.weight, running stats, lin1.weight
assert saved_both.bytes == 0 and saved_both.tensors == 0
assert saved_batch_8.bytes == 2 * saved_eval_only.bytes  # twice the batch, twice the activations
print("checkpoint passed")

# %% [markdown]
# Here that is 128 bytes; it grows with the batch (twice the batch, twice the bytes), and
# [09 · memory and speed](09_memory_and_speed.ipynb) measures it on bigger models.
#
# **3. Forgetting `model.train()` afterwards.** Training then goes on with Dropout off and
# BatchNorm's statistics frozen. Nothing fails, nothing warns: the model just trains worse.

# %%
model.load_state_dict(fresh)
model.eval()
with torch.no_grad():
    preds = model(x)
# ... forgot model.train(); the next "training" step:
loss = model(x).pow(2).mean()
loss.backward()
print("model.training:", model.training, " batches tracked by BatchNorm:", model.bn.num_batches_tracked.item())

# %%
assert not model.training and model.bn.num_batches_tracked.item() == 0
model.train()  # the fix
print("checkpoint passed")

# %% [markdown]
# A function that validates and always restores the mode it found, even if something raises.
# It restores each module's own flag: `model.train(was_training)` would set them all alike, and
# wake up a BatchNorm you had kept in eval mode on purpose (a frozen backbone, say).

# %%
@torch.no_grad()
def evaluate(model, inputs):
    modes = {module: module.training for module in model.modules()}
    model.eval()
    try:
        return model(inputs)
    finally:
        for module, training in modes.items():
            module.training = training


model.load_state_dict(fresh)
model.bn.eval()  # a BatchNorm kept in eval mode inside a training model
preds = evaluate(model, x)
print("preds require grad:", preds.requires_grad, " model.training after:", model.training,
      " model.bn.training after:", model.bn.training)

# %%
assert not preds.requires_grad and model.training and not model.bn.training  # each flag as it was
assert torch.equal(model.bn.running_mean, fresh["bn.running_mean"])
model.train(True)
assert model.bn.training  # model.train() sets every flag alike: it would have woken the BatchNorm
print("checkpoint passed")

# %% [markdown]
# ## Exercise
#
# Of the four runs in the explorer, which ones leave the model exactly as it was: every
# parameter *and* every buffer unchanged? Answer, then check it in the explorer. (The answer
# below is computed by running `run()` four times and comparing `model.state_dict()` with `fresh`.)

# %%
RUNS = {"train + grad": ("train", "grad"), "train + no_grad": ("train", "no_grad"),
        "eval + grad": ("eval", "grad"), "eval + no_grad": ("eval", "no_grad")}
untouched = set()
for option, (mode, grad) in RUNS.items():
    with contextlib.redirect_stdout(io.StringIO()):  # run() prints for the explorer; not here
        run(mode, grad)
    if all(torch.equal(v, fresh[k]) for k, v in model.state_dict().items()):
        untouched.add(option)
model.load_state_dict(fresh)
model = model.train()  # back to how the notebook found it

# %%
# The exercise. This cell is hidden: it checks your answer, so run it, don't read it.
assert untouched == {"eval + grad", "eval + no_grad"}  # checked on every test run (hidden with the quiz)
agv.quiz("Of the explorer's four runs, which leave every parameter and buffer of the model unchanged?",
         options=list(RUNS), answer=untouched,
         explain="No run changes a parameter (there is no optimizer step). But in train mode BatchNorm "
                 "updates running_mean, running_var and num_batches_tracked in every forward pass, with "
                 "or without no_grad.")

# %% [markdown]
# ## Takeaways
#
# * `model.eval()` sets `.training = False` on every module. That is all. Dropout and BatchNorm
#   read the flag; `requires_grad`, the graph recording and `backward()` are untouched.
# * `eval()` freezes nothing (seed 002 is wrong): outputs have a `grad_fn`, every parameter gets
#   a gradient, an optimizer step moves the weights.
# * Eval mode changes the graph's shape (Dropout's node, `MulBackward0` on the CPU, disappears)
#   and the gradients' values, not whether they are computed.
# * In train mode BatchNorm updates its running statistics in every forward pass, even under
#   `torch.no_grad()`. Validating without `eval()` changes the model.
# * For inference: `model.eval()` **and** `torch.no_grad()` (or `torch.inference_mode()`), then
#   `model.train()` before training again.
#
# Next: [08 · grad modes](08_grad_modes.ipynb): `no_grad`, `enable_grad`, `set_grad_enabled`
# and `inference_mode`, nested, as decorators, and across threads.
