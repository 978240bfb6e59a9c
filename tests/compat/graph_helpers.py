"""The drawing helper of micrograd's trace_graph.ipynb and lecture, as users copy it.

It reads only micrograd's names: ``_prev``, ``_op``, ``data``, ``grad``, ``label``.
"""

from __future__ import annotations

from typing import Any


def trace(root: Any) -> tuple[set[Any], set[tuple[Any, Any]]]:
    """Builds a set of all nodes and edges in a graph."""
    nodes, edges = set(), set()

    def build(v: Any) -> None:
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(root)
    return nodes, edges


def draw_dot(root: Any, graphviz: Any) -> Any:
    """The notebook's ``draw_dot`` (``graphviz`` is the module it imports Digraph from)."""
    dot = graphviz.Digraph(format="svg", graph_attr={"rankdir": "LR"})  # LR = left to right
    nodes, edges = trace(root)
    for n in nodes:
        uid = str(id(n))
        # for any value in the graph, create a rectangular ('record') node for it
        dot.node(name=uid, label=f"{{ {n.label} | data {n.data:.4f} | grad {n.grad:.4f} }}",
                 shape="record")
        if n._op:
            # if this value is a result of some operation, create an op node for it
            dot.node(name=uid + n._op, label=n._op)
            dot.edge(uid + n._op, uid)
    for n1, n2 in edges:
        # connect n1 to the op node of n2
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)
    return dot
