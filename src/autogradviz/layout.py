"""The shape of a drawing: will it be readable in a notebook, and how to make a big one readable.

A learner sees a graph at its natural size in a JupyterLab output about 1,000 px wide; anything
wider is shrunk to fit, and its labels with it. So a drawing may grow tall, not wide. Here, before
Graphviz runs:

* ``too_big``: an estimate of the drawing's size from its ranks (the longest path to an output);
* ``no_grad_boxes``: the parameters that get no .grad, summarised into a few boxes (by module,
  runs of sibling modules, then "... and N more"), drawn in rows of ``ROW`` by render.py;
* ``fold``: runs of identical ops become one node ("AddBackward0 × 19,998");
* ``cap``: the nodes nearest the outputs, and one note node for the rest.

Nothing here knows about Graphviz or torch.
"""
from __future__ import annotations

from collections import Counter, defaultdict

from .graph import Edge, GraphData, Node

NO_GRAD = ("frozen", "no_path")
MAX_RANKS = 45        # about 2,000 px tall at Graphviz's default spacing
MAX_WIDTH_PT = 700    # about 950 px: wider is shrunk in a notebook output
MAX_NODES = 300       # more nodes than this is never read node by node
CAP, HARD_CAP = 60, 1000  # nodes drawn at most: when nothing else helped; with collapse=False
ROW = 3               # no-.grad boxes per row, below the output: about as wide as the caption
MOST_NO_GRAD = 9      # no-.grad boxes at most (three rows)
CHAR_PT, BOX_PT = 6.0, 34.0  # a 10 pt monospace character; a box's padding plus the gap beside it


def label_width(label: str, wrap: int = 30) -> float:
    return CHAR_PT * min(wrap, max(len(line) for line in label.split("\n"))) + BOX_PT


def ranks(data: GraphData) -> dict[str, int]:
    """Each node's rank: the longest path from it to a node with no consumer (an output)."""
    consumers = defaultdict(list)
    waiting = Counter()
    for e in data.edges:
        consumers[e.src].append(e.dst)
        waiting[e.src] += 1
    rank = {}
    ready = [n.id for n in data.nodes if not waiting[n.id]]
    inputs = defaultdict(list)
    for e in data.edges:
        inputs[e.dst].append(e.src)
    while ready:
        nid = ready.pop()
        rank[nid] = max((rank[c] + 1 for c in consumers[nid]), default=0)
        for src in inputs[nid]:
            waiting[src] -= 1
            if not waiting[src]:
                ready.append(src)
    return rank


def too_big(data: GraphData) -> bool:
    """Would the drawing be too tall or too wide to read at its natural size?"""
    if len(data.nodes) > MAX_NODES:
        return True
    rank = ranks(data)
    if max(rank.values(), default=0) > MAX_RANKS:
        return True
    width = Counter()
    for n in data.nodes:
        if n.kind not in NO_GRAD:
            width[rank.get(n.id, 0)] += label_width(n.label)
    return max(width.values(), default=0) > MAX_WIDTH_PT


def no_grad_boxes(data: GraphData) -> list[Node]:
    """The parameters that get no .grad, as at most MOST_NO_GRAD boxes.

    The walk gives one box per layer and reason. When there are more than four: one box per
    outermost module whose parameters all share one reason, runs of sibling modules with the same
    reason sharing one ("blocks.0–19"), and past MOST_NO_GRAD, one box for the rest.
    """
    layers = data.of_kind(*NO_GRAD)
    if len(layers) <= 4:
        return layers
    state = {name: "grad" for name in data.names}  # a parameter in no box gets .grad
    for n in layers:
        state.update(dict.fromkeys(n.name.split(", "), (n.kind, reason(n))))
    inside = defaultdict(set)  # module -> the states of the parameters in it
    for name, st in state.items():
        for module in modules_around(name):
            inside[module].add(st)
    runs: list = []  # [state, parent, [modules], [parameters]]: sibling modules in a row, one reason
    for name, st in state.items():
        module = next((m for m in modules_around(name) if len(inside[m]) == 1), name)  # the outermost
        parent = module.rpartition(".")[0]
        if st == "grad":
            runs.append(None)  # a parameter that gets .grad ends a run
        elif runs and runs[-1] and runs[-1][:2] == [st, parent]:
            runs[-1][2] += [] if runs[-1][2][-1] == module else [module]
            runs[-1][3].append(name)
        else:
            runs.append([st, parent, [module], [name]])
    runs = [r for r in runs if r]
    boxes = layers if len(runs) >= len(layers) else [  # summarising gains nothing: the walk's boxes, shapes and all
        Node(f"ng{i}", st[0], f"{span(modules)}\n{plural(len(names), 'param')}\n{st[1]}", ", ".join(names))
        for i, (st, _, modules, names) in enumerate(runs)]
    if len(boxes) <= MOST_NO_GRAD:
        return boxes
    rest = boxes[MOST_NO_GRAD - 1:]
    names = ", ".join(b.name for b in rest)
    kinds = {b.kind for b in rest}
    return boxes[:MOST_NO_GRAD - 1] + [Node("ng_more", kinds.pop() if len(kinds) == 1 else "frozen", f"... and {len(rest)} "
                                            f"more groups\n{plural(len(names.split(', ')), 'param')}\n(listed below the graph)", names)]


def modules_around(name: str) -> list[str]:
    """ "a.b.weight" -> ["a", "a.b"]: the modules that hold a parameter, outermost first."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def reason(node: Node) -> str:
    return node.label.rsplit("\n", 1)[1]


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'s' * (n != 1)}"


def span(keys: list[str]) -> str:
    """ "blocks.0–19" for numbered siblings; "layer4.4.conv1, bn1, conv2" for a few others."""
    if len(keys) == 1:
        return keys[0]
    parent, _, first = keys[0].rpartition(".")
    lasts = [k[len(parent) + 1:] if parent else k for k in keys]
    head = f"{parent}." if parent and all(k.startswith(parent + ".") for k in keys) else ""
    if not head and parent:
        return f"{keys[0]} … {keys[-1]}"
    if first.isdigit() and lasts[-1].isdigit():
        return f"{head}{first}–{lasts[-1]}"
    return head + (", ".join(lasts) if len(keys) <= 4 else f"{first} … {lasts[-1]}")


def fold(data: GraphData) -> tuple[GraphData, int]:
    """Runs of identical ops, each feeding only the next, drawn as one node ("AddBackward0 × 19,998").

    Also folds what hangs off a run (its cuts, its saved tensors) into one node per kind. Returns the
    new graph and how many nodes were folded away.
    """
    kind = {n.id: n.kind for n in data.nodes}
    label = {n.id: n.label for n in data.nodes}
    consumers = defaultdict(list)  # data edges only: a saved tensor hangs off its op
    for e in data.edges:
        if e.style == "data":
            consumers[e.src].append(e)
    head = {}  # node -> the last node of its run (nearest the output), for the nodes of a run
    for n in data.nodes:  # the walk's order: a node's only consumer comes before it
        out = consumers[n.id]
        if n.kind == "op" and len(out) == 1 and label[out[0].dst] == n.label and kind[out[0].dst] == "op":
            head[n.id] = head.get(out[0].dst, out[0].dst)
    size = Counter(head.values())
    place = {nid: h for nid, h in head.items() if size[h] >= 2}
    place.update({h: h for h, k in size.items() if k >= 2})
    hanging = {}  # a run's cuts and saved tensors: one node per kind and label
    for e in data.edges:
        inner, outer = (e.dst, e.src) if e.dst in place else (e.src, e.dst)
        if inner in place and outer not in place and kind[outer] in ("cut", "saved") and len(consumers[outer]) <= 1:
            key = (place[inner], kind[outer], label[outer])
            place[outer] = hanging.setdefault(key, f"{place[inner]}_{len(hanging)}")
    if not place:
        return data, 0
    counts = Counter(place.values())
    g = GraphData(names=data.names)
    done = set()
    for n in data.nodes:
        new = place.get(n.id, n.id)
        if new in done:
            continue
        done.add(new)
        times = counts.get(new, 1)
        text = f"{n.label} × {times:,}" if times > 1 else n.label
        g.nodes.append(Node(new, n.kind, text, n.name))
    seen = set()
    for e in data.edges:
        src, dst = place.get(e.src, e.src), place.get(e.dst, e.dst)
        if src != dst and (src, dst, e.style) not in seen:
            seen.add((src, dst, e.style))
            g.edges.append(Edge(src, dst, e.style))
    return g, len(data.nodes) - len(g.nodes)


def cap(data: GraphData, most: int) -> tuple[GraphData, int]:
    """The ``most`` nodes nearest the outputs (the walk's order), and a note for the rest."""
    keep = {n.id for n in data.nodes[:most]} | {n.id for n in data.of_kind(*NO_GRAD)}
    left_out = len(data.nodes) - len(keep)
    if left_out <= 0:
        return data, 0
    g = GraphData(nodes=[n for n in data.nodes if n.id in keep], names=data.names)
    note = Node("more", "more", f"... {left_out:,} more nodes\nnot drawn: the graph goes on")
    g.nodes.append(note)
    cut_off = set()
    for e in data.edges:
        if e.src in keep and e.dst in keep:
            g.edges.append(e)
        elif e.dst in keep and e.dst not in cut_off:
            cut_off.add(e.dst)
            g.edges.append(Edge(note.id, e.dst))
    return g, left_out



def shrink(data: GraphData, every: bool) -> tuple[GraphData, list[str]]:
    """A graph still too big to read: runs of identical ops folded, then capped at CAP nodes.
    Every node (collapse=False) is only capped, at HARD_CAP: Graphviz takes minutes for 20,000."""
    notes = []
    if not every and len(data.nodes) > CAP:
        data, folded = fold(data)
        if folded:
            notes.append(f"Runs of identical ops are drawn as one node (\"× 100\"): {folded:,} nodes folded away.")
    most = HARD_CAP if every else CAP
    if len(data.nodes) > most:
        data, left_out = cap(data, most)
        notes.append(f"Only the {most:,} nodes nearest the output are drawn; {left_out:,} more are not "
                     f"({'Graphviz would take minutes to lay them all out' if every else 'no picture of them all would be readable'}).")
    return data, notes
