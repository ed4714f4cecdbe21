"""Where the graph was cut, and by what: recorded while ``agv.watch()`` is on.

A ``TorchFunctionMode`` (torch's own hook on every tensor call) notes each *cut*: a result without
history made from a tensor that had one. That happens under ``no_grad`` or ``inference_mode``,
through ``.detach()`` or ``.data``, when values leave torch (``.item()``, ``.tolist()``,
``.numpy()``) or come back as a new tensor (``torch.tensor(...)``), and through ops with no
gradient (``argmax``, comparisons, integer casts). Each ``Cut`` keeps what it cut off (grad_fns
and leaves) and the learner's line that did it. Results without history carry their cuts along
(a *taint*), and the op that takes them into a graph notes them in its ``grad_fn.metadata``, so
``why.py`` finds, from an output, every cut on the way back. The common case (an op whose result
has history and whose inputs do too) costs one check.
"""
from __future__ import annotations

import collections
import itertools
import linecache
import os
import re
import sys
import sysconfig
import warnings
import weakref

import torch
from torch.overrides import TorchFunctionMode

from .modes import calls_of, current_call

CUTS_KEY = "autogradviz.inputs"     # grad_fn.metadata: the op's inputs without history, with their cuts
MADE_KEY = "autogradviz.made"       # grad_fn.metadata: the line that computed from a fresh leaf
WATCHED_KEY = "autogradviz.watched"  # grad_fn.metadata: this output was computed under watch()
Tensor = torch.Tensor

_paths = sysconfig.get_paths()
LIBRARY = tuple({os.path.dirname(torch.__file__), os.path.dirname(__file__), _paths["stdlib"],
                 _paths["purelib"], _paths["platlib"], "<frozen"})
_library_file: dict[str, bool] = {}
_order = itertools.count()


class Cut:
    """One cut: what made a result without history from tensors that had one, and where."""
    __slots__ = ("cause", "op", "where", "code", "history", "calls", "source", "shape", "order", "names")

    def __init__(self, cause, op, history, source=None, shape=(), frame=None):
        self.cause, self.op, self.history, self.source, self.shape = cause, op, list(history), source, tuple(shape)
        self.calls = [current_call()]  # the module call it happened in (None: the learner's own code)
        self.order = next(_order)
        self.where = f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame else None
        self.code = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip() if frame else ""
        self.names = names_near(frame, self.modules() + [source]) if frame else {}

    def modules(self) -> list:
        """The outermost module of each call it happened in, and of the call that made its source."""
        tops = []
        for call in self.calls + calls_of(getattr(self.source, "grad_fn", None)):
            while call is not None and call.parent is not None:
                call = call.parent
            if call is not None:
                tops.append(call.module)
        return tops


def is_library(file: str) -> bool:
    library = _library_file.get(file)
    if library is None:
        library = _library_file[file] = file.startswith(LIBRARY)
    return library


def learner_frame():
    """The innermost frame of the learner's code: not torch, not autogradviz, not an installed package."""
    frame = sys._getframe(1)
    while frame is not None and is_library(frame.f_code.co_filename):
        frame = frame.f_back
    return frame


def namespaces(frame):
    """The learner's namespaces from ``frame`` outwards: every module-level one first, then function locals."""
    frames = []
    while frame is not None:
        if not is_library(frame.f_code.co_filename):
            frames.append(frame)
        frame = frame.f_back
    spaces = {id(f.f_globals): f.f_globals for f in frames}
    return list(spaces.values()) + [f.f_locals for f in frames if f.f_locals is not f.f_globals]


def names_near(frame, objects) -> dict[int, str]:
    """The learner's names for objects (modules, tensors) in the frames around ``frame``: a
    variable (``lin1``), or a part of a module held in one (``model.backbone``, ``lin1.weight``)."""
    wanted = {id(o): o for o in objects if o is not None}
    names: dict[int, str] = {}
    parts: dict[int, str] = {}
    for space in namespaces(frame) if wanted else ():
        for name, value in list(space.items()):
            if name.startswith("_") or name == "self":
                continue
            if wanted.get(id(value)) is value:
                names.setdefault(id(value), name)
            elif isinstance(value, torch.nn.Module):
                for part, inner in itertools.chain(value.named_modules(), value.named_parameters()):
                    if part and wanted.get(id(inner)) is inner:
                        parts.setdefault(id(inner), f"{name}.{part}")
    # a parameter by its place in a module (lin0.weight, not a loop's p); anything else by its variable
    return {k: parts[k] if k in parts and (k not in names or isinstance(wanted[k], torch.nn.Parameter)) else names[k]
            for k in {**parts, **names}}


def modules_near(frame) -> list:
    """The modules the learner holds in variables around ``frame``."""
    found = {id(v): v for space in namespaces(frame) for v in list(space.values()) if isinstance(v, torch.nn.Module)}
    return list(found.values())


def tensors_of(args, kwargs):
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


class Recorder(TorchFunctionMode):
    """Sees every tensor call inside watch(); notes the cuts (see the module's docstring)."""

    def __init__(self):
        super().__init__()
        self.taints: dict[int, tuple] = {}      # id(tensor without history) -> (weakref, its cuts)
        self.copies = collections.deque(maxlen=64)   # (value that left torch, its Cut)
        self.in_place = collections.deque(maxlen=64)  # (op name it changed, shape, where, code)
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
            if type(out) is Tensor and out.requires_grad and not out.is_leaf and not kwargs:
                # The common case, kept fast: a result with history. Note its inputs without
                # history (a cut's result, data, a frozen parameter), or that it came from a fresh leaf.
                self.last.append(out)
                quiet = fresh = None
                for a in args:
                    if isinstance(a, Tensor):
                        if not a.requires_grad:
                            quiet = quiet or []
                            quiet.append((id(a), a.shape, self.taint_of(a) if self.taints else ()))
                        elif type(a) is Tensor and a.is_leaf:
                            fresh = True
                    elif type(a) in (list, tuple) and a and isinstance(a[0], Tensor):
                        quiet = fresh = None
                        self.after(func, args, kwargs, [out])
                        break
                if quiet:
                    out.grad_fn.metadata[CUTS_KEY] = quiet
                if fresh:
                    self.note_made(out.grad_fn)
                if args and out is args[0]:
                    self.maybe_in_place(func, out)
            elif isinstance(out, Tensor):
                self.after(func, args, kwargs or {}, [out])
            elif type(out) in (tuple, list) or isinstance(out, tuple):
                outs = [o for o in out if isinstance(o, Tensor)]
                if outs:
                    self.after(func, args, kwargs or {}, outs)
        except Exception:  # noqa: BLE001 -- recording must never break the learner's code
            pass
        return out

    def maybe_in_place(self, func, out):
        name = getattr(func, "__name__", "")
        if name.endswith("_") or name.startswith("__i"):
            self.changed_in_place(out)  # remembered, to point backward's in-place error at its line

    def after(self, func, args, kwargs, outs):
        """Any other result: a cut when it has no history though an input had some; else as above."""
        ins = tensors_of(args, kwargs)
        if all(o.requires_grad for o in outs):
            if outs[0].is_leaf:  # requires_grad_(), or an in-place change of a leaf under no_grad
                if args and outs[0] is args[0]:
                    self.maybe_in_place(func, outs[0])
                return
            quiet = [(id(t), t.shape, self.taint_of(t)) for t in ins if not t.requires_grad]
            if quiet:
                outs[0].grad_fn.metadata[CUTS_KEY] = quiet
            self.last.append(outs[0])
            if args and outs[0] is args[0]:
                self.maybe_in_place(func, outs[0])
            return
        live = [t for t in ins if t.requires_grad]
        cuts = tuple(c for t in ins if not t.requires_grad for c in self.taint_of(t))
        name = getattr(func, "__name__", "")
        if live and name != "__get__" and not name.startswith("new_") and not name.endswith("_like"):
            cause = ("inference_mode" if torch.is_inference_mode_enabled() else
                     "no_grad" if not torch.is_grad_enabled() else "non_differentiable")
            cuts = self.cut(cause, name, [h for t in live for h in history_of(t)], cuts, None, outs[0].shape)
        if cuts:
            for o in outs:
                if not o.requires_grad:
                    self.taint(o, cuts)

    def cut(self, cause, op, history, inherited=(), source=None, shape=()) -> tuple:
        """The cuts a result carries: those of its inputs, plus this one (merged with one made on
        the same line for the same cause, so a block of many ops under no_grad is one cut)."""
        frame = learner_frame()
        where = f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame else None
        for old in inherited:
            if old.cause == cause and old.where == where:
                old.history += history
                old.calls.append(current_call())
                return inherited
        return inherited + (Cut(cause, op, history, source, shape, frame),)

    def note_made(self, fn):
        frame = learner_frame()
        if frame is not None:
            fn.metadata[MADE_KEY] = (f"{frame.f_code.co_filename}:{frame.f_lineno}",
                                     linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip())

    def changed_in_place(self, t: Tensor):
        before = t.grad_fn.next_functions[0][0] if t.grad_fn is not None and t.grad_fn.next_functions else None
        frame = learner_frame()
        if frame is not None:
            self.in_place.append((forward_name(before), tuple(t.shape), frame.f_lineno,
                                  linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()))

    # -- the calls that cut on purpose, or carry values out of torch and back ------------------

    def cut_off(self, func, args, kwargs):
        """.detach(), .detach_(), .data: the same values, no history."""
        source = args[0]
        history, inherited = history_of(source) if source.requires_grad else [], self.taint_of(source)
        out = relay(func, args, kwargs)
        if history or inherited:
            cause = "data" if func == DATA else "detached"
            cuts = self.cut(cause, "data" if func == DATA else func.__name__, history, inherited, source,
                            source.shape) if history else inherited
            self.taint(out, cuts)
        return out

    def copy_out(self, func, args, kwargs):
        """.item(), .tolist(), .numpy(): values leave torch; remember them for torch.tensor()."""
        source = args[0]
        out = relay(func, args, kwargs)
        inherited = self.taint_of(source)
        if source.requires_grad or inherited:
            history = history_of(source) if source.requires_grad else [h for c in inherited for h in c.history]
            if not source.requires_grad and inherited[0].source is not None:
                source = inherited[0].source  # x.detach().numpy(): name x, not its detached copy
            self.copies.append((out, Cut("copied", func.__name__.strip("_"), history, source, source.shape,
                                         learner_frame())))
        return out

    def new_tensor(self, func, args, kwargs):
        """torch.tensor(...), torch.as_tensor(...): a new tensor from values, possibly copied out before."""
        out = relay(func, args, kwargs)
        if not isinstance(out, Tensor) or out.requires_grad or not args:
            return out
        data = args[0]
        items = [data] + (list(data)[:1000] if isinstance(data, (list, tuple)) else [])
        copied, cuts = None, ()
        for item in items:
            if isinstance(item, Tensor) and (item.requires_grad or self.taint_of(item)):
                copied = copied or Cut("copied", "torch." + func.__name__, [], item, out.shape, learner_frame())
                copied.history += history_of(item) if item.requires_grad else [
                    h for c in self.taint_of(item) for h in c.history]
            elif self.copies:
                cuts += tuple(c for value, c in self.copies if value is item and c not in cuts)
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


def relay(func, args, kwargs):
    """Call func; torch's warnings (e.g. reading .grad of a non-leaf) point at the learner's line."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = func(*args, **kwargs)
    frame = learner_frame()
    for w in caught:
        if frame is None:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        else:
            warnings.warn_explicit(w.message, w.category, frame.f_code.co_filename, frame.f_lineno,
                                   module_globals=frame.f_globals,
                                   registry=frame.f_globals.setdefault("__warningregistry__", {}))
    return out


def forward_name(fn) -> str:
    """"SigmoidBackward0" -> "Sigmoid", as torch's in-place error names it; "leaf" for a leaf."""
    return "leaf" if fn is None or hasattr(fn, "variable") else re.sub(r"Backward\d*$", "", type(fn).__name__)


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
        if t.grad_fn is not None:
            t.grad_fn.metadata[WATCHED_KEY] = True
    _recorder.latest = [weakref.ref(t) for t in _recorder.last]
    _recorder.last.clear()
    _recorder.copies.clear()


def recorder() -> Recorder | None:
    """What the latest watch() block recorded (None before the first one)."""
    return _recorder


def inplace_culprit(error: BaseException) -> tuple[int, str] | None:
    """For backward's "modified by an inplace operation" error: (line, code) of the change, if seen."""
    found = re.search(r"\[torch\.\w+ \[([\d, ]*)\]\](?:, which is output \d+ of (\w+))?", str(error))
    if _recorder is None or "modified by an inplace operation" not in str(error) or not found:
        return None
    shape = tuple(int(s) for s in found.group(1).split(",") if s.strip())
    for op, changed_shape, line, code in reversed(_recorder.in_place):
        if changed_shape == shape and op == (found.group(2) or "leaf"):
            return line, code
    return None
