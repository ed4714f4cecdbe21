"""After backward: which parameters got a gradient, and why the others did not."""
from __future__ import annotations

import html
from dataclasses import dataclass

import torch

from .graph import module_names, named_params
from .why import UNWATCHED, Diagnosis, outputs_of


@dataclass(frozen=True)
class GradRow:
    name: str
    requires_grad: bool
    has_grad: bool
    norm: float | None
    why_none: str    # the reason, in the words of agv.why(); "" when it has a .grad
    cause: str = ""  # the cause, as agv.why() names it ("frozen", "no_grad", ...); "" when it has a .grad


class GradsReport:
    """A table: one row per parameter. HTML in Jupyter, text elsewhere; ``.rows`` for code.

    Before any backward it is one line saying so, not a row of guesses per parameter."""

    def __init__(self, rows: list[GradRow], short: bool = True):
        self.rows = rows
        frozen = [r.name for r in rows if r.cause == "frozen"]
        self.note = ""
        if short and any(r.cause == "no_backward_yet" for r in rows) and not any(r.has_grad for r in rows):
            self.note = "No parameter has a .grad: no backward has run yet (or zero_grad() cleared them)." + (
                f" Frozen (requires_grad=False): {', '.join(frozen)}." if frozen else "")

    def __getitem__(self, name: str) -> GradRow:
        return next(r for r in self.rows if r.name == name)

    def _cells(self, r: GradRow) -> list[str]:
        grad = f"norm {r.norm:.4f}" if r.has_grad else "None"
        return [r.name, str(r.requires_grad), grad, "" if r.has_grad else r.why_none]

    HEADER = ["parameter", "requires_grad", ".grad", "why no .grad"]

    def __str__(self) -> str:
        if self.note:
            return self.note
        table = [self.HEADER] + [self._cells(r) for r in self.rows]
        widths = [max(len(row[i]) for row in table) for i in range(3)]
        return "\n".join(
            "  ".join(c.ljust(w) for c, w in zip(row[:3], widths)) + "  " + row[3] for row in table
        ).rstrip()

    __repr__ = __str__

    def _repr_html_(self) -> str:
        if self.note:
            return f"<p class='agv-grads'>{html.escape(self.note)}</p>"
        head = "".join(f"<th style='text-align:left'>{h}</th>" for h in self.HEADER)
        body = []
        for r in self.rows:
            colour = "#d7f5d0" if r.has_grad else ("#dde3ea" if not r.requires_grad else "#f6c0c0")
            cells = "".join(f"<td style='text-align:left'>{html.escape(c)}</td>" for c in self._cells(r))
            body.append(f"<tr style='background:{colour}' data-param='{html.escape(r.name)}'>{cells}</tr>")
        return f"<table class='agv-grads'><tr>{head}</tr>{''.join(body)}</table>"


def grads(params, *, outputs=None, after_backward: bool = False) -> GradsReport:
    """Report every parameter of ``params`` (an nn.Module, or a dict of name -> tensor or module).

    ``outputs``: what backward ran on, for exact reasons (without it, the last backward seen by
    ``agv.watch()``). ``after_backward=True`` says a backward has run, on outputs not given.
    """
    named = named_params(params)
    if not named:
        has_none = f"{type(params).__name__} has none (nothing in it trains). Pass" if isinstance(
            params, torch.nn.Module) else "pass"
        raise ValueError(f"grads() found no parameters: {has_none} a module with parameters (e.g. the whole "
                         "model), or a dict of name -> tensor.")
    backward_ran = after_backward or any(p.grad is not None for p in named.values())
    diagnosis = Diagnosis(outputs_of(outputs, "grads(model, outputs=loss)"), module_names(params),
                          {id(p): n for n, p in named.items()}, latest=backward_ran)
    rows = []
    for name, p in named.items():
        if p.grad is not None:
            rows.append(GradRow(name, p.requires_grad, True, float(p.grad.norm()), ""))
            continue
        why = diagnosis.explain(p, name=name)
        if why.cause == "no_backward_yet" and backward_ran:  # a backward ran, on outputs we do not know
            rows.append(GradRow(name, p.requires_grad, False, None, UNWATCHED, "not_used"))
        elif why.cause == "ok":  # on the path, but backward has not run
            rows.append(GradRow(name, p.requires_grad, False, None, "no backward has run yet", "no_backward_yet"))
        else:
            rows.append(GradRow(name, p.requires_grad, False, None, why.reason or why.cause, why.cause))
    return GradsReport(rows, short=outputs is None and not after_backward)
