"""What draw() writes where history is missing: a dashed oval's label, an output's note.

An oval stands for an input of an op that had no history (a ``None`` in its ``next_functions``).
Under ``agv.watch()`` the op noted which tensors those were (cuts.py), so the oval can say what
the tensor is: a parameter's name, the learner's variable, the module call whose output it is,
its shape, and what cut it. Without watch() the graph holds nothing more than "no history".
"""
from __future__ import annotations

from . import cuts
from .cut import first
from .learner import learner_frame, names_near
from .why import metadata


def history_note(d, t) -> str:
    """Why a tensor drawn as an output has no graph behind it, in a sentence (``d``: a why.Diagnosis)."""
    taint = cuts.taint_of(t)
    if taint:
        return "made " + d.words(first(taint))[1].replace("`", "")
    if t.is_inference():
        return "made under torch.inference_mode(): an inference tensor has no history and never will"
    if not (t.is_floating_point() or t.is_complex()):
        return f"a {t.dtype} tensor: integer and boolean results never require grad"
    if t.requires_grad:
        return "a leaf: autograd starts here; nothing before it was recorded"
    return ("requires_grad=False: made with grad mode off (torch.no_grad(), torch.set_grad_enabled(False)) or "
            "from inference tensors, cut by .detach(), .data or an op without a gradient (argmax, comparisons, "
            ".long()), copied through numbers (.item(), torch.tensor(...)), or computed only from tensors that "
            "do not require grad (run it inside `with agv.watch():` to see which)")


# Slots of next_functions that stand for an optional argument never given, and the saved value that
# says so: a conv's bias=False, a norm without affine weights. No tensor at all: no oval.
ABSENT = {"ConvolutionBackward0": ((2, "_saved_bias_sym_sizes_opt"),),
          "NativeBatchNormBackward0": ((1, "_saved_weight"), (2, "_saved_weight")),
          "NativeLayerNormBackward0": ((1, "_saved_weight"), (2, "_saved_bias"))}


def absent(fn) -> set[int]:
    """The slots of fn's next_functions that are no input (an argument not given)."""
    try:
        values = [(i, getattr(fn, attr)) for i, attr in ABSENT.get(type(fn).__name__, ())]
    except RuntimeError:  # saved tensors freed by backward: drawn as inputs, as without this check
        return set()
    return {i for i, v in values if v is None or (isinstance(v, tuple) and v == (0,))}


def cut_labels(d, fn, slots: int, saved) -> list[str]:
    """A label for each of the ``slots`` inputs of fn without history. The ovals of one op are drawn
    alike, so inputs that are no slot (BatchNorm's running statistics) only need to come last: the
    known ones go first. Unwatched, ``saved()`` (what fn saved for backward) may hold those inputs:
    when as many saved tensors as slots have no history, they are taken to be them."""
    inputs = [(key, shape, taint, ref(), call) for key, shape, taint, ref, call in metadata(fn).get(cuts.CUTS_KEY, ())]
    if not inputs:
        try:
            quiet = [t for _, t in saved() if not t.requires_grad]
        except RuntimeError:  # freed by backward
            quiet = []
        inputs = [(id(t), t.shape, (), t, None) for t in quiet] if len(quiet) == slots else []
    alive = [i[3] for i in inputs if i[3] is not None]
    names = names_near(learner_frame(), alive) if alive and slots else {}  # the learner's variables, now
    inputs.sort(key=lambda i: not (i[2] or i[4] or i[0] in d.tensor_names or i[0] in names))
    labels = [oval(d, *i, names) for i in inputs[:slots]]
    return labels + ["no history"] * (slots - len(labels))


def oval(d, key, shape, taint, t, call, names) -> str:
    """``name: module's output (shape)`` and, below, what cut it, as far as it is known (``t``: the
    tensor, if still alive; ``call``: modes.made_in's (module, outermost module, grad mode off, derived))."""
    size = "(" + ", ".join(map(str, shape)) + ")"
    if key in d.tensor_names:
        return f"{d.tensor_names[key]}\n{size}"
    made = f"{'from ' * call[3]}{d.call_name(call[:2], names)}'s output" if call else None
    what = ": ".join(filter(None, [names.get(key), made]))
    if taint:  # the latest cut, the one nearest this tensor, names it unless it is a module call's own output
        came, how = d.cut_label(max(taint, key=lambda c: c.order))
        return f"{what if call and not call[3] else ': '.join(filter(None, [names.get(key), came]))} {size}\n{how}"
    if not what:
        return f"no history\n{size}" if t is not None else "no history"
    if t is not None and t.is_inference():
        return f"{what} {size}\nmade under torch.inference_mode()"
    if call is None:  # a variable of the learner's: data, a constant
        return f"{what} {size}\nno history"
    return f"{what} {size}\n" + ("made under torch.no_grad()" if call[2] else "requires_grad=False")
