"""The learner's code, seen from inside torch: its line, and its names for things.

A cut happens deep inside torch, called from a line the learner wrote; why() names that line,
and the tensors and modules by the learner's own variables (``lin1``, ``model.backbone``,
``lin0.weight``), found in the frames around it. Library code (torch, autogradviz, installed
packages, the standard library) is skipped.
"""
from __future__ import annotations

import ast
import contextlib
import itertools
import linecache
import os
import sys
import sysconfig
import warnings

import torch

_paths = sysconfig.get_paths()
LIBRARY = tuple({os.path.dirname(torch.__file__), os.path.dirname(__file__), _paths["stdlib"],
                 _paths["purelib"], _paths["platlib"], "<frozen"})
_library_file: dict[str, bool] = {}


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


def caller_of(module, frame):
    """The learner's frame that called ``module``, whose call is under way above ``frame``."""
    called = None
    while frame is not None:
        if frame.f_code.co_name in ("_wrapped_call_impl", "_call_impl") and frame.f_locals.get("self") is module:
            called = frame
        elif called is not None:
            break
        frame = frame.f_back
    while frame is not None and is_library(frame.f_code.co_filename):
        frame = frame.f_back
    return frame


def argument_text(frame, function: str) -> str | None:
    """The source text of the first argument of ``function(...)`` on the frame's line, as the learner
    wrote it (``model.blocks[0].weight``); None when the line does not parse alone."""
    try:
        tree = ast.parse(line_of(frame)[1])
    except (SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and ast.unparse(node.func).split(".")[-1] == function:
            return ast.unparse(node.args[0])
    return None


def receiver_text(code: str, attr: str) -> str | None:
    """The source text of what ``.attr`` is taken of on a line: ``h[-1]`` in ``feat = h[-1].detach()``."""
    try:
        found = {ast.unparse(n.value) for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Attribute) and n.attr == attr}
    except (SyntaxError, ValueError):
        return None
    return found.pop() if len(found) == 1 else None


def line_of(frame) -> tuple[str | None, str]:
    """("file:line", the line's code) of a frame, or (None, "")."""
    if frame is None:
        return None, ""
    file = frame.f_code.co_filename
    return f"{file}:{frame.f_lineno}", linecache.getline(file, frame.f_lineno).strip()


def place(where: str | None, code: str) -> str:
    """ " (line 3: `x2 = lin1(x1)`)" for a notebook cell, " (train.py:3: `...`)" for a file."""
    if not where:
        return ""
    file, _, line = where.rpartition(":")
    shown = f"line {line}" if "ipykernel_" in file or file.startswith("<") else f"{os.path.basename(file)}:{line}"
    return f" ({shown}: `{code}`)" if code else f" ({shown})"


_home: list[dict] = []  # the learner's namespace while none of their frames is on the stack (see at_home)


@contextlib.contextmanager
def at_home(namespace: dict):
    """Look names up in ``namespace`` too: an explorer redraws from a widget's callback, where no
    frame of the learner's is on the stack (``fn.__globals__``: the notebook's variables)."""
    _home.append(namespace)
    try:
        yield
    finally:
        _home.pop()


def namespaces(frame) -> list[dict]:
    """The learner's namespaces from ``frame`` outwards: every module-level one first, then function locals."""
    frames = []
    while frame is not None:
        if not is_library(frame.f_code.co_filename):
            frames.append(frame)
        frame = frame.f_back
    spaces = {id(f.f_globals): f.f_globals for f in frames}
    spaces.update({id(s): s for s in _home if id(s) not in spaces})
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
            if isinstance(value, torch.nn.Module):
                for part, inner in itertools.chain(value.named_modules(), value.named_parameters()):
                    if part and wanted.get(id(inner)) is inner and len(part) >= len(parts.get(id(inner), "")):
                        parts[id(inner)] = f"{name}.{part}"  # (from the outermost module that holds it)
    # a module or parameter by its place in the outermost module, dotted as named_parameters() spells it
    # (model.layers.1, not a loop's `layer`, which names another layer once the loop moved on); anything
    # else by its variable
    return {k: parts[k] if k in parts and (k not in names or isinstance(wanted[k], (torch.nn.Parameter, torch.nn.Module)))
            else names[k] for k in {**parts, **names}}


def modules_near(frame) -> list[torch.nn.Module]:
    """The modules the learner holds in variables around ``frame``."""
    found = {id(v): v for space in namespaces(frame) for k, v in list(space.items())
             if isinstance(v, torch.nn.Module) and not k.startswith("@")}  # (@py_assert: pytest's)
    return list(found.values())


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
