"""opgrad.compat.micrograd.engine.Value against micrograd 0.1.0's Value, side by side."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

import opgrad
from opgrad.compat.micrograd.engine import Value
from tests.compat.graph_helpers import trace


def more_ops(value: Callable[[float], Any]) -> tuple[Any, Any, Any]:
    """micrograd's test_sanity_check expression, then - / ** and negation: (x, w, out)."""
    x, w = value(-4.0), value(1.5)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    out = (y - w) / (x**2 + 1) - 3 / w + (-y) ** 3 * 1e-6 - (1 - x) ** -1
    return x, w, out


def test_values_and_grads_match_micrograd(micrograd: ModuleType) -> None:
    theirs, ours = more_ops(micrograd.engine.Value), more_ops(Value)
    theirs[2].backward()
    ours[2].backward()
    assert ours[2].data == pytest.approx(theirs[2].data, rel=1e-12)
    for mine, reference in zip(ours[:2], theirs[:2], strict=True):
        assert mine.grad == pytest.approx(reference.grad, rel=1e-12)


def test_graph_and_op_strings_match_micrograd(micrograd: ModuleType) -> None:
    # -, / and unary - are composed as micrograd composes them: the same nodes.
    theirs, ours = trace(more_ops(micrograd.engine.Value)[2]), trace(more_ops(Value)[2])
    assert Counter(n._op for n in ours[0]) == Counter(n._op for n in theirs[0])
    assert len(ours[1]) == len(theirs[1])
    assert {"+", "*", "**3", "**2", "**-1", "ReLU", ""} == {n._op for n in ours[0]}


def test_every_result_is_a_compat_value() -> None:
    a, b = Value(2.0), Value(3.0)
    results = [a + b, a * 2, 2 * a, a - 1, 1 - a, a / b, 1 / a, -a, a**2, a.relu(), a.tanh(),
               opgrad.Value(1.0) * a]
    assert all(type(r) is Value for r in results)


def test_plain_opgrad_values_are_untouched() -> None:
    x = opgrad.Value(2.0) + 1
    assert type(x) is opgrad.Value
    assert not hasattr(x, "__dict__")
    assert (opgrad.Value(6.0) - 2).op == "sub"  # opgrad's own Value keeps its sub op


def test_attributes_a_user_sets_are_kept() -> None:
    p = Value(1.0)
    out = (p * 2).relu()
    p.m, out.color = 0.5, "red"
    assert (p.m, out.color) == (0.5, "red")


def test_constructor_with_children_and_op_as_micrograd() -> None:
    a, b = Value(1.0), Value(2.0)
    c = Value(3.0, (a, b), "+")
    assert (c._prev, c._op) == ({a, b}, "+")
    c.backward()  # a node built by hand has no rule: like micrograd, nothing flows to a, b
    assert (c.grad, a.grad, b.grad) == (1.0, 0.0, 0.0)


def test_op_can_be_set_as_in_micrograd() -> None:
    out = Value(1.0) + 2
    out._op = "sum"
    assert out._op == "sum"


def test_repr_as_micrograd(micrograd: ModuleType) -> None:
    reprs = []
    for value in (Value, micrograd.engine.Value):
        a = value(2.5)
        (a * a).backward()
        reprs.append(repr(a))
    assert reprs == ["Value(data=2.5, grad=5.0)"] * 2


def deep_chain(value: Callable[[float], Any], depth: int) -> tuple[Any, Any]:
    x = value(1.0)
    y = x
    for _ in range(depth):
        y = y * 1.0 + 0.0
    return x, y


def test_repeated_backward_is_exact_unlike_micrograd(micrograd: ModuleType) -> None:
    x, y = deep_chain(Value, 50)
    y.backward()
    y.backward()
    assert x.grad == 2.0
    mx, my = deep_chain(micrograd.engine.Value, 50)
    my.backward()
    my.backward()
    assert mx.grad != 2.0  # micrograd's documented bug, not copied


def test_opgrad_tools_read_compat_graphs() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = (a * b - b / a).relu()
    out.backward()
    assert "relu" in opgrad.viz.explain(out)
    assert "relu" in opgrad.viz.to_dot(out)
    assert opgrad.testing.gradcheck(lambda x, y: (Value(2.0) * x - y / 3).tanh(), [0.3, 0.7])


def test_ops_follow_the_active_registry(registry: Any) -> None:
    @opgrad.op(local_grads=lambda x, out: (3.0,), formula="d/dx triple(x) = 3")
    def triple(x: float) -> float:
        return 3.0 * x

    out = Value(2.0).triple() + 1
    assert (type(out), out.data) == (Value, 7.0)


def test_ops_come_back_after_a_registry_swap(registry: Any) -> None:
    assert type(Value(1.0) + 1) is Value
    assert (Value(1.0) - 1)._op == "+"  # micrograd's own composition survives a rebind


def test_opgrad_draw_dot_draws_compat_graphs(graphviz: ModuleType, graphviz_dot: str) -> None:
    a = Value(2.0, label="a")
    out = (a * a - 1).relu()
    out.backward()
    assert opgrad.viz.draw_dot(out).pipe(format="svg").startswith(b"<?xml")


def test_a_new_registry_keeps_micrograd_s_operators() -> None:
    with opgrad.use_registry(opgrad.build_registry(autoload=False)):
        assert (Value(1.0) / 2)._op == "*"  # still micrograd's a * b**-1
        assert type(Value(1.0).exp()) is Value
