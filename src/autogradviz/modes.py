"""watch(): remember which module call made which autograd node, and (cuts.py) what cut the graph.

The backward graph only holds what was recorded; a layer that ran under ``no_grad`` leaves no
trace in it. ``watch()`` installs global module hooks (torch's own
``register_module_forward_pre_hook`` and ``register_module_forward_hook``) and cuts.py's
``TorchFunctionMode`` for the duration of a ``with`` block. The hooks note, for every module call:

* that the module ran (so why() can say a layer never ran);
* a ``ModuleCall`` record (the module, the call it ran inside, the grad_fns of its inputs),
  attached to the ``grad_fn.metadata`` of each of its outputs. The record lives exactly as long
  as the graph does, and ``collapse.py`` reads it to group the drawing by module: a call owns
  the nodes reachable from its outputs without passing its inputs' grad_fns.
"""
from __future__ import annotations

import contextlib
import itertools
import sys
import threading
import weakref
from dataclasses import dataclass

import torch

from .learner import caller_of, line_of


@dataclass(eq=False, slots=True)
class ModuleCall:
    """One call of a module, recorded by watch(). Compared by identity."""
    module: torch.nn.Module
    parent: "ModuleCall | None"  # the module call this one ran inside, if any
    depth: int                   # how many module calls enclose it (0: called from plain code)
    order: int                   # calls are numbered as they start
    input_fns: tuple             # grad_fns of its tensor inputs: where its own part of the graph stops
    input_leaves: tuple          # its inputs that are leaves requiring grad (their AccumulateGrad also stops it)
    grad_off: bool = False       # it started under no_grad or inference_mode (why() names the line that did it)


CALLS_KEY = "autogradviz.calls"  # the key in grad_fn.metadata

_ran: dict[int, weakref.ref] = {}  # id(module) -> module, for the modules called under watch()
_quiet_outputs: dict[int, tuple] = {}  # id(output without history) -> (weakref, module, line or None, maker)
_local = threading.local()  # per thread: the stack of module calls under way
_order = itertools.count()
_watching = 0  # how many watch() blocks are open
_handles: list = []
# Our hooks read .grad_fn and .requires_grad: with torch's function hooks off, so that cuts.Recorder
# does not see (and slow down) those reads. torch's own context manager; private, but stable since 1.x.
_quiet = torch._C.DisableTorchFunction


Tensor = torch.Tensor


def tensors_in(value, depth: int = 0):
    """The tensors in a module's inputs or outputs (tensors, and tuples, lists, dicts of them)."""
    if isinstance(value, torch.Tensor):
        return [value]
    if depth < 4 and isinstance(value, (tuple, list)):
        return [t for v in value for t in tensors_in(v, depth + 1)]
    if depth < 4 and isinstance(value, dict):
        return [t for v in value.values() for t in tensors_in(v, depth + 1)]
    return []


def _stack() -> list:
    try:
        return _local.stack
    except AttributeError:
        _local.stack = []
        return _local.stack


def current_call() -> "ModuleCall | None":
    """The module call under way in this thread (None: outside every module)."""
    stack = _stack()
    return stack[-1] if stack else None


def _enter(module, args):
    try:
        stack = _local.stack
    except AttributeError:
        stack = _stack()
    with _quiet():
        if len(args) == 1 and isinstance(args[0], Tensor):  # the common case, made fast: one tensor in
            t = args[0]
            fn = t.grad_fn
            fns, leaves = ((fn,), ()) if fn is not None else ((), (t,) if t.requires_grad else ())
        else:
            inputs = tensors_in(args)
            fns = tuple(t.grad_fn for t in inputs if t.grad_fn is not None)
            leaves = tuple(t for t in inputs if t.requires_grad and t.grad_fn is None)
    stack.append(ModuleCall(module, stack[-1] if stack else None, len(stack), next(_order), fns, leaves,
                            not torch.is_grad_enabled() or torch.is_inference_mode_enabled()))


def _record(module, args, output):
    seen = _ran.get(id(module))
    if seen is None or seen() is not module:
        _ran[id(module)] = weakref.ref(module)
    stack = _local.stack
    call = None
    while stack:  # pop our own call (and any left behind by a forward that raised)
        top = stack.pop()
        if top.module is module:
            call = top
            break
    if call is None:
        return
    with _quiet():
        if isinstance(output, Tensor) and not output.requires_grad:  # a frozen layer's output, or one under no_grad
            key = id(output)  # (the line only for a frozen layer in grad mode: why() names it)
            line = None if call.grad_off else line_of(caller_of(module, sys._getframe(1)))
            maker = (module, ancestors(call)[-1].module, call.grad_off, False)  # not the call: it holds its inputs' graph
            _quiet_outputs[key] = (weakref.ref(output, lambda _: _quiet_outputs.pop(key, None)), module, line, maker)
        fns = [output.grad_fn] if isinstance(output, Tensor) else list({t.grad_fn for t in tensors_in(output)})
        for fn in fns:
            if fn is not None:
                fn.metadata.setdefault(CALLS_KEY, []).append(call)


@contextlib.contextmanager
def watch():
    """Record, inside the block, the grad mode of every module call and which autograd nodes it
    made (for draw's reasons and collapse=), and every cut of the graph with its line (cuts.py,
    for why())."""
    from . import cuts  # cuts.py needs this module's call stack: imported here, not at the top

    global _watching
    if _watching == 0:  # a watch() inside another one adds nothing
        _stack().clear()
        _handles[:] = [torch.nn.modules.module.register_module_forward_pre_hook(_enter),
                       torch.nn.modules.module.register_module_forward_hook(_record)]
        cuts.start()
    _watching += 1
    try:
        yield
    finally:
        _watching -= 1
        if _watching == 0:
            cuts.stop()
            for handle in _handles:
                handle.remove()
            _handles.clear()
            _stack().clear()


def forget():
    """Drop what watch() recorded (explore() does this before each run)."""
    _ran.clear()


def made_by(t: Tensor) -> tuple | None:
    """(module, (file:line, code)) of the module call that made t without history in grad mode, under watch()."""
    entry = _quiet_outputs.get(id(t))
    return entry[1:3] if entry is not None and entry[0]() is t and entry[2] is not None else None


def derived(t: Tensor, maker: tuple):
    """Note that t (no history) was computed, outside a module call's own output, from one: named "from ..."."""
    key = id(t)
    _quiet_outputs[key] = (weakref.ref(t, lambda _: _quiet_outputs.pop(key, None)), maker[0], None, maker[:3] + (True,))


def made_in(t: Tensor) -> tuple | None:
    """(module, outermost module, whether grad mode was off, whether t was only computed from its output)
    of the module call whose output t is, when t has no history (under watch(); of nested calls, the
    outermost)."""
    entry = _quiet_outputs.get(id(t))
    return entry[3] if entry is not None and entry[0]() is t else None


def ran(module) -> bool | None:
    """Whether the module was called under watch() (None: watch() saw no module run)."""
    seen = _ran.get(id(module))
    return (seen is not None and seen() is module) if _ran else None


def ancestors(call: ModuleCall | None) -> list[ModuleCall]:
    """The call and the calls it ran inside, innermost first."""
    chain = []
    while call is not None:
        chain.append(call)
        call = call.parent
    return chain


def calls_of(fn) -> list[ModuleCall]:
    """The module calls whose output this grad_fn made (empty when nothing was watched)."""
    try:
        return fn.metadata.get(CALLS_KEY, [])
    except (AttributeError, RuntimeError):
        return []
