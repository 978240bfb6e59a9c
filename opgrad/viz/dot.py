"""The computational graph as Graphviz DOT: a record per Value, a small node per op."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opgrad._optional import require
from opgrad.core import Value, topological_order
from opgrad.plugins.constant import Constant
from opgrad.plugins.rules import value_of


@dataclass(frozen=True)
class Graph:
    """Nodes and edges of a drawing, in data-flow order (inputs first)."""

    values: list[tuple[str, str]]  # (node id, record label)
    ops: list[tuple[str, str]]  # (node id, op name)
    edges: list[tuple[str, str]]  # (from id, to id)


def _escape(text: str) -> str:
    for char in '\\{}|<>"':
        text = text.replace(char, "\\" + char)
    return text


def _number(x: float) -> str:
    # Four decimals, and never "-0.0000": adding 0.0 turns a rounded -0.0 into 0.0.
    return f"{round(x, 4) + 0.0:.4f}"


def describe(root: Value) -> Graph:
    """The graph under ``root``: ``label | data | grad`` records (a constant shows no grad),
    op nodes, edges."""
    order = topological_order(root)
    ids = {node: f"v{i}" for i, node in enumerate(order)}
    values, ops, edges = [], [], []
    for node in order:
        label = _escape(node.label) if node.label else ""
        grad = "constant" if type(node) is Constant else f"grad {_number(value_of(node.grad))}"
        record = f"{{ {label} | data {_number(node.data)} | {grad} }}"
        values.append((ids[node], record))
        if node.op:
            op_id = f"{ids[node]}_op"
            ops.append((op_id, node.op))
            edges += [(ids[parent], op_id) for parent in node.parents]
            edges.append((op_id, ids[node]))
    return Graph(values, ops, edges)


def to_dot(root: Value) -> str:
    """Graphviz DOT text for the graph under ``root`` (no dependency needed)."""
    graph = describe(root)
    lines = ["digraph opgrad {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    lines += [f'  {node} [shape=record, label="{label}"];' for node, label in graph.values]
    lines += [f'  {node} [shape=ellipse, label="{name}"];' for node, name in graph.ops]
    lines += [f"  {a} -> {b};" for a, b in graph.edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def draw_dot(root: Value, format: str = "svg") -> Any:
    """A ``graphviz.Digraph`` of the graph (the ``viz`` extra); notebooks show it inline."""
    graphviz = require("graphviz", "viz", "draw_dot")
    drawing = graphviz.Digraph(format=format, graph_attr={"rankdir": "LR"})
    graph = describe(root)
    for node, label in graph.values:
        drawing.node(node, label=label, shape="record")
    for node, name in graph.ops:
        drawing.node(node, label=name, shape="ellipse")
    for a, b in graph.edges:
        drawing.edge(a, b)
    return drawing
