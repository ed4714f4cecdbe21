"""Why does a tensor get no gradient, or never change? One diagnosis for why(), grads() and draw().

``Diagnosis(outputs)`` walks the graph behind the outputs once: the leaves it reaches, and the
cuts that cuts.py recorded on the way (under ``agv.watch()``). ``explain(t)`` then decides, in
order: t itself has no history (frozen, or made by a cut); t is not a leaf; no backward yet; t is
reached (ok, unless the optimizer does not hold it); a cut cut it off; or it took no part. The
words are causes.py's. Without watch() it says what the graph alone shows, and that watch()
would tell more.
"""
from __future__ import annotations

import sys

import torch

from . import cuts
from .cut import cut_of, first
from .causes import (CAUSES, FROZEN, UNWATCHED, Why, Words, cleared, no_backward_yet, no_history,
                     computed_without_grad, never_asked, not_used, zero_gradient)
from .hints import layer_state, leaf_kind, not_in_optimizer, not_leaf, optimizer_miss
from .learner import argument_text, modules_near, names_near
from .modes import made_by

# Walks stop after this many nodes. Walking more is slow, and PyTorch (2.13, 2.14) then crashes the
# interpreter, stack overflow, when it frees a chain of some 40,000–50,000 nodes that Python has visited.
MAX_WALK = 25_000

__all__ = ["why", "Why", "Diagnosis", "CAUSES", "FROZEN", "UNWATCHED"]
ZERO_NODES = {op.capitalize() + "Backward" for op in cuts.ZERO_OPS if op != "fix"}  # RoundBackward0, ...


def modules_in(fn) -> list[torch.nn.Module]:
    """The modules a function uses: itself, its bound object, a partial's arguments, its closure."""
    if isinstance(fn, torch.nn.Module):
        return [fn]
    found = [getattr(fn, "__self__", None), getattr(fn, "func", None), *getattr(fn, "args", ())]
    found += [c.cell_contents for c in (getattr(fn, "__closure__", None) or ()) if c.cell_contents is not None]
    return [m for m in found if isinstance(m, torch.nn.Module)]


def metadata(fn) -> dict:
    try:
        return fn.metadata
    except (AttributeError, RuntimeError):
        return {}


class Diagnosis(Words):
    """The graph behind ``outputs``, walked once (when first needed); ``explain(t)`` for any tensor.

    Without outputs: those of the last backward watch() saw; else, when ``latest`` (a backward ran,
    unseen), the latest results watch() saw."""

    def __init__(self, outputs=None, module_names=None, tensor_names=None, modules=(), latest=False):
        recorder, self.given = cuts.recorder(), outputs is not None
        self.backward_seen = bool(recorder and recorder.backward)
        if outputs is None and recorder is not None:
            seen = recorder.backward or (recorder.latest if latest else [])
            outputs = [t for t in (r() for r in seen) if t is not None] or None
        self.outputs = outputs
        self.module_names = module_names or {}  # module -> name (draw's params)
        self.tensor_names = tensor_names or {}  # id(tensor) -> name
        # (module_names already lists every submodule: walking each one's submodules again is quadratic)
        self.modules = list(dict.fromkeys([m for top in modules for m in top.modules()] + list(self.module_names)))
        self.fns = None  # what walk() finds

    def walk(self):
        self.fns, self.leaves, self.by_checkpoint, found, self.watched = set(), set(), set(), [], False
        self.zero, self.alive = [], None  # ops whose gradient is zero; the leaves reached around them
        queue = []
        for t in self.outputs:
            found += cuts.taint_of(t)
            if t.grad_fn is not None and t.grad_fn not in self.fns:
                self.fns.add(t.grad_fn)
                queue.append(t.grad_fn)
        self.watched = bool(found)
        self.truncated = False
        while queue:
            if len(self.fns) > MAX_WALK:  # PyTorch segfaults freeing ~40,000–50,000 nodes Python has visited
                self.truncated = True
                break
            fn = queue.pop()
            meta = metadata(fn)
            if meta:
                self.watched |= any(str(k).startswith("autogradviz.") for k in meta)
                found += [c for entry in meta.get(cuts.CUTS_KEY, ()) for c in entry[2]]
            if hasattr(fn, "variable"):
                self.leaves.add(id(fn.variable))
                found += cuts.taint_of(fn.variable)  # a new leaf made from copied values
            if type(fn).__name__.rstrip("01") in ZERO_NODES:
                self.zero.append(fn)
            if type(fn).__name__ == "CheckpointFunctionBackward":  # use_reentrant=True: backward re-runs it
                self.by_checkpoint |= {id(p) for m in modules_in(fn.run_function) for p in m.parameters()}
            for nxt, _ in fn.next_functions:
                if nxt is not None and nxt not in self.fns:
                    self.fns.add(nxt)
                    queue.append(nxt)
        self.found = set(found)

    def explain(self, t: torch.Tensor, optimizer=None, name: str | None = None) -> Why:
        name = name or self.tensor_names.get(id(t)) or "this tensor"
        answer = self.cause_of(t, name)
        held = [q for group in optimizer.param_groups for q in group["params"]] if optimizer is not None else ()
        if answer.cause == "ok" and optimizer is not None and t.grad_fn is None and not any(q is t for q in held):
            return not_in_optimizer(name, optimizer_miss(t, held, self.modules))
        return answer

    def cause_of(self, t, name) -> Why:
        if not t.requires_grad:
            return self.without_grad(t, name)
        if t.grad_fn is not None and not t.retains_grad:
            return not_leaf(name, *made_at(t.grad_fn), leaf_kind(t))
        if self.outputs is None:  # no graph to walk: what the latest watch() block cut, if it cut t off
            if t.grad is not None:
                return Why("ok", f"{name} has a `.grad`.")
            cut = self.recent_cut(t)  # (unless the latest results reach t: a cut for logging cut another path)
            return self.from_cut(cut, t, name) if cut and not self.reached_lately(t) else no_backward_yet(name)
        if self.fns is None:
            self.walk()
        key = t.grad_fn if t.grad_fn is not None else id(t)
        if key in self.fns or id(t) in self.leaves:
            if self.zero and key not in self.around_zero():
                fn = next(f for f in self.zero if key in reach([f]))
                return zero_gradient(name, cuts.forward_name(fn).lower(), *metadata(fn).get(cuts.ZERO_KEY, (None, "")))
            if t.grad is None and not self.given:  # no backward yet, or one whose .grad was cleared since
                return cleared(name) if self.backward_seen else no_backward_yet(name)
            return Why("ok", f"{name} gets a gradient: a path of recorded operations leads from the output back to it"
                       + (" (retain_grad() keeps the .grad of this non-leaf)." if t.grad_fn is not None else "."))
        if id(t) in self.by_checkpoint:
            return Why("ok", f"{name} is not in the graph, yet gets a gradient: `checkpoint(..., use_reentrant=True)` "
                       "runs its forward under no_grad, and again, recorded, during backward.",
                       reason="gets .grad: reentrant checkpoint re-runs its forward in backward")
        if self.truncated:
            return Why("not_used", f"The graph is too long to check: the walk stopped after {MAX_WALK:,} operations "
                       f"without reaching {name}.", reason=f"not reached in the first {MAX_WALK:,} operations", exact=False)
        # a path watch() lost (from_numpy), or outputs made new leaves (loss.requires_grad_()): the latest cuts
        new_leaves = all(o.requires_grad and o.grad_fn is None for o in self.outputs)
        cut = cut_of(t, self.found) or ((self.watched or new_leaves) and self.recent_cut(t))
        if cut:
            return self.from_cut(cut, t, name)
        if not self.watched and not any(o.requires_grad for o in self.outputs):
            return self.without_grad(self.outputs[0], "the output", of=name, asked=t)
        return not_used(name, self.watched, skipped=layer_state(t, self.modules))

    def reached_lately(self, t) -> bool:
        """Whether the latest results with history that watch() saw (the loss, say) reach t."""
        recorder = cuts.recorder()
        heads = [r() for r in list(recorder.last) + recorder.latest] if recorder else []
        return (t.grad_fn or id(t)) in reach([h.grad_fn for h in heads if h is not None and h.grad_fn is not None])

    def recent_cut(self, t):
        """The first of the latest watch() block's cuts that cut t off."""
        return cut_of(t, cuts.recorder().made if cuts.recorder() else ())

    def around_zero(self) -> set:
        """What the outputs reach without passing through an op whose gradient is zero."""
        if self.alive is None:
            self.alive = reach([t.grad_fn for t in self.outputs if t.grad_fn is not None], set(self.zero))
        return self.alive

    def without_grad(self, t, name, of=None, asked=None) -> Why:
        """t does not require grad: say why (``of``, ``asked``: the name of the tensor asked about and
        itself, when t is the output)."""
        taint = cuts.taint_of(t)
        if taint:
            return self.from_cut(first(taint), t, of or name, made=not of)
        subject = f"The output has no history, so no gradient reaches {of}" if of else f"{name} does not require grad"
        answer = no_history(t, subject, name, unknown=bool(of))
        cut = answer is not None and answer.cause == "not_used" and self.recent_cut(asked)
        if cut:  # an output made after watch() ended, from one it cut (`loss = F.mse_loss(out, y)`)
            return self.from_cut(cut, asked, of)
        if answer is not None:
            return answer
        made = made_by(t)
        if made:
            return computed_without_grad(name, self.module_name(made[0], None, names_near(sys._getframe(1), made[:1])),
                                         made[0], *made[1])
        return never_asked(subject, watched=cuts.recorder() is not None)


def reach(fns, stop=frozenset()) -> set:
    """The grad_fns reachable from fns, and the ids of their leaves, not passing through ``stop``."""
    seen, queue = set(), [f for f in fns if f not in stop]
    while queue:
        fn = queue.pop()
        if fn in seen:
            continue
        seen.add(fn)
        if hasattr(fn, "variable"):
            seen.add(id(fn.variable))
        queue += [n for n, _ in fn.next_functions if n is not None and n not in stop]
    return seen


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


def outputs_of(outputs, caller: str = "why(model.fc.weight, outputs=loss)") -> list[torch.Tensor] | None:
    if outputs is None or isinstance(outputs, torch.Tensor):
        return None if outputs is None else [outputs]
    values = list(outputs.values()) if isinstance(outputs, dict) else outputs
    if isinstance(values, (list, tuple)) and values and all(isinstance(v, torch.Tensor) for v in values):
        return list(values)
    raise TypeError(f"{caller.split('(')[0]}() takes outputs= the tensor backward is (or will be) called on, e.g. "
                    f"{caller}, or a list or dict of tensors; got {type(outputs).__name__}.")


def why(t, outputs=None, optimizer=None) -> Why:
    """Why does (or will) tensor ``t`` get no gradient, or never be updated by ``optimizer``?

    ``t``: a parameter, an input or an intermediate. ``outputs``: what backward was (or will be)
    called on; without it, the last backward seen by ``agv.watch()``. Exact when the forward ran
    inside ``with agv.watch():`` (``.where`` is then the learner's line). ``.cause`` is one of CAUSES.
    """
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"why() takes a tensor first (a parameter such as model.fc.weight, an input or an "
                        f"intermediate result); got {type(t).__name__}.")
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"why() takes optimizer= a torch.optim.Optimizer (e.g. the torch.optim.SGD you step), "
                        f"or nothing; got {type(optimizer).__name__}.")
    frame = sys._getframe(1)
    name = argument_text(frame, "why") or names_near(frame, [t]).get(id(t))
    return Diagnosis(outputs_of(outputs), modules=modules_near(frame)).explain(t, optimizer, name)
