"""Which leaves the array step reads and writes each call, and which are fixed data.

A leaf that only the traced graph holds was made by the traced function
itself (a data point, the ``2`` in ``x ** 2``): nobody else can change its
``.data`` or read its ``.grad``. The step bakes its value in and computes
no gradient for it. Every other leaf (a model's parameters, anything the
caller keeps) is *live*: read on each call, and given its gradient.

"Only the graph holds it" is counted, not guessed: a leaf is fixed when its
reference count is exactly what the graph's own references explain (one per
consumer, the node list, the index). Any other holder, a list, a closure, a
frame, makes it live, so an unsure count errs on the live side.
"""

from __future__ import annotations

import sys

from opgrad.compiler.regions import Graph
from opgrad.core import Value


def live_leaves(graph: Graph) -> list[int]:
    """The leaves (node indices, in graph order) that something besides the graph holds."""
    leaves = [i for i, op in enumerate(graph.ops) if op is None]
    if not hasattr(sys, "getrefcount"):  # not CPython: every leaf is live
        return leaves
    # A probe held by one list, as the graph's node list holds each node, counted the
    # same way: what the count includes besides real holders is then the same for both.
    alone = _references([Value(0.0)], 0)
    nodes, uses = graph.nodes, graph.uses
    # Besides the node list: one reference per consumer, and the key of graph.index.
    return [i for i in leaves if _references(nodes, i) != alone + uses[i] + 1]


def _references(items: list[Value], i: int) -> int:
    return sys.getrefcount(items[i])
