"""opgrad.func: grad and value_and_grad on plain numbers, checked against JAX and finite
differences."""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import pytest

import opgrad
from opgrad.func import grad, value_and_grad
from opgrad.testing import numerical_derivative


def f(x: Any, y: Any) -> Any:
    """Written with operators and opgrad.ops: it runs on Values and on JAX arrays alike."""
    return opgrad.ops.tanh(x * y) + y * opgrad.ops.exp(x) / (1.0 + x * x)


@pytest.mark.parametrize("point", [(0.3, -1.2), (-2.0, 0.5), (1.5, 2.5)])
def test_grad_matches_jax(point: tuple[float, float], jax: ModuleType) -> None:
    with jax.enable_x64():
        expected = jax.grad(f, argnums=(0, 1))(*map(jax.numpy.float64, point))
        expected_value = f(*map(jax.numpy.float64, point))
    value, (dx, dy) = value_and_grad(f, argnums=(0, 1))(*point)
    assert value == pytest.approx(float(expected_value), rel=1e-13)
    assert (dx, dy) == pytest.approx((float(expected[0]), float(expected[1])), rel=1e-12)
    assert grad(f)(*point) == dx and grad(f, argnums=1)(*point) == dy


def test_grad_matches_finite_differences_and_leaves_numbers_numbers() -> None:
    dx = grad(f)(0.3, -1.2)
    assert type(dx) is float
    assert dx == pytest.approx(numerical_derivative(lambda t: f(opgrad.Value(t), -1.2).data,
                                                    0.3), rel=1e-6)


def test_grad_of_grad_is_the_second_derivative(jax: ModuleType) -> None:
    def cube_tanh(x: Any) -> Any:
        return x ** 3.0 * opgrad.ops.tanh(x)

    with jax.enable_x64():
        expected = float(jax.grad(jax.grad(cube_tanh))(jax.numpy.float64(0.7)))
    assert grad(grad(cube_tanh))(0.7) == pytest.approx(expected, rel=1e-12)


def test_an_argument_not_differentiated_can_be_anything() -> None:
    def scaled(x: Any, name: str) -> Any:
        return x * len(name)

    assert grad(scaled)(2.0, "abc") == 3.0


@pytest.mark.parametrize(("argnums", "error", "match"), [
    (2, ValueError, r"argnums \[2\] out of range for 2 argument"),
    ("0", TypeError, "argnums must be an int or a tuple of ints"),
    ((), TypeError, "argnums must be an int or a tuple of ints"),
])
def test_bad_argnums_are_refused(argnums: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        grad(f, argnums=argnums)(1.0, 2.0)


def test_a_function_that_returns_no_value_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="f must return a Value"):
        grad(lambda x: 3.0)(1.0)
    with pytest.raises(TypeError, match="must be a real number, got str"):
        grad(lambda x: x)("1.0")
    assert math.isclose(grad(lambda x: x * x)(True), 2.0)
