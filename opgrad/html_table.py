"""One HTML table for notebook displays: every cell escaped (labels, formulas and plugin
names are user text). Each display builds its rows beside what it displays."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

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
