"""What a rule returns is checked once: real numbers become floats, the rest is an error."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

import opgrad
from opgrad import Value
from opgrad.plugins.registry import Registry


def unary_op(name: str, rule: Callable[..., Any]) -> Callable[..., Any]:
    return opgrad.register(lambda x: 2.0 * x, name=name, local_grads=rule,
                           formula=f"d/dx {name}(x) = 2")


def binary_op(name: str, rule: Callable[..., Any]) -> Callable[..., Any]:
    return opgrad.register(lambda x, y: x * y, name=name, local_grads=rule,
                           formula=f"d/dx {name}(x, y) = y")


def test_numpy_and_int_partials_give_float_grads(registry: Registry, numpy: ModuleType) -> None:
    twice = unary_op("twice_np", lambda x, out: (numpy.float32(2.0),))
    times = binary_op("times_int", lambda x, y, out: (3, 2))
    x, y = Value(1.5), Value(2.0)
    (twice(x) + times(x, y)).backward()
    assert type(x.grad) is float and x.grad == 2.0 + 3.0
    assert type(y.grad) is float and y.grad == 2.0


@pytest.mark.parametrize("partial", ["2", None, Value(2.0)], ids=["str", "None", "Value"])
def test_a_partial_that_is_no_real_number_names_the_op(registry: Registry, partial: Any) -> None:
    bad = unary_op("badpartial", lambda x, out: (partial,))
    x = Value(1.0)
    (x * 3.0).backward()  # an earlier pass: its gradient must survive the failed one
    with pytest.raises(opgrad.BackwardError, match=rf"op 'badpartial' at inputs \(1.0\): "
                       rf"local_grads returned {type(partial).__name__} .* as a partial"):
        (bad(x) + x).backward()
    assert type(x.grad) is float and x.grad == 3.0


def test_a_value_partial_outside_create_graph_says_why(registry: Registry) -> None:
    bad = binary_op("valuepartial", lambda x, y, out: (Value(1.0), 1.0))
    with pytest.raises(opgrad.BackwardError, match=r"real numbers \(Values under create_graph\)"):
        bad(Value(1.0), Value(2.0)).backward()


def test_huge_ints_are_value_errors_naming_the_op() -> None:
    with pytest.raises(ValueError, match=r"tanh\(.*\) is undefined"):
        opgrad.ops.tanh(10**400)
    with pytest.raises(ValueError, match=r"mul\(.*\) is undefined"):
        opgrad.ops.mul(Value(1.0), 10**400)


def test_a_forward_returning_a_huge_int_is_a_value_error(registry: Registry) -> None:
    huge = opgrad.register(lambda x: 10**400, name="huge", local_grads=lambda x, out: (0.0,),
                           formula="d/dx huge(x) = 0")
    with pytest.raises(ValueError, match=r"huge\(1.0\) is undefined"):
        huge(Value(1.0))
