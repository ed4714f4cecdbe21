"""What the tensor, the optimizer and the learner's code show about a cause: enough to pick the
words that are true for this program (and the words of two causes that depend on it).

* ``leaf_kind``: a non-leaf that is a layer's activation, or a parameter updated out of place;
* ``optimizer_miss``: why the optimizer does not hold a parameter that gets a gradient;
* ``layer_state``: whether a parameter's layer did not run, or ran where watch() could not see;
* ``grad_off_spelling``: how the learner turned grad mode off around a line;
* ``not_in_optimizer``, ``not_leaf``: those causes in words.
"""
from __future__ import annotations

import gc
import linecache
import re

import torch

from .causes import Why
from .learner import place
from .modes import calls_of, ran


def leaves_behind(fn, limit: int = 50) -> list[torch.Tensor]:
    """The leaves a few steps back from a grad_fn."""
    seen, queue, found = set(), [fn], []
    while queue and len(seen) < limit:
        f = queue.pop()
        if f is None or f in seen:
            continue
        seen.add(f)
        if hasattr(f, "variable"):
            found.append(f.variable)
        queue += [n for n, _ in f.next_functions]
    return found


def leaf_kind(t: torch.Tensor) -> str | None:
    """"update": computed from a leaf of its shape and that leaf's own .grad (`w = w - lr * w.grad`);
    "activation": made by a layer (a module call watch() saw, or from a parameter); else None."""
    leaves = leaves_behind(t.grad_fn)
    if any(q.grad is not None and q.shape == t.shape and not isinstance(q, torch.nn.Parameter) for q in leaves):
        return "update"
    if calls_of(t.grad_fn) or any(isinstance(q, torch.nn.Parameter) for q in leaves):
        return "activation"
    return None


def held_by_modules(ts) -> set:
    """The ids of those of ts that a module holds as a parameter, registered in a model or not."""
    ids = {id(t) for t in ts}
    return {id(q) for m in (gc.get_objects() if ids else ()) if issubclass(type(m), torch.nn.Module)
            for q in m._parameters.values() if id(q) in ids}


def optimizer_miss(t: torch.Tensor, held, modules) -> str:
    """Why the optimizer does not hold t (not_in_optimizer's ``how``): "replaced" when it holds a
    parameter no module owns that could be t's old copy (its shape, or a new head's: all but the
    first size), "frozen" when t's layer is among the model's, "list" when t's layer is a module
    the model does not register, "standalone" for a parameter outside any module, else "never"."""
    owned = {id(q) for m in modules for q in m.parameters(recurse=False)}
    unowned = [q for q in held if isinstance(q, torch.nn.Parameter) and id(q) not in owned]
    in_modules = held_by_modules(unowned + [t])  # (one pass over the objects Python tracks)
    old = [q for q in unowned if id(q) not in in_modules]
    if any(q.shape == t.shape or (q.dim() > 1 and q.shape[1:] == t.shape[1:] and q.dim() == t.dim()) for q in old):
        return "replaced"
    if id(t) in owned:
        return "frozen"
    if not isinstance(t, torch.nn.Parameter):
        return "never"
    return "list" if id(t) in in_modules else "standalone"


def layer_state(t: torch.Tensor, modules) -> str | None:
    """"skipped": t's layer did not run though watch() saw its model (a parent, or a layer beside it)
    run; "unseen": watch() saw neither run (it may have run before the block); else None."""
    layer = next((m for m in modules if any(q is t for q in m.parameters(recurse=False))), None)
    if layer is None or ran(layer) is not False:
        return None
    parents = [m for m in modules if m is not layer and any(c is layer for c in m.modules())]
    return "skipped" if any(ran(c) for p in parents for c in p.modules()) else "unseen"


def grad_off_spelling(frame) -> str | None:
    """How the learner turned grad mode off around the frame's line: "torch.no_grad()" or the
    `torch.set_grad_enabled(...)` call, nearest above it in its function (or the 40 lines before,
    at a file's top level), at a lesser indent; None when the code does not show it."""
    if frame is None:
        return None
    file, line = frame.f_code.co_filename, frame.f_lineno
    top = frame.f_code.co_firstlineno if frame.f_code.co_name != "<module>" else max(1, line - 40)
    here = linecache.getline(file, line)
    level = len(here) - len(here.lstrip())  # the indent of the blocks around the line, going up
    for n in range(line, top - 1, -1):
        text = linecache.getline(file, n)
        own = len(text) - len(text.lstrip())
        if n != line and (not text.strip() or own > level or (own == level and text.lstrip().startswith("with "))):
            continue  # a line inside another block, or a block beside this one
        level = min(level, own)
        if not re.match(r"(with |@|(torch\.)?(autograd\.)?set_grad_enabled\()", text.lstrip()):
            continue  # (code, not words about it: a string or an assert that names no_grad)
        called = re.search(r"set_grad_enabled\(([^)]*)\)", text)
        if called and called.group(1).strip() != "True":
            return f"torch.set_grad_enabled({called.group(1).strip()})"
        if re.search(r"\bno_grad\s*\(|@\S*no_grad\b", text):
            return "@torch.no_grad()" if text.lstrip().startswith("@") else "torch.no_grad()"
    return None


def not_in_optimizer(name: str, how: str) -> Why:
    """``how``: the optimizer was built while t was "frozen", before its layer was "replaced", from a
    model whose "list" of layers it did not register, or t was "never" given to it."""
    why, fix = {
        "frozen": ("the optimizer was built while the parameter was frozen (a `requires_grad` filter), or from only some of the "
                   "parameters", "`optimizer.add_param_group({'params': [...]})` with what you unfroze, or build the "
                   "optimizer again"),
        "replaced": ("the parameter (or its layer) was created or replaced after the optimizer was built, and the "
                     "optimizer still holds the old one", "build the optimizer after the last change to the model, or "
                     "`optimizer.add_param_group({'params': [...]})`"),
        "list": ("its layer is not registered in the model (kept in a plain Python list or dict?), so "
                 "`model.parameters()` did not list it", "keep layers in `nn.ModuleList` or `nn.ModuleDict`, then "
                 "build the optimizer"),
        "standalone": ("it is not among the parameters the optimizer was given (a parameter outside any module "
                       "is not in `model.parameters()`)", f"add it to the optimizer: pass it when you build it, or "
                       f"`optimizer.add_param_group({{'params': [{name}]}})`"),
        "never": ("it was not among the tensors the optimizer was given", f"pass it when you build the optimizer, or "
                  f"`optimizer.add_param_group({{'params': [{name}]}})`"),
    }[how]
    return Why("not_in_optimizer", f"{name} gets a gradient, but the optimizer does not hold it: {why}. So "
               f"`optimizer.step()` never changes it. Fix: {fix}.", reason="gets .grad, but the optimizer does not hold it")


def not_leaf(name: str, where: str | None, code: str, kind: str | None = None) -> Why:
    """``kind``: hints.leaf_kind's "update" (`w = w - lr * w.grad`), "activation" (a layer's output), or None."""
    fix = {"update": f"It looks like a parameter updated out of place (`{name} = {name} - lr * {name}.grad`): each "
                     f"step makes a new non-leaf, and the graph grows. Update it in place under `torch.no_grad()` (`with "
                     f"torch.no_grad(): {name} -= lr * {name}.grad`), then clear `{name}.grad`: it stays the leaf "
                     "that learns. (`.retain_grad()` would give it a `.grad`, and hide this.)",
           "activation": f"To read its gradient, call `{name}.retain_grad()` before backward. (Do not make it a new "
                         "leaf, e.g. with `.detach().requires_grad_()`: the layers that made it would stop learning.)",
           }.get(kind, "To read its gradient, call `.retain_grad()` on it before backward. If it is meant to be a "
                       "parameter made by an operation, make it from tensors that do not require grad, then "
                       "`.requires_grad_()` (`(torch.randn(3) * 0.01).requires_grad_()`); if it is an updated "
                       "parameter, update it in place under `torch.no_grad()` (`w -= lr * w.grad`).")
    return Why("not_leaf", f"{name} was computed from a tensor that requires grad{place(where, code)}, so it is not a "
               f"leaf: backward passes through it, but fills `.grad` only on leaves. {fix}",
               where, "not a leaf: backward fills .grad only on leaves", code)
