"""Group a big autograd graph by module, so that it fits on a screen.

``graph.walk()`` gives every node. Here each node gets the module that made it, and a smaller
``GraphData`` is built in which a module is one node (a 3-D box) and the edges between modules are
the edges between their members. Nothing here knows about Graphviz.

Which module made a node:

* recorded under ``agv.watch()``: a module call owns the nodes reachable from its outputs'
  grad_fns without passing its inputs' grad_fns (``modes.ModuleCall``); for nested modules the
  innermost call wins. A parameter belongs to the module that holds it.
* not recorded (the fallback): a parameter, its AccumulateGrad, the ops that only prepare it (a
  transpose, a view) and the op that uses it go to the module that holds it (by the parameter's
  name); other ops stay ungrouped.

Depth 1 groups by the children of the top module, depth 2 by grandchildren, and so on; a module
with no submodules stays one box at any greater depth, and the ops a container runs itself (the
residual add of a ResNet block) are drawn as ops once the container is opened. When a depth still
gives too many boxes (a Sequential of 256 layers), runs of sibling modules become one box
("0–7"), together with the ungrouped ops between them.
"""
from __future__ import annotations

import textwrap
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .graph import Edge, GraphData, Node, module_names
from .modes import calls_of

MAX_NODES = 60        # a collapsed view aims at no more nodes than this
AUTO_COLLAPSE = 300   # draw() collapses by itself above this many nodes (see benchmarks/render_overhead.py)
GROUPED = ("op", "leaf", "saved")
NO_GRAD = ("frozen", "no_path")
COLOURS = {"grad": "lightblue", "frozen": "#dde3ea", "no_path": "#f6c0c0", "none": "lightgrey"}


@dataclass
class Group:
    """A collapsed module (or a run of sibling modules): what its node stands for."""
    name: str                 # "layer3", or "layers.0–7" for a run of siblings
    modules: list[str]        # the module names inside
    ops: int = 0
    params: Counter = field(default_factory=Counter)  # "grad" / "frozen" / "no_path" -> parameter count

    def fill(self) -> str:
        """Graphviz fillcolor: the share of its parameters that get .grad / are frozen / have no path."""
        total = sum(self.params.values())
        if not total:
            return COLOURS["none"]
        parts = [(COLOURS[k], self.params[k] / total) for k in ("grad", "frozen", "no_path") if self.params[k]]
        if len(parts) == 1:
            return parts[0][0]
        return ":".join(f"{c};{w:.2f}" for c, w in parts[:-1]) + ":" + parts[-1][0]


@dataclass
class CollapseInfo:
    """How a drawing was collapsed: shown as a note in its caption."""
    depth: int = 0
    auto: bool = False
    full_nodes: int = 0
    shown_nodes: int = 0
    run: int = 1                  # sibling modules per box when runs were grouped (1: none)
    source: str = "none"          # "calls" (watch() recorded them), "names" (fallback) or "none"
    expand: str | None = None
    expandable: list[str] = field(default_factory=list)  # module names expand= accepts
    hidden_cuts: int = 0
    notes: list[str] = field(default_factory=list)
    placed: dict[str, str | None] = field(default_factory=dict)  # node id -> the drawn node holding it (None: hidden)

    @property
    def collapsed(self) -> bool:
        return self.depth > 0


def split(name: str) -> tuple:
    return tuple(name.split(".")) if name else ()


def join(path: tuple) -> str:
    return ".".join(path)


class Owners:
    """For each node of a walked graph, the path of the module that made it (when there is one)."""

    def __init__(self, data: GraphData, refs: dict, params):
        self.data = data
        names = module_names(params)
        self.of: dict[str, tuple] = {}
        self.inputs: dict[str, list[str]] = defaultdict(list)   # node -> its data inputs
        self.consumers: dict[str, list[str]] = defaultdict(list)
        self.cut_into: dict[str, str] = {}                    # cut node -> the op it feeds
        self.fn_of_saved: dict[str, str] = {}
        kind = {n.id: n.kind for n in data.nodes}
        for e in data.edges:
            if e.style == "data":
                self.inputs[e.dst].append(e.src)
                self.consumers[e.src].append(e.dst)
                if kind[e.src] == "cut":
                    self.cut_into[e.src] = e.dst
            elif e.style == "saved" and kind.get(e.dst) == "saved":
                self.fn_of_saved[e.dst] = e.src
        self.kind = kind
        self.seq: dict[str, int] = {}  # op -> its creation number, for the fallback only
        self.source = "none"
        calls = self.record_calls(refs, names)
        self.modules = {split(name): m for m, name in names.items()}  # path -> module
        self.order = {split(name): i for i, name in enumerate(names.values())}
        self.known = set(self.modules)
        if calls:
            self.source = "calls"
        self.by_param_name(refs, calls)
        for saved, fn in self.fn_of_saved.items():
            if fn in self.of:
                self.of[saved] = self.of[fn]
        # Parameters that get no gradient are not in the graph: they go by their names.
        for n in data.of_kind(*NO_GRAD):
            path = self.param_module(n.name.split(", ")[0])
            if path is not None:
                self.of[n.id] = path
        if self.source == "none" and any(p for n, p in self.of.items() if kind[n] in GROUPED):
            self.source = "names"
        self.parents = {p[:i] for p in self.known for i in range(len(p))}  # modules with submodules
        # For no-grad boxes: which modules hold graph nodes, and which no-grad states are under each.
        self.in_graph = {p[:i] for n, p in self.of.items() if kind[n] in GROUPED for i in range(len(p) + 1)}
        self.no_grad_under: dict[tuple, set] = defaultdict(set)
        for n in data.of_kind(*NO_GRAD):
            if n.id in self.of:
                for i in range(1, len(self.of[n.id]) + 1):
                    self.no_grad_under[self.of[n.id][:i]].add((n.kind, n.label.rsplit("\n", 1)[1]))
        self.children: dict[tuple, list[tuple]] = defaultdict(list)
        for p in sorted(self.known, key=lambda p: self.order[p]):
            if p:
                self.children[p[:-1]].append(p)

    def record_calls(self, refs: dict, names: dict) -> bool:
        """Owners from the module calls watch() attached to the grad_fns; False if there are none."""
        starts: dict[int, list[str]] = {}
        calls = {}
        for nid, fn in refs.items():
            for call in calls_of(fn):
                calls.setdefault(id(call), call)
                starts.setdefault(id(call), []).append(nid)
        if not calls:
            return False
        self.name_calls(sorted(calls.values(), key=lambda c: c.order), names)
        node_of_fn = {fn: nid for nid, fn in refs.items()}
        node_of_var = {}
        for nid, fn in refs.items():
            var = getattr(fn, "variable", None)
            if var is not None:
                node_of_var[id(var)] = nid
        best: dict[str, object] = {}
        for key, call in calls.items():
            stops = {node_of_fn[f] for f in call.input_fns if f in node_of_fn}
            stops |= {node_of_var[id(t)] for t in call.input_leaves if id(t) in node_of_var}
            todo = [n for n in starts[key] if n not in stops]
            seen = set(todo)
            while todo:
                nid = todo.pop()
                held = best.get(nid)
                if held is None or (call.depth, -call.order) > (held.depth, -held.order):
                    best[nid] = call
                for src in self.inputs.get(nid, ()):
                    if src not in seen and src not in stops:
                        seen.add(src)
                        todo.append(src)
        for nid, call in best.items():
            if self.kind[nid] != "cut":
                self.of[nid] = split(names[call.module])
        return True

    @staticmethod
    def name_calls(calls: list, names: dict) -> None:
        """Name the modules watch() saw that params did not name, from the outermost call down."""
        used = Counter()

        def label(module) -> str:
            cls = type(module).__name__
            used[cls] += 1
            return cls if used[cls] == 1 else f"{cls}#{used[cls]}"

        def outermost(call):
            """The call itself, or the nearest call around it that has a name, or the outermost."""
            while call.parent is not None and call.module not in names:
                call = call.parent
            return call

        tops = list(dict.fromkeys(outermost(c).module for c in calls if c.module not in names))
        tops = [m for m in tops if m not in names]
        if len(tops) == 1 and not names:  # one model, not named by params: it is the root
            names[tops[0]] = ""
        for call in calls:
            if call.module in names:
                continue
            top = outermost(call)
            if top.module not in names:
                names[top.module] = label(top.module)
            base = names[top.module]
            for sub, m in top.module.named_modules():
                if sub and m not in names:
                    names[m] = f"{base}.{sub}" if base else sub
            if call.module not in names:  # made on the fly, not a registered submodule
                parent = names.get(call.parent.module) if call.parent else None
                names[call.module] = f"{parent}.{type(call.module).__name__}" if parent else label(call.module)

    def param_module(self, name: str) -> tuple | None:
        """The module that holds the parameter of this name (the longest module path before it)."""
        parts = split(name)[:-1]
        for i in range(len(parts), -1, -1):
            if parts[:i] in self.known:
                return parts[:i]
        return None

    def by_param_name(self, refs: dict, calls: bool) -> None:
        """A named parameter, and its AccumulateGrad, belong to the module that holds it. Without
        recorded calls, so do the ops that only prepare it and the op that uses it."""
        side: dict[str, tuple] = {}
        for n in self.data.of_kind("leaf"):
            path = self.param_module(n.name) if n.name else None
            if path is None:
                continue
            side[n.id] = path
            for ag in self.consumers.get(n.id, ()):
                side[ag] = path
        self.of.update(side)
        if calls or not side:
            return
        for nid, fn in refs.items():
            if getattr(fn, "variable", None) is None:  # AccumulateGrad nodes are not numbered
                try:
                    self.seq[nid] = fn._sequence_nr()
                except (AttributeError, RuntimeError):
                    self.seq.clear()
                    break
        ops = [n.id for n in self.data.nodes if n.kind == "op" and n.id not in side]
        changed = True
        while changed:  # ops whose inputs are all one parameter's side: t(), view(), expand()
            changed = False
            for nid in reversed(ops):
                if nid in side:
                    continue
                ins = {side.get(i) for i in self.inputs.get(nid, ())}  # a cut: it uses data, so it is no prep
                if len(ins) == 1 and None not in ins:
                    side[nid] = ins.pop()
                    changed = True
        for nid in ops:  # the op that uses the parameters of exactly one module
            if nid in side:
                continue
            paths = {side[i] for i in self.inputs.get(nid, ()) if i in side}
            if len(paths) == 1:
                self.of[nid] = paths.pop()
        self.of.update(side)

    def max_depth(self) -> int:
        return max((len(p) for p in self.of.values()), default=0)


class View:
    """The collapsed drawing at one depth: which unit (a group, or the node itself) each node is in."""

    def __init__(self, owners: Owners, depth: int, expand: tuple | None, run: int):
        self.owners, self.depth, self.expand, self.run = owners, depth, expand, run
        data = owners.data
        key = {nid: self.key(path) for nid, path in owners.of.items()}
        key = {nid: k for nid, k in key.items() if k is not None}
        if owners.seq:
            self.in_range(key)
        self.bins = self.make_bins(set(key.values())) if run > 1 else {}
        self.unit: dict[str, tuple] = {nid: self.bins.get(k, k) for nid, k in key.items()}
        if self.bins or owners.source == "names":
            self.absorb(any_group=owners.source == "names")
        self.build(data)

    def in_range(self, key: dict) -> None:
        """The fallback's second rule: a module's forward runs in one piece, so an op recorded
        between the first and the last op of one module's box (a residual add) joins that box."""
        seq = self.owners.seq
        spans: dict[tuple, list[int]] = {}
        for nid, k in key.items():
            if nid in seq:
                lo_hi = spans.setdefault(k, [seq[nid], seq[nid]])
                lo_hi[0], lo_hi[1] = min(lo_hi[0], seq[nid]), max(lo_hi[1], seq[nid])
        if not spans:
            return
        for nid, s in seq.items():
            if nid in key or nid in self.owners.of:
                continue
            inside = [k for k, (lo, hi) in spans.items() if lo < s < hi]
            if len(inside) == 1:
                key[nid] = inside[0]

    def key(self, path: tuple) -> tuple | None:
        """The module a node with this owner is drawn in, or None: drawn as itself."""
        if not path:
            return None
        e = self.expand
        if e is not None and path[:len(e)] == e:  # inside the opened module: its children are boxes
            return path[:len(e) + 1] if len(path) > len(e) else None
        depth = self.depth
        if e is not None:
            common = next((i for i, (a, b) in enumerate(zip(path, e)) if a != b), min(len(path), len(e)))
            if common >= depth:  # on the way to the opened module: its siblings are boxes
                depth = common + 1
        if len(path) >= depth:
            return path[:depth]
        return None if path in self.owners.parents else path  # a module without submodules stays a box

    def make_bins(self, keys: set) -> dict[tuple, tuple]:
        """Runs of `run` sibling modules become one box; a module drawn opened breaks a run."""
        opened = {k[:i] for k in keys for i in range(len(k))}
        if self.expand is not None:
            opened |= {self.expand[:i] for i in range(len(self.expand) + 1)}
        bins = {}
        for parent in sorted({k[:-1] for k in keys}, key=lambda p: (len(p), p)):
            runs, current = [], []
            for child in self.owners.children.get(parent, []):
                if child in keys:
                    current.append(child)
                elif child in opened and current:
                    runs.append(current)
                    current = []
            runs.append(current)
            for members in runs:
                for i in range(0, len(members), self.run):
                    chunk = members[i:i + self.run]
                    if len(chunk) > 1:
                        for k in chunk:
                            bins[k] = ("…",) + tuple(chunk)
        return bins

    def absorb(self, any_group: bool = False) -> None:
        """Ungrouped ops that sit between members of one run of modules join that run's box.

        Without recorded calls (``any_group``), ungrouped ops that sit inside one module's box (a
        residual add between its layers) join that box too."""
        owners = self.owners
        free = {n.id for n in owners.data.nodes if n.kind == "op" and n.id not in self.unit}
        seen = set()
        for start in [n.id for n in owners.data.nodes if n.id in free]:
            if start in seen:
                continue
            component, todo, outside = [], [start], set()
            seen.add(start)
            while todo:
                nid = todo.pop()
                component.append(nid)
                for other in owners.inputs.get(nid, []) + owners.consumers.get(nid, []):
                    if other in free:
                        if other not in seen:
                            seen.add(other)
                            todo.append(other)
                    elif owners.kind[other] != "cut":
                        outside.add(self.unit.get(other, other))
            if len(outside) == 1:
                (unit,) = outside
                if isinstance(unit, tuple) and (any_group or unit[:1] == ("…",)):
                    for nid in component:
                        self.unit[nid] = unit

    def build(self, data: GraphData) -> None:
        owners, unit = self.owners, self.unit
        fed = set()  # groups with a recorded input from outside them
        for e in data.edges:
            if e.style == "data" and owners.kind[e.src] != "cut":
                du = unit.get(e.dst)
                if du is not None and unit.get(e.src) != du:
                    fed.add(du)
        ids: dict = {}                  # a group's unit, or a no-grad box, -> its node id
        place: dict[str, str | None] = {}  # old node id -> new node id (None: not drawn)
        order: list = []
        stats: dict[tuple, Counter] = defaultdict(Counter)
        box_names: dict[tuple, list[str]] = defaultdict(list)
        first_cut: dict[tuple, str] = {}
        self.hidden_cuts = 0
        for n in data.nodes:
            if n.kind == "cut":
                u = unit.get(owners.cut_into.get(n.id, ""))
                if u is not None and (u in fed or u in first_cut):
                    place[n.id] = None  # inside a group that has inputs: expand it to see it
                    self.hidden_cuts += 1
                    continue
                if u is not None:  # where the group's recorded history starts
                    first_cut[u] = n.id
                place[n.id] = n.id
                order.append(("node", n))
                continue
            if n.kind in NO_GRAD and n.id in owners.of:
                k = self.key(owners.of[n.id])
                if k is not None:
                    u = self.lift(k) or self.bins.get(k, k)
                    box = (u, n.kind, n.label.rsplit("\n", 1)[1])
                    if box not in ids:
                        ids[box] = f"m{len(ids)}"
                        order.append(("box", box))
                    place[n.id] = ids[box]
                    names = n.name.split(", ")
                    box_names[box] += names
                    stats[u][n.kind] += len(names)
                    continue
            u = unit.get(n.id)
            if u is None:
                place[n.id] = n.id
                order.append(("node", n))
                continue
            if u not in ids:
                ids[u] = f"m{len(ids)}"
                order.append(("group", u))
            place[n.id] = ids[u]
            if n.kind == "op":
                stats[u]["ops"] += 1
            elif n.kind == "leaf":
                stats[u]["grad"] += 1
        self.plan = (order, ids, place, stats, box_names)
        self.count = len(order)  # how many nodes it draws
        self.group_count = sum(1 for what, _ in order if what == "group")
        self._data = None

    @property
    def data(self) -> GraphData:
        if self._data is None:
            self.finish()
        return self._data

    @property
    def groups(self) -> dict[str, Group]:
        if self._data is None:
            self.finish()
        return self._groups

    def finish(self) -> None:
        """The drawing itself (labels, edges): made only for the view that is drawn."""
        order, ids, place, stats, box_names = self.plan
        g = GraphData()
        self._groups: dict[str, Group] = {}
        for what, item in order:
            if what == "node":
                g.nodes.append(item)
            elif what == "group":
                mods = self.modules_in(item)
                s = stats[item]
                group = Group(self.title(mods), [join(m) for m in mods], s["ops"],
                              Counter({k: s[k] for k in ("grad", "frozen", "no_path") if s[k]}))
                self._groups[ids[item]] = group
                g.nodes.append(Node(ids[item], "module", f"{group.name}\n{counts(s)}", join(mods[0]) if len(mods) == 1 else group.name))
            else:
                u, kind, reason = item
                names = box_names[item]
                title = self.title(self.modules_in(u))
                label = f"{title}\n{len(names)} param{'s' * (len(names) != 1)}\n{reason}"
                g.nodes.append(Node(ids[item], kind, label, ", ".join(names)))
        seen = set()
        for e in self.owners.data.edges:
            src, dst = place.get(e.src, e.src), place.get(e.dst, e.dst)
            if src is None or dst is None or src == dst or (src, dst, e.style) in seen:
                continue
            seen.add((src, dst, e.style))
            g.edges.append(Edge(src, dst, e.style))
        self._data = g

    def lift(self, key: tuple) -> tuple | None:
        """The outermost module around `key` that is all no-grad for one reason and has nothing in
        the graph (a whole stage run under no_grad is one box, not one per block)."""
        owners, e = self.owners, self.expand
        for i in range(1, len(key)):
            a = key[:i]
            if a in owners.in_graph or (e is not None and e[:i] == a) or len(owners.no_grad_under[a]) != 1:
                continue
            return a
        return None

    @staticmethod
    def modules_in(unit: tuple) -> list[tuple]:
        return list(unit[1:]) if unit[:1] == ("…",) else [unit]

    def title(self, mods: list[tuple]) -> str:
        def cls(path):
            m = self.owners.modules.get(path)
            return type(m).__name__ if m is not None else "?"

        if len(mods) == 1:
            return f"{join(mods[0])} ({cls(mods[0])})"
        prefix = join(mods[0][:-1]) + "." if len(mods[0]) > 1 else ""
        first, last = mods[0][-1], mods[-1][-1]
        span = f"{prefix}{first}–{last}" if first.isdigit() and last.isdigit() else f"{prefix}{first} … {last}"
        kinds = Counter(cls(m) for m in mods)
        return f"{span} ({', '.join(f'{n} {c}' for c, n in kinds.items())})"


def counts(s: Counter) -> str:
    """ "12 ops · 6 params (2 frozen)" """
    ops = s["ops"]
    text = f"{ops} op{'s' * (ops != 1)}"
    total = s["grad"] + s["frozen"] + s["no_path"]
    if total:
        text += f" · {total} param{'s' * (total != 1)}"
        extra = [f"{s[k]} {word}" for k, word in (("frozen", "frozen"), ("no_path", "no path")) if s[k]]
        if extra:
            text += f" ({', '.join(extra)})"
    return text


def collapse(data: GraphData, refs: dict, params, depth=True, expand: str | None = None,
             auto: bool = False) -> tuple[GraphData, dict[str, Group], CollapseInfo]:
    """The drawing of `data` grouped by module: (drawn data, its groups by node id, a note).

    ``depth``: True picks the deepest depth that keeps the drawing under MAX_NODES nodes; an int
    groups by the modules at that depth. ``expand`` names one module to draw opened. When nothing
    can be grouped, `data` comes back as it is, with a note that says why.
    """
    owners = Owners(data, refs, params)
    info = CollapseInfo(auto=auto, full_nodes=len(data.nodes), source=owners.source)
    present = {p[:i] for p in owners.of.values() for i in range(1, len(p) + 1)}
    info.expandable = [join(p) for p in sorted(present, key=lambda p: owners.order.get(p, len(owners.order)))]
    opened = None
    if expand is not None:
        opened = split(str(expand))
        if not opened or opened not in present:
            some = ", ".join(repr(n) for n in info.expandable[:8]) or "none: nothing was grouped"
            raise ValueError(f"expand={expand!r} is not a module in this graph. Modules here: {some}"
                             f"{', ...' if len(info.expandable) > 8 else ''}.")
        info.expand = str(expand)
    deepest = owners.max_depth()
    if deepest == 0:
        info.notes = [cannot_group(owners.source, params)]
        return data, {}, info
    longest = max((len(c) for c in owners.children.values()), default=1)

    def fitted(d: int, view: View | None = None) -> View:
        """The view at depth d, with runs of siblings grouped (2, 4, 8, ... per box) until it fits."""
        view = view or View(owners, d, opened, 1)
        run = 2
        while view.count > MAX_NODES and run <= 2 * longest:
            view = View(owners, d, opened, run)
            run *= 2
        return view

    if depth is True:
        # The deepest depth that fits as it is; failing that (a Sequential of 256 layers, or one
        # wrapper box that says nothing), the fitted view with the most boxes.
        views = {d: View(owners, d, opened, 1) for d in range(1, deepest + 1)}
        fits = [d for d, v in views.items() if v.count <= MAX_NODES]
        if fits and views[max(fits)].group_count >= 4:
            view = views[max(fits)]
        else:
            tried = [fitted(d, v) for d, v in views.items()]
            small = [v for v in tried if v.count <= MAX_NODES]
            view = max(small, key=lambda v: (v.group_count, v.count)) if small else min(tried, key=lambda v: v.count)
    else:
        view = fitted(max(1, min(int(depth), deepest)))
    info.depth, info.run, info.hidden_cuts = view.depth, view.run, view.hidden_cuts
    info.shown_nodes = len(view.data.nodes)
    info.placed = view.plan[2]
    info.notes = notes(info, view)
    return view.data, view.groups, info


def cannot_group(source: str, params) -> str:
    if params is None:
        return ("Not grouped by module: no module calls were recorded and no parameter names were given. "
                "Run the forward inside `with agv.watch():`, or pass params=model.")
    return ("Not grouped by module: no module calls were recorded (run the forward inside "
            "`with agv.watch():`), and no parameter belongs to a module of params.")


def notes(info: CollapseInfo, view: View) -> list[str]:
    opened = f", {info.expand} opened" if info.expand else ""
    if info.auto:
        first = (f"{info.full_nodes:,} nodes are too many to read, so modules are drawn collapsed "
                 f"(3-D boxes, depth {info.depth}{opened}): {info.shown_nodes} nodes.")
    else:
        first = (f"Modules drawn collapsed (3-D boxes, depth {info.depth}{opened}): "
                 f"{info.shown_nodes} of {info.full_nodes:,} nodes.")
    lines = [first]
    if info.run > 1:
        example = next((g.name.split(" (")[0] for g in view.groups.values() if len(g.modules) > 1), "")
        lines.append(f"Runs of up to {info.run} sibling modules share a box (e.g. {example}), with the ops between them.")
    if info.source == "names":
        lines.append("Not recorded under agv.watch(): an op joins a module when it uses the module's parameters, "
                     "or ran between the module's first and last such op. Run the forward inside "
                     "`with agv.watch():` to group every op by the module call that made it.")
    if info.hidden_cuts:
        lines.append(f"Inputs with no history inside a module ({info.hidden_cuts}) are not drawn; "
                     "expand the module to see them.")
    groups = sorted(view.groups.values(), key=lambda g: view.owners.order.get(split(g.modules[0]), 0))
    singles = [g.modules[0] for g in groups if len(g.modules) == 1]
    example = next((m for m in singles if split(m) in view.owners.parents), None)
    example = example or (singles[0] if singles else (groups[0].modules[0] if groups else None))
    lines.append("draw(..., collapse=False) draws every node"
                 + (f"; expand={example!r} opens one module." if example else "."))
    return [w for line in lines for w in textwrap.wrap(line, 100, break_on_hyphens=False)]
