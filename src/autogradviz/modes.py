"""Remember which grad mode each module ran in, and which autograd nodes each module call made.

The backward graph only holds what was recorded; a layer that ran under ``no_grad`` leaves no
trace in it. ``watch()`` installs global module hooks (torch's own
``register_module_forward_pre_hook`` and ``register_module_forward_hook``) for the duration of a
``with`` block and notes, for every module call:

* the grad mode and whether its output had history (so a picture can say *why* a parameter got
  no gradient);
* a ``ModuleCall`` record (the module, the call it ran inside, the grad_fns of its inputs),
  attached to the ``grad_fn.metadata`` of each of its outputs. The record lives exactly as long
  as the graph does, and ``collapse.py`` reads it to group the drawing by module: a call owns
  the nodes reachable from its outputs without passing its inputs' grad_fns.
"""
from __future__ import annotations

import contextlib
import itertools
import threading
import weakref
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class ModeRecord:
    grad_enabled: bool
    inference: bool
    output_has_history: bool


@dataclass(frozen=True, eq=False)
class ModuleCall:
    """One call of a module, recorded by watch(). Compared by identity."""
    module: torch.nn.Module
    parent: "ModuleCall | None"  # the module call this one ran inside, if any
    depth: int                   # how many module calls enclose it (0: called from plain code)
    order: int                   # calls are numbered as they start
    input_fns: tuple             # grad_fns of its tensor inputs: where its own part of the graph stops
    input_leaves: tuple          # its inputs that are leaves requiring grad (their AccumulateGrad also stops it)


CALLS_KEY = "autogradviz.calls"  # the key in grad_fn.metadata

_last_run: "weakref.WeakKeyDictionary[torch.nn.Module, ModeRecord]" = weakref.WeakKeyDictionary()
_local = threading.local()  # per thread: the stack of module calls under way
_order = itertools.count()
_watching = 0  # how many watch() blocks are open
_handles: list = []


def tensors_in(value, depth: int = 0):
    """The tensors in a module's inputs or outputs (tensors, and tuples, lists, dicts of them)."""
    if isinstance(value, torch.Tensor):
        yield value
    elif depth < 4 and isinstance(value, (tuple, list)):
        for v in value:
            yield from tensors_in(v, depth + 1)
    elif depth < 4 and isinstance(value, dict):
        for v in value.values():
            yield from tensors_in(v, depth + 1)


def _stack() -> list:
    if not hasattr(_local, "stack"):
        _local.stack = []
    return _local.stack


def _enter(module, args):
    stack = _stack()
    inputs = list(tensors_in(args))
    call = ModuleCall(
        module, stack[-1] if stack else None, len(stack), next(_order),
        tuple(t.grad_fn for t in inputs if t.grad_fn is not None),
        tuple(t for t in inputs if t.grad_fn is None and t.requires_grad),
    )
    stack.append(call)


def _record(module, args, output):
    outputs = list(tensors_in(output))
    history = any(o.grad_fn is not None for o in outputs)
    _last_run[module] = ModeRecord(torch.is_grad_enabled(), torch.is_inference_mode_enabled(), history)
    stack = _stack()
    call = None
    while stack:  # pop our own call (and any left behind by a forward that raised)
        top = stack.pop()
        if top.module is module:
            call = top
            break
    if call is None:
        return
    seen = set()
    for o in outputs:
        fn = o.grad_fn
        if fn is not None and fn not in seen:
            seen.add(fn)
            fn.metadata.setdefault(CALLS_KEY, []).append(call)


@contextlib.contextmanager
def watch():
    """Record the grad mode of every module call inside the block (for draw() and grads()),
    and which autograd nodes each module call made (for draw(..., collapse=...))."""
    global _watching
    if _watching == 0:  # a watch() inside another one adds nothing
        _stack().clear()
        _handles[:] = [torch.nn.modules.module.register_module_forward_pre_hook(_enter),
                       torch.nn.modules.module.register_module_forward_hook(_record)]
    _watching += 1
    try:
        yield
    finally:
        _watching -= 1
        if _watching == 0:
            for handle in _handles:
                handle.remove()
            _handles.clear()
            _stack().clear()


def forget():
    """Drop what watch() recorded (explore() does this before each run)."""
    _last_run.clear()


def calls_of(fn) -> list[ModuleCall]:
    """The module calls whose output this grad_fn made (empty when nothing was watched)."""
    try:
        return fn.metadata.get(CALLS_KEY, [])
    except (AttributeError, RuntimeError):
        return []


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
        return "no path: the graph was cut after its layer (a .detach(), or a later no_grad or inference_mode step)"
    return "no path: its layer's output had no history"
