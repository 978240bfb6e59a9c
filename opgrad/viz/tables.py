"""HTML tables for notebooks: explain's trace, check_op's verdict, sensitivity's bumps.

Every cell is escaped: labels, formulas and plugin names are user text.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opgrad.testing import OpCheck, Sensitivity
    from opgrad.viz.explain import Trace

Cell = str | float | int


def html_table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> str:
    """A ``<table>`` with a caption, a header row and one row per item, all escaped."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(_cell(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    return (f'<table class="opgrad"><caption style="text-align:left">{escape(caption)}'
            f"</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _cell(value: Cell) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def trace_tables(trace: Trace) -> str:
    """explain's forward pass, backward edges and leaf gradients as three tables."""
    from opgrad.viz.explain import is_constant

    named, top = trace.names, trace.names[trace.order[-1]]
    forward = [(named[n], n.op or "leaf", ", ".join(named[p] for p in n.parents), n.data)
               for n in trace.order]
    backward = [(s.node, s.formula, s.input, s.local, s.upstream, s.product, s.total)
                for s in trace.steps if not is_constant(trace.order[s.into])]
    leaves = [(f"d{top}/d{named[n]}", trace.grads[n]) for n in trace.order
              if not n.op and not is_constant(n)]
    return "".join([
        html_table("forward pass", ["node", "op", "inputs", "data"], forward),
        html_table(f"backward pass, from {top}",
                   ["node", "rule", "to input", "local", "upstream", "product", "input grad now"],
                   backward),
        html_table("gradients", ["derivative", "value"], leaves),
    ])


def check_table(result: OpCheck) -> str:
    """check_op's verdict, then its problems and notes, one per row."""
    verdict = "PASS" if result.ok else "FAIL"
    rows: list[tuple[str, str]] = [("verdict", verdict), ("points", str(result.points)),
                                   ("worst |analytic - numeric|", f"{result.worst_error:.2g}")]
    rows += [("problem", p) for p in result.problems]
    rows += [("note", n) for n in result.notes]
    return html_table(f"check_op({result.name!r}): {verdict}", ["", ""], rows)


def sensitivity_table(table: Sensitivity) -> str:
    """One row per bumped input: value, bumped output, change, slope."""
    rows = [(b.name, b.value, b.bumped_output, b.change, b.slope) for b in table.bumps]
    return html_table(f"output {table.output:.6g}; each input bumped by h = {table.h:g}",
                      ["input", "value", "bumped output", "change", "slope"], rows)
