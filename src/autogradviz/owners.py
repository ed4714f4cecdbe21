"""Which module call made each node of a walked autograd graph.

A module called twice (a ResNet block's shared ReLU, ``nn.Sequential(lin, nn.Tanh(), lin)``)
made two calls, and each call owns its own nodes, so a drawing by call keeps the backward graph's
shape: no cycles.

* Recorded by ``agv.watch()`` (``modes.ModuleCall`` on the grad_fns): a call owns the nodes
  reachable from its outputs without passing its inputs, nor what a call that ran before it
  returned. The innermost call wins; of two calls at one depth, the earlier (a shared parameter
  goes to its first use).
* Not recorded: each module of ``params`` counts as one call, owning its parameters, what only
  prepares them (AccumulateGrad, a transpose) and the op that uses them.
"""
from __future__ import annotations

from collections import Counter, defaultdict

from .graph import GraphData, module_names
from .layout import ranks
from .modes import calls_of


class Call:
    """One call of a module (without watch(): one module), in the tree of calls."""

    def __init__(self, name: str, module, parent: Call | None, order: int):
        self.name, self.module, self.parent, self.order = name, module, parent, order
        self.children: list[Call] = []
        self.level = (parent.level if parent else 0) + (name != "")  # the model itself: level 0
        self.nth = self.of = 1  # call 2 of 3
        if parent:
            parent.children.append(self)

    def title(self) -> str:
        call = f"call {self.nth}" if self.of > 1 else ""
        if not self.name:  # the model itself (an RNNCell called at every step)
            return type(self.module).__name__ + (f" ({call})" if call else "")
        return f"{self.name} ({type(self.module).__name__}{', ' + call if call else ''})"

    def above(self) -> list[Call]:
        return [self.parent, *self.parent.above()] if self.parent else []


def owners(data: GraphData, refs: dict, params, inputs: dict) -> tuple[dict, str]:
    """Node -> the Call that made it, and how that was found: "calls" (watch()) or "names"."""
    names, kind = module_names(params), {n.id: n.kind for n in data.nodes}
    owner = by_calls(refs, names, inputs)
    source = "calls" if owner else "names"
    owner = owner or (by_names(data, names, inputs) if names else {})
    for e in data.edges:  # a leaf goes with its AccumulateGrad, a saved tensor with its op
        if e.style == "saved" and e.src in owner:
            owner[e.dst] = owner[e.src]
        elif kind[e.src] == "leaf" and e.dst in owner:
            owner[e.src] = owner[e.dst]
    calls = sorted(set(owner.values()), key=lambda c: c.order)
    total, seen = Counter(c.module for c in calls), Counter()
    for c in calls:
        seen[c.module] += 1
        c.nth, c.of = seen[c.module], total[c.module]
    return owner, source


def by_calls(refs: dict, names: dict, inputs: dict) -> dict[str, Call]:
    """Node -> the call that made it, from the records watch() left on the grad_fns."""
    starts = defaultdict(list)
    for nid, fn in refs.items():
        for mc in calls_of(fn):
            starts[mc].append(nid)
    tree, owner = call_tree(starts, names), {}
    node_of = {fn: nid for nid, fn in refs.items()}
    node_of.update({id(fn.variable): nid for nid, fn in refs.items() if type(fn).__name__ == "AccumulateGrad"})
    made_by = defaultdict(list)
    for mc, nids in starts.items():
        for nid in nids:
            made_by[nid].append(tree[mc])
    for mc in sorted(starts, key=lambda c: c.order):
        call, around = tree[mc], set(tree[mc].above())
        stops = {node_of.get(f) for f in mc.input_fns} | {node_of.get(id(t)) for t in mc.input_leaves}
        todo = [n for n in starts[mc] if n not in stops]
        seen = set(todo)
        while todo:
            nid = todo.pop()
            if nid not in owner or call.level > owner[nid].level:
                owner[nid] = call
            for src in inputs[nid]:  # not into what a call that ran before (not around it) returned
                if src not in seen and src not in stops and not any(
                        c.order < call.order and c not in around for c in made_by.get(src, ())):
                    seen.add(src)
                    todo.append(src)
    return owner


def by_names(data: GraphData, names: dict, inputs: dict) -> dict[str, Call]:
    """Without watch(): node -> the module whose parameters it holds, prepares or uses."""
    calls = {}
    for i, (module, name) in sorted(enumerate(names.items()), key=lambda x: x[1][1].count(".") + bool(x[1][1])):
        calls[name] = Call(name, module, calls.get(name.rpartition(".")[0]) if name else None, i)
    side = {n.id: calls[n.name.rpartition(".")[0]] for n in data.of_kind("leaf")
            if n.name and n.name.rpartition(".")[0] in calls}
    owner, rank = dict(side), ranks(data)
    cuts = {n.id for n in data.of_kind("cut")}
    uses_data = {e.dst for e in data.edges if e.src in cuts}  # an op fed data prepares no parameter
    for nid in sorted((n.id for n in data.nodes if n.kind == "op"), key=lambda n: -rank.get(n, 0)):
        mods = {side.get(s) for s in inputs[nid]} | ({None} if nid in uses_data else set())
        if len(mods - {None}) == 1:  # all from one module's side: it prepares them; else it uses them
            owner[nid] = (mods - {None}).pop()
            if None not in mods:
                side[nid] = owner[nid]
    return owner if side else {}


def call_tree(recorded, names: dict) -> dict:
    """A Call for each recorded module call and each call around one, named as params names them."""
    every = {}
    for mc in recorded:
        while mc is not None and mc not in every:
            every[mc] = mc
            mc = mc.parent
    ordered = sorted(every, key=lambda c: c.order)
    tops = {c.module for c in ordered if c.parent is None}
    if not names and len(tops) == 1:  # one model watched, no params: it is the root, as params=model makes it
        names.update({m: n for n, m in tops.pop().named_modules()})
    tree = {}
    for mc in ordered:
        parent = tree.get(mc.parent)
        if mc.module not in names:  # a model not in params, or a module made on the fly: its class names it
            base = ".".join(filter(None, [parent.name if parent else "", type(mc.module).__name__]))
            names.update({m: f"{base}.{n}" if n else base for n, m in mc.module.named_modules() if m not in names})
        tree[mc] = Call(names[mc.module], mc.module, parent, mc.order)
    return tree
