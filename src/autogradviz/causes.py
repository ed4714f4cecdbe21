"""The causes of a missing gradient, in words: one text for why(), grads()'s column and draw()'s boxes.

``Why`` is the answer. ``Words`` turns a recorded cut (cuts.py) into a reason of a few words (the
table's and the boxes'), a sentence on how the cut's result was made, and the fix, naming things
as the learner does: a module by the name draw() was given or the learner's variable, a tensor by
its variable, or by the module call that made it.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass

import torch

from .learner import place

CAUSES = ("ok", "frozen", "not_leaf", "no_grad", "inference_mode", "detached", "data", "copied",
          "non_differentiable", "not_used", "not_in_optimizer", "no_backward_yet")
FROZEN = "frozen: requires_grad=False"
UNWATCHED = ("no path to the output: not used, or cut (no_grad, inference_mode, .detach(), .data, .item(), "
             "an op without a gradient such as argmax); agv.watch() tells which")
ASK_WATCH = "Run the forward inside `with agv.watch():` and ask again: why() will name the cause and the line."
STAND_IN = ("For a loss, use a differentiable stand-in (softmax probabilities instead of argmax, a sigmoid "
            "instead of a comparison).")
MODES = {"no_grad": "torch.no_grad()", "inference_mode": "torch.inference_mode()"}
GRAD_OFF = "with grad mode off (`torch.no_grad()`, `@torch.no_grad`, or `torch.set_grad_enabled(False)`)"
CUTTERS = ("grad mode off (`torch.no_grad()`, `torch.set_grad_enabled(False)`), `torch.inference_mode()`, "
           "`.detach()`, `.data`, an op without a gradient (`argmax`, comparisons, `.long()`)")

# Names are dotted as named_parameters() prints them (model.2.weight); in code the learner can paste,
# a number is an index: `model[2].weight.requires_grad_(True)`.
PATH = re.compile(r"[A-Za-z_]\w*(?:\.\w+)+")


def as_code(message: str) -> str:
    """Every dotted name inside `code` spans of message, with its numbers as indexes."""
    indexed = lambda path: re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", path.group(0))  # noqa: E731
    return re.sub(r"`[^`]*`", lambda span: PATH.sub(indexed, span.group(0)), message)


@dataclass(frozen=True)
class Why:
    """The answer: ``.cause``, ``.where`` ("file:line" or None), ``.message``; ``.reason`` in a few words."""
    cause: str
    message: str
    where: str | None = None
    reason: str = ""
    code: str = ""      # the learner's line at .where
    exact: bool = True  # False: the forward was not watched, and the cause is what the graph alone shows

    def __post_init__(self):
        object.__setattr__(self, "message", as_code(self.message))

    def __str__(self) -> str:
        return f"why: {self.cause}\n{self.message}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        from .quiz import rich  # `code` and **bold**, as the quizzes show them
        colour = "#d7f5d0" if self.cause == "ok" else "#f6c0c0"
        return (f"<div class='agv-why' data-cause='{self.cause}' style='background:{colour};padding:6px 10px;"
                f"border-radius:4px'><b>why: {html.escape(self.cause)}</b><br>{rich(self.message)}</div>")


def zero_gradient(name: str, op: str, where: str | None, code: str) -> Why:
    return Why("non_differentiable", f"Every path from the output to {name} goes through `{op}`{place(where, code)}, "
               f"whose gradient is zero: {name} gets a `.grad` of zeros and never learns. Keep the op out of the "
               f"loss, or let the gradient pass around it (straight-through: `x + (x.{op}() - x).detach()`).",
               where, f"no gradient through {op}: its gradient is zero", code)


def no_backward_yet(name: str) -> Why:
    return Why("no_backward_yet", f"`{name}.grad` is None: no backward has run yet (none that watch() saw; or "
               "`zero_grad()` cleared it). Call `loss.backward()`, or pass `outputs=loss` to check now whether it will "
               "get a gradient.",
               reason="no backward has run yet")


def cleared(name: str) -> Why:
    return Why("no_backward_yet", f"The last backward reached {name}, but `{name}.grad` is None now: something cleared "
               "it since (`zero_grad()` between `backward()` and `step()`?). The order is `zero_grad()`, `backward()`, "
               "`step()`.", reason="no backward since .grad was cleared")


def not_used(name: str, watched: bool, skipped: bool | str) -> Why:
    """``skipped``: hints.layer_state's "skipped" (its layer did not run) or "unseen" (not inside watch())."""
    if not watched:
        return Why("not_used", f"No path leads from the output back to {name}: it was not used, or the path was cut "
                   f"by {CUTTERS}, or values copied out of torch (`.item()`, `.numpy()`, `torch.tensor(...)`). "
                   f"{ASK_WATCH}", reason=UNWATCHED, exact=False)
    if skipped == "unseen":
        return Why("not_used", f"No path leads from the output back to {name}: watch() saw no path to it and did "
                   "not see its layer run inside the watched block; if it ran before the block, put that part inside "
                   "`with agv.watch():` too.", reason="no path: its layer did not run inside watch()", exact=False)
    return Why("not_used", f"{name} took no part in computing the output: no path leads back to it"
               + (" (its layer did not run)" if skipped else "") + ". Check that forward uses it.",
               reason="not used: " + ("its layer did not run" if skipped else "it took no part in the output"))


def never_asked(subject: str, watched: bool) -> Why:
    return Why("frozen", f"{subject}: it was created without `requires_grad=True` (as data is), or computed only from "
               "tensors that do not require grad (data, frozen parameters), so it never asked for a gradient. If it "
               "should learn, create it with `requires_grad=True` (or call `.requires_grad_()` on it before using it); "
               "if it is data or a frozen layer's output, that is expected." + ("" if watched
               else " (If it is the result of a computation that ran under no_grad or was cut, run it inside "
               "`with agv.watch():` to see where.)"), reason="requires_grad=False: it never asked for a gradient",
               exact=watched)


def computed_without_grad(name: str, layer: str, module, where: str | None, code: str) -> Why:
    """t was computed by a layer, in grad mode, from tensors none of which requires grad."""
    reason = "requires_grad=False: computed only from tensors that do not require grad"
    if not any(True for _ in module.parameters()):
        return Why("frozen", f"{name} was computed by {layer}{place(where, code)}: {layer} has no parameters and its "
                   "input does not require grad: nothing before it asks for a gradient. If the input should learn, "
                   "create it with `requires_grad=True`.", where, reason, code)
    frozen = "its parameters are frozen, and its input"
    return Why("frozen", f"{name} was computed by {layer}{place(where, code)} only from tensors that do not require grad "
               f"({frozen} does not require grad), so it does not require grad either: nothing before it asked for a gradient. That is "
               f"right for a frozen feature extractor; to train {layer}, unfreeze it (`{layer}.requires_grad_(True)`) "
               f"and give its parameters to the optimizer. (`{name}.requires_grad_()` would not help: {name} would "
               "become a new leaf, and nothing before it would learn.)", where,
               "requires_grad=False: computed only from tensors that do not require grad", code)


def no_history(t: torch.Tensor, subject: str, name: str, unknown: bool) -> Why | None:
    """Why ``t`` has no history, from the tensor alone (``unknown``: and cuts.py saw nothing)."""
    if t.is_inference():
        return Why("inference_mode", f"{subject}: it was made under `torch.inference_mode()`, which records no "
                   "history, and outside inference_mode an inference tensor can never be made to require grad "
                   "(`requires_grad_()` raises). Compute it outside the inference_mode block.",
                   reason="made under torch.inference_mode()")
    if not (t.is_floating_point() or t.is_complex()):
        return Why("non_differentiable", f"{subject}: it is a {t.dtype} tensor, and integer and boolean results never "
                   f"require grad. {STAND_IN}", reason="integer and boolean results never require grad")
    if unknown:
        return Why("not_used", f"{subject}: it was made {GRAD_OFF} or under `torch.inference_mode()`, cut by "
                   "`.detach()`/`.data`/`.item()` or an op without a gradient (`argmax`, comparisons, `.long()`), or "
                   f"computed only from tensors that do not require grad. {ASK_WATCH}", reason=UNWATCHED, exact=False)
    if isinstance(t, torch.nn.Parameter):
        return Why("frozen", f"{name} is frozen (`requires_grad=False`), so autograd gives it no gradient. To train "
                   "it: `.requires_grad_(True)`, and make sure the optimizer holds it.", reason=FROZEN)
    return None


class Words:
    """Turns cuts into words; mixed into why.Diagnosis, which holds ``module_names`` and ``tensor_names``."""
    module_names: dict
    tensor_names: dict

    def words(self, cut, t=None) -> tuple[str, str, str]:
        """(reason, how the cut's result was made, the fix), in the learner's terms."""
        what, is_own = self.describe(cut, t)
        at, src = place(cut.where, cut.code), self.source(cut)
        if cut.cause in MODES:
            mode, under = self.grad_off(cut)
            fix = ("Turn grad mode back on there with `torch.set_grad_enabled(True)`" if "set_grad" in (mode or "")
                   else "Run it outside the decorated function" if mode and mode[0] == "@"
                   else "Run it outside that block" if mode else "Run it with grad mode on")
            return (f"no path: {'its layer' if is_own else what} ran {self.grad_off_short(cut)}",
                    f"by {what} {under}{at}", f"{fix} (to freeze one layer, use `requires_grad_(False)` instead: it "
                    "does not cut the path).")
        if cut.cause in ("detached", "data"):
            op = ".data" if cut.cause == "data" else f".{cut.op}()"  # .detach() or .detach_()
            return (f"no path: {op} of {src}", f"by `{op}` of {src}{at}, which keeps the values and drops the history",
                    f"Use {src} itself where the gradient should flow; cut only where it must not (targets, "
                    "logging)." + (" `.data` also hides in-place changes from autograd: prefer `.detach()`."
                                   if op == ".data" else ""))
        if cut.cause == "copied":
            return (f"no path: {cut.op}() copied the values of {src} out of torch",
                    f"from the values of {src}, copied out of torch by `{cut.op}()`{at}: autograd cannot follow "
                    "values that leave torch", f"Keep the computation in torch operations on {src}.")
        return (f"no path: {cut.op}: integer and boolean results never require grad",
                f"by `{cut.op}`{at}, and integer and boolean results never require grad", STAND_IN)

    def from_cut(self, cut, t, name, made=False) -> Why:
        """The cut's cause, in words; ``made``: t is the cut's own result (it, not only its past, has no history)."""
        reason, how, fix = self.words(cut, t)
        if made and cut.cause in MODES and not cut.ran_off:  # `w = w - lr * w.grad` under no_grad
            text = (f"{name} was made {how}: a new tensor without history, so backward never reaches it. To update a "
                    f"parameter, change it in place (`{name} -= lr * {name}.grad`): it stays the leaf that requires "
                    "grad. If it should get a gradient, compute it with grad mode on.")
        elif made:
            text = f"{name} was made {how}: it has no history, so backward never reaches it. {fix}"
        elif cut.cause in MODES:
            text = f"{self.describe(cut, t)[0]} ran {self.grad_off(cut)[1]}{place(cut.where, cut.code)}: autograd " \
                   f"recorded nothing there, so no gradient reaches {name}. {fix}"
        else:
            text = f"The path from the output to {name} was cut {how}: no gradient reaches {name}. {fix}"
        return Why(cut.cause, text, cut.where, reason, cut.code)

    def cut_label(self, cut) -> tuple[str, str]:
        """A dashed oval's two lines, from its cut alone: what the tensor came from, and what cut it."""
        src = self.source(cut, ", ", "")
        if cut.cause in MODES:  # a module's output, computed on maybe: the last module that ran in that mode
            made = f"from {self.module_name(cut.ran_off[-1], cut)}" if cut.ran_off else self.describe(cut)[0].replace("`", "")
            return f"{made}'s output", "made " + self.grad_off_short(cut)
        return {"detached": (src, f"cut by .{cut.op}()"), "data": (src, "cut by .data"),
                "copied": (f"new tensor from {src}", f"values copied out by {cut.op}()"),
                }.get(cut.cause, (f"{cut.op} result", "integers never require grad"))

    @staticmethod
    def grad_off(cut) -> tuple[str | None, str]:
        """(how the learner turned grad mode off, if the code shows it; "under `...`" or "with grad mode off (...)")."""
        mode = MODES["inference_mode"] if cut.cause == "inference_mode" else getattr(cut, "spelling", None)
        return mode, f"under `{mode}`" if mode else GRAD_OFF

    def grad_off_short(self, cut) -> str:  # grad_off's words for a reason or an oval: plain, no list of ways
        return self.grad_off(cut)[1].replace("`", "").split(" (")[0]

    def describe(self, cut, t=None) -> tuple[str, bool]:
        """(what ran in the cut's grad mode: the modules called in it, or the op; whether it is t's own layer)."""
        calls = [c for c in cut.calls if c is not None]
        is_own = t is not None and any(q is t for module, _ in calls for q in module.parameters(recurse=False))
        if cut.ran_off:
            return " and ".join(self.module_name(m, cut) for m in cut.ran_off), is_own
        if not calls:
            return f"`{cut.op}`", False
        return self.call_name(calls[0], cut.names), is_own

    def module_name(self, module, cut, names=None) -> str:
        return self.module_names.get(module) or (names or cut.names).get(id(module)) or type(module).__name__

    def call_name(self, call, names: dict) -> str:
        """A module call's (module, outermost module), named as draw() was told, or from the learner's
        variable that holds the outermost module (``model.body``, ``model.2``: dotted, as named_modules()
        spells it, like every name the library gives), or by its class."""
        module, top = call
        if self.module_names.get(module):
            return self.module_names[module]
        root = self.module_names.get(top) or names.get(id(top))
        path = next((n for n, m in top.named_modules() if m is module), "") if module is not top else ""
        if root:
            return f"{root}.{path}" if path else root
        return path or type(module).__name__

    def source(self, cut, sep: str = " (", end: str = ")") -> str:
        """What the cut took its values from: "h (model.body's output)", "w", "the result of mul"."""
        if cut.label or cut.source is None:
            return cut.label or "the result"
        key, call, op = cut.source
        name = self.tensor_names.get(key) or cut.names.get(key)
        made = f"{self.call_name(call, cut.names)}'s output" if call else None
        if name:
            return f"{name}{sep}{made}{end}" if made else name
        return made or (f"the result of {op}" if op else "a tensor")


