"""abs: a built-in op bound to abs(), with PyTorch's convention (partial 0 at 0)."""

from __future__ import annotations

import math

import pytest

import opgrad
from opgrad import Value
from opgrad.plugins.registry import Registry


@pytest.mark.parametrize(("x", "slope"), [(-2.0, -1.0), (0.0, 0.0), (3.5, 1.0)])
def test_abs_is_bound_to_the_builtin_and_follows_pytorch_at_zero(x: float, slope: float) -> None:
    v = Value(x)
    out = abs(v)
    out.backward()
    assert (out.op, out.data, v.grad) == ("abs", abs(x), slope)
    assert opgrad.ops.abs(x) == abs(x)


def test_a_rule_using_abs_runs_on_values(registry: Registry) -> None:
    # d/dx softsign(x) = 1 / (1 + |x|)^2, written with abs: second order works on Values
    opgrad.register(lambda x: x / (1.0 + abs(x)), name="softsign_abs",
                    formula="d/dx softsign(x) = 1 / (1 + |x|)^2",
                    local_grads=lambda x, out: (1.0 / (1.0 + abs(x)) ** 2,))
    x = Value(0.5)
    (first,) = opgrad.grad(opgrad.ops.softsign_abs(x), [x], create_graph=True)
    (second,) = opgrad.grad(first, [x])
    assert first.data == pytest.approx(1.0 / 1.5 ** 2)
    assert second == pytest.approx(-2.0 / 1.5 ** 3)  # d/dx (1 + x)^-2 for x > 0


def test_a_rule_calling_a_float_only_function_names_it(registry: Registry) -> None:
    opgrad.register(lambda x: x * 1.0, name="rounded", formula="d/dx = round(x)",
                    local_grads=lambda x, out: (round(x),))
    with pytest.raises(opgrad.BackwardError, match=r"op 'rounded'.*__round__.*opgrad.ops"):
        opgrad.ops.rounded(Value(0.6)).backward(create_graph=True)


def test_math_in_a_rule_fails_under_create_graph_instead_of_cutting_the_graph(
        registry: Registry) -> None:
    # float(Value) works (a PyTorch habit), except while a rule runs on Values: there
    # math.exp(x) would quietly return a number and drop x from the second derivative.
    opgrad.register(math.exp, name="exp_math", formula="d/dx exp(x) = exp(x)",
                    local_grads=lambda x, out: (math.exp(x),))
    x = Value(0.5)
    assert float(x) == x.item() == 0.5 and math.exp(x) == math.exp(0.5)
    opgrad.ops.exp_math(x).backward()  # on floats the rule is fine
    with pytest.raises(opgrad.BackwardError, match=r"op 'exp_math'.*float\(\) of a Value"):
        opgrad.grad(opgrad.ops.exp_math(x), [x], create_graph=True)
