"""The compiler's view of a graph: arrays by topological position."""

from __future__ import annotations

from opgrad import Value, topological_order
from opgrad.compiler.regions import NEAR, Graph


def test_first_use_near_and_far() -> None:
    a, z = Value(1.0), Value(2.0)
    early = a * 2.0
    chain = z
    for _ in range(NEAR * 2):
        chain = chain * 1.5  # unrelated nodes between early and its consumer
    late = early + chain
    root = late * early  # early's second consumer
    order = topological_order(root)
    graph = Graph.of(order)
    index = graph.index
    assert graph.first_use(index[early]) == index[late]
    assert graph.first_use(index[chain]) == index[late]
    assert graph.first_use(index[root]) == len(order)
    assert graph.uses[index[early]] == 2


def test_shape_tells_graphs_apart() -> None:
    a, b = Value(1.0), Value(2.0)
    one = Graph.of(topological_order(a * b + a)).shape()
    same = Graph.of(topological_order(a * b + a)).shape()
    other = Graph.of(topological_order(a * b + b)).shape()
    assert one == same != other
