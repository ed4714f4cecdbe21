"""Where the graph was cut, and by what: recorded while ``agv.watch()`` is on.

A ``TorchFunctionMode`` (torch's own hook on every tensor call) notes each *cut*: a result without
history made from a tensor that had one. That happens under ``no_grad`` or ``inference_mode``,
through ``.detach()`` or ``.data``, when values leave torch (``.item()``, ``.tolist()``,
``.numpy()``) and come back as a new tensor (``torch.tensor(...)``), and through ops with no
gradient (``argmax``, comparisons, integer casts). A ``Cut`` keeps what it cut off (grad_fns and
leaves) and the learner's line. Results without history carry their cuts along (a *taint*); the
op that takes one into a graph notes it in its ``grad_fn.metadata``, so why.py finds, from an
output, every cut on the way back. The common case (a result with history) costs a few checks.
"""
from __future__ import annotations

import collections
import itertools
import re
import sys
import weakref

import torch
from torch.overrides import TorchFunctionMode

from .learner import caller_of, learner_frame, line_of, names_near, relay
from .modes import ancestors, calls_of, current_call

CUTS_KEY = "autogradviz.inputs"      # grad_fn.metadata: the op's inputs without history, with their cuts
MADE_KEY = "autogradviz.made"        # grad_fn.metadata: the line that computed it from a fresh leaf
WATCHED_KEY = "autogradviz.watched"  # grad_fn.metadata: this result was computed under watch()
Tensor = torch.Tensor
_order = itertools.count()


class Cut:
    """One cut: what made a result without history from tensors that had one, and where."""
    __slots__ = ("cause", "op", "where", "code", "history", "calls", "ran_off", "source", "label", "order", "names")

    def __init__(self, cause: str, op: str, history, source=None, frame=None, ran_off=None, label=None):
        self.cause, self.op, self.history, self.source, self.label = cause, op, list(history), source, label
        self.calls = [current_call()]  # the module call it happened in (None: the learner's own code)
        self.ran_off = [ran_off] if ran_off is not None else []  # the modules called under no_grad / inference_mode
        self.order = next(_order)
        self.where, self.code = line_of(frame)
        self.names = names_near(frame, self.modules()) if frame else {}  # id -> the learner's name for it

    def modules(self) -> list:
        """What to name: the modules it ran in (outermost), called under the mode, or that made its source."""
        found = [self.source] + self.ran_off
        for call in self.calls + calls_of(getattr(self.source, "grad_fn", None)):
            found += [c.module for c in ancestors(call)[-1:]]
        return found


def tensors_of(args, kwargs) -> list[Tensor]:
    """The tensors among a call's arguments (and inside lists or tuples of them)."""
    found = []
    for a in itertools.chain(args, kwargs.values()) if kwargs else args:
        if isinstance(a, Tensor):
            found.append(a)
        elif isinstance(a, (list, tuple)):
            found += [b for b in a if isinstance(b, Tensor)]
    return found


def history_of(t: Tensor) -> list:
    return [t.grad_fn if t.grad_fn is not None else t]


def forward_name(fn) -> str:
    """ "SigmoidBackward0" -> "Sigmoid", as torch's in-place error names it; "leaf" for a leaf."""
    return "leaf" if fn is None or hasattr(fn, "variable") else re.sub(r"Backward\d*$", "", type(fn).__name__)


class Recorder(TorchFunctionMode):
    """Sees every tensor call inside watch(); notes the cuts (see the module's docstring)."""

    def __init__(self):
        super().__init__()
        self.taints: dict[int, tuple] = {}            # id(tensor without history) -> (weakref, its cuts)
        self.copies = collections.deque(maxlen=64)    # (a value that left torch, its Cut, id of the frame)
        self.in_place = collections.deque(maxlen=64)  # (what the changed tensor was, shape, line, code)
        self.last = collections.deque(maxlen=4)       # the latest results with history
        self.backward = None                          # weakrefs to what .backward() was last called on
        self.latest = []                              # weakrefs to the latest results, once watch() ended

    def taint_of(self, t: Tensor) -> tuple:
        entry = self.taints.get(id(t))
        return entry[1] if entry is not None and entry[0]() is t else ()

    def taint(self, t: Tensor, cuts: tuple):
        key = id(t)
        self.taints[key] = (weakref.ref(t, lambda _, key=key: self.taints.pop(key, None)), cuts)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        special = SPECIAL.get(func)
        if special is not None:
            return special(self, func, args, kwargs or {})
        out = func(*args, **kwargs) if kwargs else func(*args)
        try:
            if type(out) is Tensor and out.requires_grad and not out.is_leaf and not self.taints and not kwargs:
                # The common case, kept short: a result with history, and no cut so far to follow.
                self.last.append(out)
                for a in args:
                    if type(a) is Tensor and (not a.requires_grad or a.is_leaf) or type(a) in (list, tuple):
                        self.after(func, args, {}, [out])  # an input without history, or a fresh leaf
                        break
                else:
                    if args and out is args[0]:
                        self.after(func, args, {}, [out])  # changed in place
            elif isinstance(out, Tensor):
                self.after(func, args, kwargs or {}, [out])
            elif isinstance(out, (tuple, list)) and any(isinstance(o, Tensor) for o in out):
                self.after(func, args, kwargs or {}, [o for o in out if isinstance(o, Tensor)])
        except Exception:  # noqa: BLE001 -- recording must never break the learner's code
            pass
        return out

    def after(self, func, args, kwargs, outs):
        ins = tensors_of(args, kwargs)
        if all(o.requires_grad for o in outs):  # the common case: a result with history
            if not outs[0].is_leaf:  # (a leaf: requires_grad_(), or changed in place under no_grad)
                if not self.last or self.last[-1] is not outs[0]:
                    self.last.append(outs[0])
                quiet = [(id(t), t.shape, self.taint_of(t) if self.taints else ()) for t in ins if not t.requires_grad]
                if quiet:  # inputs without history: a cut's result, data, a frozen parameter
                    outs[0].grad_fn.metadata[CUTS_KEY] = quiet
                if any(t.requires_grad and t.is_leaf and type(t) is Tensor for t in ins):
                    outs[0].grad_fn.metadata[MADE_KEY] = line_of(learner_frame())  # for not_leaf's .where
            if args and outs[0] is args[0]:
                name = getattr(func, "__name__", "")
                if name.endswith("_") or name.startswith("__i"):
                    self.changed_in_place(outs[0])
            return
        live = [t for t in ins if t.requires_grad]
        cuts = tuple(c for t in ins if not t.requires_grad for c in self.taint_of(t))
        name = getattr(func, "__name__", "")
        if live and name != "__get__" and not name.startswith("new_") and not name.endswith("_like"):
            cause = ("inference_mode" if torch.is_inference_mode_enabled() else
                     "no_grad" if not torch.is_grad_enabled() else "non_differentiable")
            cuts = self.cut(cause, name, [h for t in live for h in history_of(t)], cuts)
        for o in outs if cuts else ():
            if not o.requires_grad:
                self.taint(o, cuts)

    def cut(self, cause, op, history, inherited=(), source=None) -> tuple:
        """The cuts a result carries: its inputs', plus this one (merged with one made on the same
        line for the same cause, so a block of many ops under no_grad is one cut). Under a grad
        mode, its line is the learner's call of the outermost module that started in that mode."""
        off = [c for c in ancestors(current_call()) if c.grad_off] if cause in ("no_grad", "inference_mode") else []
        frame = caller_of(off[-1].module, sys._getframe(1)) if off else learner_frame()
        where = line_of(frame)[0]
        for old in inherited:
            if old.cause == cause and old.where == where:
                old.history += history
                old.calls.append(current_call())
                old.ran_off += [off[-1].module] if off and off[-1].module not in old.ran_off else []
                return inherited
        return inherited + (Cut(cause, op, history, source, frame, off[-1].module if off else None),)

    def changed_in_place(self, t: Tensor):
        """Remembered, to point backward's "modified by an inplace operation" error at its line."""
        before = t.grad_fn.next_functions[0][0] if t.grad_fn is not None and t.grad_fn.next_functions else None
        where, code = line_of(learner_frame())
        if where:
            self.in_place.append((forward_name(before), tuple(t.shape), where.rpartition(":")[2], code))

    # -- the calls that cut on purpose, or carry values out of torch and back --------------------

    def cut_off(self, func, args, kwargs):
        """.detach(), .detach_(), .data: the same values, no history."""
        source = args[0]
        history, inherited = history_of(source) if source.requires_grad else [], self.taint_of(source)
        out = relay(func, args, kwargs)
        if history:
            op = "data" if func == DATA else func.__name__
            self.taint(out, self.cut("data" if func == DATA else "detached", op, history, inherited, source))
        elif inherited:
            self.taint(out, inherited)
        return out

    def copy_out(self, func, args, kwargs):
        """.item(), .tolist(), .numpy(): values leave torch; remembered for torch.tensor()."""
        source = args[0]
        out = relay(func, args, kwargs)
        inherited = self.taint_of(source)
        if source.requires_grad or inherited:
            history = history_of(source) if source.requires_grad else [h for c in inherited for h in c.history]
            if not source.requires_grad and inherited[0].source is not None:
                source = inherited[0].source  # x.detach().numpy(): name x, not its detached copy
            frame = learner_frame()
            self.copies.append((out, Cut("copied", func.__name__.strip("_"), history, source, frame), id(frame)))
        return out

    def new_tensor(self, func, args, kwargs):
        """torch.tensor(...), torch.as_tensor(...): a new tensor from values, maybe copied out before:
        the very values (``torch.tensor(h.tolist())``), or values computed from them in the same call
        of the learner's function (``torch.tensor(np_softmax(h.detach().numpy()))``)."""
        out = relay(func, args, kwargs)
        if not isinstance(out, Tensor) or out.requires_grad or not args:
            return out
        items = [args[0]] + (list(args[0])[:1000] if isinstance(args[0], (list, tuple)) else [])
        frame = id(learner_frame())
        copied, cuts = None, ()
        for item in items:
            if isinstance(item, Tensor) and (item.requires_grad or self.taint_of(item)):
                if copied is None:
                    frame = learner_frame()
                    listed = names_near(frame, [args[0]]).get(id(args[0])) if item is not args[0] else None
                    copied = Cut("copied", "torch." + func.__name__, [], item, frame,
                                 label=f"the tensors in {listed}" if listed else None)
                copied.history += history_of(item) if item.requires_grad else [
                    h for c in self.taint_of(item) for h in c.history]
            elif self.copies:
                cuts += tuple(c for value, c, _ in self.copies if value is item and c not in cuts)
        if not cuts and not copied and not isinstance(args[0], Tensor):
            cuts = tuple(c for _, c, where in self.copies if where == frame)
        cuts += (copied,) if copied else ()
        if cuts:
            self.taint(out, cuts)
        return out

    def set_item(self, func, args, kwargs):
        out = func(*args, **kwargs)
        if args[0].requires_grad:
            self.changed_in_place(args[0])
        return out

    def saw_backward(self, func, args, kwargs):
        tensors = args[0] if func is not Tensor.backward and args else args[:1]
        tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors or [])
        self.backward = [weakref.ref(t) for t in tensors if isinstance(t, Tensor)]
        return func(*args, **kwargs)


DATA = Tensor.data.__get__
SPECIAL = {
    Tensor.detach: Recorder.cut_off, Tensor.detach_: Recorder.cut_off, DATA: Recorder.cut_off,
    Tensor.item: Recorder.copy_out, Tensor.tolist: Recorder.copy_out, Tensor.numpy: Recorder.copy_out,
    Tensor.__float__: Recorder.copy_out, Tensor.__int__: Recorder.copy_out, Tensor.__array__: Recorder.copy_out,
    torch.tensor: Recorder.new_tensor, torch.as_tensor: Recorder.new_tensor,
    Tensor.__setitem__: Recorder.set_item, Tensor.grad.__get__: lambda self, f, a, k: relay(f, a, k),
    Tensor.backward: Recorder.saw_backward, torch.autograd.backward: Recorder.saw_backward,
}

_recorder: Recorder | None = None


def start():
    global _recorder
    _recorder = Recorder()
    _recorder.__enter__()


def stop():
    """Leave the mode; mark the latest results as watched (why() then speaks with certainty)."""
    _recorder.__exit__(None, None, None)
    for t in _recorder.last:
        t.grad_fn.metadata[WATCHED_KEY] = True
    _recorder.latest = [weakref.ref(t) for t in _recorder.last]
    _recorder.last.clear()
    _recorder.copies.clear()


def recorder() -> Recorder | None:
    """What the latest watch() block recorded (None before the first one)."""
    return _recorder


def taint_of(t: Tensor) -> tuple:
    """The cuts that made t (a tensor without history), as watch() saw them."""
    return _recorder.taint_of(t) if _recorder is not None else ()


def inplace_culprit(error: BaseException) -> tuple[str, str] | None:
    """For backward's "modified by an inplace operation" error: (line, code) of the change, if seen."""
    found = re.search(r"\[torch\.\w+ \[([\d, ]*)\]\](?:, which is output \d+ of (\w+))?", str(error))
    if _recorder is None or "modified by an inplace operation" not in str(error) or not found:
        return None
    shape = tuple(int(s) for s in found.group(1).split(",") if s.strip())
    for made_by, changed_shape, line, code in reversed(_recorder.in_place):
        if changed_shape == shape and made_by == (found.group(2) or "leaf"):
            return line, code
    return None
