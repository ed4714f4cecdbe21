"""Walk the autograd graph behind some tensors into plain data.

Nothing here knows about Graphviz. Node ids are given in walk order ("n0", "n1", ...), so the
same program always yields the same ids, unlike torchviz's ``str(id(obj))``. The walk is a
breadth-first loop, not recursion, so a 10,000-op chain is fine.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import NamedTuple

import torch
from torchviz.dot import SAVED_PREFIX, get_fn_name

from .labels import absent, cut_labels, history_note
from .why import FROZEN, MAX_WALK, Diagnosis, modules_in

# What each kind of node means; render.py gives each a colour and the legend uses these words.
KINDS = {
    "output": "what you drew",
    "op": "backward op (recorded in the forward)",
    "leaf": "gets .grad after backward",
    "saved": "saved for backward",
    "view_base": "base of a view",
    "cut": "input with no history: data, a constant, or a cut",
    "frozen": "frozen: requires_grad=False",
    "no_path": "requires grad, but no path to the output",  # a trainable parameter, or an input
    "no_history": "why this output has no graph",
    "module": "a module, collapsed: coloured like its parameters",
    "more": "the graph goes on: not drawn",
}


class Node(NamedTuple):  # a named tuple, not a dataclass: a 100,000-node graph makes them by the thousand
    id: str
    kind: str
    label: str
    name: str = ""  # the parameter's or output's name, when it has one


class Edge(NamedTuple):
    src: str
    dst: str
    style: str = "data"  # "data", "saved" (no arrow), "view" (dotted); "grad", "grad_now": see trace.py
    label: str = ""      # drawn beside the edge (the gradient a traced backward sent along it)


@dataclass
class GraphData:
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # every parameter named by params, in its order

    def of_kind(self, *kinds: str) -> list[Node]:
        return [n for n in self.nodes if n.kind in kinds]


def named_outputs(outputs) -> list[tuple[str, torch.Tensor]]:
    """A tensor, or a tuple/list/dict of tensors, as (name, tensor) pairs."""
    if isinstance(outputs, torch.Tensor):
        return [("output", outputs)]
    if isinstance(outputs, dict):
        pairs = [(str(k), v) for k, v in outputs.items()]
    elif isinstance(outputs, (tuple, list)):
        pairs = [(f"output[{i}]", v) for i, v in enumerate(outputs)]
    else:
        raise TypeError(
            f"draw() takes a tensor, or a tuple, list or dict of tensors; got {type(outputs).__name__}. "
            "Pass the tensor your code computed, e.g. draw(loss) or draw({'out': out, 'loss': loss})."
        )
    if not pairs:
        raise TypeError("draw() got an empty collection: pass at least one tensor.")
    for name, value in pairs:
        if not isinstance(value, torch.Tensor):
            raise TypeError(
                f"draw() takes tensors, but {name} is of type {type(value).__name__}. "
                "Pass only tensors (a tensor, or a tuple, list or dict of tensors)."
            )
    return pairs


def named_params(params) -> dict[str, torch.Tensor]:
    """An nn.Module, or a dict of name -> tensor or name -> module, as name -> tensor."""
    if params is None:
        return {}
    if isinstance(params, torch.nn.Module):
        return dict(params.named_parameters())
    if isinstance(params, dict):
        named = {}
        for name, value in params.items():
            if isinstance(value, torch.nn.Module):
                named.update({f"{name}.{k}": p for k, p in value.named_parameters()})
            elif isinstance(value, torch.Tensor):
                named[str(name)] = value
            else:
                raise TypeError(
                    f"params[{name!r}] is a {type(value).__name__}; params takes an nn.Module, or a dict "
                    "whose values are tensors or modules, e.g. {'lin0': lin0, 'w': w}."
                )
        return named
    raise TypeError(
        f"params takes an nn.Module or a dict of name -> tensor (or module); got {type(params).__name__}."
    )


def shape(t: torch.Tensor) -> str:
    return "(" + ", ".join(str(s) for s in t.shape) + ")"


def module_names(params) -> dict[torch.nn.Module, str]:
    """The modules in params (an nn.Module, or a dict with modules among its values) by name.

    The root module of an nn.Module is named "" (its parameters are named without a prefix).
    """
    if isinstance(params, torch.nn.Module):
        return {m: name for name, m in params.named_modules()}
    names: dict[torch.nn.Module, str] = {}
    if isinstance(params, dict):
        for key, value in params.items():
            if isinstance(value, torch.nn.Module):
                for name, m in value.named_modules():
                    names.setdefault(m, f"{key}.{name}" if name else str(key))
    return names


def walk(outputs, params=None, show_saved: bool = False, show_attrs: bool = False,
         max_attr_chars: int = 50, refs: dict | None = None) -> GraphData:
    """The graph behind ``outputs`` as plain data.

    ``refs``, when given, is filled with node id -> the grad_fn it stands for, for the caller that
    needs the autograd objects themselves (collapse.py); GraphData holds none, so a Graph does
    not keep the autograd graph alive.
    """
    pairs = named_outputs(outputs)
    names = named_params(params)
    name_of = {id(t): n for n, t in names.items()}
    diagnosis = Diagnosis([t for _, t in pairs], module_names(params), name_of)
    g = GraphData(names=list(names))
    ids: dict[object, str] = {}  # grad_fn / tensor object -> node id, for this walk only

    def add(kind: str, label: str, name: str = "") -> str:
        node = Node(f"n{len(g.nodes)}", kind, label, name)
        g.nodes.append(node)
        return node.id

    def tensor_label(t: torch.Tensor, name: str) -> str:
        return f"{name}\n{shape(t)}" if name else shape(t)

    queue: deque = deque()

    def visit(fn) -> str:
        if fn not in ids and len(g.nodes) >= MAX_WALK:  # one node for all that is not walked
            fn = "more"
            ids.setdefault(fn, add("more", f"... the graph goes on: the walk stopped after {MAX_WALK:,} nodes"))
        if fn not in ids:
            ids[fn] = add("op", fn_label(fn))
            queue.append(fn)
            if refs is not None:
                refs[ids[fn]] = fn
        return ids[fn]

    def fn_label(fn) -> str:
        try:
            return get_fn_name(fn, show_attrs, max_attr_chars)
        except RuntimeError as e:  # saved values freed by backward
            raise_freed(e)

    for out_name, t in pairs:
        out_id = add("output", tensor_label(t, out_name), out_name)
        ids[t] = out_id
        if t.grad_fn is not None:
            g.edges.append(Edge(visit(t.grad_fn), out_id))
        else:  # a note node that says why there is nothing to draw behind it
            g.edges.append(Edge(add("no_history", history_note(diagnosis, t)), out_id, "saved"))
        if t._is_view() and t._base is not None:
            base = t._base  # a view shares storage with its base: drawn dotted, as torchviz does
            base_id = ids[base] if base in ids else add("view_base", tensor_label(base, "base"))
            g.edges.append(Edge(base_id, out_id, "view"))

    while queue:
        fn = queue.popleft()
        fn_id = ids[fn]
        var = getattr(fn, "variable", None)  # AccumulateGrad: the leaf that receives .grad
        if var is not None:
            leaf_id = add("leaf", tensor_label(var, name_of.get(id(var), "")), name_of.get(id(var), ""))
            g.edges.append(Edge(leaf_id, fn_id))
        if show_saved:
            for attr, saved in saved_tensors(fn):
                g.edges.append(Edge(fn_id, add("saved", tensor_label(saved, attr)), "saved"))
        cut = {i for i, (n, _) in enumerate(fn.next_functions) if n is None}
        cut -= absent(fn) if cut else set()  # a conv's bias=False is no input: no oval
        ovals = iter(cut_labels(diagnosis, fn, len(cut), lambda: saved_tensors(fn)) if cut else ())
        for i, (next_fn, _) in enumerate(fn.next_functions):
            if i in cut:
                g.edges.append(Edge(add("cut", next(ovals)), fn_id))
            elif next_fn is not None:
                g.edges.append(Edge(visit(next_fn), fn_id))
        if type(fn).__name__ == "CheckpointFunctionBackward":  # backward re-runs it: its parameters get .grad
            for m in modules_in(fn.run_function):
                for p in m.parameters():
                    if id(p) in name_of and p.requires_grad:
                        g.edges.append(Edge(add("leaf", tensor_label(p, name_of[id(p)]), name_of[id(p)]), fn_id))

    # Parameters that will get no gradient: one node per layer and reason, so weight and bias
    # of a frozen layer are one box, not two.
    reached = {n.name for n in g.of_kind("leaf") if n.name}
    groups: dict[tuple[str, str, str], list[tuple[str, torch.Tensor]]] = {}
    for name, p in names.items():
        if name in reached or "more" in ids:  # past a stopped walk nothing is known, and looking crashes torch
            continue
        if p.grad_fn is not None and p.retains_grad and p.grad_fn in ids:  # an intermediate that keeps its .grad
            g.edges.append(Edge(ids[p.grad_fn], add("leaf", tensor_label(p, name) + "\nretain_grad()", name), "saved"))
            continue
        why = diagnosis.explain(p, name=name)
        kind, reason = ("frozen", FROZEN) if why.cause == "frozen" else ("no_path", why.reason or why.cause)
        groups.setdefault((name.rpartition(".")[0] or name, kind, reason), []).append((name, p))
    for (_, kind, reason), members in groups.items():
        label = "\n".join(f"{n} {shape(p)}" for n, p in members) + "\n" + reason
        add(kind, label, ", ".join(n for n, _ in members))
    return g


def saved_tensors(fn) -> list[tuple[str, torch.Tensor]]:
    """The tensors a backward node saved, as (attribute name, tensor)."""
    found = []
    for attr in dir(fn):
        if not attr.startswith(SAVED_PREFIX):
            continue
        try:
            val = getattr(fn, attr)
        except RuntimeError as e:
            raise_freed(e)
        short = attr[len(SAVED_PREFIX):]
        if isinstance(val, torch.Tensor):
            found.append((short, val))
        elif isinstance(val, tuple):
            found += [(f"{short}[{i}]", v) for i, v in enumerate(val) if isinstance(v, torch.Tensor)]
    return found


def raise_freed(error: RuntimeError):
    if "backward through the graph a second time" in str(error) or "freed" in str(error):
        raise RuntimeError(
            "show_saved/show_attrs need the saved tensors, and backward() has already freed them. "
            "Draw before calling .backward(), or call .backward(retain_graph=True)."
        ) from None
    raise error
