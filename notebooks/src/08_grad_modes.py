# %% [markdown]
# # 08 · Grad modes: `no_grad`, `enable_grad`, `set_grad_enabled`, `inference_mode`
#
# **The question.** PyTorch has four switches that decide whether autograd records. How do they
# combine when one is nested in another, and what makes `inference_mode` different?
#
# **Predict before you run.** `w` requires grad. Is `y = w * 2` recorded (does it get a
# `grad_fn`)...
# 1. inside `with torch.no_grad():` → `with torch.enable_grad():`?
# 2. inside `with torch.inference_mode():` → `with torch.enable_grad():`?
# 3. in a `threading.Thread` started inside `with torch.no_grad():`?

# %%
# errors below show short: the message, without the lines inside torch that raised it
# %xmode Minimal
import contextlib
import io
import threading

import torch
import torch.nn as nn
from IPython.display import HTML

import autogradviz as agv

torch.manual_seed(0)
print("torch", torch.__version__)

# %% [markdown]
# ## The four switches, as context managers
#
# * `torch.no_grad()`: record nothing inside.
# * `torch.enable_grad()`: record again, inside a `no_grad` block.
# * `torch.set_grad_enabled(mode)`: `no_grad` or `enable_grad`, chosen by a bool at run time.
# * `torch.inference_mode()`: record nothing, and mark every newly allocated tensor as an
#   *inference tensor*, which autograd never tracks (no version counter, no view tracking:
#   leaner than `no_grad`). A view of a normal tensor taken inside stays a normal tensor.

# %%
w = torch.ones(2, requires_grad=True)

with torch.no_grad():
    a = w * 2
with torch.no_grad():
    with torch.enable_grad():
        b = w * 2
with torch.set_grad_enabled(False):
    c = w * 2
with torch.inference_mode():
    d = w * 2
e = w * 2  # no block: recording is on by default

for name, t in {"a  no_grad": a, "b  no_grad > enable_grad": b, "c  set_grad_enabled(False)": c,
                "d  inference_mode": d, "e  no block": e}.items():
    fn = type(t.grad_fn).__name__ if t.grad_fn else None
    print(f"{name:28} requires_grad={t.requires_grad!s:5}  grad_fn={fn!s:12}  is_inference={t.is_inference()}")

# %%
assert not a.requires_grad and a.grad_fn is None and not a.is_inference()
assert b.requires_grad and type(b.grad_fn).__name__ == "MulBackward0"
assert not c.requires_grad and c.grad_fn is None
assert not d.requires_grad and d.grad_fn is None and d.is_inference()
assert e.requires_grad and torch.is_grad_enabled()
print("checkpoint passed")

# %% [markdown]
# `a`, `c` and `d` look the same from outside: no history. Only `d` is an inference tensor;
# that difference matters later.

# %% [markdown]
# ## As decorators
#
# Each of them also decorates a function: the whole body runs in that mode. `@torch.no_grad()`
# with parentheses is the classic form; since torch 2.1, `@torch.no_grad` without them works too
# (seed 001 shows `@torch.no_grad()`; both are right).

# %%
@torch.no_grad()
def double_a(t):
    return t * 2


@torch.no_grad
def double_b(t):
    return t * 2


@torch.inference_mode()
def double_c(t):
    return t * 2


@torch.enable_grad()
def double_d(t):
    return t * 2


@torch.set_grad_enabled(False)
def double_e(t):
    return t * 2


with torch.no_grad():
    from_d = double_d(w)  # enable_grad inside the function wins over the caller's no_grad
for name, t in [("@torch.no_grad()", double_a(w)), ("@torch.no_grad", double_b(w)),
                ("@torch.inference_mode()", double_c(w)), ("@torch.enable_grad()", from_d),
                ("@torch.set_grad_enabled(False)", double_e(w))]:
    print(f"{name:31} requires_grad={t.requires_grad!s:5}  is_inference={t.is_inference()}")
print("after the calls, torch.is_grad_enabled():", torch.is_grad_enabled())

# %%
assert not double_a(w).requires_grad and not double_b(w).requires_grad
assert double_c(w).is_inference()
assert from_d.requires_grad
assert not double_e(w).requires_grad
assert torch.is_grad_enabled()  # every decorator restored the mode when its function returned
print("checkpoint passed")

# %% [markdown]
# ## Leaving a block restores the mode that was there before
#
# Not "turns recording on": restores the *previous* mode. Leaving an inner `no_grad` inside an
# outer one leaves recording off. And the restore happens even when the block raises.

# %%
seen = {"start": torch.is_grad_enabled()}
with torch.no_grad():
    with torch.no_grad():
        seen["inner block"] = torch.is_grad_enabled()
    seen["after inner, inside outer"] = torch.is_grad_enabled()
seen["after outer"] = torch.is_grad_enabled()

try:
    with torch.no_grad():
        raise ValueError("something failed inside the block")
except ValueError:
    pass
seen["after a block that raised"] = torch.is_grad_enabled()
for k, v in seen.items():
    print(f"{k:27} is_grad_enabled() = {v}")

# %%
assert seen == {"start": True, "inner block": False, "after inner, inside outer": False,
                "after outer": True, "after a block that raised": True}
print("checkpoint passed")

# %% [markdown]
# Seed 001 says exactly this: *"torch.no_grad() 可嵌套使用,内层作用域依然保持梯度禁用状态。
# 退出作用域后,梯度计算自动恢复"* ("no_grad can be nested, the inner scope stays disabled;
# leaving the scope restores gradient computation automatically"). **True.**

# %% [markdown]
# ## The nesting table
#
# Every outer mode against every inner mode. Each cell runs `y = w * 2` in the inner block and
# says whether `y` was recorded, plus what `torch.is_grad_enabled()` said in there.

# %%
MODES = {
    "none": contextlib.nullcontext,  # no block at all
    "no_grad": torch.no_grad,
    "enable_grad": torch.enable_grad,
    "set_grad_enabled(False)": lambda: torch.set_grad_enabled(False),
    "set_grad_enabled(True)": lambda: torch.set_grad_enabled(True),
    "inference_mode": torch.inference_mode,
    "inference_mode(False)": lambda: torch.inference_mode(False),
}
OUTER = ["none", "no_grad", "set_grad_enabled(False)", "inference_mode"]
INNER = ["none", "no_grad", "enable_grad", "set_grad_enabled(True)", "inference_mode", "inference_mode(False)"]


def nest(outer, inner):
    before = (torch.is_grad_enabled(), torch.is_inference_mode_enabled())
    with MODES[outer]():
        with MODES[inner]():
            y = w * 2
            grad_enabled = torch.is_grad_enabled()
    restored = (torch.is_grad_enabled(), torch.is_inference_mode_enabled()) == before
    result = "recorded" if y.requires_grad else ("inference tensor" if y.is_inference() else "not recorded")
    return dict(result=result, grad_enabled=grad_enabled, restored=restored)


nesting = {(o, i): nest(o, i) for o in OUTER for i in INNER}

COLOUR = {"recorded": "#d7f5d0", "not recorded": "#dde3ea", "inference tensor": "#e3d4f5"}
head = "".join(f"<th style='text-align:center'>{i}</th>" for i in INNER)
rows = []
for o in OUTER:
    cells = "".join(
        f"<td style='background:{COLOUR[c['result']]};text-align:center;"
        f"{'border:2px solid #c00' if c['grad_enabled'] and c['result'] != 'recorded' else ''}'>{c['result']}"
        f"<br><small>is_grad_enabled() {c['grad_enabled']}</small></td>"
        for c in (nesting[o, i] for i in INNER))
    rows.append(f"<tr><th style='text-align:left'>{o}</th>{cells}</tr>")
HTML("<table><tr><th style='text-align:left'>outer ↓ &nbsp; inner →</th>" + head + "</tr>"
     + "".join(rows) + "</table>")

# %% [markdown]
# Read it row by row (`none` means no block):
#
# * **`no_grad` and `set_grad_enabled(False)` rows are identical**: `set_grad_enabled(b)` is
#   `no_grad` when `b` is False and `enable_grad` when it is True. The innermost grad switch
#   wins: `enable_grad` inside `no_grad` records again.
# * **The `inference_mode` row is purple almost everywhere.** `enable_grad` inside it sets the
#   grad flag (`is_grad_enabled()` says True) and yet nothing is recorded: `y` is an inference
#   tensor (the cells framed in red). Inference mode is a separate, stronger switch; the grad
#   flag does not override it.
# * **Only `inference_mode(False)` gets out.** It leaves inference mode *and* turns the grad
#   flag on (in the `no_grad` row it records too, like `enable_grad`).

# %% [markdown]
# ### Checkpoint: the table, asserted

# %%
result = {key: cell["result"] for key, cell in nesting.items()}
assert all(cell["restored"] for cell in nesting.values())  # leaving both blocks restored both flags
assert [result["no_grad", i] for i in INNER] == [result["set_grad_enabled(False)", i] for i in INNER]
assert result["no_grad", "enable_grad"] == "recorded"
assert result["no_grad", "set_grad_enabled(True)"] == "recorded"
assert result["none", "no_grad"] == "not recorded"
# inference_mode > enable_grad: the grad flag is on, but the result is an inference tensor
assert nesting["inference_mode", "enable_grad"]["grad_enabled"] is True
assert result["inference_mode", "enable_grad"] == "inference tensor"
assert result["inference_mode", "set_grad_enabled(True)"] == "inference tensor"
# inference_mode(False) inside inference_mode records again; it also turns grad mode on
assert result["inference_mode", "inference_mode(False)"] == "recorded"
assert result["no_grad", "inference_mode(False)"] == "recorded"
assert all(result[o, "inference_mode"] == "inference tensor" for o in OUTER)
print("checkpoint passed")

# %% [markdown]
# ## Explore: two layers, an outer and an inner block
#
# `lin0` runs in the outer block, `lin1` in the inner block, on `lin0`'s output:
#
# ```python
# with MODES[outer]():
#     h = lin0(x)
#     with MODES[inner]():
#         y = lin1(h)
# ```
#
# Click through the modes and watch which layer keeps its parameters in the graph.

# %%
lin0, lin1 = nn.Linear(2, 2), nn.Linear(2, 1)
x = torch.randn(3, 2)
layers = {"lin0": lin0, "lin1": lin1}


def nested(outer="no_grad", inner="enable_grad"):
    with MODES[outer]():
        h = lin0(x)
        with MODES[inner]():
            y = lin1(h)
    print("h: requires_grad =", h.requires_grad, " is_inference =", h.is_inference())
    print("y: requires_grad =", y.requires_grad, " is_inference =", y.is_inference())
    return y


# %%
agv.explore(nested, params=layers, outer=["none", "no_grad", "inference_mode"],
            inner=["none", "no_grad", "enable_grad", "inference_mode", "inference_mode(False)"])

# %% [markdown]
# Things to try:
# * **no_grad, enable_grad** (the start): lin1 is recorded and gets its gradient; lin0 ran under
#   `no_grad`, so it sits in the "will get no .grad" box.
# * **inference_mode, enable_grad**: nothing recorded at all; the output is an inference tensor,
#   and both layers are in the box with "ran under torch.inference_mode()".
# * **inference_mode, inference_mode(False)**: an error. lin1 is recorded now, and to compute its
#   weight's gradient it must save its input `h`, an inference tensor. That is not allowed (see
#   *Inference tensors* below).
# * **no_grad, inference_mode(False)**: like `enable_grad`.

# %% [markdown]
# ### Checkpoint: the explorer's lessons

# %%
def who_gets_grad(outer, inner):
    for layer in layers.values():
        layer.zero_grad()
    with contextlib.redirect_stdout(io.StringIO()):  # nested() prints for the explorer; not here
        y = nested(outer, inner)
    if y.requires_grad:
        y.sum().backward()
    return sorted(name for name, layer in layers.items() if layer.weight.grad is not None)


print("no_grad > enable_grad:          ", who_gets_grad("no_grad", "enable_grad"))
print("inference_mode > enable_grad:   ", who_gets_grad("inference_mode", "enable_grad"))
try:
    who_gets_grad("inference_mode", "inference_mode(False)")
except RuntimeError as error:
    nested_error = str(error)
print("inference_mode > inference_mode(False): RuntimeError:", nested_error.split(".")[0])

# %%
assert who_gets_grad("none", "none") == ["lin0", "lin1"]
assert who_gets_grad("no_grad", "enable_grad") == ["lin1"]
assert who_gets_grad("no_grad", "inference_mode(False)") == ["lin1"]
assert who_gets_grad("inference_mode", "enable_grad") == []
assert nested_error.startswith("Inference tensors cannot be saved for backward.")
print("checkpoint passed")

# %% [markdown]
# ## `set_grad_enabled`: a plain call, or a context manager
#
# Seed 001's comparison table says: *"torch.set_grad_enabled(False) | 全局关闭梯度计算,需手动恢复。"*
# ("turns gradient computation off globally; needs restoring by hand"). **Half right.**
#
# * As a **plain call**, it switches recording off and leaves it off until you switch it back:
#   true, you restore it by hand.
# * As a **context manager**, it restores the previous mode on exit, like `no_grad`.
# * "Globally" means for the rest of *this thread* (see *Grad modes are per thread* below).
#
# Both forms are the same object: the constructor of `torch.set_grad_enabled` switches the mode
# at once, and `__exit__` puts the previous mode back.

# %%
torch.set_grad_enabled(False)          # plain call: recording is off from here on...
plain_call = (torch.is_grad_enabled(), (w * 2).requires_grad)
torch.set_grad_enabled(True)           # ...until you turn it back on yourself
print("after the plain call:       is_grad_enabled(), (w*2).requires_grad =", plain_call)

with torch.set_grad_enabled(False):    # context manager: off inside...
    inside = torch.is_grad_enabled()
after = torch.is_grad_enabled()        # ...and restored on exit
print("inside the with block:      is_grad_enabled() =", inside, "; after it:", after)

torch.set_grad_enabled(False)
with torch.set_grad_enabled(True):
    pass
restored_to = torch.is_grad_enabled()  # the *previous* mode (False), not True
torch.set_grad_enabled(True)
print("leaving set_grad_enabled(True) restores the previous mode:", restored_to)

# %%
assert plain_call == (False, False)
assert inside is False and after is True
assert restored_to is False
assert torch.is_grad_enabled()
print("checkpoint passed")

# %% [markdown]
# Its real use: one loop for training and validation, the mode chosen by a bool.

# %%
model = nn.Linear(2, 1)
for phase in ["train", "val"]:
    with torch.set_grad_enabled(phase == "train"):
        loss = model(x).pow(2).mean()
    print(f"{phase:5} loss.requires_grad = {loss.requires_grad}")
    if phase == "train":
        loss.backward()

# %%
assert model.weight.grad is not None and not loss.requires_grad  # the last loss is the val one
print("checkpoint passed")

# %% [markdown]
# ## Tensors you create inside `no_grad`
#
# Every result above was the result of an *operation* on `w`. What about tensors you *create*
# inside the block? Predict first: the cell makes four tensors inside `no_grad`.

# %%
with torch.no_grad():
    z = torch.zeros(2, requires_grad=True)
    p = nn.Parameter(torch.zeros(2))
    built_inside = nn.Linear(2, 2)
    r = w * 2
created = {"torch.zeros(2, requires_grad=True)": z, "nn.Parameter(torch.zeros(2))": p,
           "nn.Linear(2, 2).weight": built_inside.weight, "w * 2": r}
trainable = {name for name, t in created.items() if t.requires_grad}

# %%
# The exercise. This cell is hidden: it checks your answer, so run it, don't read it.
assert trainable == {"torch.zeros(2, requires_grad=True)", "nn.Parameter(torch.zeros(2))",
                     "nn.Linear(2, 2).weight"}  # checked on every test run (hidden with the quiz)
agv.quiz("All four are made inside a torch.no_grad() block, and w requires grad. Which of them "
         "require grad?", options=list(created), answer=trainable,
         explain="no_grad only decides whether the results of operations, like w * 2, get a "
                 "history. A tensor created with requires_grad=True, an nn.Parameter, and a "
                 "layer's parameters ask for gradients themselves, and get them.")

# %% [markdown]
# `no_grad` decides whether the **results of operations** get a history: `w * 2` gets none. It
# does not stop you from creating a tensor that asks for gradients: a factory function with
# `requires_grad=True`, an `nn.Parameter`, or a whole layer built inside `no_grad` is trainable.

# %%
for name, t in created.items():
    print(f"{name:35} requires_grad={t.requires_grad}")

# %%
assert z.requires_grad and z.is_leaf and z.grad_fn is None
assert p.requires_grad
assert all(q.requires_grad for q in built_inside.parameters())
assert not r.requires_grad
(z * 3).sum().backward()  # outside the block, z trains like any leaf
assert torch.equal(z.grad, torch.full((2,), 3.0))
print("checkpoint passed")

# %% [markdown]
# ## Inference tensors
#
# A tensor created in `inference_mode` is an inference tensor for life. Outside the mode you can
# read it and compute with it, with three restrictions, each with its own error.

# %%
with torch.inference_mode():
    t = torch.ones(2)
print("t.is_inference():", t.is_inference(), " t.requires_grad:", t.requires_grad)

# %% [markdown]
# **1. A recorded operation cannot save it for backward.** `w * t` must save `t`: the gradient
# for `w` is `t`.

# %% tags=["raises-exception"]
y = w * t

# %% [markdown]
# **2. It cannot start requiring grad** outside the mode.

# %% tags=["raises-exception"]
t.requires_grad_()

# %% [markdown]
# **3. It cannot be changed in place** outside the mode (inside, it can).

# %% tags=["raises-exception"]
t.add_(1)

# %% [markdown]
# Look at `t` now. The error came *after* the addition: on this torch the update was made, then
# refused. Do not count on this error to protect the values.

# %%
print("t after the refused add_:", t)
assert torch.equal(t, torch.full((2,), 2.0))  # ones + 1, although add_ raised
print("checkpoint passed")

# %% [markdown]
# What *does* work: an operation that does not save it (the gradient of `t + w` for `w` is all
# ones, it needs no value of `t`), any computation whose result needs no history, and
# `clone()` *after* the block, which copies it into a normal tensor (a `clone()` inside the
# block is one more inference tensor).

# %%
w.grad = None
(t + w).sum().backward()                 # add saves nothing: t may take part
print("(t + w).sum().backward() -> w.grad =", w.grad)

normal = t.clone()                       # a normal tensor with the same values
w.grad = None
(w * normal).sum().backward()            # mul saves it: fine now
print("t.clone().is_inference():", normal.is_inference(), " w.grad =", w.grad)

print("(t * 2).is_inference():", (t * 2).is_inference(), "(outside the mode, new results are normal)")
with torch.inference_mode():
    t.add_(1)                            # in place, inside the mode: allowed
    inside = t.clone()                   # a clone inside the mode is one more inference tensor
print("t after add_ inside the mode:", t, " a clone made inside: is_inference()", inside.is_inference())

# %%
w.grad = None
(t + w).sum().backward()
assert torch.equal(w.grad, torch.ones(2))
assert not t.clone().is_inference() and not (t * 2).is_inference()
assert inside.is_inference()
assert torch.equal(t, torch.full((2,), 3.0))  # 1, +1 by the refused add_, +1 inside the mode
with torch.inference_mode():
    u = torch.ones(2)                         # a fresh inference tensor for the three errors
for bad in (lambda: w * u, lambda: u.requires_grad_(), lambda: u.add_(1)):
    try:
        bad()
        raise AssertionError("expected a RuntimeError")
    except RuntimeError as error:
        assert "inference tensor" in str(error).lower()
print("checkpoint passed")

# %% [markdown]
# ### What "leaner" means
#
# Autograd keeps a version counter on every normal tensor (to catch in-place changes to saved
# tensors, see [10 · in-place and updates](10_in_place_and_updates.ipynb)) and remembers which
# tensors are views of which. Inference tensors skip both. And inside the mode every operation
# skips autograd's layer of PyTorch's dispatcher, which `no_grad` still passes through only to
# decide not to record. That is what `inference_mode` saves over `no_grad`: overhead on every
# operation. A slice of an inference tensor still shares its memory, like any slice; only
# autograd's record of it as a view is missing.

# %%
def shares_memory(a, b):
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


with torch.no_grad():
    plain = torch.ones(4)
    plain_slice = plain[:2]
with torch.inference_mode():
    inference = torch.ones(4)
    inference_slice = inference[:2]
    view_of_normal = plain[:2]             # a view of a normal tensor, taken inside the mode
print("no_grad tensor:   _version =", plain._version, "  slice shares memory:",
      shares_memory(plain, plain_slice), " recorded as a view:", plain_slice._is_view())
try:
    inference._version
except RuntimeError as error:
    version_error = str(error)
print("inference tensor: _version ->", version_error, "  slice shares memory:",
      shares_memory(inference, inference_slice), " recorded as a view:", inference_slice._is_view())
print("plain[:2] taken inside inference_mode: is_inference() =", view_of_normal.is_inference())

# %%
assert plain._version == 0 and plain_slice._is_view() and shares_memory(plain, plain_slice)
assert version_error == "Inference tensors do not track version counter."
assert shares_memory(inference, inference_slice) and not inference_slice._is_view()  # no copy, no record
assert not view_of_normal.is_inference() and view_of_normal._is_view()  # a view of a normal tensor
skipped = torch._C._dispatch_tls_is_dispatch_key_excluded  # private: is this dispatcher layer skipped?
with torch.no_grad():
    assert not skipped(torch._C.DispatchKey.AutogradFunctionality)  # no_grad: autograd's layer runs
with torch.inference_mode():
    assert skipped(torch._C.DispatchKey.AutogradFunctionality)      # inference_mode: skipped
print("checkpoint passed")

# %% [markdown]
# ### Seed 003's claim: half right
#
# Seed 003 says: *"with torch.inference_mode(): even leaner than no_grad for inference (more
# aggressive), but cannot be nested with grad-enabled ops."* Precisely:
#
# * **Right:** `enable_grad` (or `set_grad_enabled(True)`) nested inside `inference_mode`
#   records nothing (the table). And an inference tensor can never be *saved* by a recorded
#   operation, not even after the block (error 1).
# * **Wrong:** `inference_mode(False)` nested inside does record (the table). Recorded operations
#   that do not save an inference tensor may use it (`(t + w).sum().backward()` works). And
#   `clone()` after the block turns it into a normal tensor that works everywhere.
# * "Leaner": true, it skips version counters, view tracking and autograd's dispatcher layer
#   (just shown). [09 · memory and speed](09_memory_and_speed.ipynb) measures what not recording
#   buys.

# %% [markdown]
# ## Grad modes are per thread
#
# The grad mode is stored per thread. A new thread starts with recording on, whatever the thread
# that started it was doing.

# %%
results = []


def worker():
    results.append(("worker thread", torch.is_grad_enabled(), (w * 2).requires_grad))


with torch.no_grad():
    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    results.append(("main thread", torch.is_grad_enabled(), (w * 2).requires_grad))

torch.set_grad_enabled(False)  # the plain call: "global"... for this thread
thread = threading.Thread(target=worker)
thread.start()
thread.join()
torch.set_grad_enabled(True)

for who, enabled, recorded in results:
    print(f"{who:14} is_grad_enabled() = {enabled!s:5}  (w * 2).requires_grad = {recorded}")

# %%
assert results == [("worker thread", True, True), ("main thread", False, False),
                   ("worker thread", True, True)]
print("checkpoint passed")

# %% [markdown]
# So a `no_grad` around the code that *starts* worker threads (a thread pool in a web server,
# for instance) does not reach the work they do. Put the mode inside the function the thread
# runs: the decorator form, `@torch.no_grad()`, is the easy way.

# %% [markdown]
# ## `torch.func` does not ask the grad mode
#
# `torch.func.grad(f)` is a *function transform*: its result must not depend on a context
# manager outside `f`. So it computes its gradient inside `no_grad`, and even inside
# `inference_mode`: a grad mode around code that calls `torch.func` does not stop it. A
# `no_grad` *inside* `f` is obeyed, as usual.

# %%
def square_sum(t):
    return (t ** 2).sum()


def with_inner_no_grad(t):
    with torch.no_grad():
        c = t ** 2                         # inside f: not recorded, c is a constant
    return (t + c).sum()


v = torch.tensor([1.0, 2.0])
with torch.no_grad():
    grad_no_grad = torch.func.grad(square_sum)(v)
    grad_inner = torch.func.grad(with_inner_no_grad)(v)
with torch.inference_mode():
    grad_inference = torch.func.grad(square_sum)(v)
print("outer no_grad:", grad_no_grad, " outer inference_mode:", grad_inference,
      " no_grad inside f:", grad_inner)

# %%
assert torch.equal(grad_no_grad, 2 * v) and torch.equal(grad_inference, 2 * v)  # d(t**2)/dt = 2t
assert torch.equal(grad_inner, torch.ones(2))  # only t itself counted: c was a constant
print("checkpoint passed")

# %% [markdown]
# ## The pitfalls
#
# **1. A plain `set_grad_enabled(False)` that never gets restored.** If anything raises between
# the switch and the restore, recording stays off for the rest of the session, silently.

# %%
def validate_with_plain_call():
    torch.set_grad_enabled(False)
    raise RuntimeError("a bad batch")    # raised before the restoring line below
    torch.set_grad_enabled(True)


try:
    validate_with_plain_call()
except RuntimeError:
    pass
left_off = (torch.is_grad_enabled(), (w * 2).requires_grad)
torch.set_grad_enabled(True)  # repair the session
print("after the error: is_grad_enabled(), (w * 2).requires_grad =", left_off)

# %%
assert left_off == (False, False)
try:
    with torch.set_grad_enabled(False):  # the with form of the same switch
        raise RuntimeError("a bad batch")
except RuntimeError:
    pass
assert torch.is_grad_enabled()           # restored on the way out, even on the error
print("checkpoint passed")

# %% [markdown]
# Use `with torch.set_grad_enabled(False):` or `with torch.no_grad():` instead: both restore on
# the way out, even on an error (checked above).
#
# **2. Features cached with `inference_mode`, then trained on.** A frozen backbone computes
# features once, under `inference_mode` because it is "the fastest". Then a head is trained on
# them. The head's `Linear` must save its input to compute its weight's gradient:

# %%
backbone, head = nn.Linear(3, 4), nn.Linear(4, 2)
with torch.inference_mode():
    features = backbone(torch.randn(5, 3))

# %% tags=["raises-exception"]
head(features).sum().backward()

# %% [markdown]
# Compute features you will train on under `torch.no_grad()` (or `clone()` them once, after the
# `inference_mode` block):

# %%
with torch.no_grad():
    features = backbone(torch.randn(5, 3))
head(features).sum().backward()
print("head.weight.grad is None:", head.weight.grad is None, " backbone.weight.grad:", backbone.weight.grad)

# %%
assert head.weight.grad is not None and backbone.weight.grad is None
print("checkpoint passed")

# %% [markdown]
# ## Exercise
#
# Which of these snippets give a `y` that requires grad (that you could call `backward()` on)?
# Answer below the snippets, then check with the nesting table and the sections above. (The answer
# is computed by running each snippet.)

# %%
def snippet_A():
    with torch.no_grad():
        with torch.enable_grad():
            return w * 2


def snippet_B():
    with torch.inference_mode():
        with torch.enable_grad():
            return w * 2


def snippet_C():
    with torch.inference_mode():
        with torch.inference_mode(False):
            return w * 2


def snippet_D():
    with torch.inference_mode():
        t = torch.ones(2)
    return t + w


def snippet_E():
    out = []
    with torch.no_grad():
        thread = threading.Thread(target=lambda: out.append(w * 2))
        thread.start()
        thread.join()
    return out[0]


# %%
snippets = {"A": snippet_A, "B": snippet_B, "C": snippet_C, "D": snippet_D, "E": snippet_E}
right = {letter for letter, snippet in snippets.items() if snippet().requires_grad}

# %%
# The exercise. This cell is hidden: it checks your answer, so run it, don't read it.
assert right == {"A", "C", "D", "E"}  # checked on every test run (hidden with the quiz)
agv.quiz("Which snippets give a y that requires grad (one you could call backward() on)?",
         options=list(snippets), answer=right,
         explain="A: enable_grad inside no_grad records again. B: inside inference_mode, enable_grad turns "
                 "the grad flag on, yet nothing is recorded; only inference_mode(False) gets out (C). "
                 "D: add does not save the inference tensor, so it may take part. E: a new thread "
                 "starts with recording on.")

# %% [markdown]
# ## Takeaways
#
# * `no_grad`, `enable_grad`, `set_grad_enabled(b)` and `inference_mode` all work as context
#   managers and as decorators (`@torch.no_grad` with or without parentheses).
# * Leaving a block restores the *previous* mode, even on an error. A plain
#   `torch.set_grad_enabled(False)` call stays until you undo it.
# * Inside `no_grad`, `enable_grad` records again. Inside `inference_mode` it does not, though
#   `is_grad_enabled()` says True; only `inference_mode(False)` gets out.
# * `no_grad` affects results of operations, not tensors you create with `requires_grad=True`
#   or `nn.Parameter`.
# * Inference tensors cannot be saved for backward, made to require grad, or changed in place
#   outside the mode; ops that do not save them may use them; `clone()` outside the mode makes a
#   normal tensor.
#   A refused in-place update has already been applied when the error is raised.
# * Grad modes are per thread, and `torch.func` transforms ignore a mode set around the call (one
#   inside the function is obeyed).
#
# Next: [09 · memory and speed](09_memory_and_speed.ipynb): what not recording actually saves.
