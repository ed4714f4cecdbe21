"""Backward's in-place error, pointed at the learner's line that changed the tensor.

"one of the variables needed for gradient computation has been modified by an inplace operation"
is raised by backward(), long after the change, from inside torch. While ``agv.watch()`` is on,
cuts.Recorder notes every in-place change of a tensor that requires grad (what it was, its shape,
the learner's line); ``culprit(error)`` matches the error's description of the tensor against them.
"""
from __future__ import annotations

import collections
import re

import torch

from .learner import learner_frame, line_of

_changes: collections.deque = collections.deque(maxlen=64)  # (what the tensor was, shape, line, code)


def forward_name(fn) -> str:
    """ "SigmoidBackward0" -> "Sigmoid", as torch's in-place error names it; "leaf" for a leaf."""
    return "leaf" if fn is None or hasattr(fn, "variable") else re.sub(r"Backward\d*$", "", type(fn).__name__)


def changed(t: torch.Tensor):
    """t was just changed in place (its grad_fn, if any, is the in-place op's: its first input is before)."""
    before = t.grad_fn.next_functions[0][0] if t.grad_fn is not None and t.grad_fn.next_functions else None
    where, code = line_of(learner_frame())
    if where:
        _changes.append((forward_name(before), tuple(t.shape), where.rpartition(":")[2], code))


def forget():
    _changes.clear()


def culprit(error: BaseException) -> tuple[str, str] | None:
    """(line, code) of the in-place change behind backward's in-place error, if watch() saw it."""
    found = re.search(r"\[torch\.\w+ \[([\d, ]*)\]\](?:, which is output \d+ of (\w+))?", str(error))
    if "modified by an inplace operation" not in str(error) or not found:
        return None
    shape = tuple(int(s) for s in found.group(1).split(",") if s.strip())
    for made_by, changed_shape, line, code in reversed(_changes):
        if changed_shape == shape and made_by == (found.group(2) or "leaf"):
            return line, code
    return None
