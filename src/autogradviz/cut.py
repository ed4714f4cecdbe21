"""One cut of the graph (cuts.py records them under ``agv.watch()``), kept as a summary.

A training loop runs under watch() for thousands of steps; a cut must not keep the graph it cut
off alive (nor, through the taint a later graph carries, the graph before that one). So a ``Cut``
holds no tensor and no grad_fn: the leaves it cut off by weak reference, a mark in the metadata
of each node it cut off (the graph carries the mark, and dies with it), the modules that name
it, the learner's line.
"""
from __future__ import annotations

import itertools
import weakref

import torch

from .hints import grad_off_spelling
from .inplace import forward_name
from .learner import line_of, names_near, receiver_text
from .modes import ancestors, calls_of, current_call

OFF_KEY = "autogradviz.cut_off"  # grad_fn.metadata: the cuts that cut this node off from the output
Tensor = torch.Tensor
_order = itertools.count()


class Cut:
    """One cut: what made a result without history from tensors that had one, and where. It keeps
    summaries only, never a tensor or a grad_fn (watch() must keep no graph alive): the leaves it cut
    off (weakly), a mark in the metadata of each node it cut off, the modules, the learner's line."""
    __slots__ = ("cause", "op", "where", "code", "leaves", "covers", "calls", "ran_off", "source", "label",
                 "order", "names", "spelling")

    def __init__(self, cause: str, op: str, history, source=None, frame=None, ran_off=None, label=None,
                 covers=(), about_source=None):
        self.cause, self.op, self.label, self.covers = cause, op, label, tuple(covers)  # covers: cuts it extends
        self.calls = [module_path(current_call())]  # (module, outermost module) of the call it happened in
        self.ran_off = [ran_off] if ran_off is not None else []  # the modules called under no_grad / inference_mode
        self.order = next(_order)
        self.where, self.code = line_of(frame)
        self.spelling = grad_off_spelling(frame) if cause == "no_grad" else None  # "torch.no_grad()", or None
        self.source = about_source or about(source)  # (id, the call that made it, its op) of what it cut
        made = self.source[1] if self.source else None
        wanted = [source, *self.ran_off, *(c[1] for c in self.calls + [made] if c)]
        self.names = {**(covers[0].names if covers else {}), **(names_near(frame, wanted) if frame else {})}
        if source is not None and made is None and id(source) not in self.names:  # x[-1].detach(): "x[-1]"
            self.names[id(source)] = receiver_text(self.code, op)
        self.leaves: dict[int, weakref.ref] = {}
        self.add(history)

    def add(self, history):
        """Note what it cuts off: each leaf (weakly) and, in its metadata, each node of the graph before it."""
        stack = list(history)
        while stack:
            h = stack.pop()
            if isinstance(h, Tensor) or hasattr(h, "variable"):
                leaf = h if isinstance(h, Tensor) else h.variable
                self.leaves[id(leaf)] = weakref.ref(leaf)
                continue
            marks = h.metadata.setdefault(OFF_KEY, [])
            if not any(m is self for m in marks):
                marks.append(self)
                stack += [n for n, _ in h.next_functions if n is not None]

    def cuts_off(self, t: Tensor) -> bool:
        ref = self.leaves.get(id(t))
        if (ref is not None and ref() is t) or any(c.cuts_off(t) for c in self.covers):
            return True
        try:
            return t.grad_fn is not None and any(m is self for m in t.grad_fn.metadata.get(OFF_KEY, ()))
        except RuntimeError:
            return False


def module_path(call) -> tuple | None:
    """(the module, the outermost module of the call) of a module call: what names it."""
    return None if call is None else (call.module, ancestors(call)[-1].module)


def about(t) -> tuple | None:
    """(id, (module, outermost module) of the call that made it, its op) of a tensor: enough to name it."""
    if t is None:
        return None
    calls = calls_of(t.grad_fn) if t.grad_fn is not None else []
    return id(t), module_path(calls[-1]) if calls else None, forward_name(t.grad_fn).lower() if t.grad_fn else None


def first(cuts):
    return min(cuts, key=lambda c: c.order)


def cut_of(t: Tensor, found):
    """The first of these cuts (in the order they were made) that cut t off, or None."""
    hits = [c for c in found if c.cuts_off(t)]
    return first(hits) if hits else None
