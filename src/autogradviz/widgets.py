"""explore(fn, **controls): controls -> re-run fn -> redraw its graph and the grads table.

Like ``ipywidgets.interact``, but a list becomes toggle buttons, and the result is drawn into an
``ipywidgets.HTML`` (an ``Output`` widget would make nbval record the drawing as printed text).
"""
from __future__ import annotations

import contextlib
import inspect
import io
import os

import ipywidgets
import torch

from .explorer_html import error_html, framed, pre, steady, views
from .grads import grads
from .graph import GraphData, Node, named_outputs, named_params
from .learner import at_home
from .modes import forget, watch
from .render import Graph, draw
from .static import switcher_html


NO_EXPAND = "(none)"


def make_control(name: str, spec, default=inspect.Parameter.empty) -> ipywidgets.ValueWidget:
    """A widget for one keyword of fn; it starts at fn's own default for it, as interact does."""
    style = {"description_width": "initial"}
    if isinstance(spec, ipywidgets.ValueWidget):
        return spec
    if isinstance(spec, str):  # interact would make a text box: fn would run on every keystroke
        raise TypeError(f"explore(): control {name}={spec!r} is one string; give the choices as a list: "
                        f"{name}=[{spec!r}, ...].")
    if isinstance(spec, bool):
        return ipywidgets.Checkbox(value=spec, description=name, style=style, indent=False)
    if isinstance(spec, (list, tuple)) and spec and all(isinstance(s, str) for s in spec):
        start = default if default in spec else spec[0]
        return ipywidgets.ToggleButtons(options=list(spec), value=start, description=name,
                                        style={**style, "button_width": "auto"})  # no name cut short
    try:
        widget = ipywidgets.interactive.widget_from_abbrev(spec, default)
    except (TypeError, ValueError):
        widget = None
    if widget is None:
        raise TypeError(
            f"explore(): control {name}={spec!r} is not a control. Use a list of strings "
            "(toggle buttons), a bool (checkbox), a (min, max) range, or an ipywidgets widget."
        )
    widget.description = name
    return widget


def backward_on(outputs) -> str:
    """backward() on every output that has history; a sentence saying what happened."""
    tensors = [t for _, t in named_outputs(outputs) if t.requires_grad]
    if not tensors:
        return "No backward: no output requires grad, so there is nothing to back-propagate."
    torch.autograd.backward([t.sum() for t in tensors])
    return f"Ran backward on the sum of {len(tensors)} output{'s' * (len(tensors) > 1)}."


@contextlib.contextmanager
def one_thread():
    """torch on one thread: for the small experiments an explorer redraws, its thread pool costs more
    than it saves (a 3-call MLP step: 6 ms on one thread, 90 ms on two busy cores)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@one_thread()
def run_and_render(fn, params, values: dict, run: int = 1, expand: str | None = None):
    """Run fn fresh, draw its graph, then backward and the grads table.

    Returns (the live view with an inline SVG, a function that makes the static view, the Graph or
    None). The static view, for viewers that render no widgets and no SVG from notebooks they do not
    trust, is a PNG, several times the SVG's cost: it is made only when the explorer is displayed.
    ``run`` numbers the redraws (``data-run``), so a test can tell a redraw happened even when it
    looks the same as the one before. ``expand`` opens one module of a graph drawn collapsed."""
    named = named_params(params)
    for p in named.values():
        p.grad = None  # so the table shows what this run's backward did, nothing older
    forget()
    name = getattr(fn, "__name__", "fn")
    printed = io.StringIO()  # what fn prints is shown above its graph
    with watch(), contextlib.redirect_stdout(printed):
        try:
            out = fn(**values)
        except Exception as e:  # shown in the widget; the widget keeps working
            error = error_html(f"{name}() raised an error", e, fn) + pre(printed.getvalue())
            return framed(error, run), lambda: framed(error, run), None
    try:
        with at_home(getattr(fn, "__globals__", {})):  # the notebook's names, also when a click redraws
            graph = draw(out, params, expand=expand)  # before backward, which frees what the graph saved
    except (TypeError, ValueError) as e:
        error = error_html(f"{name}() must return tensors", e)
        return framed(error, run), lambda: framed(error, run), None
    try:
        note = backward_on(out)
        table = grads(params, outputs=out, after_backward=True)._repr_html_() if named else ""
    except RuntimeError as e:
        note = error_html("backward() raised an error", e, fn)
        table = "<p>No parameter got a gradient: backward() stopped at this error.</p>"
        if not graph.collapsed:  # no leaf got .grad, whatever the picture would promise
            graph = backward_failed(graph)
    return (*views(graph, f"<p>{note}</p>" + table, run, above=pre(printed.getvalue())), graph)


def backward_failed(graph: Graph) -> Graph:
    """The same graph with its leaves drawn as getting no .grad: backward() raised before filling any."""
    nodes = [Node(n.id, "no_path", n.label.replace("\n", " ") + "\nno .grad: backward() raised an error", n.name)
             if n.kind == "leaf" else n for n in graph.data.nodes]
    return Graph(GraphData(nodes, graph.data.edges))


class Explorer(ipywidgets.VBox):
    """The explorer's widget. Outside a live kernel it shows its first drawing as plain HTML."""

    make_still = None  # makes the static view of the last redraw (a PNG) when it is displayed
    tallest = 0.0      # px: the tallest graph shown yet, a floor for the next one's box (see steady)

    def show(self, live: str) -> None:
        self.view.value, self.tallest = steady(live, self.tallest)

    @property
    def still(self) -> str:
        return self.make_still() if self.make_still else ""

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = self.description
        bundle["text/html"] = self.still
        if os.environ.get("AUTOGRADVIZ_STATIC"):  # building the offline site: every combination, drawn now
            bundle["text/html"] = switcher_html(self.inputs, self.render) or (
                self.still + "<p><i>Open this notebook in JupyterLab to explore: too many combinations "
                "to draw in advance.</i></p>")
        return bundle


def explore(fn, params=None, **controls) -> Explorer:
    """Controls for each keyword, each one of: a list of strings (toggle buttons, one per choice),
    a bool (a checkbox), a (min, max) range (a slider), or an ipywidgets widget. Every change re-runs
    ``fn(**values)`` and redraws; ``fn`` starts from its own defaults, like ``ipywidgets.interact``.

    ``fn`` returns a tensor (or a tuple/list/dict of tensors). Each run: grads of ``params`` are
    set to None, ``fn`` runs inside ``watch()``, its graph is drawn, then backward runs on the
    sum of its outputs and the grads table shows who got a gradient and why not. What ``fn``
    prints is shown above the graph.
    """
    if not callable(fn):
        raise TypeError(f"explore() takes a function first, got {type(fn).__name__}.")
    named_params(params)  # a bad params argument fails here, with its message, not on first change
    try:
        defaults = {k: p.default for k, p in inspect.signature(fn).parameters.items()}
    except (TypeError, ValueError):  # some builtins have no signature
        defaults = {}
    inputs = {name: make_control(name, spec, defaults.get(name, inspect.Parameter.empty))
              for name, spec in controls.items()}
    view = ipywidgets.HTML()

    box = Explorer(children=[ipywidgets.VBox(list(inputs.values())), view])
    box.view, box.inputs = view, inputs
    runs = iter(range(1, 2**62))  # numbers every redraw (data-run), for tests that wait for one
    expand = {}  # the "expand" control, added when the graph is drawn collapsed by module

    def opened() -> str | None:
        return expand["control"].value if expand and expand["control"].value != NO_EXPAND else None

    box.render = lambda values: run_and_render(fn, params, values, next(runs), opened())[0]  # live view

    def redraw(_change=None):
        live, box.make_still, graph = run_and_render(fn, params, {n: w.value for n, w in inputs.items()},
                                                     next(runs), opened())
        box.show(live)
        if graph is not None and graph.collapsed and not expand:  # a big model: open one module at a time
            expand["control"] = ipywidgets.Dropdown(options=[NO_EXPAND], value=NO_EXPAND, description="expand",
                                                    style={"description_width": "initial"})
            expand["control"].observe(redraw, names="value")
            box.children[0].children += (expand["control"],)
        if expand and graph is not None and graph.collapsed:  # the boxes drawn now that hold more
            menu, value = expand["control"], expand["control"].value
            menu.unobserve(redraw, names="value")  # new options reset the value: no redraw for that
            menu.options = list(dict.fromkeys([NO_EXPAND, value, *graph.collapse.openable]))
            menu.value = value
            menu.observe(redraw, names="value")

    for widget in inputs.values():
        widget.observe(redraw, names="value")
    redraw()
    box.description = f"explore({getattr(fn, '__name__', 'fn')}: " + ", ".join(
        f"{n}={w.value!r}" for n, w in inputs.items()) + ")"
    return box
