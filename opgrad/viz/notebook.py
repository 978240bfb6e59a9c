"""How a Value shows itself in a notebook: a small drawing of its graph.

Pure Python SVG (no graphviz, no IPython): Jupyter calls ``_repr_html_``,
which :func:`bind_display` puts on ``Value`` when the registry is assembled.
Past :data:`MAX_DRAWN` nodes it says how many there are and how to draw them.
"""

from __future__ import annotations

from html import escape

from opgrad.core import Value, topological_order
from opgrad.plugins.constant import Constant
from opgrad.plugins.rules import value_of
from opgrad.viz.explain import names
from opgrad.viz.layout import BOX, PILL, arrange

MAX_DRAWN = 40  # nodes drawn inline; more would not fit a notebook cell
SCALE = 0.8  # the drawing is shown a little smaller than the explorer's


def bind_display() -> None:
    """Give ``Value`` a ``_repr_html_`` so notebooks draw it."""
    setattr(Value, "_repr_html_", value_html)  # noqa: B010  # bound from outside core on purpose


def value_html(value: Value) -> str:
    """The value's repr above a drawing of its graph, or a note when the graph is big."""
    order = topological_order(value)
    head = f"<code>{escape(repr(value))}</code>"
    if len(order) > MAX_DRAWN:
        return (f"<p>{head}: a graph of {len(order)} nodes, more than the {MAX_DRAWN} drawn "
                f"here. Draw it with <code>opgrad.viz.draw_dot(value)</code>, or step through "
                f"it with <code>opgrad.viz.explore(value, \"graph.html\")</code>.</p>")
    return f"<div>{head}<br>{graph_svg(order)}</div>"


def graph_svg(order: list[Value]) -> str:
    """An SVG drawing of ``order`` (a topological order): label | data | grad boxes, op ovals."""
    layout = arrange(order)
    named = names(order)
    index = {node: i for i, node in enumerate(order)}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{layout.width * SCALE:.0f}" '
             f'height="{layout.height * SCALE:.0f}" viewBox="0 0 {layout.width} {layout.height}" '
             f'font-family="sans-serif" font-size="12">']
    for node, (x, y) in zip(order, layout.positions, strict=True):
        if node.parents:
            parts += _op_oval(node, x, y, [layout.positions[index[p]] for p in node.parents])
        parts += _box(named[node], node, x, y)
    parts.append("</svg>")
    return "".join(parts)


def _op_oval(node: Value, x: float, y: float, inputs: list[tuple[float, float]]) -> list[str]:
    cx, cy = x - PILL, y + BOX[1] / 2
    symbol = node._op  # the operator symbol, else the op's name
    rx = max(16.0, 4 + 3.3 * min(len(symbol), 8))
    lines = [f'<path d="M{px + BOX[0]},{py + BOX[1] / 2} C{(px + BOX[0] + cx) / 2},'
             f'{py + BOX[1] / 2} {(px + BOX[0] + cx) / 2},{cy} {cx - rx},{cy}" fill="none" '
             f'stroke="#999"/>' for px, py in inputs]
    lines += [f'<path d="M{cx + rx},{cy} L{x},{cy}" stroke="#999"/>',
              f'<ellipse cx="{cx}" cy="{cy}" rx="{rx}" ry="15" fill="#eef3fb" stroke="#888"/>',
              f'<text x="{cx}" y="{cy + 4}" text-anchor="middle">{escape(symbol[:8])}</text>']
    return lines


def _box(name: str, node: Value, x: float, y: float) -> list[str]:
    fill = "#fff" if node.parents else "#fffdf3"
    rows = [(16, escape(name[:18]), ' font-weight="bold"'), (32, f"data {node.data:.4g}", ""),
            (48, "constant" if type(node) is Constant else f"grad {value_of(node.grad):.4g}", "")]
    return [f'<rect x="{x}" y="{y}" width="{BOX[0]}" height="{BOX[1]}" rx="6" fill="{fill}" '
            f'stroke="#888"/>',
            *(f'<text x="{x + 8}" y="{y + dy}"{weight}>{text}</text>' for dy, text, weight in rows)]
