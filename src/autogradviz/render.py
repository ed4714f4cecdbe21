"""draw(): the picture of an autograd graph, as a Graph that shows itself in Jupyter (SVG, PNG).

It walks the graph (graph.py), decides from the whole drawing whether it is readable as it is, or
is drawn one box per module call (collapse.py), or folded and capped (layout.py), writes a caption,
and lays it out with Graphviz (dot.py).
"""
from __future__ import annotations

import base64
import contextlib
import gc
import re
import textwrap
from collections import defaultdict

import graphviz

from . import dot_process
from .collapse import CollapseInfo, collapse as group_by_module, groupable
from .dot import STYLE, Group, to_dot  # noqa: F401 (STYLE: agv.render.STYLE, as before dot.py)
from .graph import GraphData, walk
from .layout import MAX_NODES, shrink, too_big

OUTPUT_PX = 1000      # a JupyterLab output is about this wide; a wider picture is shrunk to fit it
READABLE_PX = 11.0    # a 10 pt label is 13.3 px at natural size; smaller than this, collapse instead
MEASURED_FROM = 40    # graphs of more nodes are laid out once to see whether they are readable

class GraphvizMissing(RuntimeError):
    """Graphviz's ``dot`` program is not installed; ``.source`` still works without it."""


MISSING_DOT = (
    "Graphviz's `dot` program is needed to draw the picture, and it is not on PATH. Install it: "
    "`sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS) or "
    "`conda install -c conda-forge graphviz`; then restart the kernel. "
    "`python -m autogradviz doctor` checks it. Meanwhile `.source` gives the DOT text."
)


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


def collapse_notes(info: CollapseInfo, groups: dict[str, Group]) -> list[str]:
    """What a collapsed drawing leaves out, and how to see it."""
    if not info.collapsed:
        return [f"Not grouped by module: {info.reason}"]
    how = f"3-D boxes, one per module call, depth {info.depth}{f', {info.expand} opened' if info.expand else ''}"
    lines = [f"The full graph ({info.full_nodes:,} nodes) is too big to read, so modules are drawn collapsed "
             f"({how}): {info.shown_nodes} nodes." if info.auto else
             f"Modules drawn collapsed ({how}): {info.shown_nodes} of {info.full_nodes:,} nodes."]
    runs = [g.name.split(" (")[0] for g in groups.values() if len(g.modules) > 1]
    lines += [f"Runs of up to {info.run} sibling calls share a box (e.g. {runs[0]}), with the ops between them."] if runs else []
    lines += ["Not recorded under agv.watch(): a module's box holds its parameters and the op that uses them. Run "
              "the forward inside `with agv.watch():` to group every op by the call that made it."] * (info.source == "names")
    lines += ["Some calls are drawn opened: their ops interleave with other calls' ops."] * info.opened
    saved = sum(g.saved for g in groups.values())
    lines += [f"{saved} saved tensor{'s are' if saved > 1 else ' is'} counted in their module's box (\"saved\"); expand a "
              "module or draw with collapse=False to see each."] * bool(saved)
    lines += [f"Inputs with no history inside a module ({info.hidden}) are not drawn; expand the module to see them."
              ] * bool(info.hidden)
    singles = [g for g in groups.values() if len(g.modules) == 1]
    example = next((g.modules[0] for g in singles if g.inner), singles[0].modules[0] if singles else None)
    return lines + ["draw(..., collapse=False) draws every node" + (f"; expand={example!r} opens one module."
                                                                   if example else ".")]


class Graph:
    """An annotated autograd graph. Shows itself in Jupyter; ``.source``, ``.svg()``, ``.nodes``."""

    def __init__(self, data: GraphData, full: GraphData | None = None, collapse: CollapseInfo | None = None,
                 groups: dict[str, Group] | None = None, notes: list[str] | None = None, fit: bool = False,
                 marks: dict[str, str] | None = None, heading: list[str] | None = None):
        self.data = data                        # what is drawn
        self.full = data if full is None else full  # every node (differs when collapsed or folded)
        self.collapse = collapse                # how it was collapsed, when it was asked or needed
        self.groups = groups or {}              # node id -> the module(s) a collapsed node stands for
        self.notes = notes or []                # how a huge graph was made smaller, if it was
        self.heading = heading or []            # caption lines before the summary (a traced step)
        self.marks = marks or {}                # node id -> "done" / "now": where a traced backward is
        self.dot = to_dot(data, self.caption(), self.groups, fit, self.marks)  # fit: scaled down like torchviz
        self._rendered: dict[str, bytes] = {}

    def caption(self) -> list[str]:
        how = collapse_notes(self.collapse, self.groups) if self.collapse else []
        return self.heading + summarize(self.full) + [w for line in how for w in textwrap.wrap(line, 100, break_on_hyphens=False)] + self.notes

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
        if fmt == "svg" and fmt not in self._rendered:
            laid_out = dot_process.svg(self.dot.source)  # a few ms, not a new dot each time
            if laid_out is not None:
                self._rendered[fmt] = laid_out.encode()
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
        # not trust yet (any notebook just cloned), and PNG is what it shows then. The DOT text
        # says what the picture means, whatever Graphviz lays it out: nbval compares that.
        dot = {"text/vnd.graphviz": self.source}
        try:
            return {"image/svg+xml": self.svg(), "image/png": base64.b64encode(self.png()).decode(),
                    "text/plain": self.summary, **dot}
        except GraphvizMissing as e:
            return {"text/plain": f"{e}\n\n{self.summary}", **dot}

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
        return Graph(drawn, full=data, notes=notes, fit=True)
    full = None
    if collapse is None and expand is None and not too_big(data):
        full = Graph(data)  # readable as it is? For a middle-sized graph, lay it out once and see
        if len(data.nodes) <= MEASURED_FROM or not groupable(refs, params) or readable(full):
            return full
    drawn, groups, info = group_by_module(data, refs, params, True if collapse is None else collapse, expand,
                                          auto=collapse is None)
    if info.auto and not info.collapsed and len(data.nodes) <= MAX_NODES:
        return full or Graph(data)  # nothing to group, and not huge: drawn as it is
    drawn, notes = shrink(drawn, every=False)
    return Graph(drawn, full=data, collapse=info, groups=groups, notes=notes)


@contextlib.contextmanager
def no_gc():
    """The garbage collector paused: on a 100,000-node graph it would re-scan every node made so far,
    again and again (most of the time draw() took)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def readable(graph: Graph) -> bool:
    try:
        return graph.label_px() >= READABLE_PX
    except GraphvizMissing:
        return True  # drawn as it is; the error comes when it is shown
