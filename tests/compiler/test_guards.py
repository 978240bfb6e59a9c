"""Every comparison of Values made while tracing is checked on every call of the step.

max, min and sorted compare Values and keep only some of them: the others are not in
the loss's graph, yet their data decides which graph the function builds.
"""

from __future__ import annotations

import pytest

import opgrad
from opgrad import StructureChanged, Value


def test_max_over_leaves_is_guarded() -> None:
    xs = [Value(1.0), Value(2.0)]
    step = opgrad.compile(lambda: max(xs) * 3.0)
    assert step() == 6.0 and (xs[0].grad, xs[1].grad) == (0.0, 3.0)
    xs[0].data = 5.0
    with pytest.raises(StructureChanged, match="compared"):
        step()


def test_a_hand_written_relu_over_a_computed_value_is_guarded() -> None:
    w = Value(-1.0)
    step = opgrad.compile(lambda: max(w * 2.0, 0.0) + w)  # w * 2.0 is dropped by max
    assert step() == -1.0
    w.data = 1.0
    with pytest.raises(StructureChanged, match="compared"):
        step()
    dynamic = max(w * 2.0, 0.0) + w
    assert dynamic.data == 3.0


@pytest.mark.parametrize("pick", [min, max, lambda xs: sorted(xs)[1]])
def test_while_the_order_holds_the_step_equals_backward(pick: object) -> None:
    xs = [Value(0.3), Value(-1.2), Value(2.5)]

    def loss() -> Value:
        chosen = pick(xs)  # type: ignore[operator]  # min, max or a lambda
        return (chosen * chosen).tanh()

    step = opgrad.compile(loss)
    for shift in (0.0, 0.01, -0.02):  # small moves keep the order: the same branch
        for x in xs:
            x.data += shift
            x.grad = 0.0
        compiled = step()
        got = [x.grad for x in xs]
        for x in xs:
            x.grad = 0.0
        expected = loss()
        expected.backward()
        assert compiled == expected.data and got == [x.grad for x in xs]


def test_a_comparison_of_a_value_computed_from_the_loss_is_refused() -> None:
    a, b = Value(1.0), Value(2.0)

    def loss() -> Value:
        first = a * 2.0
        return first if first * 1.0 > 0.0 else b * 3.0  # compares a value made from `first`

    with pytest.raises(ValueError, match="compared a value computed from the loss"):
        opgrad.compile(loss)


def test_verify_sees_the_same_graph_with_its_guards() -> None:
    xs = [Value(1.0), Value(2.0)]
    step = opgrad.compile(lambda: max(xs) * 3.0)
    step.verify()
    xs[0].data = 5.0
    with pytest.raises(StructureChanged):
        step.verify()


def test_reading_a_number_while_tracing_is_refused() -> None:
    # float(v) and v.item() let fn do anything with the number: no guard can replay it.
    w = Value(-1.0)
    xs = [Value(1.0), Value(2.0)]
    for fn in (lambda: w * 3.0 if (w * 2.0).item() > 0 else w * 1.0,
               lambda: max(xs, key=float) * 3.0):
        with pytest.raises(RuntimeError, match=r"float\(v\) or v.item\(\) inside a function "
                           r"opgrad.compile traces.*compare Values instead"):
            opgrad.compile(fn)
    assert float(w) == w.item() == -1.0  # outside a trace they read the number


def test_no_grad_while_tracing_is_refused() -> None:
    # A value made under no_grad inside fn is a leaf: the step would freeze its number.
    x = Value(1.0)

    def fn() -> Value:
        with opgrad.no_grad():
            s = x * 2.0
        return x * s

    with pytest.raises(RuntimeError, match=r"no_grad\(\) inside a function opgrad.compile "
                       "traces"):
        opgrad.compile(fn)
    with opgrad.no_grad():  # around the compile call, as before: fn is traced with grads
        step = opgrad.compile(lambda: x * x * 3.0)
    assert step() == 3.0 and x.grad == 6.0
