"""An explorer without a kernel: every combination of its controls drawn in advance.

Used when the notebooks are built into the offline site (AUTOGRADVIZ_STATIC=1): the explorer's
HTML then holds one view per combination, and a small script in the page (SWITCHER_JS) shows the
one matching the controls. Too many combinations, or a control with no finite list of values,
and the explorer stays a single picture with a note.
"""
from __future__ import annotations

import html
import itertools
import json
import math

import ipywidgets

MAX_COMBINATIONS = 64


def choices_of(widget) -> list | None:
    """The finite list of values a control can take, or None."""
    if isinstance(widget, ipywidgets.Checkbox):
        return [False, True]
    if isinstance(widget, (ipywidgets.ToggleButtons, ipywidgets.Dropdown, ipywidgets.RadioButtons)):
        return list(widget.options)
    if isinstance(widget, ipywidgets.IntSlider):
        return list(range(widget.min, widget.max + 1, widget.step))
    return None


def key(values) -> str:
    return json.dumps(list(values), separators=(",", ":"))  # the same text as JavaScript's JSON.stringify


def control_html(name: str, widget, choices: list) -> str:
    label = f"<span class='agv-static-label'>{html.escape(name)}</span>"
    if isinstance(widget, ipywidgets.Checkbox):
        checked = " checked" if widget.value else ""
        return f"<label class='agv-static-control' data-name='{html.escape(name)}'><input type='checkbox'{checked}> {html.escape(name)}</label>"
    if isinstance(widget, ipywidgets.IntSlider):
        return (f"<label class='agv-static-control' data-name='{html.escape(name)}'>{label} <input type='range' "
                f"min='{widget.min}' max='{widget.max}' step='{widget.step}' value='{widget.value}'> "
                f"<output>{widget.value}</output></label>")
    on = " class='agv-on'"
    buttons = "".join(
        f"<button type='button' data-value='{html.escape(json.dumps(c))}'{on if c == widget.value else ''}>"
        f"{html.escape(str(c))}</button>" for c in choices)
    return f"<div class='agv-static-control' data-name='{html.escape(name)}'>{label}{buttons}</div>"


def switcher_html(inputs: dict, render) -> str | None:
    """Every view of an explorer, keyed by its control values. ``render(values)`` draws one view."""
    choices = [choices_of(w) for w in inputs.values()]
    if any(c is None for c in choices) or math.prod(len(c) for c in choices) > MAX_COMBINATIONS:
        return None
    names = list(inputs)
    current = [w.value for w in inputs.values()]
    views = [f"<template data-key='{html.escape(key(combo))}'>{render(dict(zip(names, combo)))}</template>"
             for combo in itertools.product(*choices)]
    shown = render(dict(zip(names, current)))  # last, so the model is left as the widget shows it
    controls = "".join(control_html(n, w, c) for (n, w), c in zip(inputs.items(), choices))
    return (f"<div class='agv-static-explorer'><div class='agv-static-controls'>{controls}</div>"
            f"<div class='agv-static-view'>{shown}</div>{''.join(views)}</div>")


# One copy per page (the site builder adds it): wires every static explorer on the page.
SWITCHER_JS = """
document.querySelectorAll('.agv-static-explorer').forEach(function (root) {
  var controls = Array.prototype.slice.call(root.querySelectorAll('.agv-static-control'));
  function value(c) {
    var box = c.querySelector('input[type=checkbox]'), range = c.querySelector('input[type=range]');
    if (box) return box.checked;
    if (range) return Number(range.value);
    return JSON.parse(c.querySelector('button.agv-on').dataset.value);
  }
  function show() {
    var want = JSON.stringify(controls.map(value));
    root.querySelectorAll('template').forEach(function (t) {
      if (t.dataset.key === want) root.querySelector('.agv-static-view').innerHTML = t.innerHTML;
    });
  }
  controls.forEach(function (c) {
    c.querySelectorAll('button').forEach(function (b) {
      b.addEventListener('click', function () {
        c.querySelectorAll('button').forEach(function (o) { o.classList.remove('agv-on'); });
        b.classList.add('agv-on'); show();
      });
    });
    c.querySelectorAll('input').forEach(function (i) {
      i.addEventListener('input', function () {
        var out = c.querySelector('output'); if (out) out.textContent = i.value; show();
      });
    });
  });
});
"""

SWITCHER_CSS = """
.agv-static-control { display: block; margin: 4px 0; }
.agv-static-label { display: inline-block; min-width: 6em; }
.agv-static-control button { border: 1px solid #bbb; background: #eee; padding: 4px 12px; margin-right: 2px; cursor: pointer; }
.agv-static-control button.agv-on { background: #bbb; font-weight: bold; }
"""
