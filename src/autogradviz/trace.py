"""trace_backward(): run backward() and record every node autograd executes, in order.

A pre-hook and a hook on every node of the graph (``Node.register_prehook``/``register_hook``) see
what arrives at the node (``grad_outputs``) and what it sends on (``grad_inputs``), torch's own
names. They return nothing, so the gradients and ``.grad`` are those of a plain backward(). They
keep copies, not the tensors themselves, so what autograd may reuse in place (a gradient becoming
``.grad``) stays free to be reused, and the trace keeps neither the graph nor its gradients alive.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import torch

from .collapse import CollapseInfo, collapse as group_by_module
from .dot import Group
from .graph import GraphData, named_params, shape, walk
from .layout import too_big


class NeedsGradient(ValueError, RuntimeError):
    """A non-scalar output and no gradient= (a RuntimeError in torch, hence both)."""


@dataclass(eq=False)  # holds tensors: compared by identity
class Step:
    """One node autograd ran: its label as draw() shows it, what arrived at it, what it sent on."""
    index: int
    label: str
    node: str                 # the node's id in the drawing ("n3")
    grad_outputs: tuple       # the gradients that arrived, one per output of the forward op (None: none)
    grad_inputs: tuple = ()   # what it sent on, one per next function (AccumulateGrad: nothing)
    name: str = ""            # AccumulateGrad: the leaf it adds into, when params names it

    def __repr__(self) -> str:
        who = f"{self.label} ({self.name})" if self.name else self.label
        sent = f" sent {texts(self.grad_inputs)}" if self.grad_inputs else ""
        return f"step {self.index}: {who} received {texts(self.grad_outputs)}{sent}"


@dataclass(eq=False)
class Trace:
    """What a traced backward did: ``.steps`` in the order autograd ran them, ``.draw(step=k)``,
    ``.explore()``."""
    steps: list[Step]
    data: GraphData                  # every node, walked before the backward
    drawn: GraphData                 # what is drawn (fewer nodes when collapsed by module)
    groups: dict[str, Group]
    collapse: CollapseInfo | None
    flows: dict[int, tuple[int, str]]  # edge index in data.edges -> (step that sent along it, the gradient)
    cache: dict = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        return "\n".join(map(repr, self.steps))

    def draw(self, step: int | None = None):
        """The graph with step ``step`` running, the steps before it done and the gradient on every
        edge already travelled. ``step=None``: after the whole backward."""
        from .trace_view import step_graph
        k = self.index(step)
        if k not in self.cache:
            self.cache[k] = step_graph(self, k)
        return self.cache[k]

    def explore(self):
        """A widget that steps through the trace (a slider and step buttons), redrawing each step."""
        from .trace_view import stepper
        return stepper(self)

    def index(self, step) -> int | None:
        n = len(self.steps)
        if step is None:
            return None
        if isinstance(step, bool) or not isinstance(step, int):
            raise TypeError(f"step= takes an int (0 to {n - 1}), or None for after the whole backward; "
                            f"got {type(step).__name__}.")
        if not -n <= step < n:
            raise ValueError(f"step={step} is out of range: this backward ran {n} nodes, steps 0 to {n - 1}.")
        return step % n


def text(g) -> str:
    """A gradient in a few characters: its values when it has at most 4, else its shape and norm."""
    if g is None:
        return "None"
    if g.numel() <= 4:
        def fmt(v):
            return "[" + ", ".join(map(fmt, v)) + "]" if isinstance(v, list) else f"{v:.4g}"
        return fmt(g.tolist())
    return f"{shape(g)} norm {torch.linalg.vector_norm(g.double()).item():.4g}"


def texts(grads: tuple) -> str:
    return "(" + ", ".join(text(g) for g in grads) + ("," if len(grads) == 1 else "") + ")"


def checked(outputs, gradient) -> list[tuple[str, torch.Tensor, torch.Tensor | None]]:
    """(name, output, its gradient) for each output, or a TypeError/ValueError that says what to pass."""
    if isinstance(outputs, torch.Tensor):
        names, tensors, grads = ["output"], [outputs], [gradient]
    elif isinstance(outputs, (tuple, list, dict)) and outputs:
        names = list(map(str, outputs)) if isinstance(outputs, dict) else [f"output[{i}]" for i in range(len(outputs))]
        tensors = list(outputs.values()) if isinstance(outputs, dict) else list(outputs)
        if isinstance(gradient, dict) and isinstance(outputs, dict):
            gradient = [gradient.get(k) for k in outputs]
        grads = [None] * len(tensors) if gradient is None else [gradient] if isinstance(gradient, torch.Tensor) else gradient
        if not isinstance(grads, (tuple, list)) or len(grads) != len(tensors):
            raise TypeError(f"gradient= takes one tensor (or None) per output: a sequence of {len(tensors)}.")
    else:
        raise TypeError(f"trace_backward() takes the tensor to back-propagate from, e.g. trace_backward(loss), "
                        f"or a tuple, list or dict of tensors; got {type(outputs).__name__}.")
    for name, t, g in zip(names, tensors, grads):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"trace_backward() takes tensors, but {name} is a {type(t).__name__}.")
        if not t.requires_grad:
            raise ValueError(f"{name} has no history (requires_grad=False, grad_fn=None): there is nothing to "
                             "back-propagate. Pass a tensor computed, with autograd on, from tensors that require grad.")
        if g is None and t.numel() != 1:
            raise NeedsGradient(f"grad can be implicitly created only for scalar outputs: {name} has shape {shape(t)}. "
                                f"Pass gradient= a tensor of that shape (the v of the vector-Jacobian product), "
                                f"or back-propagate from a scalar such as {name}.sum().")
        if g is not None and not isinstance(g, torch.Tensor):
            raise TypeError(f"gradient= for {name} must be a tensor of shape {shape(t)}, not a {type(g).__name__}.")
        if g is not None and g.shape != t.shape:
            raise ValueError(f"gradient= for {name} has shape {shape(g)}, but {name} has shape {shape(t)}: "
                             "pass a gradient of the output's shape.")
    return list(zip(names, tensors, grads))


def trace_backward(outputs, params=None, gradient=None, retain_graph: bool = False) -> Trace:
    """Run backward from ``outputs`` as ``torch.autograd.backward(outputs, gradient, retain_graph)``
    does, and record every node it executes: see ``Trace``.

    ``outputs``: a tensor, or a tuple/list/dict of tensors. ``params`` (an nn.Module or a dict of
    name -> tensor or module) names the leaves in the drawings and steps. ``gradient``: needed for
    an output that is not a scalar (one per output for several). The graph is freed unless
    ``retain_graph=True``; ``.grad`` ends up exactly as a plain backward() leaves it.
    """
    items = checked(outputs, gradient)
    refs: dict = {}
    data = walk(outputs, params, refs=refs)
    leaf_names = {id(t): n for n, t in named_params(params).items()}
    labels = {n.id: n.label for n in data.nodes}
    for (_, t, _), node in zip(items, data.of_kind("output")):
        if t.grad_fn is None:  # a leaf is its own output: backward runs only its AccumulateGrad
            refs[node.id] = torch.autograd.graph.get_gradient_edge(t).node
            labels[node.id] = "AccumulateGrad"
    steps: list[Step] = []
    at: dict[str, Step] = {}

    def arrived(node_id, grad_outputs):
        fn = refs[node_id]
        name = leaf_names.get(id(getattr(fn, "variable", None)), "")
        at[node_id] = Step(len(steps), labels[node_id], node_id, copies(grad_outputs), (), name)
        steps.append(at[node_id])

    def sent(node_id, grad_inputs, _grad_outputs):
        at[node_id].grad_inputs = copies(grad_inputs)

    handles = []
    try:
        for node_id, fn in refs.items():
            handles += [fn.register_prehook(partial(arrived, node_id)), fn.register_hook(partial(sent, node_id))]
        torch.autograd.backward([t for _, t, _ in items], [g for _, _, g in items], retain_graph=retain_graph)
    finally:
        for h in handles:
            h.remove()
    drawn, groups, info = data, {}, None
    if too_big(data):  # as draw() does: one box per module call
        drawn, groups, info = group_by_module(data, refs, params, True, None, True)
        if not info.collapsed:
            drawn, groups, info = data, {}, None
    return Trace(steps, data, drawn, groups, info, flows(data, refs, at, items))


def copies(grads) -> tuple:
    return tuple(None if g is None else g.detach().clone() for g in grads)


def flows(data: GraphData, refs: dict, at: dict[str, Step], items) -> dict[int, tuple[int, str]]:
    """Which edge of the drawing carried which gradient, sent at which step.

    An op's data edges, after its leaf's, are its next_functions in order: the i-th carried its
    grad_inputs[i]. The edge into an output carried the gradient backward started with (step -1),
    and the edge from a leaf what its AccumulateGrad received."""
    into: dict[str, list[int]] = {}
    kind = {n.id: n.kind for n in data.nodes}
    seeds = {node.id: torch.ones_like(t) if g is None else g for node, (_, t, g) in zip(data.of_kind("output"), items)}
    found: dict[int, tuple[int, str]] = {}
    for i, e in enumerate(data.edges):
        if e.style != "data":
            continue
        if kind[e.dst] == "output":
            found[i] = (-1, text(seeds[e.dst]))
        elif kind[e.src] == "leaf" and e.dst in at:
            found[i] = (at[e.dst].index, text(at[e.dst].grad_outputs[0]))
        elif kind[e.dst] == "op":
            into.setdefault(e.dst, []).append(i)
    for node_id, edges in into.items():
        step = at.get(node_id)
        if step is None or len(edges) != len(refs[node_id].next_functions):
            continue  # did not run (or a graph shape this does not know): drawn without gradients
        for i, g in zip(edges, step.grad_inputs):
            if g is not None:
                found[i] = (step.index, text(g))
    return found
