"""Why does a tensor get no gradient, or never change? One answer for why(), grads() and draw().

``Diagnosis(outputs)`` walks the graph behind the outputs once; ``.explain(t)`` then gives a
``Why``: a cause (one of ``CAUSES``), the learner's line when the forward ran under
``agv.watch()`` (cuts.py recorded it), a message with the fix, and ``reason``, the same in a few
words, which grads()'s table and draw()'s boxes show. Without watch() it says what the graph
alone can tell, and that watch() would tell more.
"""
from __future__ import annotations

import html
import os
import sys
from dataclasses import dataclass

import torch

from . import cuts
from .modes import calls_of, ran

CAUSES = ("ok", "frozen", "not_leaf", "no_grad", "inference_mode", "detached", "data", "copied",
          "non_differentiable", "not_used", "not_in_optimizer", "no_backward_yet")
UNWATCHED = ("no path to the output: not used, or cut (no_grad, .detach(), .data, .item()); "
             "agv.watch() tells which")
FROZEN = "frozen: requires_grad=False"


@dataclass(frozen=True)
class Why:
    """The answer: ``.cause``, ``.where`` ("file:line" or None), ``.message``; ``.reason`` in a few words."""
    cause: str
    message: str
    where: str | None = None
    reason: str = ""
    code: str = ""      # the learner's line at .where
    exact: bool = True  # False: the forward was not watched, and the cause is what the graph alone shows

    def __str__(self) -> str:
        return f"why: {self.cause}\n{self.message}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        from .quiz import rich  # backticks as code, like the quizzes
        colour = "#d7f5d0" if self.cause == "ok" else "#f6c0c0"
        return (f"<div class='agv-why' data-cause='{self.cause}' style='background:{colour};padding:6px 10px;"
                f"border-radius:4px'><b>why: {html.escape(self.cause)}</b><br>{rich(self.message)}</div>")


def place(where: str | None, code: str) -> str:
    """ "line 3: `x2 = lin1(x1)`" in a notebook cell; "train.py:3: `...`" in a file."""
    if not where:
        return ""
    file, _, line = where.rpartition(":")
    shown = f"line {line}" if "ipykernel_" in file or file.startswith("<") else f"{os.path.basename(file)}:{line}"
    return f" ({shown}: `{code}`)" if code else f" ({shown})"


def modules_in(fn) -> list[torch.nn.Module]:
    """The modules a function uses: itself, its bound object, a partial's arguments, its closure."""
    if isinstance(fn, torch.nn.Module):
        return [fn]
    found = [getattr(fn, "__self__", None), getattr(fn, "func", None), *getattr(fn, "args", ())]
    found += [c.cell_contents for c in (getattr(fn, "__closure__", None) or ()) if c.cell_contents is not None]
    return [m for m in found if isinstance(m, torch.nn.Module)]


def owner(p: torch.Tensor, modules) -> torch.nn.Module | None:
    return next((m for m in modules if m is not None and any(q is p for q in m.parameters(recurse=False))), None)


class Diagnosis:
    """The graph behind ``outputs``, walked once (lazily); ``explain(t)`` for any tensor."""

    def __init__(self, outputs=None, module_names=None, tensor_names=None, modules=()):
        recorder, self.given = cuts.recorder(), outputs is not None
        self.backward_seen = bool(recorder and recorder.backward)
        if outputs is None and recorder is not None:  # the last backward watch() saw, or its latest results
            outputs = [t for t in (r() for r in recorder.backward or recorder.latest) if t is not None] or None
        self.outputs = outputs
        self.module_names = module_names or {}  # module -> name (draw's params)
        self.tensor_names = tensor_names or {}  # id(tensor) -> name
        self.modules = [m for top in (list(modules) + list(self.module_names)) for m in top.modules()]
        self.fns = None

    def walk(self):
        self.fns, self.leaves, self.ok_by_checkpoint, found, self.watched = set(), set(), set(), [], False
        queue = []
        for t in self.outputs:
            taint = taint_of(t)
            found += taint
            self.watched |= bool(taint)
            if t.grad_fn is not None and t.grad_fn not in self.fns:
                self.fns.add(t.grad_fn)
                queue.append(t.grad_fn)
        while queue:
            fn = queue.pop()
            meta = metadata(fn)
            if meta:
                self.watched |= any(str(k).startswith("autogradviz.") for k in meta)
                found += [c for _, _, taint in meta.get(cuts.CUTS_KEY, ()) for c in taint]
            if hasattr(fn, "variable"):
                self.leaves.add(id(fn.variable))
            if type(fn).__name__ == "CheckpointFunctionBackward":  # use_reentrant=True: backward re-runs it
                self.ok_by_checkpoint |= {id(p) for m in modules_in(fn.run_function) for p in m.parameters()}
            for nxt, _ in fn.next_functions:
                if nxt is not None and nxt not in self.fns:
                    self.fns.add(nxt)
                    queue.append(nxt)
        self.cut_for = {}  # id(leaf) or grad_fn -> the first cut that cut it off
        seen = set()
        for cut in sorted(set(found), key=lambda c: c.order):
            stack = list(cut.history)
            while stack:
                h = stack.pop()
                if isinstance(h, torch.Tensor):
                    self.cut_for.setdefault(id(h), cut)
                elif h not in seen:
                    seen.add(h)
                    self.cut_for.setdefault(h, cut)
                    if hasattr(h, "variable"):
                        self.cut_for.setdefault(id(h.variable), cut)
                    stack += [n for n, _ in h.next_functions if n is not None]

    def explain(self, t: torch.Tensor, optimizer=None, name: str | None = None) -> Why:
        name = name or self.tensor_names.get(id(t)) or "this tensor"
        answer = self._explain(t, name)
        if answer.cause == "ok" and optimizer is not None and t.grad_fn is None and not any(
                q is t for group in optimizer.param_groups for q in group["params"]):
            return Why("not_in_optimizer", f"{name} gets a gradient, but the optimizer does not hold it, so "
                       "`optimizer.step()` never changes it. It was built before the parameter was unfrozen or "
                       "created, the layer sits in a plain Python list (use `nn.ModuleList`), or the parameter "
                       "was replaced after the optimizer was made. Fix: `optimizer.add_param_group({'params': "
                       "[...]})`, or build the optimizer again.", reason="gets .grad, but the optimizer does not hold it")
        return answer

    def _explain(self, t, name) -> Why:
        if not t.requires_grad:
            return self.without_grad(t, name)
        if t.grad_fn is not None and not t.retains_grad:
            where, code = made_at(t.grad_fn)
            return Why("not_leaf", f"{name} was computed from a tensor that requires grad{place(where, code)}, so it "
                       "is not a leaf: backward passes through it, but fills `.grad` only on leaves. Make it a leaf "
                       "(compute it first, then `.requires_grad_()`), or call `.retain_grad()` on it before backward.",
                       where, "not a leaf: backward fills .grad only on leaves", code)
        if self.outputs is None:
            if t.grad is not None:
                return Why("ok", f"{name} has a `.grad`. Pass outputs= to check the path from a given output.")
            return self.no_backward_yet(name)
        if self.fns is None:
            self.walk()
        key = t.grad_fn if t.grad_fn is not None else id(t)
        if key in self.fns or id(t) in self.leaves:
            if t.grad is None and not self.given and not self.backward_seen:
                return self.no_backward_yet(name)
            return Why("ok", f"{name} gets a gradient: a path of recorded operations leads from the output back to it"
                       + (" (retain_grad() keeps the .grad of this non-leaf)." if t.grad_fn is not None else "."))
        if id(t) in self.ok_by_checkpoint:
            return Why("ok", f"{name} is not in the graph, yet gets a gradient: `checkpoint(..., use_reentrant=True)` "
                       "runs its forward under no_grad and again, recorded, during backward.",
                       reason="gets .grad: reentrant checkpoint re-runs its forward in backward")
        cut = self.cut_for.get(key)
        if cut is not None:
            return self.from_cut(cut, t, name)
        if not any(o.requires_grad or taint_of(o) for o in self.outputs) and not self.watched:
            return self.without_grad(self.outputs[0], "the output", of=name)
        if not self.watched:
            return Why("not_used", f"No path leads from the output back to {name}: it was not used, or the path was "
                       "cut by `torch.no_grad()`, `.detach()`, `.data`, or values copied out of torch (`.item()`, "
                       "`.numpy()`, `torch.tensor(...)`). Run the forward inside `with agv.watch():` and ask again: "
                       "why() will name the cause and the line.", reason=UNWATCHED, exact=False)
        layer = owner(t, self.modules)
        skipped = layer is not None and ran(layer) is False
        return Why("not_used", f"{name} took no part in computing the output: no path leads back to it"
                   + (" (its layer did not run)" if skipped else "") + ". Check that forward uses it.",
                   reason="not used: " + ("its layer did not run" if skipped else "it took no part in the output"))

    def no_backward_yet(self, name) -> Why:
        return Why("no_backward_yet", f"`{name}.grad` is None: no backward has run yet (or `zero_grad()` cleared it). "
                   "Call `loss.backward()`, or pass `outputs=loss` to check now whether it will get a gradient.",
                   reason="no backward has run yet")

    def without_grad(self, t, name, of=None) -> Why:
        """t does not require grad: say why (``of``: the tensor asked about, when t is the output)."""
        subject = f"{name[0].upper()}{name[1:]} has no history, so no gradient reaches {of}" if of else \
            f"{name} does not require grad"
        taint = taint_of(t)
        if taint:
            return self.from_cut(min(taint, key=lambda c: c.order), t, of or name, made=not of)
        if t.is_inference():
            return Why("inference_mode", f"{subject}: it was made under `torch.inference_mode()`, and an inference "
                       "tensor never gets a gradient. Compute it outside the inference_mode block.",
                       reason="made under torch.inference_mode()")
        if not (t.is_floating_point() or t.is_complex()):
            return Why("non_differentiable", f"{subject}: it is a {t.dtype} tensor, and integer and boolean results "
                       "never require grad. For a loss, use a differentiable stand-in (softmax probabilities instead "
                       "of argmax, a sigmoid instead of a comparison).",
                       reason="integer and boolean results never require grad")
        if of:
            return Why("not_used", f"{subject}: it was made under `torch.no_grad()`, cut by `.detach()`/`.data`/"
                       "`.item()`, or computed only from tensors that do not require grad. Run the forward inside "
                       "`with agv.watch():` and ask again: why() will name the cause and the line.",
                       reason=UNWATCHED, exact=False)
        if isinstance(t, torch.nn.Parameter):
            return Why("frozen", f"{name} is frozen (`requires_grad=False`), so autograd gives it no gradient. To "
                       "train it: `.requires_grad_(True)`, and make sure the optimizer holds it.", reason=FROZEN)
        return Why("frozen", f"{subject}: it never asked for a gradient. Create it with `requires_grad=True`, or call "
                   "`.requires_grad_()` on it before using it." + ("" if cuts_seen() else " (If it is the result of "
                   "a computation, that ran under no_grad or was cut: run it inside `with agv.watch():` to see where.)"),
                   reason="requires_grad=False: it never asked for a gradient", exact=cuts_seen())

    def words(self, cut, t=None) -> tuple[str, str, str]:
        """(reason, how the cut's result was made, the fix), in the learner's terms."""
        what, is_own = self.describe(cut, t)
        at, src = place(cut.where, cut.code), self.source(cut)
        mode = {"no_grad": "torch.no_grad()", "inference_mode": "torch.inference_mode()"}.get(cut.cause)
        if mode:
            return (f"no path: its layer ran under {mode}" if is_own else f"no path: {what} ran under {mode}",
                    f"by {what} under `{mode}`{at}", "Run it outside that block (to freeze one layer, use "
                    "`requires_grad_(False)` instead: it does not cut the path).")
        if cut.cause in ("detached", "data"):
            op = ".detach()" if cut.cause == "detached" else ".data"
            return (f"no path: {op} of {src}", f"by `{op}` of {src}{at}, which keeps the values and drops the history",
                    f"Use {src} itself where the gradient should flow; cut only where it must not (targets, "
                    "logging)." + (" `.data` also hides in-place changes from autograd: prefer `.detach()`."
                                   if op == ".data" else ""))
        if cut.cause == "copied":
            return (f"no path: {cut.op}() copied the values of {src} out of torch",
                    f"from the values of {src}, copied out of torch by `{cut.op}()`{at}: autograd cannot follow "
                    "values that leave torch", f"Keep the computation in torch operations on {src}.")
        return (f"no path: {cut.op}: integer and boolean results never require grad",
                f"by `{cut.op}`{at}, and integer and boolean results never require grad",
                "For a loss, use a differentiable stand-in (softmax probabilities instead of argmax, a sigmoid "
                "instead of a comparison).")

    def from_cut(self, cut, t, name, made=False) -> Why:
        """The cut's cause, in words; ``made``: t is the cut's own result (it, not only its past, has no history)."""
        reason, how, fix = self.words(cut, t)
        if made:
            text = f"{name} was made {how}: it has no history, so backward never reaches it. {fix}"
        elif cut.cause in ("no_grad", "inference_mode"):
            text = f"{how[3:]}: autograd recorded nothing there, so no gradient reaches {name}. {fix}"
            text = text.replace(" under `", " ran under `", 1)
        else:
            text = f"The path from the output to {name} was cut {how}: no gradient reaches {name}. {fix}"
        return Why(cut.cause, text, cut.where, reason, cut.code)

    def history_note(self, t) -> str:
        """Why a tensor drawn as an output has no graph behind it, in a sentence."""
        taint = taint_of(t)
        if taint:
            return "made " + self.words(min(taint, key=lambda c: c.order))[1].replace("`", "")
        if t.is_inference():
            return "made under torch.inference_mode(): an inference tensor has no history and never will"
        if not (t.is_floating_point() or t.is_complex()):
            return f"a {t.dtype} tensor: integer and boolean results never require grad"
        if t.requires_grad:
            return "a leaf: autograd starts here; nothing before it was recorded"
        return ("requires_grad=False: made under torch.no_grad(), cut by .detach(), "
                "or computed only from tensors that do not require grad")

    def cut_labels(self, fn) -> list[str]:
        """What each input of fn without history was (the ``None``s among its next_functions), when
        watch() saw it: a named tensor, or the result of a cut, with its shape."""
        slots = sum(nxt is None for nxt, _ in fn.next_functions)
        inputs = metadata(fn).get(cuts.CUTS_KEY, ())
        labels = []
        for i in range(slots):
            if i >= len(inputs):
                labels.append("no history")
                continue
            key, shape, taint = inputs[i]
            size = "(" + ", ".join(map(str, shape)) + ")"
            if key in self.tensor_names:
                labels.append(f"{self.tensor_names[key]}\n{size}")
            elif taint:
                cut = min(taint, key=lambda c: c.order)
                what, src = self.describe(cut)[0].replace("`", ""), self.source(cut)
                made = {"no_grad": (f"{what}'s output", "made under torch.no_grad()"),
                        "inference_mode": (f"{what}'s output", "made under torch.inference_mode()"),
                        "detached": (src, "cut by .detach()"), "data": (src, "cut by .data"),
                        "copied": (f"new tensor from {src}", f"values copied out by {cut.op}()")}
                first, second = made.get(cut.cause, (f"{cut.op} result", "integers never require grad"))
                labels.append(f"{first} {size}\n{second}")
            else:
                labels.append("no history")
        return labels

    def describe(self, cut, t=None) -> tuple[str, bool]:
        """(what ran in the cut's grad mode: a module's name or the op, whether it is t's own layer)."""
        calls = [c for c in cut.calls if c is not None]
        if not calls:
            return f"`{cut.op}`", False
        common = ancestors(calls[0])
        for call in calls[1:]:
            common = [c for c in common if c in ancestors(call)]
        top = common[0] if common else calls[0]
        is_own = t is not None and owner(t, [c.module for c in calls]) is not None
        return self.module_name(top.module, cut), is_own

    def module_name(self, module, cut) -> str:
        if module in self.module_names and self.module_names[module]:
            return self.module_names[module]
        return cut.names.get(id(module)) or type(module).__name__

    def source(self, cut) -> str:
        """What the cut took its values from: "lin1's output", "w", "the result of Mul"."""
        t = cut.source
        if t is None:
            return "the result"
        name = self.tensor_names.get(id(t)) or cut.names.get(id(t))
        calls = calls_of(t.grad_fn) if t.grad_fn is not None else []
        made = f"{self.module_name(calls[-1].module, cut)}'s output" if calls else None
        if name:
            return f"{name} ({made})" if made else name
        if made:
            return made
        return f"the result of {cuts.forward_name(t.grad_fn).lower()}" if t.grad_fn is not None else "a tensor"


def ancestors(call) -> list:
    """The call and the calls it ran inside, innermost first."""
    chain = []
    while call is not None:
        chain.append(call)
        call = call.parent
    return chain


def metadata(fn) -> dict:
    try:
        return fn.metadata
    except (AttributeError, RuntimeError):
        return {}


def taint_of(t) -> tuple:
    recorder = cuts.recorder()
    return recorder.taint_of(t) if recorder is not None else ()


def cuts_seen() -> bool:
    return cuts.recorder() is not None


def made_at(fn, depth: int = 4) -> tuple[str | None, str]:
    """Where the learner computed this non-leaf from a fresh leaf (watch() notes it), if known."""
    for _ in range(depth):
        if fn is None:
            break
        made = metadata(fn).get(cuts.MADE_KEY)
        if made:
            return made
        fn = fn.next_functions[0][0] if fn.next_functions else None
    return None, ""


def outputs_of(outputs) -> list[torch.Tensor] | None:
    if outputs is None or isinstance(outputs, torch.Tensor):
        return None if outputs is None else [outputs]
    values = list(outputs.values()) if isinstance(outputs, dict) else outputs
    if isinstance(values, (list, tuple)) and values and all(isinstance(v, torch.Tensor) for v in values):
        return list(values)
    raise TypeError(f"why() takes outputs= the tensor backward is (or will be) called on, e.g. "
                    f"why(model.fc.weight, outputs=loss), or a list or dict of tensors; got {type(outputs).__name__}.")


def why(t, outputs=None, optimizer=None) -> Why:
    """Why does (or will) tensor ``t`` get no gradient, or never be updated by ``optimizer``?

    ``t``: a parameter, an input or an intermediate. ``outputs``: what backward was (or will be)
    called on; without it, the last backward seen by ``agv.watch()`` is used. Exact when the
    forward ran inside ``with agv.watch():`` (``.where`` is then the learner's line).
    """
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"why() takes a tensor first (a parameter such as model.fc.weight, an input or an "
                        f"intermediate result); got {type(t).__name__}.")
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"why() takes optimizer= a torch.optim.Optimizer (e.g. the torch.optim.SGD you step), "
                        f"or nothing; got {type(optimizer).__name__}.")
    frame = sys._getframe(1)
    return Diagnosis(outputs_of(outputs), modules=cuts.modules_near(frame)).explain(
        t, optimizer, cuts.names_near(frame, [t]).get(id(t)))
