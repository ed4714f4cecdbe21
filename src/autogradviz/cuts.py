"""Where the graph was cut, and by what: recorded while ``agv.watch()`` is on.

A ``TorchFunctionMode`` (torch's own hook on every tensor call) notes each *cut*: a result without
history made from a tensor that had one: under ``no_grad`` or ``inference_mode``, by ``.detach()``
or ``.data``, values out of torch (``.item()``, ``.tolist()``, ``.numpy()``) and back
(``torch.tensor(...)``), ops with no gradient (``argmax``, comparisons, integer casts). A ``Cut``
(cut.py) keeps what it cut off and the learner's line. Results without history carry their cuts (a
*taint*); the op that takes one into a graph notes it in its ``grad_fn.metadata``, so why.py
finds, from an output, every cut on the way back.
"""
from __future__ import annotations

import collections
import itertools
import sys
import weakref

import torch
from torch.overrides import TorchFunctionMode

from . import inplace
from .cut import Cut, about, module_path
from .inplace import forward_name
from .learner import caller_of, learner_frame, line_of, names_near, relay
from .modes import ancestors, current_call, derived, made_in

CUTS_KEY = "autogradviz.inputs"      # grad_fn.metadata: the op's inputs without history: (id, shape, cuts,
                                     # weakref, the module call whose output it is)
MADE_KEY = "autogradviz.made"        # grad_fn.metadata: the line that computed it from a fresh leaf
WATCHED_KEY = "autogradviz.watched"  # grad_fn.metadata: this result was computed under watch()
ZERO_KEY = "autogradviz.zero"        # grad_fn.metadata: the line of an op whose gradient is zero (round...)
ZERO_OPS = ("round", "floor", "ceil", "trunc", "fix", "sign", "sgn")
Tensor = torch.Tensor


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


class Recorder(TorchFunctionMode):
    """Sees every tensor call inside watch(); notes the cuts (see the module's docstring)."""

    def __init__(self):
        super().__init__()
        self.taints: dict[int, tuple] = {}            # id(tensor without history) -> (weakref, its cuts)
        self.copies = collections.deque(maxlen=64)    # (a value that left torch, its Cut, id of the frame)
        self.last = collections.deque(maxlen=4)       # weakrefs to the latest results with history
        self.made = collections.deque(maxlen=64)      # the latest cuts, for a why() without outputs
        self.backward = None                          # weakrefs to what .backward() was last called on
        self.latest = []                              # the same, once watch() ended

    def taint_of(self, t: Tensor) -> tuple:
        entry = self.taints.get(id(t))
        return entry[1] if entry is not None and entry[0]() is t else ()

    def taint(self, t: Tensor, cuts: tuple):
        key = id(t)
        self.taints[key] = (weakref.ref(t, lambda _, key=key: self.taints.pop(key, None)), cuts)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs, special = kwargs or {}, SPECIAL.get(func)
        if special is None:
            out = func(*args, **kwargs)
            outs = [out] if isinstance(out, Tensor) else [
                o for o in out if isinstance(o, Tensor)] if isinstance(out, (tuple, list)) else ()
            special = Recorder.after if outs else None
        else:  # what the first argument was, read first (.detach_() drops its history)
            src = args[0] if args and isinstance(args[0], Tensor) else None
            before = (history_of(src) if src.requires_grad else [], self.taint_of(src), about(src)) if (
                src is not None) else ([], (), None)
            out = relay(func, args, kwargs) if special in RELAYED else func(*args, **kwargs)
            outs = (out, before)
        try:
            if special is not None:
                special(self, func, args, kwargs, outs)
        except Exception:  # noqa: BLE001 -- recording must never break the learner's code
            pass
        return out

    def after(self, func, args, kwargs, outs):
        ins = tensors_of(args, kwargs)
        if outs[0].requires_grad and (len(outs) == 1 or all(o.requires_grad for o in outs)):  # the common case
            if not outs[0].is_leaf:  # (a leaf: requires_grad_(), or changed in place under no_grad)
                self.last.append(weakref.ref(outs[0]))
                quiet, fresh = [], False  # inputs without history (a cut's result, data, a frozen parameter)
                for t in ins:
                    if not t.requires_grad:
                        quiet.append((id(t), t.shape, self.taint_of(t) if self.taints else (), weakref.ref(t), made_in(t)))
                    elif t.is_leaf and (type(t) is Tensor or current_call() is None):  # (not a layer's weight)
                        fresh = True
                if quiet:
                    outs[0].grad_fn.metadata[CUTS_KEY] = quiet
                if fresh:  # computed from a fresh leaf: not a leaf itself; note where, for why()
                    outs[0].grad_fn.metadata[MADE_KEY] = line_of(learner_frame())
            if args and outs[0] is args[0]:
                name = getattr(func, "__name__", "")
                if name.endswith("_") or name.startswith("__i"):
                    inplace.changed(outs[0])
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
        maker = next(filter(None, map(made_in, ins)), None) if name != "__get__" else None
        if maker is not None and not outs[0].requires_grad:  # computed from a module's output: named after it
            derived(outs[0], maker)

    def cut(self, cause, op, history, inherited=(), source=None, about_source=None) -> tuple:
        """The cuts a result carries: its inputs', plus this one (merged with one made on the same
        line for the same cause, so a block of many ops under no_grad is one cut). Under a grad
        mode, its line is the learner's call of the outermost module that started in that mode."""
        off = [c for c in ancestors(current_call()) if c.grad_off] if cause in ("no_grad", "inference_mode") else []
        frame = caller_of(off[-1].module, sys._getframe(1)) if off else learner_frame()
        where = line_of(frame)[0]
        for old in inherited:
            if old.cause == cause and old.where == where:
                old.add(history)
                old.calls += [c for c in [module_path(current_call())] if c not in old.calls]
                old.ran_off += [off[-1].module] if off and off[-1].module not in old.ran_off else []
                return inherited
        self.made.append(Cut(cause, op, history, source, frame, off[-1].module if off else None,
                             about_source=about_source))
        return inherited + (self.made[-1],)

    # -- the calls that cut on purpose, or carry values out of torch and back --------------------

    def cut_off(self, func, args, kwargs, outs):
        """.detach(), .detach_(), .data: the same values, no history."""
        out, (history, inherited, source) = outs
        if history:
            op = "data" if func == DATA else func.__name__
            self.taint(out, self.cut("data" if func == DATA else "detached", op, history, inherited, args[0], source))
        elif inherited:
            self.taint(out, inherited)

    def copy_out(self, func, args, kwargs, outs):
        """.item(), .tolist(), .numpy(): values leave torch; remembered for torch.tensor()."""
        out, (history, inherited, source) = outs
        if (history or inherited) and not isinstance(out, int):  # (small ints are shared objects)
            if not history and inherited[0].source is not None:
                source = inherited[0].source  # x.detach().numpy(): name x, not its detached copy
            frame = learner_frame()
            self.copies.append((out, Cut("copied", func.__name__.strip("_"), history, args[0], frame,
                                         covers=() if history else inherited, about_source=source), id(frame)))

    def new_tensor(self, func, args, kwargs, outs):
        """torch.tensor(...), torch.as_tensor(...): a new tensor from values, maybe copied out before:
        the very values (``torch.tensor(h.tolist())``), or values computed from them in the same call
        of the learner's function (``torch.tensor(np_softmax(h.detach().numpy()))``)."""
        out = outs[0]
        if not isinstance(out, Tensor) or out.grad_fn is not None or not args:
            return  # (it may require grad: torch.tensor(loss.item(), requires_grad=True) is a new leaf)
        data, frame = args[0], learner_frame()
        items = [data] + (list(data)[:1000] if isinstance(data, (list, tuple)) else [])
        known = {id(value): cut for value, cut, _ in self.copies}
        cuts = tuple(dict.fromkeys(known[id(i)] for i in items if id(i) in known))
        tensors = [t for t in items if isinstance(t, Tensor) and (t.requires_grad or self.taint_of(t))]
        if tensors:  # torch.tensor(t), torch.tensor([loss1, loss2])
            listed = names_near(frame, [data]).get(id(data)) if data is not tensors[0] else None
            cuts += (Cut("copied", "torch." + func.__name__, [h for t in tensors if t.requires_grad for h in history_of(t)],
                         tensors[0], frame, label=f"the tensors in {listed}" if listed else None,
                         covers=[c for t in tensors for c in self.taint_of(t)]),)
        elif not cuts and not isinstance(data, Tensor):
            cuts = tuple(c for _, c, where in self.copies if where == id(frame))
        if cuts:
            self.taint(out, cuts)

    def zero_gradient(self, func, args, kwargs, outs):
        """round(), floor(), sign()...: recorded, but their gradient is zero; note the line for why()."""
        if isinstance(outs[0], Tensor):
            if outs[0].grad_fn is not None:
                outs[0].grad_fn.metadata[ZERO_KEY] = line_of(learner_frame())
            self.after(func, args, kwargs, [outs[0]])

    def set_item(self, func, args, kwargs, outs):
        if args[0].requires_grad:
            inplace.changed(args[0])

    def saw_backward(self, func, args, kwargs, outs):
        tensors = args[0] if func is not Tensor.backward and args else args[:1]
        tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors or [])
        self.backward = [weakref.ref(t) for t in tensors if isinstance(t, Tensor)]


DATA = Tensor.data.__get__
SPECIAL = {
    Tensor.detach: Recorder.cut_off, Tensor.detach_: Recorder.cut_off, DATA: Recorder.cut_off,
    Tensor.item: Recorder.copy_out, Tensor.tolist: Recorder.copy_out, Tensor.numpy: Recorder.copy_out,
    Tensor.__float__: Recorder.copy_out, Tensor.__int__: Recorder.copy_out, Tensor.__array__: Recorder.copy_out,
    torch.tensor: Recorder.new_tensor, torch.as_tensor: Recorder.new_tensor,
    Tensor.__setitem__: Recorder.set_item, Tensor.grad.__get__: lambda *_: None,  # (relayed: its warning)
    Tensor.backward: Recorder.saw_backward, torch.autograd.backward: Recorder.saw_backward,
    **{getattr(owner, op): Recorder.zero_gradient for op in ZERO_OPS for owner in (torch, Tensor)},
}
RELAYED = {Recorder.cut_off, Recorder.copy_out, Recorder.new_tensor, SPECIAL[Tensor.grad.__get__]}  # warnings

_recorder: Recorder | None = None


def start():
    global _recorder
    inplace.forget()
    _recorder = Recorder()
    _recorder.__enter__()


def stop():
    """Leave the mode; mark the latest results as watched (why() then speaks with certainty)."""
    _recorder.__exit__(None, None, None)
    for t in (r() for r in _recorder.last):
        if t is not None and t.grad_fn is not None:  # (None: detached in place since, t.detach_())
            t.grad_fn.metadata[WATCHED_KEY] = True
    _recorder.latest = list(_recorder.last)
    _recorder.last.clear()
    _recorder.copies.clear()


def recorder() -> Recorder | None:
    """What the latest watch() block recorded (None before the first one)."""
    return _recorder


def taint_of(t: Tensor) -> tuple:
    """The cuts that made t (a tensor without history), as watch() saw them."""
    return _recorder.taint_of(t) if _recorder is not None else ()
