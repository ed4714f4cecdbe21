"""Draw a big autograd graph one box per module call (owners.py says which call made each node).

Depth 1 draws the calls of the model's children as boxes, depth 2 their children, and so on; a
call with no calls inside stays a box at any depth, and the ops a call makes itself (a residual
add) are drawn once it is opened. Too many boxes: runs of sibling calls share one, with the ops
between them. A box that would still close a cycle is drawn opened.
"""
from __future__ import annotations

import graphlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .dot import Group
from .graph import Edge, GraphData, Node, module_names
from .layout import NO_GRAD, span
from .modes import calls_of
from .owners import Call, owners

MAX_NODES = 40  # a collapsed view aims at no more nodes than this (more: runs of sibling calls share a box)
MIN_BOXES = 6   # collapse=True draws the shallowest depth with this many boxes (deeper: expand=)


@dataclass
class CollapseInfo:
    """How a drawing was collapsed, for its caption and the explorer's expand menu."""
    depth: int = 0            # 0: not collapsed
    auto: bool = False
    full_nodes: int = 0
    shown_nodes: int = 0
    run: int = 1              # sibling calls per box (1: no runs)
    source: str = "none"      # "calls" (recorded by watch()), "names" (params only) or "none"
    expand: str | None = None
    expandable: list[str] = field(default_factory=list)  # every module call: what expand= accepts
    openable: list[str] = field(default_factory=list)    # drawn as a box with more inside: worth expanding
    hidden: int = 0           # cuts into boxes, not drawn
    opened: bool = False      # calls drawn opened because their ops interleave with another call's
    reason: str = ""          # why nothing was grouped, when nothing was
    placed: dict = field(default_factory=dict)  # node id -> the drawn node holding it (None: hidden)

    @property
    def collapsed(self) -> bool:
        return self.depth > 0


class Grouping:
    """A walked graph, the call that made each node, and the drawings it can be collapsed to."""

    def __init__(self, data: GraphData, refs: dict, params):
        self.data, self.kind = data, {n.id: n.kind for n in data.nodes}
        self.inputs, self.consumers = defaultdict(list), defaultdict(list)  # data edges, cuts left out
        for e in data.edges:
            if e.style == "data" and self.kind[e.src] != "cut":
                self.inputs[e.dst].append(e.src)
                self.consumers[e.src].append(e.dst)
        self.cut_into = {e.src: e.dst for e in data.edges if self.kind[e.src] == "cut"}
        self.reached = {id(fn.variable) for fn in refs.values() if type(fn).__name__ == "AccumulateGrad"}
        self.owner, self.source = owners(data, refs, params, self.inputs)

    def units(self, depth: int, run: int = 1, target=(), path=(), inside: int = 0, opened=()) -> dict:
        """Node -> its box: a call, a run (tuple) of sibling calls, or absent: drawn as itself.

        Drawn opened: the model itself, calls above ``depth`` that hold other calls, ``opened``; with
        expand=, its calls (``target``), the calls ``path`` to them, the calls inside them above ``inside``."""
        def is_open(c: Call) -> bool:
            return c.name == "" and bool(c.children) or c in target or c in path or c in opened or bool(c.children) and c.level < (
                inside if any(a in target for a in c.above()) else depth)

        drawn = sorted({a for c in set(self.owner.values()) for a in [c, *c.above()]}, key=lambda c: c.order)
        box: dict = {}
        for c in drawn:
            box[c] = box.get(c.parent) or (None if is_open(c) else c)
        for parent in {c.parent for c in drawn} if run > 1 else ():
            chunk: list = []  # a run: consecutive boxes of one parent and name prefix; an opened call ends it
            for c in [c for c in drawn if c.parent is parent] + [None]:
                if c is not None and box[c] is c and len(chunk) < run and (
                        not chunk or chunk[0].name.rpartition(".")[0] == c.name.rpartition(".")[0]):
                    chunk.append(c)
                    continue
                box.update({m: tuple(chunk) for m in chunk} if len(chunk) > 1 else {})
                chunk = [c] if c is not None and box[c] is c else []
        unit = {nid: box[c] for nid, c in self.owner.items() if box[c] is not None}
        self.absorb(unit)
        return unit

    def absorb(self, unit: dict) -> None:
        """The ops drawn as themselves on a path from a box back to it (the ReLU between the Linear
        layers of a run) join it. A box of one call has none, unless grouped by names."""
        members = defaultdict(list)
        for nid, u in unit.items():
            members[u].append(nid)

        def reach(start, step):
            seen, todo = set(), [n for s in start for n in step[s]]
            while todo:
                nid = todo.pop()
                if nid not in seen and nid not in unit and self.kind[nid] == "op":
                    seen.add(nid)
                    todo += step[nid]
            return seen

        for u, nids in members.items():
            if isinstance(u, tuple) or (self.source == "names" and u.children):
                unit.update(dict.fromkeys(reach(nids, self.consumers) & reach(nids, self.inputs), u))

    def count(self, unit: dict) -> int:
        """How many nodes a view draws: its boxes, and the nodes drawn as themselves."""
        return len(set(unit.values())) + sum(1 for n in self.data.nodes if n.id not in unit and n.kind not in NO_GRAD
                                             and self.cut_into.get(n.id) not in unit)

    def build(self, unit: dict) -> tuple[GraphData, dict[str, Group], int, set, dict]:
        """The drawing: its data, its groups by node id, how many cuts into boxes it leaves out, the
        boxes on a cycle, and where each node of the full graph is drawn."""
        data, kind = self.data, self.kind
        fed = {unit[e.dst] for e in data.edges if e.style == "data" and e.dst in unit and kind[e.src] != "cut"
               and unit.get(e.src) is not unit[e.dst]}  # boxes with a recorded input: their cuts are hidden
        g, ids, groups, place, hidden = GraphData(names=data.names), {}, {}, {}, 0
        for n in data.nodes:
            u = unit.get(self.cut_into[n.id] if n.kind == "cut" else n.id)
            if n.kind == "cut" and u is not None and u in fed:
                place[n.id], hidden = None, hidden + 1
            elif n.kind == "cut" or u is None:
                fed.add(u)  # one cut at most where a box's history starts
                place[n.id] = n.id
                g.nodes.append(n)
            else:
                if u not in ids:
                    ids[u], members = f"m{len(ids)}", list(u) if isinstance(u, tuple) else [u]
                    params = {id(p): p for c in members for p in c.module.parameters()}  # a tied weight: in both
                    groups[ids[u]] = Group(title(members), [c.name for c in members], Counter(
                        "grad" if i in self.reached else "frozen" if not p.requires_grad else "no_path"
                        for i, p in params.items()), any(c.children for c in members))
                    g.nodes.append(Node(ids[u], "module", "", members[0].name if len(members) == 1 else title(members)))
                place[n.id] = ids[u]
                groups[ids[u]].ops += n.kind == "op"
                groups[ids[u]].saved += n.kind == "saved"
        g.nodes = [n._replace(label=groups[n.id].label()) if n.id in groups else n for n in g.nodes]
        for e in data.edges:
            src, dst = place.get(e.src, e.src), place.get(e.dst, e.dst)
            if src is not None and dst is not None and src != dst:
                g.edges.append(Edge(src, dst, e.style))
        g.edges = list(dict.fromkeys(g.edges))
        looped = on_cycle(g)
        return g, groups, hidden, {u for u, nid in ids.items() if nid in looped}, place


def title(members: list[Call]) -> str:
    if len(members) == 1:
        return members[0].title()
    kinds = Counter(type(c.module).__name__ for c in members)
    return f"{span([c.name for c in members])} ({', '.join(f'{n} {k}' for k, n in kinds.items())})"


def on_cycle(g: GraphData) -> set[str]:
    """Some nodes on a cycle of ``g`` (none when it is a DAG, as the backward graph is)."""
    order = graphlib.TopologicalSorter({n.id: () for n in g.nodes})
    for e in g.edges:
        order.add(e.dst, e.src)
    try:
        order.prepare()
    except graphlib.CycleError as e:
        return set(e.args[1])
    return set()


def groupable(refs: dict, params) -> bool:
    """Could this graph be grouped by module at all (watch() recorded calls, or params names modules)?"""
    return bool(module_names(params)) or any(calls_of(fn) for fn in refs.values())


def collapse(data: GraphData, refs: dict, params, depth=True, expand: str | None = None,
             auto: bool = False) -> tuple[GraphData, dict[str, Group], CollapseInfo]:
    """``data`` drawn one box per module call: (drawn data, its groups by node id, how).

    ``depth``: True picks the shallowest depth with MIN_BOXES boxes in at most MAX_NODES nodes; an
    int draws the calls at that depth as boxes. ``expand`` names a module drawn one level deeper
    than the rest. When nothing can be grouped, ``data`` comes back as it is, with a note."""
    grouping = Grouping(data, refs, params)
    present = sorted({a for c in set(grouping.owner.values()) for a in [c, *c.above()] if a.name or not a.children},
                     key=lambda c: c.order)  # the model itself only when it calls no other module (an RNNCell)
    info = CollapseInfo(auto=auto, full_nodes=len(data.nodes), source=grouping.source if present else "none",
                        expandable=list(dict.fromkeys(c.name for c in present if c.name)))
    if expand is not None and not present:
        raise ValueError(f"expand={expand!r}: nothing here is grouped by module. Run the forward inside "
                         "`with agv.watch():`, or pass params=model.")
    if not present:
        info.reason = "no module calls were recorded and " + (
            "no parameter names were given. Run the forward inside `with agv.watch():`, or pass params=model."
            if params is None else "no parameter belongs to a module of params. Run the forward inside `with agv.watch():`.")
        return data, {}, info
    if expand is not None and expand not in info.expandable + [""]:
        raise ValueError(f"expand={expand!r} is not a module in this graph. Modules here: "
                         f"{', '.join(map(repr, info.expandable[:8]))}{', ...' if len(info.expandable) > 8 else ''}.")
    deepest = max(c.level for c in present)
    base = max(1, min(int(depth), deepest))
    for d in range(1, deepest + 1) if depth is True else ():  # the shallowest depth with MIN_BOXES boxes
        unit = grouping.units(d)
        if grouping.count(unit) > MAX_NODES:
            break
        base = d
        if len(set(unit.values())) >= MIN_BOXES:
            break
    target = {c for c in present if c.name == expand}
    path, opened = {a for c in target for a in c.above()}, set()
    level = min((c.level for c in target), default=base)  # expand=: one level deeper than without it
    d, inside = (min(base, level), level + 1 if base <= level else base + 1) if target else (base, 0)
    while True:
        run, unit = 1, grouping.units(d, 1, target, path, inside, opened)
        while grouping.count(unit) > MAX_NODES:  # runs of 2, 4, 8, ... sibling calls per box, while that helps
            wider = grouping.units(d, run * 2, target, path, inside, opened)
            if grouping.count(wider) >= grouping.count(unit):
                break
            run, unit = run * 2, wider
        drawn, groups, hidden, looped, placed = grouping.build(unit)
        if not looped:
            break
        opened.update(c for u in looped for c in (u if isinstance(u, tuple) else [u]))  # close no cycle: open it
    info.depth, info.run, info.expand, info.hidden, info.opened = base, run, expand, hidden, bool(opened)
    info.placed = placed
    boxed = {m for g in groups.values() if g.inner or g.ops + g.saved > 1 for m in g.modules}
    info.openable = [m for m in info.expandable if m in boxed]
    info.shown_nodes = sum(1 for n in drawn.nodes if n.kind not in NO_GRAD)
    return drawn, groups, info
