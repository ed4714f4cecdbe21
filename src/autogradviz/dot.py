"""GraphData -> Graphviz DOT, in torchviz's look (its node attributes, colours and sizing), plus
what torchviz leaves out: parameters that get no gradient (a few boxes, in rows), cuts, a key and
a caption, drawn inside the picture so that a static viewer shows them too.
"""
from __future__ import annotations

import html
import textwrap
from collections import Counter
from dataclasses import dataclass

import graphviz
from torchviz.dot import resize_graph

from .graph import KINDS, GraphData
from .layout import NO_GRAD, ROW, no_grad_boxes, plural

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
EDGE_STYLE = {"data": {}, "saved": dict(dir="none"), "view": dict(style="dotted"),
              # a gradient a traced backward sent along the edge (earlier steps, this step): the
              # arrow turns round, to point the way the gradient went
              "grad": dict(color="#7b3fb5", fontcolor="#5b2a86", fontsize="9", fontname="monospace", penwidth="1.5", dir="back"),
              "grad_now": dict(color="#d62728", fontcolor="#b01c1c", fontsize="9", fontname="monospace", penwidth="2.5", dir="back")}
# Marks laid over a node's own style: where a traced backward is (trace.py), with their keys.
MARKS = {"done": dict(fillcolor="#e6d8f5"), "now": dict(fillcolor="#ffd166", color="#d62728", penwidth="3")}
MARK_KEYS = {"now": "running at this step (red: what it sends)", "done": "already ran (purple: what it sent)"}
WRAPPED = {"frozen", "no_path", "no_history", "more"}  # kinds whose labels are sentences


COLOURS = {"grad": "lightblue", "frozen": "#dde3ea", "no_path": "#f6c0c0", "none": "lightgrey"}


@dataclass
class Group:
    """A collapsed module's box: the call, or run of sibling calls, it stands for (collapse.py)."""
    name: str
    modules: list[str]
    params: Counter  # "grad" / "frozen" / "no_path" -> how many of its modules' parameters
    inner: bool      # it holds other calls: expand= shows them
    ops: int = 0
    saved: int = 0

    def fill(self) -> str:
        """Graphviz fillcolor: the share of its parameters that get .grad / are frozen / have no path."""
        parts = [(COLOURS[k], self.params[k] / sum(self.params.values())) for k in COLOURS if self.params[k]]
        if len(parts) <= 1:
            return parts[0][0] if parts else COLOURS["none"]
        return ":".join(f"{c};{w:.2f}" for c, w in parts[:-1]) + ":" + parts[-1][0]

    def label(self) -> str:
        total, odd = sum(self.params.values()), [f"{self.params[k]} {k.replace('_', ' ')}" for k in NO_GRAD if self.params[k]]
        return (f"{self.name}\n{plural(self.ops, 'op')}" + (f" · {plural(total, 'param')}" if total else "")
                + (f" ({', '.join(odd)})" if odd else "") + (f" · {self.saved} saved" if self.saved else ""))


def wrap(label: str, width: int = 30) -> str:
    return "\n".join(textwrap.fill(line, width) for line in label.split("\n"))


# Dashed like the nodes. Not rounded: a dashed rounded cell this small shows gaps on its sides and
# overlaps the next row, so it looked clipped.
SWATCH_STYLE = {"cut": ' style="dashed"', "frozen": ' style="dashed"', "no_path": ' style="dashed"'}


def legend(data: GraphData, groups: dict | None = None, marks: dict | None = None) -> str:
    """An HTML-like Graphviz label: a colour key for the kinds of node present, for the colours
    of the collapsed modules (blue: gets .grad, ...) and for the marks of a traced backward."""
    marks = marks or {}
    painted = {{"grad": "leaf"}.get(k, k) for g in (groups or {}).values() for k in g.params}
    keys = [(STYLE[k]["fillcolor"], SWATCH_STYLE.get(k, ""), KINDS[k]) for k in KINDS
            if k in painted or any(n.id not in marks for n in data.of_kind(k))]  # all marked: shown in the marks' colours
    keys += [(MARKS[m]["fillcolor"], "", MARK_KEYS[m]) for m in MARK_KEYS if m in marks.values()]
    rows = "".join(f'<tr><td bgcolor="{fill}" border="1"{swatch} fixedsize="true" '
                   f'width="24" height="14"></td><td align="left">{html.escape(text)}</td></tr>'
                   for fill, swatch, text in keys)
    return f'<<table border="0" cellborder="0" cellspacing="4" cellpadding="1">{rows}</table>>'


def to_dot(data: GraphData, caption: list[str], groups: dict | None = None, fit: bool = False,
           marks: dict | None = None) -> graphviz.Digraph:
    """DOT for the graph, with ``caption`` below it; ``groups`` (collapse.Group by node id) paints the
    collapsed modules; ``marks`` (node id -> "done" or "now") shows where a traced backward is.
    Drawn at its natural size, so that labels stay readable (a tall picture scrolls), or with
    ``fit``, scaled down as torchviz does (collapse=False: every node)."""
    dot = graphviz.Digraph(node_attr=NODE_ATTR)
    quoted: dict[tuple, str] = {}  # (label, style) -> its attribute list: graphviz's quoting was most of to_dot
    for node in data.nodes:
        if node.kind in ("frozen", "no_path"):
            continue  # drawn below, grouped
        label = wrap(node.label) if node.kind in WRAPPED else node.label
        style = STYLE[node.kind]
        if groups and node.id in groups:
            style = dict(style, fillcolor=groups[node.id].fill())
        if marks and node.id in marks:
            style = dict(style, **MARKS[marks[node.id]])
        key = (label, *style.items())
        attrs = quoted[key] if key in quoted else quoted.setdefault(key, dot._attr_list(label, kwargs=style))
        dot.body.append(f"\t{node.id}{attrs}\n")  # as dot.node() writes it; ids are n0, n1, ...: nothing to quote
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
    # merged no-grad boxes have ids of their own: an edge to a leaf drawn inside one is left out
    drawn = {n.id for n in data.nodes if n.kind not in ("frozen", "no_path")} | {n.id for n in no_grad}
    for edge in data.edges:
        if edge.src in drawn and edge.dst in drawn and edge.style == "data" and not edge.label:
            dot.body.append(f"\t{edge.src} -> {edge.dst}\n")  # the common edge, as dot.edge() writes it
        elif edge.src in drawn and edge.dst in drawn:
            dot.edge(edge.src, edge.dst, **EDGE_STYLE[edge.style], **({"label": f" {edge.label} "} if edge.label else {}))
    # The key sits on the bottom rank beside the output; the summary is the graph's caption.
    with dot.subgraph() as bottom:
        bottom.attr(rank="sink")
        bottom.node("legend", legend(data, groups, marks), shape="plaintext", style="", fontname="monospace", fontsize="9")
    # wrapped, so a long sentence does not make the picture wider than the graph needs
    caption = "".join(part + "\\l" for line in caption for part in textwrap.wrap(line, 100, subsequent_indent="  "))
    dot.attr(label=caption, labelloc="b", labeljust="l", fontname="monospace", fontsize="10")
    if fit:
        resize_graph(dot)  # torchviz's sizing: at most 12 inches, more for many nodes
    if groups:
        dot.graph_attr.update(ranksep="0.3")  # room for the boxes' 3-D edges
    return dot


