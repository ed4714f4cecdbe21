"""Turn GraphData into a picture: Graphviz DOT and SVG.

Styled like torchviz (its node attributes, colours and ``resize_graph``), plus what torchviz
leaves out: parameters that get no gradient, cuts, a legend and a one-paragraph summary, drawn
inside the picture so a static viewer shows them too.
"""
from __future__ import annotations

import base64
import html
import textwrap
from collections import defaultdict

import graphviz
from torchviz.dot import resize_graph

from .graph import KINDS, GraphData, walk

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
}
EDGE_STYLE = {"data": {}, "saved": dict(dir="none"), "view": dict(style="dotted")}
WRAPPED = {"frozen", "no_path", "no_history"}  # kinds whose labels are sentences


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


def summarize(data: GraphData) -> list[str]:
    """A few plain sentences: what was recorded, who gets .grad, who does not and why."""
    ops = len(data.of_kind("op"))
    lines = [f"{ops} backward op{'s' if ops != 1 else ''} recorded."]
    leaves = data.of_kind("leaf")
    if leaves:
        named = [n.name for n in leaves if n.name]
        unnamed = len(leaves) - len(named)
        who = ", ".join(named + ([f"{unnamed} unnamed leaf tensor{'s' * (unnamed > 1)}"] if unnamed else []))
        lines.append(f"Gets .grad: {who}.")
    by_reason = defaultdict(list)
    for n in data.of_kind("frozen", "no_path"):
        by_reason[n.label.rsplit("\n", 1)[1]].append(n.name)
    for reason, names in by_reason.items():
        lines.append(f"No .grad for {', '.join(names)} ({reason}).")
    for n in data.of_kind("no_history"):
        lines.append(f"No graph behind this output: {n.label}.")
    return lines


def legend(data: GraphData) -> str:
    """An HTML-like Graphviz label: a colour key for the kinds of node present."""
    rows = "".join(f'<tr><td bgcolor="{STYLE[k]["fillcolor"]}" border="1" fixedsize="true" width="24" height="14"></td>'
                   f'<td align="left">{html.escape(KINDS[k])}</td></tr>'
                   for k in KINDS if data.of_kind(k))
    return f'<<table border="0" cellborder="0" cellspacing="2" cellpadding="1">{rows}</table>>'


def to_dot(data: GraphData) -> graphviz.Digraph:
    dot = graphviz.Digraph(node_attr=NODE_ATTR, graph_attr=dict(size="12,12"))
    for node in data.nodes:
        if node.kind in ("frozen", "no_path"):
            continue  # drawn below, grouped
        label = wrap(node.label) if node.kind in WRAPPED else node.label
        dot.node(node.id, label, **STYLE[node.kind])
    no_grad = data.of_kind("frozen", "no_path")
    if no_grad:
        with dot.subgraph(name="cluster_no_grad") as box:
            box.attr(label="will get no .grad", style="dashed", fontname="monospace", fontsize="10")
            for node in no_grad:
                box.node(node.id, wrap(node.label), **STYLE[node.kind])
    for edge in data.edges:
        dot.edge(edge.src, edge.dst, **EDGE_STYLE[edge.style])
    # The key sits on the bottom rank beside the output; the summary is the graph's caption.
    with dot.subgraph() as bottom:
        bottom.attr(rank="sink")
        bottom.node("legend", legend(data), shape="plaintext", style="", fontname="monospace", fontsize="9")
    caption = "".join(line + "\\l" for line in summarize(data))
    dot.attr(label=caption, labelloc="b", labeljust="l", fontname="monospace", fontsize="10")
    resize_graph(dot)
    return dot


class Graph:
    """An annotated autograd graph. Shows itself in Jupyter; ``.source``, ``.svg()``, ``.nodes``."""

    def __init__(self, data: GraphData):
        self.data = data
        self.dot = to_dot(data)
        self._rendered: dict[str, bytes] = {}

    @property
    def nodes(self):
        return self.data.nodes

    @property
    def source(self) -> str:
        return self.dot.source

    @property
    def summary(self) -> str:
        return "\n".join(summarize(self.data))

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
         max_attr_chars: int = 50) -> Graph:
    """Draw the autograd graph behind ``outputs`` (a tensor, or a tuple/list/dict of tensors).

    ``params`` (an nn.Module, or a dict of name -> tensor or module) names the parameters and
    shows those that will get no gradient, with the reason, instead of letting them vanish.
    ``show_saved``/``show_attrs`` show what each op saved for backward (draw before backward()).
    """
    return Graph(walk(outputs, params, show_saved=show_saved, show_attrs=show_attrs,
                      max_attr_chars=max_attr_chars))
