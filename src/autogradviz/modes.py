"""Remember which grad mode each module ran in, so a picture can say *why* a parameter got no gradient.

The backward graph only holds what was recorded; a layer that ran under ``no_grad`` leaves no
trace in it. ``watch()`` installs a global module forward hook (torch's own
``register_module_forward_hook``) for the duration of a ``with`` block and notes, for every
module call, the grad mode and whether its output had history.
"""
from __future__ import annotations

import contextlib
import weakref
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class ModeRecord:
    grad_enabled: bool
    inference: bool
    output_has_history: bool


_last_run: "weakref.WeakKeyDictionary[torch.nn.Module, ModeRecord]" = weakref.WeakKeyDictionary()


def _record(module, args, output):
    outputs = output if isinstance(output, (tuple, list)) else (output,)
    history = any(isinstance(o, torch.Tensor) and o.grad_fn is not None for o in outputs)
    _last_run[module] = ModeRecord(torch.is_grad_enabled(), torch.is_inference_mode_enabled(), history)


@contextlib.contextmanager
def watch():
    """Record the grad mode of every module call inside the block (for draw() and grads())."""
    handle = torch.nn.modules.module.register_module_forward_hook(_record)
    try:
        yield
    finally:
        handle.remove()


def forget():
    """Drop what watch() recorded (explore() does this before each run)."""
    _last_run.clear()


def owner_record(p: torch.Tensor) -> ModeRecord | None:
    """What watch() recorded for the module that owns parameter p directly, if anything."""
    for module, record in list(_last_run.items()):
        if any(q is p for q in module.parameters(recurse=False)):
            return record
    return None


def why_no_path(p: torch.Tensor) -> str:
    """Why a parameter that requires grad is not reached from the output."""
    record = owner_record(p)
    if record is None:
        return "no path to the output: a no_grad block or a .detach() between it and the output cut the graph"
    if record.inference:
        return "no path: its layer ran under torch.inference_mode()"
    if not record.grad_enabled:
        return "no path: its layer ran under torch.no_grad()"
    if record.output_has_history:
        return "no path: the graph was cut after its layer (.detach() or a later no_grad step)"
    return "no path: its layer's output had no history"
