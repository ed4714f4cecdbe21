"""Group a big autograd graph by module call, so that it fits on a screen.

A box stands for one *call* of a module: a module called twice (a ResNet block's shared ReLU,
``nn.Sequential(lin, nn.Tanh(), lin)``) is two boxes, so the picture keeps the backward graph's
shape, with no cycles. Who made each node:

* recorded under ``agv.watch()`` (``modes.ModuleCall``): a call owns the nodes reachable from its
  outputs without passing its inputs, nor the outputs of calls that ran before it. The innermost
  call wins; of two calls at one depth the earlier does (a shared parameter goes to its first use).
* not recorded: each module of ``params`` counts as one call, owning its parameters, their
  AccumulateGrad, the ops that only prepare them (a transpose) and the one op that uses them.

Depth 1 draws each call of a child of the model as a box, depth 2 the grandchildren, and so on;
a call with no calls inside stays a box at any depth, and the ops a call makes itself (a residual
add) are drawn as ops once it is opened. Too many boxes: runs of sibling calls share one box.
Whatever sits between a box's members joins it; a box that would still close a cycle is opened.
"""
from __future__ import annotations

import textwrap
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .graph import Edge, GraphData, Node, module_names
from .layout import NO_GRAD, plural, ranks, span
from .modes import calls_of

MAX_NODES = 40  # a collapsed view aims at no more nodes than this (more: runs of sibling calls share a box)
MIN_BOXES = 6   # collapse=True draws the shallowest depth with this many boxes (deeper: expand=)
COLOURS = {"grad": "lightblue", "frozen": "#dde3ea", "no_path": "#f6c0c0", "none": "lightgrey"}


class Call:
    """One call of a module (or, without watch(), one module): a node of the call tree."""

    def __init__(self, name: str, module, parent: "Call | None", order: int):
        self.name, self.module, self.parent, self.order = name, module, parent, order
        self.children: list[Call] = []
        self.level = (parent.level if parent else 0) + (name != "")  # the model itself is level 0
        self.nth = self.of = 1  # "call 2 of 3" for a module called several times
        if parent:
            parent.children.append(self)

    def title(self) -> str:
        return f"{self.name} ({type(self.module).__name__}{f', call {self.nth}' if self.of > 1 else ''})"


@dataclass
class Group:
    """A collapsed call (or a run of sibling calls): what its box stands for."""
    name: str
    modules: list[str]
    ops: int = 0
    params: Counter = field(default_factory=Counter)  # "grad" / "frozen" / "no_path" -> parameter count
    saved: int = 0
    inner: bool = False  # it holds calls of other modules: expand= shows them as boxes

    def fill(self) -> str:
        """Graphviz fillcolor: the share of its parameters that get .grad / are frozen / have no path."""
        total = sum(self.params.values())
        parts = [(COLOURS[k], self.params[k] / total) for k in ("grad", "frozen", "no_path") if self.params[k]]
        if len(parts) <= 1:
            return parts[0][0] if parts else COLOURS["none"]
        return ":".join(f"{c};{w:.2f}" for c, w in parts[:-1]) + ":" + parts[-1][0]

    def label(self) -> str:
        text = f"{self.name}\n{plural(self.ops, 'op')}"
        total = sum(self.params.values())
        if total:
            extra = [f"{self.params[k]} {w}" for k, w in (("frozen", "frozen"), ("no_path", "no path")) if self.params[k]]
            text += f" · {plural(total, 'param')}" + (f" ({', '.join(extra)})" if extra else "")
        return text + (f" · {self.saved} saved" if self.saved else "")


@dataclass
class CollapseInfo:
    """How a drawing was collapsed: shown as notes in its caption."""
    depth: int = 0
    auto: bool = False
    full_nodes: int = 0
    shown_nodes: int = 0
    run: int = 1                  # sibling calls per box when runs were grouped (1: none)
    source: str = "none"          # "calls" (watch() recorded them), "names" (params only) or "none"
    expand: str | None = None
    expandable: list[str] = field(default_factory=list)  # module names expand= accepts
    notes: list[str] = field(default_factory=list)

    @property
    def collapsed(self) -> bool:
        return self.depth > 0


class Calls:
    """The call tree, and the call that made each node of a walked graph."""

    def __init__(self, data: GraphData, refs: dict, params):
        self.data, self.names = data, module_names(params)
        self.inputs: dict[str, list[str]] = defaultdict(list)
        for e in data.edges:
            if e.style == "data":
                self.inputs[e.dst].append(e.src)
        self.kind = {n.id: n.kind for n in data.nodes}
        self.reached = {id(fn.variable) for fn in refs.values() if type(fn).__name__ == "AccumulateGrad"}
        self.cut_into = {e.src: e.dst for e in data.edges if self.kind[e.src] == "cut"}
        self.owner: dict[str, Call] = {}
        self.source = "calls" if self.from_watch(refs) else "names" if self.from_names(refs) else "none"
        for e in data.edges:  # a leaf goes with its AccumulateGrad, a saved tensor with its op
            if e.style == "saved" and e.src in self.owner:
                self.owner[e.dst] = self.owner[e.src]
            elif self.kind[e.src] == "leaf" and e.dst in self.owner:
                self.owner[e.src] = self.owner[e.dst]
        by_module = defaultdict(list)
        for call in sorted({c for c in self.owner.values()}, key=lambda c: c.order):
            by_module[call.module].append(call)
        for calls in by_module.values():
            for i, call in enumerate(calls, 1):
                call.nth, call.of = i, len(calls)

    def from_watch(self, refs: dict) -> bool:
        recorded, starts = {}, defaultdict(list)
        for nid, fn in refs.items():
            for mc in calls_of(fn):
                recorded.setdefault(id(mc), mc)
                starts[id(mc)].append(nid)
        if not recorded:
            return False
        node_of = {fn: nid for nid, fn in refs.items()}
        node_of.update({id(fn.variable): nid for nid, fn in refs.items() if type(fn).__name__ == "AccumulateGrad"})
        made_by = defaultdict(list)  # node -> the calls that returned it
        for key, nids in starts.items():
            for nid in nids:
                made_by[nid].append(recorded[key])
        tree = self.tree(recorded.values())
        for mc in sorted(recorded.values(), key=lambda c: c.order):
            call, around = tree[mc], set()
            parent = mc.parent
            while parent is not None:
                around.add(parent)
                parent = parent.parent
            stops = {node_of.get(f) for f in mc.input_fns} | {node_of.get(id(t)) for t in mc.input_leaves}
            todo = [n for n in starts[id(mc)] if n not in stops]
            seen = set(todo)
            while todo:
                nid = todo.pop()
                held = self.owner.get(nid)
                if held is None or call.level > held.level:
                    self.owner[nid] = call
                for src in self.inputs[nid]:
                    if src in seen or src in stops or self.kind[src] == "cut" or any(
                            c.order < mc.order and c not in around for c in made_by.get(src, ())):
                        continue
                    seen.add(src)
                    todo.append(src)
        return True

    def tree(self, recorded) -> dict:
        """A Call for every recorded module call and the calls around it, named after params."""
        every, names = {}, self.names
        for mc in recorded:
            while mc is not None and id(mc) not in every:
                every[id(mc)] = mc
                mc = mc.parent
        ordered = sorted(every.values(), key=lambda c: c.order)
        tops = list(dict.fromkeys(c.module for c in ordered if c.parent is None and c.module not in names))
        if len(tops) == 1 and not names:  # one model watched, no params: it is the root, as params=model makes it
            names.update({m: n for n, m in tops[0].named_modules()})
        used = Counter()
        tree = {}
        for mc in ordered:
            parent = tree.get(mc.parent)
            if mc.module not in names:  # a model not in params, or a module made on the fly
                used[type(mc.module).__name__] += 1
                own = type(mc.module).__name__ + (f"#{used[type(mc.module).__name__]}" if used[type(mc.module).__name__] > 1 else "")
                base = f"{parent.name}.{own}" if parent and parent.name else own
                names.update({m: f"{base}.{n}" if n else base for n, m in mc.module.named_modules() if m not in names})
            tree[mc] = Call(names[mc.module], mc.module, parent, mc.order)
        return tree

    def from_names(self, refs: dict) -> bool:
        """Without watch(): one Call per module of params, owning its parameters' side of the graph."""
        calls = {}
        if not self.names:
            return False
        for i, (module, name) in sorted(enumerate(self.names.items()), key=lambda x: x[1][1].count(".") + bool(x[1][1])):
            calls[name] = Call(name, module, calls.get(name.rpartition(".")[0]) if name else None, i)
        side = {}
        for n in self.data.of_kind("leaf"):
            module = n.name.rpartition(".")[0]
            if n.name and module in calls:
                side[n.id] = calls[module]
        consumers = defaultdict(list)
        for dst, srcs in self.inputs.items():
            for src in srcs:
                consumers[src].append(dst)
        for nid in [d for n in side for d in consumers[n]]:  # their AccumulateGrad nodes
            side[nid] = side[[s for s in self.inputs[nid] if s in side][0]]
        rank = ranks(self.data)
        for nid in sorted((n for n in self.inputs if self.kind[n] == "op" and n not in side), key=lambda n: -rank.get(n, 0)):
            mods = {side.get(s) for s in self.inputs[nid]}
            if len(mods) == 1 and None not in mods:  # only prepares one module's parameters: t(), view()
                side[nid] = mods.pop()
            elif len(mods - {None}) == 1:  # the op that uses them
                self.owner[nid] = (mods - {None}).pop()
        self.owner.update(side)
        return bool(side)


class View:
    """The drawing at one depth: each node's unit (a call, a run of calls, or None: drawn as itself).

    Opened (drawn as their parts): the model itself, calls above ``depth`` that hold other calls, the
    calls in ``opened``; with expand=, the target's calls, the calls on the way to them, and the calls
    inside them above ``inside``."""

    def __init__(self, calls: Calls, depth: int, run: int = 1, target=(), path=(), inside: int = 0, opened=()):
        self.calls, self.depth, self.run = calls, depth, run
        unit_of: dict[Call, object] = {}

        def is_open(c: Call) -> bool:
            if c.name == "" or c in target or c in path or c in opened:
                return True
            return c.level < (inside if any(a in target for a in ancestors(c)) else depth) and bool(c.children)

        drawn = sorted({a for c in calls.owner.values() for a in ancestors(c) + [c]}, key=lambda c: c.order)
        for c in drawn:
            above = unit_of.get(c.parent)
            unit_of[c] = above if above is not None else (None if is_open(c) else c)
        if run > 1:  # runs of sibling calls that are boxes; a sibling drawn opened ends a run
            for parent in {c.parent for c in drawn}:
                siblings = [c for c in drawn if c.parent is parent]
                chunk: list = []
                for c in siblings + [None]:
                    if c is not None and unit_of[c] is c and len(chunk) < run and (
                            not chunk or chunk[0].name.rpartition(".")[0] == c.name.rpartition(".")[0]):
                        chunk.append(c)
                        continue
                    for member in chunk if len(chunk) > 1 else ():
                        unit_of[member] = tuple(chunk)
                    chunk = [c] if c is not None and unit_of[c] is c else []
        self.unit = {nid: unit_of[c] for nid, c in calls.owner.items() if unit_of.get(c) is not None}
        if run > 1 or calls.source == "names":
            self.absorb(containers_only=run == 1)
        self.boxes = len(set(self.unit.values()))
        self.count = self.boxes + sum(1 for n in calls.data.nodes if n.id not in self.unit and n.kind not in NO_GRAD
                                      and (n.kind != "cut" or calls.cut_into[n.id] not in self.unit))

    def absorb(self, containers_only: bool) -> None:
        """Ops drawn as themselves that sit between members of one box (on a path from it back to
        it, like the ReLU between two Linear layers of a run) join the box."""
        consumers = defaultdict(list)
        for dst, srcs in self.calls.inputs.items():
            for src in srcs:
                consumers[src].append(dst)
        members = defaultdict(list)
        for nid, u in self.unit.items():
            members[u].append(nid)
        for u, nids in members.items():
            if containers_only and not (isinstance(u, tuple) or u.children):
                continue
            down, up = self.reach(nids, consumers), self.reach(nids, self.calls.inputs)
            for nid in down & up:
                self.unit[nid] = u

    def reach(self, start: list[str], step: dict) -> set[str]:
        seen, todo = set(), [n for s in start for n in step.get(s, ()) if n not in self.unit]
        while todo:
            nid = todo.pop()
            if nid not in seen and nid not in self.unit and self.calls.kind[nid] == "op":
                seen.add(nid)
                todo += step.get(nid, ())
        return seen

    def build(self) -> tuple[GraphData, dict[str, Group], int, list]:
        """The drawing: (data, its groups by node id, cuts left out, the units on a cycle)."""
        calls, unit, data = self.calls, self.unit, self.calls.data
        ids: dict[object, str] = {}
        groups: dict[str, Group] = {}
        place: dict[str, str | None] = {}
        g = GraphData(names=data.names)
        fed = {unit[e.dst] for e in data.edges if e.style == "data" and e.dst in unit
               and calls.kind[e.src] != "cut" and unit.get(e.src) is not unit[e.dst]}
        first_cut, hidden = set(), 0
        for n in data.nodes:
            u = unit.get(n.id) if n.kind != "cut" else None
            if n.kind == "cut":
                into = unit.get(calls.cut_into.get(n.id))
                if into is not None and (into in fed or into in first_cut):
                    place[n.id] = None  # inside a box that has recorded inputs: expand it to see it
                    hidden += 1
                    continue
                first_cut.add(into)
            if u is None:
                place[n.id] = n.id
                g.nodes.append(n)
                continue
            if u not in ids:
                ids[u] = f"m{len(ids)}"
                members = list(u) if isinstance(u, tuple) else [u]
                groups[ids[u]] = Group(self.title(members), [c.name for c in members],
                                       params=param_states(members, calls.reached),
                                       inner=any(c.children for c in members))
                g.nodes.append(Node(ids[u], "module", "", members[0].name if len(members) == 1 else groups[ids[u]].name))
            place[n.id] = ids[u]
            group = groups[ids[u]]
            group.ops += n.kind == "op"
            group.saved += n.kind == "saved"
        g.nodes = [Node(n.id, n.kind, groups[n.id].label(), n.name) if n.id in groups else n for n in g.nodes]
        seen = set()
        for e in data.edges:
            src, dst = place.get(e.src, e.src), place.get(e.dst, e.dst)
            if src is not None and dst is not None and src != dst and (src, dst, e.style) not in seen:
                seen.add((src, dst, e.style))
                g.edges.append(Edge(src, dst, e.style))
        looped = on_cycles(g)
        return g, groups, hidden, [u for u, nid in ids.items() if nid in looped]

    @staticmethod
    def title(members: list[Call]) -> str:
        if len(members) == 1:
            return members[0].title()
        kinds = Counter(type(c.module).__name__ for c in members)
        return f"{span([c.name for c in members])} ({', '.join(f'{n} {k}' for k, n in kinds.items())})"


def ancestors(c: Call) -> list[Call]:
    out = []
    while c.parent is not None:
        c = c.parent
        out.append(c)
    return out


def param_states(members: list[Call], reached: set[int]) -> Counter:
    """How many parameters of these modules get .grad, are frozen, have no path. A tied weight
    counts in every module that holds it."""
    params = {id(p): p for c in members for p in c.module.parameters()}
    return Counter("grad" if i in reached else "frozen" if not p.requires_grad else "no_path" for i, p in params.items())


def on_cycles(g: GraphData) -> set[str]:
    """The nodes left after peeling off, again and again, every node with no input or no consumer."""
    ins, outs = defaultdict(set), defaultdict(set)
    for e in g.edges:
        outs[e.src].add(e.dst)
        ins[e.dst].add(e.src)
    alive = {n.id for n in g.nodes}
    todo = [n for n in alive if not ins[n] or not outs[n]]
    while todo:
        nid = todo.pop()
        if nid in alive:
            alive.discard(nid)
            for m in outs[nid]:
                ins[m].discard(nid)
                todo += [m] if not ins[m] else []
            for m in ins[nid]:
                outs[m].discard(nid)
                todo += [m] if not outs[m] else []
    return alive


def collapse(data: GraphData, refs: dict, params, depth=True, expand: str | None = None,
             auto: bool = False) -> tuple[GraphData, dict[str, Group], CollapseInfo]:
    """The drawing of ``data`` grouped by module call: (drawn data, its groups by node id, notes).

    ``depth``: True picks the shallowest depth with MIN_BOXES boxes that fits in MAX_NODES nodes; an
    int groups by the calls at that depth. ``expand`` names one module to draw in more detail than
    the rest. When nothing can be grouped, ``data`` comes back as it is, with a note that says why.
    """
    calls = Calls(data, refs, params)
    info = CollapseInfo(auto=auto, full_nodes=len(data.nodes), source=calls.source)
    present = sorted({a for c in calls.owner.values() for a in ancestors(c) + [c] if a.name}, key=lambda c: c.order)
    info.expandable = list(dict.fromkeys(c.name for c in present))
    if not present:
        info.notes = [cannot_group(params)]
        return data, {}, info
    deepest = max(c.level for c in present)
    if expand is not None and expand not in info.expandable:
        some = ", ".join(repr(n) for n in info.expandable[:8])
        raise ValueError(f"expand={expand!r} is not a module in this graph. Modules here: {some}"
                         f"{', ...' if len(info.expandable) > 8 else ''}.")
    target = {c for c in present if c.name == expand}
    path = {a for c in target for a in ancestors(c)}
    opened: set = set()  # calls that would close a cycle

    def view(d: int, inside: int = 0) -> View:
        v = View(calls, d, 1, target, path, inside, opened)
        while v.count > MAX_NODES:  # runs of 2, 4, 8, ... sibling calls per box, while that helps
            wider = View(calls, d, v.run * 2, target, path, inside, opened)
            if wider.count >= v.count:
                break
            v = wider
        return v

    if depth is True:  # the shallowest depth with MIN_BOXES boxes, or the deepest that fits
        base = 1
        for d in range(1, deepest + 1):
            v = View(calls, d)
            if v.count > MAX_NODES:
                break
            base = d
            if v.boxes >= MIN_BOXES:
                break
    else:
        base = max(1, min(int(depth), deepest))
    # expand=: the module one level deeper than the view without it; the rest no deeper than it
    level = min((c.level for c in target), default=base)
    shape = (min(base, level), level + 1 if base <= level else base + 1) if target else (base, 0)
    while True:
        chosen = view(*shape)
        drawn, groups, hidden, looped = chosen.build()
        if not looped:
            break
        opened.update(c for u in looped for c in (u if isinstance(u, tuple) else [u]))
    info.depth, info.run, info.expand = base, chosen.run, expand
    info.shown_nodes = sum(1 for n in drawn.nodes if n.kind not in NO_GRAD)
    info.notes = notes(info, groups, hidden, bool(opened))
    return drawn, groups, info


def cannot_group(params) -> str:
    if params is None:
        return ("Not grouped by module: no module calls were recorded and no parameter names were given. "
                "Run the forward inside `with agv.watch():`, or pass params=model.")
    return ("Not grouped by module: no module calls were recorded (run the forward inside "
            "`with agv.watch():`), and no parameter belongs to a module of params.")


def notes(info: CollapseInfo, groups: dict[str, Group], hidden: int, opened: bool) -> list[str]:
    how = f"3-D boxes, one per module call, depth {info.depth}{f', {info.expand} opened' if info.expand else ''}"
    lines = [f"The full graph ({info.full_nodes:,} nodes) is too big to read, so modules are drawn collapsed ({how}): "
             f"{info.shown_nodes} nodes." if info.auto else
             f"Modules drawn collapsed ({how}): {info.shown_nodes} of {info.full_nodes:,} nodes."]
    if info.run > 1:
        example = next((g.name.split(" (")[0] for g in groups.values() if len(g.modules) > 1), "")
        lines.append(f"Runs of up to {info.run} sibling calls share a box (e.g. {example}), with the ops between them.")
    if info.source == "names":
        lines.append("Not recorded under agv.watch(): a module's box holds its parameters and the op that uses "
                     "them; other ops are drawn as they are. Run the forward inside `with agv.watch():` to group "
                     "every op by the module call that made it.")
    if opened:
        lines.append("Some calls are drawn opened: their ops interleave with other calls' ops.")
    saved = sum(g.saved for g in groups.values())
    if saved:
        lines.append(f"{plural(saved, 'saved tensor')} are counted in their module's box (\"saved\"); "
                     "expand a module or draw with collapse=False to see each.")
    if hidden:
        lines.append(f"Inputs with no history inside a module ({hidden}) are not drawn; expand the module to see them.")
    singles = [g for g in groups.values() if len(g.modules) == 1]
    example = next((g.modules[0] for g in singles if g.inner), singles[0].modules[0] if singles else None)
    lines.append("draw(..., collapse=False) draws every node" + (f"; expand={example!r} opens one module." if example else "."))
    return [w for line in lines for w in textwrap.wrap(line, 100, break_on_hyphens=False)]
