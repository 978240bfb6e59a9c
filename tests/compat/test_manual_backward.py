"""micrograd's ``_backward``: called by hand (the lecture), and assigned to add an op."""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import pytest

from opgrad.compat.micrograd.engine import Value


def lecture_neuron(value: Any) -> tuple[list[Any], Any]:
    """nn-zero-to-hero's neuron: o = tanh(x1*w1 + x2*w2 + b), its nodes in backward order."""
    x1, x2, w1, w2 = value(2.0), value(0.0), value(-3.0), value(1.0)
    b = value(6.8813735870195432)
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    e = (2 * n).exp() if hasattr(n, "exp") else None
    o = (e - 1) / (e + 1)
    return [x1, x2, w1, w2, b], o


def test_calling_backward_by_hand_node_by_node_equals_micrograd(micrograd: ModuleType) -> None:
    # The lecture's cells: o.grad = 1.0; then node._backward() from the output back.
    def by_hand(value: Any) -> list[float]:
        leaves, o = lecture_neuron(value)
        order = topological(o)
        o.grad = 1.0
        for node in reversed(order):
            node._backward()
        return [leaf.grad for leaf in leaves]

    ours = by_hand(Value)
    theirs = by_hand(micrograd_value_with_exp(micrograd))
    assert ours == pytest.approx(theirs, rel=1e-12) and any(ours)


def topological(root: Any) -> list[Any]:
    order, seen = [], set()

    def build(v: Any) -> None:
        if v not in seen:
            seen.add(v)
            for child in v._prev:
                build(child)
            order.append(v)

    build(root)
    return order


def micrograd_value_with_exp(micrograd: ModuleType) -> Any:
    """micrograd 0.1.0's Value with the lecture's exp (0.1.0 has none)."""
    base = micrograd.engine.Value

    class LectureValue(base):  # type: ignore[misc, valid-type]  # micrograd is untyped
        def exp(self) -> Any:
            out = LectureValue(math.exp(self.data), (self,), "exp")

            def _backward() -> None:
                self.grad += out.data * out.grad

            out._backward = _backward
            return out

        def __add__(self, other: Any) -> Any:
            return self._lift(base.__add__(self, other))

        def __mul__(self, other: Any) -> Any:
            return self._lift(base.__mul__(self, other))

        def _lift(self, node: Any) -> Any:
            node.__class__ = LectureValue
            return node

    return LectureValue


def mytanh(self: Any, value: Any) -> Any:
    """The lecture's way to add an op: a node made by hand with its own _backward."""
    x = self.data
    t = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
    out = value(t, (self,), "tanh")

    def _backward() -> None:
        self.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def test_an_assigned_backward_is_honoured_and_equals_micrograd(micrograd: ModuleType) -> None:
    def run(value: Any) -> float:
        x = value(0.5)
        (mytanh(x * 2, value) * 3).backward()
        return float(x.grad)

    theirs = run(micrograd.engine.Value)
    assert theirs == pytest.approx(2.5198, abs=1e-4)
    assert run(Value) == pytest.approx(theirs, rel=1e-15)


def test_with_an_assigned_backward_repeated_passes_still_accumulate_exactly() -> None:
    x = Value(0.5)
    out = mytanh(x * 2, Value) * 3
    out.backward()
    once = x.grad
    out.backward()
    assert x.grad == 2 * once


def test_a_failing_hand_written_backward_leaves_the_grads_as_they_were() -> None:
    x = Value(0.5)
    x.grad = 4.0
    out = Value(1.0, (x,), "broken")

    def broken() -> None:
        raise ZeroDivisionError("in the lecture's code")

    out._backward = broken
    with pytest.raises(ZeroDivisionError):
        (out * 2).backward()
    assert x.grad == 4.0


def test_backward_needs_a_function() -> None:
    with pytest.raises(TypeError, match="_backward must be a function"):
        Value(1.0)._backward = 3.0  # type: ignore[assignment]  # the mistake under test


def test_create_graph_is_refused_with_a_hand_written_backward() -> None:
    x = Value(0.5)
    with pytest.raises(TypeError, match="hand-written _backward"):
        (mytanh(x, Value) * 2).backward(create_graph=True)


def test_grad_jvp_and_compile_refuse_a_hand_built_node_instead_of_giving_zero() -> None:
    import opgrad

    x = Value(0.5)
    y = mytanh(x * 2, Value) * 3
    with pytest.raises(TypeError, match=r"opgrad.grad: node .* has inputs but no op"):
        opgrad.grad(y, [x])
    with pytest.raises(TypeError, match=r"opgrad.compile: node .* has inputs but no op"):
        opgrad.compile(lambda: mytanh(x * 2, Value) * 3)
    with pytest.raises(TypeError, match=r"opgrad.jvp: node .* has inputs but no op"):
        opgrad.jvp(lambda v: mytanh(v, Value) * 3, [0.5], [1.0])


def test_children_that_are_not_values_are_named_when_the_node_is_made() -> None:
    with pytest.raises(TypeError, match=r"_children must be Values, got float: 2.0"):
        Value(1.0, (2.0,), "x")  # type: ignore[arg-type]  # the mistake under test
