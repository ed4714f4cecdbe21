"""After backward: which parameters got a gradient, and why the others did not."""
from __future__ import annotations

import html
from dataclasses import dataclass

import torch

from .graph import named_params
from .modes import owner_record, why_no_path


@dataclass(frozen=True)
class GradRow:
    name: str
    requires_grad: bool
    has_grad: bool
    norm: float | None
    why_none: str


def why_grad_is_none(p: torch.Tensor, after_backward: bool) -> str:
    if not p.requires_grad:
        return "frozen: requires_grad=False"
    if owner_record(p) is None and not after_backward:
        return "backward has not reached it: no backward yet, or " + why_no_path(p)
    return why_no_path(p)


class GradsReport:
    """A table: one row per parameter. HTML in Jupyter, text elsewhere; ``.rows`` for code."""

    def __init__(self, rows: list[GradRow]):
        self.rows = rows

    def __getitem__(self, name: str) -> GradRow:
        return next(r for r in self.rows if r.name == name)

    def _cells(self, r: GradRow) -> list[str]:
        grad = f"norm {r.norm:.4f}" if r.has_grad else "None"
        return [r.name, str(r.requires_grad), grad, "" if r.has_grad else r.why_none]

    HEADER = ["parameter", "requires_grad", ".grad", "why no .grad"]

    def __str__(self) -> str:
        table = [self.HEADER] + [self._cells(r) for r in self.rows]
        widths = [max(len(row[i]) for row in table) for i in range(3)]
        return "\n".join(
            "  ".join(c.ljust(w) for c, w in zip(row[:3], widths)) + "  " + row[3] for row in table
        ).rstrip()

    __repr__ = __str__

    def _repr_html_(self) -> str:
        head = "".join(f"<th style='text-align:left'>{h}</th>" for h in self.HEADER)
        body = []
        for r in self.rows:
            colour = "#d7f5d0" if r.has_grad else ("#dde3ea" if not r.requires_grad else "#f6c0c0")
            cells = "".join(f"<td style='text-align:left'>{html.escape(c)}</td>" for c in self._cells(r))
            body.append(f"<tr style='background:{colour}' data-param='{html.escape(r.name)}'>{cells}</tr>")
        return f"<table class='agv-grads'><tr>{head}</tr>{''.join(body)}</table>"


def grads(params, *, after_backward: bool = False) -> GradsReport:
    """Report every parameter of ``params`` (an nn.Module, or a dict of name -> tensor or module).

    ``after_backward=True`` says a backward has just run, so a missing .grad is not "no backward yet".
    """
    named = named_params(params)
    if not named:
        raise ValueError("grads() found no parameters: pass an nn.Module or a dict of name -> tensor.")
    rows = []
    for name, p in named.items():
        has = p.grad is not None
        rows.append(GradRow(name, p.requires_grad, has, float(p.grad.norm()) if has else None,
                            "" if has else why_grad_is_none(p, after_backward)))
    return GradsReport(rows)
