"""The HTML an explorer shows: what a run printed, its graph (inline SVG live, a PNG in the static
view) beside the grads table, an error with the learner's own line, and a graph box that keeps its
height."""
from __future__ import annotations

import base64
import html
import re
import traceback

from .inplace import culprit as inplace_culprit
from .learner import is_library
from .quiz import rich
from .render import GraphvizMissing

SCROLLS = "style='max-width:100%;overflow:auto'"  # a graph wider than the output scrolls sideways
FRAME = "display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start"  # the graph, and beside it the text
SVG_HEIGHT = re.compile(r'<svg [^>]*?height="([\d.]+)pt"')


def error_html(title: str, error: BaseException, fn=None) -> str:
    """The error, with the learner's line that led to it, not a line deep in torch: for backward's
    in-place error, the in-place change that watch() saw; else the explored function's line."""
    culprit = inplace_culprit(error)
    frames = [f for f in traceback.extract_tb(error.__traceback__) if not is_library(f.filename)]
    own_file = getattr(getattr(fn, "__code__", None), "co_filename", None)
    frames = [f for f in frames if f.filename == own_file] or frames
    where = ""
    if culprit:
        where = f" (line {culprit[0]}: <code>{html.escape(culprit[1])}</code> changed in place a tensor backward needed)"
    elif frames:
        where = f" (line {frames[-1].lineno}: <code>{html.escape(frames[-1].line or '')}</code>)"
    return (f"<div class='agv-error' style='color:#a00'><b>{html.escape(title)}</b>{where}"
            f"<pre style='white-space:pre-wrap;word-break:normal;overflow-wrap:normal'>"
            f"{html.escape(type(error).__name__)}: {rich(str(error))}</pre>Change a control to try again.</div>")


def pre(text: str) -> str:
    return f"<pre class='agv-printed'>{html.escape(text.rstrip())}</pre>" if text.strip() else ""


def missing_dot(error: GraphvizMissing) -> str:
    return f"<pre style='white-space:pre-wrap'>{html.escape(str(error))}</pre>"


def inline_svg(svg: str) -> str:
    svg = svg[svg.index("<svg"):]  # drop the XML prolog: the SVG sits inside HTML
    # At its natural size, never shrunk to fit (labels would go below 10 px): a big graph scrolls.
    return svg.replace("<svg ", "<svg style='max-width:none;height:auto' ", 1)


def views(graph, side: str, run: int, alt: str = "autograd graph", above: str = ""):
    """The graph beside some HTML, and ``above`` them a row of its own (what the run printed: a wide
    graph would push it off a slide's bottom); returns (the live view, with an inline SVG; a
    function that makes the static view, with a PNG)."""
    above = f"<div style='flex-basis:100%'>{above}</div>" if above else ""

    def frame(picture: str) -> str:
        return framed(f"{above}<div class='agv-graph' {SCROLLS}>{picture}</div><div class='agv-side'>{side}</div>", run)

    def still() -> str:
        try:
            return frame(f"<img alt='{alt}' style='max-width:none' src='data:image/png;base64,{b64(graph.png())}'>")
        except GraphvizMissing as e:
            return frame(missing_dot(e))

    try:
        return frame(inline_svg(graph.svg())), still
    except GraphvizMissing as e:
        return frame(missing_dot(e)), still


def framed(body: str, run: int) -> str:
    return (f"<div class='agv-explorer' data-run='{run}' "
            f"style='{FRAME}'>{body}</div>")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def steady(live: str, tallest: float) -> tuple[str, float]:
    """The live view at least as tall as the tallest graph before it (CSS px), and the new tallest.
    A shorter graph, or an error, then does not pull the page below the explorer up: the browser
    would lay out and paint the notebook again (20-60 ms a click here) and the room see it jump."""
    found = SVG_HEIGHT.search(live)
    tallest = max(tallest, float(found.group(1)) * 4 / 3 if found else 0.0)  # pt to px
    return live.replace(f"style='{FRAME}'", f"style='min-height:{tallest:.0f}px;{FRAME}'", 1), tallest
