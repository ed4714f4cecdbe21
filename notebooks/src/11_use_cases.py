# %% [markdown]
# # 11 · Ten everyday jobs, and the right switch for each
#
# **The question.** A widely shared list names ten jobs where `torch.no_grad()` is "required (or
# strongly recommended)": evaluation, validation, metrics, serving, feature extraction, frozen
# layers, distillation, generation, reinforcement learning, post-processing. For each, which
# switch is really the right one, and what goes wrong with the wrong one?
#
# **Predict before you run.** For each job, pick one or more of `no_grad`, `inference_mode`,
# `requires_grad_(False)`, `.detach()`, `eval()`. Then: in which jobs does
# `inference_mode` (the "leaner `no_grad`") raise an error? And in which job does `no_grad`
# change nothing at all?
#
# Each job below is one short code cell on real data (scikit-learn's handwritten digits) or a
# tiny synthetic problem, then a checkpoint that asserts what the text claims. The notebook
# ends with a cheat sheet.

# %%
import contextlib
import copy
import io
import json

import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_digits

import autogradviz as agv

torch.set_num_threads(1)  # tiny models: one thread is faster than threads that wait for each other
torch.manual_seed(0)
print("torch", torch.__version__)

# %% [markdown]
# ## The data and the model
#
# 8×8 images of handwritten digits, shipped inside scikit-learn. The model is pretrained on the
# digits 0–4; the digits 5–9 are kept for a *new* task (jobs 5 and 6). The model has a
# `BatchNorm1d` and a `Dropout`, the two most common layers that behave differently under `eval()`
# (RNN dropout, attention dropout, `RReLU` and `InstanceNorm` with running statistics do too).

# %%
digits = load_digits()
order = torch.randperm(len(digits.target))                  # shuffle: writers differ across the file
X_all = torch.tensor(digits.data, dtype=torch.float32)[order] / 16  # pixels in [0, 1]
y_all = torch.tensor(digits.target)[order]
X, y = X_all[y_all < 5], y_all[y_all < 5]                   # pretraining task: digits 0-4
X_new, y_new = X_all[y_all >= 5], y_all[y_all >= 5] - 5    # new task: digits 5-9, labels 0-4
X_train, y_train = X[:600], y[:600]
X_val, y_val = X[600:750], y[600:750]
X_test, y_test = X[750:], y[750:]
print("train", len(X_train), "val", len(X_val), "test", len(X_test), "new task", len(X_new))

model = nn.Sequential(
    nn.Linear(64, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.2),  # backbone: model[:4]
    nn.Linear(32, 5),                                                   # head: model[4]
)
opt = torch.optim.Adam(model.parameters(), lr=0.01)
model.train()
for epoch in range(3):
    for i in range(0, len(X_train), 50):
        opt.zero_grad()
        loss = F.cross_entropy(model(X_train[i:i + 50]), y_train[i:i + 50])
        loss.backward()
        opt.step()
opt.zero_grad()  # every .grad back to None, so the jobs below start clean
print(f"last training loss {loss.item():.4f}")

# %% [markdown]
# ## 1 · The evaluation loop
#
# The seed's snippet, `model.eval()` then `with torch.no_grad(): preds = model(x_val)`, is right.
# Two refinements. The accuracy never goes back into autograd, so `torch.inference_mode()`, the
# leaner switch, fits. And a function that switches the model to `eval()` should give it back in
# the mode it found it: the seed never calls `model.train()` again (job 2 shows what that costs).

# %%
@torch.inference_mode()
def evaluate(model, X, y, batch_size=50):
    was_training = model.training
    model.eval()                     # Dropout off, BatchNorm uses its running statistics
    try:
        logits = torch.cat([model(X[i:i + batch_size]) for i in range(0, len(X), batch_size)])
    finally:
        model.train(was_training)    # give the model back in the mode we found it, even on an error
    accuracy = (logits.argmax(1) == y).float().mean().item()
    return accuracy, logits


accuracy, test_logits = evaluate(model, X_test, y_test)
print(f"test accuracy {accuracy:.4f}; model.training afterwards: {model.training}")

# %%
assert accuracy > 0.9
assert model.training                                   # restored
assert test_logits.grad_fn is None and not test_logits.requires_grad
assert test_logits.is_inference()                       # made under inference_mode
assert all(p.grad is None for p in model.parameters())  # nothing was back-propagated
assert torch.equal(evaluate(model, X_test, y_test)[1], test_logits)  # eval(): no Dropout noise
print("checkpoint passed")

# %% [markdown]
# ## 2 · Validation during training
#
# The seed validates with `with torch.no_grad(): val_loss = criterion(model(x_val), y_val)` and
# no `eval()`. Then Dropout adds noise to the validation loss and, worse, BatchNorm **updates its
# running statistics with the validation data**: `no_grad` does not stop that (the explorer
# below shows it). So call `eval()`. Then comes the opposite pitfall: after validation, the model
# is still in eval mode. Put `model.train()` at the top of *every* epoch, not once before the
# loop. `forget_train=True` below makes that mistake on purpose.

# %%
def fit(model, opt, epochs, forget_train=False):
    modes_seen, val_losses = [], []   # model.training at each training step; val loss per epoch
    model.train()
    for epoch in range(epochs):
        if not forget_train:
            model.train()             # validation below switched the model to eval: switch back
        for i in range(0, len(X_train), 50):
            modes_seen.append(model.training)
            opt.zero_grad()
            F.cross_entropy(model(X_train[i:i + 50]), y_train[i:i + 50]).backward()
            opt.step()
        model.eval()
        with torch.no_grad():         # .item() makes a float: inference_mode would do as well
            val_losses.append(F.cross_entropy(model(X_val), y_val).item())
    model.train()
    return modes_seen, val_losses


buggy = copy.deepcopy(model)          # the same model, trained with the pitfall
modes_seen, val_losses = fit(model, opt, epochs=3)
buggy_modes, _ = fit(buggy, torch.optim.Adam(buggy.parameters(), lr=0.01), 3, forget_train=True)
print("val loss per epoch:", [round(v, 4) for v in val_losses])
print("train mode at each step, buggy loop:", "".join("T" if m else "e" for m in buggy_modes))

# %% [markdown]
# In the buggy loop, only the first epoch (12 steps) trained in train mode. Epochs 2 and 3
# trained with Dropout off and BatchNorm frozen, with no error and no warning.

# %%
assert modes_seen == [True] * 36                       # 3 epochs x 12 batches, all in train mode
assert buggy_modes == [True] * 12 + [False] * 24       # the pitfall: epochs 2 and 3 ran in eval
assert all(isinstance(v, float) for v in val_losses)   # floats: no graph kept alive
assert model.training
print("checkpoint passed")

# %% [markdown]
# ### Explore: a validation step, with and without `eval()` and `no_grad`
#
# The explorer runs one validation step on a copy of the model, in the middle of training, with
# `eval()` on or off and `no_grad` on or off. It starts at the seed's snippet: `no_grad` without
# `eval()`. It prints whether BatchNorm's running mean changed and whether a graph was built,
# draws the graph, and runs `backward()` if there is one.

# %%
val_model = copy.deepcopy(model)  # a copy: the explorer must not disturb `model`
snapshot = copy.deepcopy(val_model.state_dict())
bn = val_model[1]


def validation_step(eval_mode=False, no_grad=True):
    torch.manual_seed(0)                 # the same Dropout mask on every redraw
    val_model.load_state_dict(snapshot)  # every run starts from the same model
    val_model.train()                    # we are in the middle of training
    if eval_mode:
        val_model.eval()
    if no_grad:
        with torch.no_grad():
            val_loss = F.cross_entropy(val_model(X_val), y_val)
    else:
        val_loss = F.cross_entropy(val_model(X_val), y_val)
    changed = not torch.equal(bn.running_mean, snapshot["1.running_mean"])
    print(f"model.training during validation: {val_model.training}")
    print(f"BatchNorm running_mean changed:   {changed}")
    print(f"graph built: {type(val_loss.grad_fn).__name__ if val_loss.grad_fn else 'no'}")
    print(f"val loss {val_loss.item():.4f}")
    val_model.train()
    return val_loss


val_params = {"lin0": val_model[0], "bn": val_model[1], "lin1": val_model[4]}
# %%
agv.explore(validation_step, params=val_params, eval_mode=False, no_grad=True)

# %% [markdown]
# Click through the four settings:
# * `eval_mode` off, `no_grad` on (the seed's snippet): no graph, but **BatchNorm's running mean
#   changed**: validation data leaked into the model;
# * `eval_mode` on: the running mean is untouched, the Dropout node (`MulBackward0` on the CPU)
#   leaves the graph, and the loss changes (no Dropout noise, running statistics instead of batch ones);
# * `no_grad` off: a full graph is built and `backward()` fills every `.grad`; `eval()` alone
#   does not stop that. (With `eval_mode` off, `lin0.bias` gets a gradient of norm 0.0000: zero in
#   exact arithmetic, because BatchNorm right after it subtracts the batch mean, and the bias with
#   it; rounding leaves about 1e-8. In eval mode, BatchNorm subtracts a fixed running mean
#   instead, and the bias matters again.)

# %%
def outcome(eval_mode, no_grad):
    with contextlib.redirect_stdout(io.StringIO()):  # the checks below say what was printed
        val_loss = validation_step(eval_mode, no_grad)
    return not torch.equal(bn.running_mean, snapshot["1.running_mean"]), val_loss.grad_fn is not None


assert outcome(eval_mode=False, no_grad=True) == (True, False)   # seed's snippet: stats moved
assert outcome(eval_mode=True, no_grad=True) == (False, False)   # the right validation step
assert outcome(eval_mode=True, no_grad=False) == (False, True)   # eval() builds a graph anyway
assert outcome(eval_mode=False, no_grad=False) == (True, True)
with contextlib.redirect_stdout(io.StringIO()):
    graph_train = agv.draw(validation_step(eval_mode=False, no_grad=False))
    graph_eval = agv.draw(validation_step(eval_mode=True, no_grad=False))
assert sum(n.label == "MulBackward0" for n in graph_train.nodes) == 1  # Dropout's mask
assert sum(n.label == "MulBackward0" for n in graph_eval.nodes) == 0


def lin0_bias_grad_norm(eval_mode):
    val_model.zero_grad()
    with contextlib.redirect_stdout(io.StringIO()):
        validation_step(eval_mode, no_grad=False).backward()
    return val_model[0].bias.grad.norm().item()


assert 0 < lin0_bias_grad_norm(eval_mode=False) < 1e-6 < 1e-3 < lin0_bias_grad_norm(eval_mode=True)
print("checkpoint passed")

# %% [markdown]
# ## 3 · Metrics
#
# The seed wraps `model(x_test)` in `no_grad` before computing accuracy. For a fresh pass over
# test data, that is job 1. But most metrics are computed on tensors you *already have*, inside
# the training loop. There, `no_grad` is not what matters:
# * accuracy goes through `argmax`, which returns integer indices: never differentiable, never
#   recorded. No switch needed;
# * a **running loss** is the trap: `running = running + loss` links every step's graph to the
#   previous ones, and they all stay alive as long as `running` does. (Here each `backward()`
#   has already freed the saved tensors of its step. Sum losses that never go through
#   `backward()`, validation losses computed without `no_grad`, and nothing is freed at all.)
#   Use `loss.item()` (or `loss.detach()`).

# %%
running_tensor, running_float = 0.0, 0.0
for i in range(0, 200, 50):                          # four more training steps
    opt.zero_grad()
    logits = model(X_train[i:i + 50])
    loss = F.cross_entropy(logits, y_train[i:i + 50])
    loss.backward()
    opt.step()
    running_tensor = running_tensor + loss            # the trap: a graph across steps
    running_float += loss.item()                      # a Python float
    batch_acc = (logits.argmax(1) == y_train[i:i + 50]).float().mean()

confusion = torch.bincount(y_test * 5 + test_logits.argmax(1), minlength=25).view(5, 5)
print(f"running loss {running_float:.4f}, last batch accuracy {batch_acc.item():.4f}")
print("confusion matrix (rows: true digit, columns: predicted):\n", confusion)

# %%
losses_kept = sum(n.label == "NllLossBackward0" for n in agv.draw(running_tensor).nodes)
print("loss graphs kept alive by running_tensor:", losses_kept)
assert type(running_tensor.grad_fn).__name__ == "AddBackward0" and losses_kept == 4
assert isinstance(running_float, float)
assert batch_acc.grad_fn is None and not batch_acc.requires_grad  # argmax cut it, no no_grad needed
assert logits.grad_fn is not None                                 # though the logits had a graph
assert confusion.sum() == len(y_test)
assert abs(confusion.trace().item() / len(y_test) - accuracy) < 1e-6  # the diagonal is job 1's accuracy
print("checkpoint passed")

# %% [markdown]
# ## 4 · A prediction function for serving
#
# From here on, `pretrained` plays the part of a network you downloaded. In a server, call
# `eval()` **once, when the model is loaded**: the server never trains. Decorate the prediction
# function with `@torch.inference_mode()`: nothing it computes ever goes back into autograd,
# and the decorator restores the previous mode on the way out, even after an exception. The seed
# uses `no_grad` and forgets `eval()`; with BatchNorm, that is not a detail: a request with one
# image fails in train mode (checkpoint).

# %%
pretrained = copy.deepcopy(model)
server_model = copy.deepcopy(pretrained)  # in a real server: loaded from disk at start-up
server_model.eval()                       # once: the server never trains


@torch.inference_mode()
def predict(pixels):
    """pixels: 64 numbers in 0..16, as a client sends them. Returns plain, JSON-ready values."""
    x = torch.tensor(pixels, dtype=torch.float32).view(1, 64) / 16
    confidence, digit = server_model(x).softmax(1).max(1)
    return {"digit": digit.item(), "confidence": round(confidence.item(), 4)}


request = (X_test[0] * 16).tolist()
print(json.dumps(predict(request)), "  true digit:", y_test[0].item())

# %%
seen = []  # a forward hook shows us the logits inside predict()
hook = server_model.register_forward_hook(lambda module, args, out: seen.append(out))
answer = predict(request)
hook.remove()
batch_answer = evaluate(server_model, X_test, y_test)[1][0].argmax().item()
assert answer["digit"] == batch_answer and json.dumps(answer)  # alone or in a batch: the same
assert seen[0].is_inference() and not seen[0].requires_grad
assert not torch.is_inference_mode_enabled()  # the decorator restored the mode on the way out
assert all(p.grad is None for p in server_model.parameters())
server_model.train()                          # what happens if you forget eval():
try:
    predict(request)
except ValueError as error:
    message = str(error)
assert not torch.is_inference_mode_enabled()  # restored after the exception too
server_model.eval()
print(message)
assert message.startswith("Expected more than 1 value per channel when training")
print("checkpoint passed")

# %% [markdown]
# ## 5 · Feature extraction
#
# Run the pretrained backbone (everything but its head) over new images and keep the 32
# features per image. Three things matter. `eval()`: an image's features must not depend on
# Dropout or on the other images of its batch. `no_grad`: no graph. And **`no_grad`, not
# `inference_mode`**, because we will train a new head on these features (job 6): a tensor made
# under `inference_mode` cannot be saved for backward, and a `Linear` layer saves its input.

# %%
backbone = copy.deepcopy(pretrained[:4])  # Linear, BatchNorm, ReLU, Dropout: 64 pixels -> 32
backbone.eval()
with torch.no_grad():
    features_new = backbone(X_new)        # computed once, reused in every epoch of job 6
print("features:", tuple(features_new.shape))

# %%
assert features_new.grad_fn is None and not features_new.requires_grad
assert not features_new.is_inference()
assert all(p.grad is None for p in backbone.parameters())
with torch.no_grad():  # eval(): one image alone gets the same features as inside the batch
    assert torch.allclose(backbone(X_new[:1]), features_new[:1], atol=1e-6)
with torch.inference_mode():
    features_inf = backbone(X_new)
try:
    nn.Linear(32, 5)(features_inf)        # a head that will train on them: Linear saves its input
except RuntimeError as error:
    message = str(error)
print(message.split(".")[0])
assert message.startswith("Inference tensors cannot be saved for backward")
assert nn.Linear(32, 5)(features_inf.clone()).requires_grad  # clone() outside: a normal tensor
print("checkpoint passed")

# %% [markdown]
# ## 6 · A frozen backbone (transfer learning)
#
# The seed writes `with torch.no_grad(): base_output = base_model(x)` and trains a head on it.
# That works **only because the base is never trained**: it is job 5 followed by a head. The
# tool made for freezing is `requires_grad_(False)`:
# * the parameters *say* they are frozen, so `[p for p in ... if p.requires_grad]` hands the
#   optimizer exactly the head, and `agv.grads` reports them as frozen;
# * it costs nothing extra here: with nothing trainable in or before the base, autograd records
#   nothing inside it, exactly as under `no_grad`;
# * it does not cut the graph, so part of the base can be unfrozen later (below). Under
#   `no_grad`, the base's parameters already claim `requires_grad=True` and still get nothing:
#   to fine-tune them you must rewrite the forward.
#
# And `eval()` on the base: a frozen BatchNorm in train mode still updates its running
# statistics. Job 2's habit, `model.train()` at the top of every epoch, switches it back to train
# mode, so re-apply `base.eval()` after every `model.train()` (torchvision's
# `FrozenBatchNorm2d` is a BatchNorm that never updates, for the same reason).

# %%
base = copy.deepcopy(pretrained[:4])
base.requires_grad_(False)               # frozen, and the parameters say so
head = nn.Linear(32, 5)
model6 = nn.Sequential(base, head)
trainable = [p for p in model6.parameters() if p.requires_grad]
opt_head = torch.optim.Adam(trainable, lr=0.05)
for epoch in range(3):
    model6.train()                       # job 2's habit, which puts base's BatchNorm in train mode...
    base.eval()                          # ...so back to eval: pretraining's statistics, no Dropout
    for step in range(10):               # full batch: 600 images of digits 5-9
        opt_head.zero_grad()
        loss = F.cross_entropy(model6(X_new[:600]), y_new[:600])
        loss.backward()
        opt_head.step()
with torch.inference_mode():
    new_accuracy = (head(base(X_new[600:])).argmax(1) == y_new[600:]).float().mean().item()
print(f"{len(trainable)} trainable tensors; new-task test accuracy {new_accuracy:.4f}")
agv.draw(loss, params={"base": base, "head": head})

# %% [markdown]
# The graph holds only the head: its input is drawn as *no history*, because nothing was
# recorded inside the base, and the base's parameters sit in the frozen box.

# %%
assert len(trainable) == 2 and trainable[0] is head.weight       # the optimizer holds the head only
assert all(p.grad is None for p in base.parameters()) and head.weight.grad is not None
assert torch.equal(base[0].weight, pretrained[0].weight)         # the base did not move
assert torch.equal(base[1].running_mean, pretrained[1].running_mean)  # eval() kept BN's statistics
assert base(X_new[:600]).grad_fn is None                         # nothing recorded inside the base
assert new_accuracy > 0.8
report = agv.grads({"base": base, "head": head})
assert report["base.0.weight"].why_none == "frozen: requires_grad=False"
# the seed's way: the parameters say "trainable", yet the forward under no_grad starves them
with torch.no_grad():
    base_output = backbone(X_new[:600])
F.cross_entropy(head(base_output), y_new[:600]).backward()
assert backbone[0].weight.grad is None and all(p.requires_grad for p in backbone.parameters())
# frozen is not enough for BatchNorm: after model.train() without base.eval(), its statistics move
drifting = copy.deepcopy(model6).train()
drifting(X_new[:600])
assert drifting[0][1].training and not torch.equal(drifting[0][1].running_mean, pretrained[1].running_mean)
print("checkpoint passed")

# %% [markdown]
# ### Unfreezing later: the optimizer must hear of it
#
# After a few epochs you unfreeze the base's first layer to fine-tune it. `requires_grad_(True)`
# is enough for it to get a gradient, but not to be updated: `opt_head` was built from the head
# alone, and an optimizer steps only the parameters it holds. `add_param_group` hands it the
# layer, usually with a smaller learning rate.

# %%
base[0].requires_grad_(True)
opt_head.zero_grad()
F.cross_entropy(model6(X_new[:600]), y_new[:600]).backward()
before = base[0].weight.detach().clone()
opt_head.step()
moved_without = not torch.equal(base[0].weight, before)
opt_head.add_param_group({"params": base[0].parameters(), "lr": 0.005})
opt_head.step()
moved_with = not torch.equal(base[0].weight, before)
print(f"base[0] gets a gradient: {base[0].weight.grad is not None}; moved by opt_head.step(): "
      f"{moved_without}; after add_param_group: {moved_with}")

# %%
assert base[0].weight.grad is not None and not moved_without  # a gradient, but no update
assert moved_with and opt_head.param_groups[1]["params"][0] is base[0].weight
print("checkpoint passed")

# %% [markdown]
# ## 7 · The teacher in knowledge distillation
#
# A small student learns to match the pretrained teacher's softened probabilities. The teacher's
# forward runs under `no_grad` and in `eval()` (noisy targets teach noise). Why `no_grad`, not
# `inference_mode`? The soft targets go into `F.kl_div`, which saves its target for backward:
# an inference tensor there is an error. And without any switch, `backward()` runs on into the
# teacher and fills its `.grad`: wasted work, and a trap if its parameters sit in an optimizer.

# %%
teacher = copy.deepcopy(pretrained)
teacher.eval()
student = nn.Linear(64, 5)                 # a much smaller model
opt_student = torch.optim.SGD(student.parameters(), lr=0.5)
T = 2.0                                    # temperature: softer targets carry more information
for epoch in range(5):
    for i in range(0, len(X_train), 50):
        xb = X_train[i:i + 50]
        with torch.no_grad():
            soft_targets = (teacher(xb) / T).softmax(1)
        opt_student.zero_grad()
        loss = F.kl_div((student(xb) / T).log_softmax(1), soft_targets, reduction="batchmean")
        loss.backward()
        opt_student.step()
print(f"teacher test accuracy {evaluate(teacher, X_test, y_test)[0]:.4f}, "
      f"student {evaluate(student, X_test, y_test)[0]:.4f}")

# %%
assert not teacher.training and all(p.grad is None for p in teacher.parameters())
assert all(p.grad is not None for p in student.parameters())
assert soft_targets.grad_fn is None and not soft_targets.is_inference()
# without no_grad, backward runs into the teacher
F.kl_div(student(xb).log_softmax(1), teacher(xb).softmax(1), reduction="batchmean").backward()
assert all(p.grad is not None for p in teacher.parameters())
teacher.zero_grad()
# with inference_mode, the targets cannot even enter the loss
with torch.inference_mode():
    targets_inf = teacher(xb).softmax(1)
try:
    F.kl_div(student(xb).log_softmax(1), targets_inf, reduction="batchmean")
except RuntimeError as error:
    message = str(error)
assert message.startswith("Inference tensors cannot be saved for backward")
print("checkpoint passed")

# %% [markdown]
# ## 8 · Generation
#
# The seed's example is a GAN generator at inference time: that is job 4 again. The case where
# the switch matters most is an **autoregressive loop**: each step feeds the hidden state `h` of
# the previous step back in. With autograd on, the graph grows by one step per token and every
# step's saved tensors stay alive as long as `h` does. Here a tiny untrained language model
# samples 30 tokens (the "text" is gibberish, the memory lesson is not). The tokens are plain
# integers that never return to autograd, so `inference_mode` fits.

# %%
vocab, hidden = 10, 16
embed, cell, readout = nn.Embedding(vocab, 8), nn.GRUCell(8, hidden), nn.Linear(hidden, vocab)


def generate(steps):
    g = torch.Generator().manual_seed(0)  # the same sample on every call
    token, h, tokens = torch.tensor([0]), torch.zeros(1, hidden), []
    for _ in range(steps):
        h = cell(embed(token), h)         # h carries the history of every step
        token = torch.multinomial(readout(h).softmax(1), 1, generator=g)[:, 0]
        tokens.append(token.item())
    return tokens, h


with torch.inference_mode():
    tokens, h_final = generate(30)
print(tokens)

# %%
saved = {n: agv.saved_memory(lambda: generate(n))[1].bytes for n in (10, 20, 40)}
with torch.inference_mode():
    _, saved_inf = agv.saved_memory(lambda: generate(40))
print("bytes saved for backward, grad mode:", saved, "  inference_mode, 40 steps:", saved_inf.bytes)
assert saved[40] - saved[20] == 2 * (saved[20] - saved[10]) > 0  # grows linearly with the length
assert saved_inf.bytes == 0 and saved_inf.tensors == 0
assert h_final.is_inference() and h_final.grad_fn is None
assert generate(30)[0] == tokens                                 # the switch changes no token
print("checkpoint passed")

# %% [markdown]
# ## 9 · Policy evaluation in reinforcement learning
#
# An agent on a line of 7 cells starts in the middle; reaching the right end pays 1, the left
# end pays 0. A Q-network learns the value of each action. Two jobs sit side by side here:
# * **the TD target** `r + γ · max Q(s′)` is a constant label for the regression. It goes into
#   `F.mse_loss`, which saves it for backward: `no_grad`, not `inference_mode`;
# * **evaluating the policy** turns Q-values into actions, Python integers that never return to
#   autograd: `inference_mode`. The Q-network has no Dropout or BatchNorm, so `eval()` changes
#   nothing here; call it anyway, and the evaluation stays right the day someone adds one.

# %%
N, GAMMA = 7, 0.9


def env_step(s, a):  # a = 1 moves right, a = 0 left; returns (next state, reward, done)
    s2 = s + (1 if a == 1 else -1)
    return s2, float(s2 == N - 1), s2 in (0, N - 1)


q_net = nn.Linear(N, 2, bias=False)     # Q(s, .) from a one-hot state: a table learned by gradient
S, A = torch.arange(1, N - 1).repeat_interleave(2), torch.tensor([0, 1] * (N - 2))
S2, R, D = map(torch.tensor, zip(*[env_step(s, a) for s, a in zip(S.tolist(), A.tolist())]))
opt_q = torch.optim.Adam(q_net.parameters(), lr=0.05)
for it in range(200):
    with torch.no_grad():               # the target is a label: no gradient through Q(s')
        target = R + GAMMA * (~D) * q_net(F.one_hot(S2, N).float()).max(1).values
    opt_q.zero_grad()
    F.mse_loss(q_net(F.one_hot(S, N).float()).gather(1, A[:, None])[:, 0], target).backward()
    opt_q.step()


@torch.inference_mode()
def evaluate_policy(q_net, s=3, max_steps=20):
    was_training = q_net.training
    q_net.eval()
    path, total = [s], 0.0
    for _ in range(max_steps):
        s, reward, done = env_step(s, q_net(F.one_hot(torch.tensor([s]), N).float()).argmax(1).item())
        path, total = path + [s], total + reward
        if done:
            break
    q_net.train(was_training)
    return total, path


print("return and path of the greedy policy:", evaluate_policy(q_net))

# %%
assert evaluate_policy(q_net) == (1.0, [3, 4, 5, 6])       # straight to the reward
assert q_net.training and target.grad_fn is None and not target.is_inference()
assert torch.allclose(q_net.weight[1, 1:N - 1], GAMMA ** torch.arange(N - 3, -1, -1.0), atol=1e-3)
with torch.inference_mode():                               # an inference-mode target fails
    target_inf = R + GAMMA * (~D) * q_net(F.one_hot(S2, N).float()).max(1).values
try:
    F.mse_loss(q_net(F.one_hot(S, N).float()).gather(1, A[:, None])[:, 0], target_inf)
except RuntimeError as error:
    message = str(error)
assert message.startswith("Inference tensors cannot be saved for backward")
print("checkpoint passed")

# %% [markdown]
# The third assert checks the learned values: moving right from cell 5 is worth 1, from cell 4
# `0.9`, from cell 3 `0.81`, ... (`γ` per step). The target did its job as a constant.

# %% [markdown]
# ## 10 · Post-processing: softmax, argmax, threshold
#
# The seed wraps `torch.softmax(logits, dim=1)` in `no_grad`. Does that change anything? Predict
# first. The cell below makes the same logits twice, once in grad mode (a graph behind them) and
# once under `inference_mode` (none), and post-processes them.

# %%
pretrained.eval()
logits_live = pretrained(X_test[:5])          # grad mode: a graph behind the logits
with torch.inference_mode():
    logits_dead = pretrained(X_test[:5])      # no graph
probs_live = logits_live.softmax(1)
with torch.no_grad():
    probs_cut = logits_live.softmax(1)
probs_dead = logits_dead.softmax(1)
labels = logits_live.argmax(1)
values, indices = probs_live.max(1)
confident = values > 0.99
post = {"probs_live": probs_live, "probs_cut": probs_cut, "probs_dead": probs_dead,
        "labels": labels, "values": values, "indices": indices, "confident": confident}
has_graph = {name for name, t in post.items() if t.grad_fn is not None}

# %%
# The exercise. This cell is hidden: it checks your answer, so run it, don't read it.
assert has_graph == {"probs_live", "values"}  # checked on every test run (hidden with the quiz)
agv.quiz("Which of these results carry a graph (have a grad_fn)?", options=list(post), answer=has_graph,
         explain="Softmax, and the values of max, are differentiable: applied to logits that carry a "
                 "graph, they are recorded. Under no_grad (probs_cut), or from logits without history "
                 "(probs_dead), nothing is. Indices and booleans (labels, indices, confident) never are.")

# %% [markdown]
# Whether `no_grad` does anything depends on the **logits**, not on softmax:
# * logits from jobs 1 or 4 (made under `no_grad`/`inference_mode`) have no history: softmax of
#   them records nothing, with or without `no_grad` (`probs_dead`);
# * logits that still carry a graph (computed in grad mode, e.g. in a training step) make
#   softmax record a `SoftmaxBackward0` node and keep the whole graph alive. *There* `no_grad`
#   (or `logits.detach()`) matters (`probs_live` against `probs_cut`);
# * `argmax` returns integer indices and a threshold returns booleans: neither is
#   differentiable, so neither is ever recorded. No switch needed. `max` returns both: its
#   values are recorded, its indices are not.

# %%
print("labels", labels.tolist(), " confident", confident.tolist())
for name, t in post.items():
    print(f"{name:10} {str(t.dtype):14} grad_fn: {type(t.grad_fn).__name__ if t.grad_fn else None}")

# %%
assert type(probs_live.grad_fn).__name__ == "SoftmaxBackward0"
assert probs_cut.grad_fn is None and probs_dead.grad_fn is None
assert torch.allclose(probs_live, probs_cut) and torch.allclose(probs_cut, probs_dead)
assert labels.dtype == torch.int64 and not labels.requires_grad      # argmax: never recorded
assert confident.dtype == torch.bool and not confident.requires_grad  # a threshold: never recorded
assert values.grad_fn is not None and indices.grad_fn is None  # max: values recorded, indices not
print("checkpoint passed")

# %% [markdown]
# ## The pitfall
#
# `no_grad` is not `eval()`, and `eval()` is not `no_grad`. Most of the seed's ten snippets
# wrap the forward in `no_grad` and never call `eval()`. With Dropout, the numbers are noisy;
# with BatchNorm, the model itself changes: every "validation" under `no_grad` in train mode
# moved the running statistics (job 2's explorer, first setting). And a single-image request
# crashes (job 4). Always ask two separate questions: *should autograd record?* (`no_grad`,
# `inference_mode`) and *is the model training?* (`train()`, `eval()`).

# %% [markdown]
# ## Exercise
#
# `inference_mode` is the leaner switch, but it fails where its results meet autograd again.
# Swap `no_grad` (or grad mode) for `inference_mode` in each of these six jobs. Which ones raise
# an error? (The answer is computed below: each job makes its tensor under `inference_mode`, then
# uses it as the job does.)

# %%
xb = X_train[:50]
jobs = {  # name: (what is computed under inference_mode, how it is used afterwards)
    "evaluation": (lambda: pretrained(X_test), lambda t: (t.argmax(1) == y_test).float().mean()),
    "serving": (lambda: server_model(X_test[:1]).softmax(1), lambda t: t.max(1).indices.item()),
    "features for a new head": (lambda: backbone(X_new), lambda t: nn.Linear(32, 5)(t)),
    "teacher targets": (lambda: teacher(xb).softmax(1),
                        lambda t: F.kl_div(student(xb).log_softmax(1), t, reduction="batchmean")),
    "generation": (lambda: generate(5)[1], lambda h: h.abs().max().item()),
    "TD target": (lambda: R + GAMMA * (~D) * q_net(F.one_hot(S2, N).float()).max(1).values,
                  lambda t: F.mse_loss(q_net(F.one_hot(S, N).float()).gather(1, A[:, None])[:, 0], t)),
}


def fails_under_inference_mode(make, use):
    with torch.inference_mode():
        made = make()
    try:
        use(made)
    except RuntimeError:
        return True
    return False


right = {name for name, (make, use) in jobs.items() if fails_under_inference_mode(make, use)}

# %%
# The exercise. This cell is hidden: it checks your answer, so run it, don't read it.
assert right == {"features for a new head", "teacher targets", "TD target"}  # checked on every test run
with torch.inference_mode():
    target_inf = jobs["TD target"][0]()
prediction = q_net(F.one_hot(S, N).float()).gather(1, A[:, None])[:, 0]
assert ((prediction - target_inf) ** 2).mean().requires_grad  # no error: nothing saved target_inf
agv.quiz("Which of these jobs raise an error when their tensor is made under inference_mode?",
         options=list(jobs), answer=right,
         explain="A job fails when a recorded operation saves its tensor for backward: a Linear layer saves "
                 "its input, kl_div and mse_loss their target, and an inference tensor cannot be saved. "
                 "(A hand-written (pred - target) ** 2 runs: subtraction saves neither input.) Results "
                 "that leave as numbers (an accuracy, a digit, a norm) never meet autograd again.")

# %% [markdown]
# And the other prediction: `no_grad` changes nothing in job 10 when the logits have no history
# (and around any `argmax`, job 3).

# %% [markdown]
# ## The ten jobs, revised
#
# | # | job | the seed says | more precisely |
# |---|---|---|---|
# | 1 | evaluation loop | `eval()` + `no_grad` | `eval()` + `inference_mode`, then restore the previous mode |
# | 2 | validation during training | `no_grad` (no `eval()`) | `eval()` + `no_grad`; `train()` at the top of every epoch |
# | 3 | metrics | `no_grad` around the forward | `argmax` metrics need nothing; running loss: `.item()` |
# | 4 | serving | `no_grad` | `eval()` at load time + `@torch.inference_mode()` |
# | 5 | feature extraction | `no_grad` | `eval()` + `no_grad` (`inference_mode` only if nothing trains on them) |
# | 6 | frozen base | `no_grad` around the base | `requires_grad_(False)` + `eval()` after every `train()`; unfreeze with `add_param_group` |
# | 7 | distillation teacher | `no_grad` | `eval()` + `no_grad`; `inference_mode` fails |
# | 8 | generation | `no_grad` | `inference_mode`; in a loop the graph would grow per step |
# | 9 | RL | `no_grad` | evaluation: `inference_mode`; TD target: `no_grad` |
# | 10 | post-processing | `no_grad` around softmax | matters only if the logits carry a graph |

# %% [markdown]
# ## Cheat sheet
#
# | tool | what it does | what it does NOT do | when to use it |
# |---|---|---|---|
# | `p.requires_grad_(False)` (or on a module) | marks parameters as not trainable: no `.grad`; ops using only such tensors record nothing | does not cut the graph (gradient still flows *through* a frozen layer); does not switch Dropout/BatchNorm; does not remove them from an optimizer already built | freezing a backbone, fixed embeddings (job 6) |
# | `torch.no_grad()` | records nothing inside the block; results have no history | does not switch Dropout/BatchNorm (BN statistics still move in train mode); does not clear `.grad` | results that may meet autograd again: teacher targets, TD targets, cached features; EMA and other in-place weight updates |
# | `torch.inference_mode()` | like `no_grad`, leaner: results are inference tensors, without version counters | results can never be saved for backward; `enable_grad()` inside does not re-enable recording; does not switch `eval()` | results that leave as numbers: evaluation, serving, generation, policy evaluation |
# | `torch.set_grad_enabled(flag)` | recording on or off by a bool; as a `with` block, restores the previous mode | does not switch `eval()`; `True` does not undo `inference_mode` | one code path for training and validation |
# | `torch.enable_grad()` | records again inside `no_grad` | does not undo `inference_mode`; does not make any tensor require grad | a function that needs a gradient (e.g. a saliency map) even when called from `no_grad` code |
# | `t.detach()` | a tensor with the same values and no history | does not copy memory (it shares storage with `t`); does not free or change `t`'s graph | cutting at one tensor: targets, truncated BPTT, logging, a GAN's `fake.detach()` |
# | `optimizer.zero_grad()` | sets each parameter's `.grad` to `None` (the default since torch 2.0) | does not change weights; does not reset momentum or Adam's moments; does not stop recording | every training step, before `backward()` |
# | `model.eval()` / `model.train()` | sets `.training` on every submodule: Dropout off, BatchNorm uses running statistics (unless built with `track_running_stats=False`) | does not touch `requires_grad` or the grad mode: outputs still have a `grad_fn` | `eval()` for evaluation, serving, features, teachers; `train()` before training again |

# %% [markdown]
# ### Checkpoint: the "does NOT" column, asserted

# %%
m = copy.deepcopy(pretrained).eval()
assert all(p.requires_grad for p in m.parameters())       # eval() does not change requires_grad
assert m(X_test[:4]).grad_fn is not None                  # ...nor stop recording
dropout = nn.Dropout(0.5)                                 # in train mode
for mode in (torch.no_grad, torch.inference_mode):
    with mode():
        dropped = dropout(torch.ones(1000))
    assert (dropped == 0).any() and (dropped == 2).any()  # neither switches Dropout off
t = torch.ones(3, requires_grad=True)
d = t.detach()
assert d.data_ptr() == t.data_ptr()                       # detach does not copy memory...
d.zero_()
assert torch.equal(t, torch.zeros(3))                     # ...so changing d changes t
frozen, x = nn.Linear(3, 3).requires_grad_(False), torch.ones(1, 3, requires_grad=True)
frozen(x).sum().backward()
assert x.grad is not None and frozen.weight.grad is None  # requires_grad_(False) does not cut
opt_frozen = torch.optim.SGD(frozen.parameters(), lr=0.1)  # built after freezing, or before:
assert opt_frozen.param_groups[0]["params"][0] is frozen.weight  # ...it still holds the weight
for on in (torch.enable_grad, lambda: torch.set_grad_enabled(True)):
    with torch.inference_mode(), on():
        assert not (t * 2).requires_grad                  # neither undoes inference_mode
w = torch.ones(2, requires_grad=True)
opt_w = torch.optim.Adam([w], lr=0.1)
(w * 3).sum().backward()
opt_w.step()
weights, moments = w.detach().clone(), opt_w.state[w]["exp_avg"].clone()
opt_w.zero_grad()
assert w.grad is None and torch.equal(w, weights)         # zero_grad does not touch the weights
assert torch.equal(opt_w.state[w]["exp_avg"], moments)    # ...nor Adam's moments
print("checkpoint passed")

# %% [markdown]
# ## Takeaways
#
# * Two questions, two switches: *record a graph?* (`no_grad`, `inference_mode`,
#   `set_grad_enabled`) and *train-time behaviour?* (`train()`, `eval()`). Most jobs need both.
# * `inference_mode` when results leave as numbers; `no_grad` when they may meet autograd again
#   (targets, cached features). `inference_mode` tells you at once when you got it wrong.
# * Freeze with `requires_grad_(False)`, plus `eval()` if the frozen part has BatchNorm, after
#   every `model.train()`. Unfreezing needs `optimizer.add_param_group(...)` too.
# * After `eval()`, come back with `train()`; a helper should restore the mode it found.
# * For logging, `.item()`: a running sum of loss tensors keeps every step's graph alive.
# * `argmax` and thresholds are never recorded; `no_grad` around them changes nothing.
#
# Next: [12 · why is my gradient `None`?](12_why_no_grad.ipynb): a dozen classic bugs, each diagnosed.
