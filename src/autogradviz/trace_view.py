"""A traced backward, drawn one step at a time, and the widget that steps through it.

The picture is draw()'s (graph.py's data, render.py's Graph) with marks laid over it: the node
running now, the nodes already run, and the gradient on every edge already travelled.
"""
from __future__ import annotations

import contextlib
import html

import ipywidgets

from .graph import Edge, GraphData
from .render import Graph, GraphvizMissing
from .trace import Trace, texts
from .explorer_html import views
from .widgets import Explorer

LISTED = 9  # steps listed beside the picture: this many around the current one
AHEAD = 24  # a trace of at most this many steps is laid out in full when its explorer is made


def step_graph(trace: Trace, k: int | None) -> Graph:
    """Step k running (None: after the whole backward); the steps before it done."""
    steps, data, drawn = trace.steps, trace.data, trace.drawn
    last = len(steps) if k is None else k
    placed = trace.collapse.placed if trace.collapse and trace.collapse.placed else {}

    def where(node_id):
        return placed.get(node_id, node_id)

    marks = {where(s.node): "done" for s in steps[:last]}
    if k is not None:
        marks[where(steps[k].node)] = "now"
    # Each edge travelled, with what it carried; collapsed, the edges between two boxes share one.
    carried: dict = {}
    for i, (sent_at, grad) in trace.flows.items():
        if sent_at > last:
            continue
        e = data.edges[i]
        key = i if drawn is data else (where(e.src), where(e.dst), e.style)
        carried.setdefault(key, []).append((sent_at, grad))
    edges = []
    for i, e in enumerate(drawn.edges):
        got = carried.get(i if drawn is data else (e.src, e.dst, e.style))
        if not got:
            edges.append(e)
            continue
        style = "grad_now" if any(s == k for s, _ in got) else "grad"
        label = got[0][1] if len(got) == 1 else f"{len(got)} gradients"
        if "], [" in label:  # a matrix: a row a line, left-justified (Graphviz's \l)
            label = label.replace("], [", "],\\l [") + "\\l"
        edges.append(Edge(e.src, e.dst, style, label))
    return Graph(GraphData(drawn.nodes, edges), full=data, collapse=trace.collapse, groups=trace.groups,
                 marks=marks, heading=caption(trace, k))


def caption(trace: Trace, k: int | None) -> list[str]:
    n = len(trace.steps)
    if k is None:
        return [f"After backward: all {n} steps ran. Coloured arrows point the way each gradient went."]
    s = trace.steps[k]
    who = f"{s.label} ({s.name})" if s.name else s.label
    sent = f"; sends grad_inputs {texts(s.grad_inputs)}" if s.grad_inputs else ""
    return [f"Step {k} (of 0 to {n - 1}): {who} receives grad_outputs {texts(s.grad_outputs)}{sent}.",
            "Coloured arrows point the way each gradient went: purple before this step, red at it."]


def side_html(trace: Trace, k: int) -> str:
    """The steps around step k, in the order autograd ran them; k in bold."""
    lo = max(0, min(k - LISTED // 2, len(trace.steps) - LISTED))
    rows = []
    for s in trace.steps[lo:lo + LISTED]:
        line = html.escape(repr(s))
        colour = "#b01c1c" if s.index == k else "#5b2a86" if s.index < k else "#777"
        rows.append(f"<div style='color:{colour}'>{'<b>' + line + '</b>' if s.index == k else line}</div>")
    more = f"<div style='color:#777'>({len(trace.steps)} steps in all)</div>" if len(trace.steps) > LISTED else ""
    return (f"<div class='agv-steps' style='font-family:monospace;font-size:12px;line-height:1.5;white-space:pre-wrap;"
            f"max-width:40em'>{''.join(rows)}{more}</div>")


def view(trace: Trace, k: int, run: int):
    """The live view of step k (an inline SVG), and a function that makes its static view (a PNG)."""
    return views(trace.draw(k), side_html(trace, k), run, alt=f"step {k} of the backward")


def stepper(trace: Trace) -> Explorer:
    """A slider over the steps with previous/next buttons; every change redraws."""
    if not trace.steps:
        raise ValueError("this trace has no steps to explore: backward ran no node.")
    last = len(trace.steps) - 1
    slider = ipywidgets.IntSlider(value=0, min=0, max=last, description="step", style={"description_width": "initial"})
    back = ipywidgets.Button(description="previous", icon="step-backward", layout={"width": "auto"})
    ahead = ipywidgets.Button(description="next", icon="step-forward", layout={"width": "auto"})
    shown = ipywidgets.HTML()
    box = Explorer(children=[ipywidgets.HBox([back, slider, ahead]), shown])
    box.view, box.inputs = shown, {"step": slider}
    runs = iter(range(1, 2**62))  # numbers every redraw (data-run), for tests that wait for one
    box.render = lambda values: view(trace, values["step"], next(runs))[0]

    def redraw(_change=None):
        k = slider.value
        back.disabled, ahead.disabled = k == 0, k == last  # before the view: a test waits for the view
        live, box.make_still = view(trace, k, next(runs))
        box.show(live)
        if k < last:  # lay out the next step now, while the learner looks at this one
            lay_out(trace, [k + 1])
        box.description = f"explore(trace: step={k} of 0-{last}, {trace.steps[k].label})"

    back.on_click(lambda _b: setattr(slider, "value", max(0, slider.value - 1)))
    ahead.on_click(lambda _b: setattr(slider, "value", min(last, slider.value + 1)))
    slider.observe(redraw, names="value")
    if len(trace.steps) <= AHEAD:  # so that a click only sends a picture already made
        lay_out(trace, range(len(trace.steps)))
    redraw()
    return box


def lay_out(trace: Trace, steps) -> None:
    with contextlib.suppress(GraphvizMissing):
        for k in steps:
            trace.draw(k).svg()
