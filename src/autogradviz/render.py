"""Turn GraphData into a picture: Graphviz DOT and SVG.

Styled like torchviz (its node attributes, colours and ``resize_graph``), plus what torchviz
leaves out: parameters that get no gradient, cuts, a legend and a one-paragraph summary, drawn
inside the picture so a static viewer shows them too.
"""
from __future__ import annotations

import base64
import html
import re
import textwrap
from collections import defaultdict

import graphviz
from torchviz.dot import resize_graph

from .collapse import CollapseInfo, Group, collapse as group_by_module
from .graph import KINDS, GraphData, no_gc, walk
from .layout import MAX_NODES, ROW, no_grad_boxes, shrink, too_big

OUTPUT_PX = 1000      # a JupyterLab output is about this wide; a wider picture is shrunk to fit it
READABLE_PX = 11.0    # a 10 pt label is 13.3 px at natural size; smaller than this, collapse instead
MEASURED_FROM = 40    # graphs of more nodes are laid out once to see whether they are readable

# torchviz's node attributes, so our pictures look like the ones learners already know.
NODE_ATTR = dict(style="filled", shape="box", align="left", fontsize="10", ranksep="0.1",
                 height="0.2", fontname="monospace")

# torchviz's colours for what it draws; ours for what it leaves out.
STYLE = {
    "output": dict(fillcolor="darkolivegreen1"),
    "op": dict(fillcolor="lightgrey"),
    "leaf": dict(fillcolor="lightblue"),
    "saved": dict(fillcolor="orange"),
    "view_base": dict(fillcolor="darkolivegreen3"),
    "cut": dict(fillcolor="white", style="dashed", shape="ellipse", fontsize="8"),
    "frozen": dict(fillcolor="#dde3ea", style="filled,dashed"),
    "no_path": dict(fillcolor="#f6c0c0", style="filled,dashed"),
    "no_history": dict(fillcolor="lightyellow", shape="note"),
    "module": dict(fillcolor="lightblue", shape="box3d"),
    "more": dict(fillcolor="white", shape="note"),
}
EDGE_STYLE = {"data": {}, "saved": dict(dir="none"), "view": dict(style="dotted")}
WRAPPED = {"frozen", "no_path", "no_history", "more"}  # kinds whose labels are sentences


class GraphvizMissing(RuntimeError):
    """Graphviz's ``dot`` program is not installed; ``.source`` still works without it."""


MISSING_DOT = (
    "Graphviz's `dot` program is needed to draw the picture, and it is not on PATH. Install it: "
    "`sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS) or "
    "`conda install -c conda-forge graphviz`; then restart the kernel. "
    "`python -m autogradviz doctor` checks it. Meanwhile `.source` gives the DOT text."
)


def wrap(label: str, width: int = 30) -> str:
    return "\n".join(textwrap.fill(line, width) for line in label.split("\n"))


def some(names: list[str], most: int = 16) -> str:
    """A list of names, shortened when it is long (a 128-layer model has 256 parameters)."""
    if len(names) <= most:
        return ", ".join(names)
    return ", ".join(names[:6]) + f", ... and {len(names) - 6} more"


def summarize(data: GraphData) -> list[str]:
    """A few plain sentences: what was recorded, who gets .grad, who does not and why."""
    ops = len(data.of_kind("op"))
    lines = [f"{ops} backward op{'s' if ops != 1 else ''} recorded."]
    leaves = data.of_kind("leaf")
    if leaves:
        named = [n.name for n in leaves if n.name]
        unnamed = len(leaves) - len(named)
        who = some(named) + (", " if named and unnamed else "")
        who += f"{unnamed} unnamed leaf tensor{'s' * (unnamed > 1)}" if unnamed else ""
        lines.append(f"Gets .grad: {who}.")
    by_reason = defaultdict(list)
    for n in data.of_kind("frozen", "no_path"):
        by_reason[n.label.rsplit("\n", 1)[1]].append(n.name)
    for reason, names in by_reason.items():
        lines.append(f"No .grad for {some(', '.join(names).split(', '))} ({reason}).")
    for n in data.of_kind("no_history"):
        lines.append(f"No graph behind this output: {n.label}.")
    lines += [f"{n.label[4:].capitalize()}; the rest is not drawn." for n in data.of_kind("more")]
    return lines


# Dashed like the nodes. Not rounded: a dashed rounded cell this small shows gaps on its sides and
# overlaps the next row, so it looked clipped.
SWATCH_STYLE = {"cut": ' style="dashed"', "frozen": ' style="dashed"', "no_path": ' style="dashed"'}


def legend(data: GraphData, groups: dict[str, Group] | None = None) -> str:
    """An HTML-like Graphviz label: a colour key for the kinds of node present, and for the colours
    of the collapsed modules (blue: gets .grad, ...)."""
    painted = {{"grad": "leaf"}.get(k, k) for g in (groups or {}).values() for k in g.params}
    rows = "".join(f'<tr><td bgcolor="{STYLE[k]["fillcolor"]}" border="1"{SWATCH_STYLE.get(k, "")} fixedsize="true" '
                   f'width="24" height="14"></td><td align="left">{html.escape(KINDS[k])}</td></tr>'
                   for k in KINDS if k in painted or data.of_kind(k))
    return f'<<table border="0" cellborder="0" cellspacing="4" cellpadding="1">{rows}</table>>'


def to_dot(data: GraphData, caption: list[str] | None = None,
           groups: dict[str, Group] | None = None) -> graphviz.Digraph:
    """DOT for the graph; ``caption`` defaults to its summary; ``groups`` styles collapsed modules."""
    dot = graphviz.Digraph(node_attr=NODE_ATTR, graph_attr=dict(size="12,12"))
    for node in data.nodes:
        if node.kind in ("frozen", "no_path"):
            continue  # drawn below, grouped
        label = wrap(node.label) if node.kind in WRAPPED else node.label
        style = STYLE[node.kind]
        if groups and node.id in groups:
            style = dict(style, fillcolor=groups[node.id].fill())
        dot.node(node.id, label, **style)
    no_grad = no_grad_boxes(data)
    if no_grad:  # a few boxes in rows of ROW, below the output and above the key: never far sideways
        with dot.subgraph(name="cluster_no_grad") as box:
            box.attr(label="will get no .grad", style="dashed", fontname="monospace", fontsize="10")
            for i, node in enumerate(no_grad):
                box.node(node.id, wrap(node.label), **STYLE[node.kind])
                if i >= ROW:
                    box.edge(no_grad[i - ROW].id, node.id, style="invis")
        above = next((n.id for n in data.nodes if n.kind == "output"), None)
        for node in no_grad[:ROW] if above else ():
            dot.edge(above, node.id, style="invis")
        for node in no_grad[-ROW:]:
            dot.edge(node.id, "legend", style="invis")
    drawn = {n.id for n in data.nodes}
    for edge in data.edges:
        if edge.src in drawn and edge.dst in drawn:
            dot.edge(edge.src, edge.dst, **EDGE_STYLE[edge.style])
    # The key sits on the bottom rank beside the output; the summary is the graph's caption.
    with dot.subgraph() as bottom:
        bottom.attr(rank="sink")
        bottom.node("legend", legend(data, groups), shape="plaintext", style="", fontname="monospace", fontsize="9")
    lines = summarize(data) if caption is None else caption
    # wrapped, so a long sentence does not make the picture wider than the graph needs
    caption = "".join(part + "\\l" for line in lines for part in textwrap.wrap(line, 100, subsequent_indent="  "))
    dot.attr(label=caption, labelloc="b", labeljust="l", fontname="monospace", fontsize="10")
    if groups is None:
        resize_graph(dot)  # torchviz's sizing: every node of a big graph, scaled down
    else:  # a collapsed view has few nodes: drawn at its natural size, so its labels stay readable
        dot.graph_attr.pop("size", None)
        dot.graph_attr.update(ranksep="0.3")
    return dot


class Graph:
    """An annotated autograd graph. Shows itself in Jupyter; ``.source``, ``.svg()``, ``.nodes``."""

    def __init__(self, data: GraphData, full: GraphData | None = None, collapse: CollapseInfo | None = None,
                 groups: dict[str, Group] | None = None, notes: list[str] | None = None):
        self.data = data                        # what is drawn
        self.full = data if full is None else full  # every node (differs when collapsed or folded)
        self.collapse = collapse                # how it was collapsed, when it was asked or needed
        self.groups = groups or {}              # node id -> the module(s) a collapsed node stands for
        self.notes = notes or []                # how a huge graph was made smaller, if it was
        self.dot = to_dot(data, self.caption(), self.groups if self.collapsed or data is not self.full else None)
        self._rendered: dict[str, bytes] = {}

    def caption(self) -> list[str]:
        return summarize(self.full) + (self.collapse.notes if self.collapse else []) + self.notes

    @property
    def nodes(self):
        return self.data.nodes

    @property
    def collapsed(self) -> bool:
        """True when modules are drawn as single nodes (see ``.collapse`` for how)."""
        return bool(self.collapse and self.collapse.collapsed)

    @property
    def source(self) -> str:
        return self.dot.source

    @property
    def summary(self) -> str:
        return "\n".join(self.caption())

    def label_px(self) -> float:
        """How many pixels tall a 10 pt label shows in a notebook output OUTPUT_PX wide."""
        svg = self.svg()
        width = float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1)) * 4 / 3
        scale = re.search(r'transform="scale\(([\d.]+)', svg)
        return 10 * 4 / 3 * (float(scale.group(1)) if scale else 1.0) * min(1.0, OUTPUT_PX / width)

    def _render(self, fmt: str) -> bytes:
        if fmt not in self._rendered:
            try:
                self._rendered[fmt] = self.dot.pipe(format=fmt)
            except graphviz.ExecutableNotFound:
                raise GraphvizMissing(MISSING_DOT) from None
        return self._rendered[fmt]

    def svg(self) -> str:
        return self._render("svg").decode("utf-8")

    def png(self) -> bytes:
        return self._render("png")

    def _repr_mimebundle_(self, include=None, exclude=None):
        # SVG for JupyterLab; PNG too, because JupyterLab renders no SVG from a notebook it does
        # not trust yet (any notebook just cloned), and PNG is what it shows then.
        try:
            return {"image/svg+xml": self.svg(), "image/png": base64.b64encode(self.png()).decode(),
                    "text/plain": self.summary}
        except GraphvizMissing as e:
            return {"text/plain": f"{e}\n\n{self.summary}"}

    def __repr__(self) -> str:
        return self.summary


def draw(outputs, params=None, *, show_saved: bool = False, show_attrs: bool = False,
         max_attr_chars: int = 50, collapse: bool | int | None = None, expand: str | None = None) -> Graph:
    """Draw the autograd graph behind ``outputs`` (a tensor, or a tuple/list/dict of tensors).

    ``params`` (an nn.Module, or a dict of name -> tensor or module) names the parameters and
    shows those that will get no gradient, with the reason, instead of letting them vanish.
    ``show_saved``/``show_attrs`` show what each op saved for backward (draw before backward()).

    ``collapse`` draws one box per module call: an int draws the calls at that depth as boxes (1:
    the children of ``params``), True picks a depth, False draws every node. By default a graph
    too big to read at its natural size is collapsed (the caption says so), and a huge graph with no
    modules has its runs of identical ops folded. ``expand="layer3"`` draws that one module in more
    detail than the rest. Grouping is exact for a forward run inside ``with agv.watch():``.
    """
    if collapse is not None and not isinstance(collapse, (bool, int)):
        raise TypeError(f"collapse takes True, False, None or a depth (an int), not {type(collapse).__name__}.")
    if collapse is not None and collapse is not True and collapse < 0:
        raise ValueError(f"collapse={collapse} is not a depth: pass 1 for the children of the model, 2 for "
                         "their children, ...; True to pick a depth; False (or 0) to draw every node.")
    if expand is not None and not isinstance(expand, str):
        raise TypeError(f"expand takes a module's name, like expand='layer3', not {type(expand).__name__}.")
    if expand is not None and (collapse is False or collapse == 0):
        raise ValueError("expand= opens one module of a collapsed drawing; it cannot go with collapse=False.")
    with no_gc():  # the collector would re-scan a 100,000-node graph again and again
        return _draw(outputs, params, show_saved, show_attrs, max_attr_chars, collapse, expand)


def _draw(outputs, params, show_saved, show_attrs, max_attr_chars, collapse, expand) -> Graph:
    every = collapse is False or collapse == 0
    refs: dict = {}
    data = walk(outputs, params, show_saved=show_saved, show_attrs=show_attrs,
                max_attr_chars=max_attr_chars, refs=None if every else refs)
    if every:
        drawn, notes = shrink(data, every=True)
        return Graph(drawn, full=data, notes=notes)
    full = None
    if collapse is None and expand is None and not too_big(data):
        full = Graph(data)  # readable as it is? For a middle-sized graph, lay it out once and see
        if len(data.nodes) <= MEASURED_FROM or readable(full):
            return full
    drawn, groups, info = group_by_module(data, refs, params, True if collapse is None else collapse, expand,
                                          auto=collapse is None)
    if info.auto and not info.collapsed and len(data.nodes) <= MAX_NODES:
        return full or Graph(data)  # nothing to group, and not huge: drawn as it is
    drawn, notes = shrink(drawn, every=False)
    return Graph(drawn, full=data, collapse=info, groups=groups, notes=notes)


def readable(graph: Graph) -> bool:
    try:
        return graph.label_px() >= READABLE_PX
    except GraphvizMissing:
        return True  # drawn as it is; the error comes when it is shown
