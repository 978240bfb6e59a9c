"""trace_graph.ipynb's helper (tests/compat/graph_helpers.py) on compat and plain opgrad Values."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import opgrad
from opgrad.compat.micrograd.engine import Value
from tests.compat.graph_helpers import draw_dot, trace


def neuron(value: Callable[..., Any]) -> Any:
    """The notebook's example: a 2-input neuron, labelled as in the lecture."""
    x1, x2 = value(2.0, label="x1"), value(0.0, label="x2")
    w1, w2 = value(-3.0, label="w1"), value(1.0, label="w2")
    b = value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.relu()
    o.label = "o"
    o.backward()
    return o


def micrograd_neuron(micrograd: ModuleType) -> Any:
    """The same graph on micrograd 0.1.0 (whose Value takes no label)."""
    value = micrograd.engine.Value
    x1, x2, w1, w2 = value(2.0), value(0.0), value(-3.0), value(1.0)
    return (x1 * w1 + x2 * w2 + value(6.8813735870195432)).relu()


def test_trace_gives_micrograd_s_graph(micrograd: ModuleType) -> None:
    nodes, edges = trace(neuron(Value))
    their_nodes, their_edges = trace(micrograd_neuron(micrograd))
    assert sorted(n._op for n in nodes) == sorted(n._op for n in their_nodes)
    assert len(edges) == len(their_edges)


def test_draw_dot_on_compat_values(graphviz: ModuleType, graphviz_dot: str) -> None:
    dot = draw_dot(neuron(Value), graphviz)
    assert "ReLU" in dot.source and "{ w1 | data -3.0000 | grad 2.0000 }" in dot.source
    assert dot.pipe(format="svg").startswith(b"<?xml")


def test_draw_dot_on_plain_opgrad_values(graphviz: ModuleType, graphviz_dot: str) -> None:
    root = neuron(opgrad.Value)
    dot = draw_dot(root, graphviz)
    nodes, edges = trace(root)
    assert (len(nodes), len(edges)) == (10, 9)
    assert "label=relu" in dot.source and "{ x1 | data 2.0000 | grad -3.0000 }" in dot.source
    assert dot.pipe(format="svg").startswith(b"<?xml")


def test_trace_graph_s_neuron_through_the_recipe_s_nn_import(micrograd: ModuleType) -> None:
    # trace_graph.ipynb: from micrograd import nn; n = nn.Neuron(2); y = n(x); draw_dot(y)
    import random

    from opgrad.compat.micrograd import nn

    random.seed(1337)
    n = nn.Neuron(2)
    x = [Value(1.0), Value(-2.0)]
    y = n(x)
    y.backward()
    random.seed(1337)
    their_n = micrograd.nn.Neuron(2)
    their_y = their_n([micrograd.engine.Value(1.0), micrograd.engine.Value(-2.0)])
    their_y.backward()
    assert type(y) is Value and y.data == their_y.data
    assert [p.grad for p in n.parameters()] == [p.grad for p in their_n.parameters()]
    assert len(trace(y)[0]) == len(trace(their_y)[0])
