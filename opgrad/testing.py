"""Tools for checking derivatives: finite differences in float64."""

from __future__ import annotations

from collections.abc import Callable, Sequence


def numerical_derivative(f: Callable[[float], float], x: float, h: float = 1e-6) -> float:
    """The central difference (f(x + h) - f(x - h)) / 2h: the slope of f at x.

    >>> round(numerical_derivative(lambda x: 3 * x**2 - 4 * x + 5, 3.0), 6)
    14.0
    """
    return (f(x + h) - f(x - h)) / (2.0 * h)


def numerical_gradient(
    f: Callable[..., float], inputs: Sequence[float], h: float = 1e-6
) -> list[float]:
    """The central-difference partial derivative of ``f(*inputs)`` for each input."""
    point = [float(x) for x in inputs]

    def along(i: int) -> Callable[[float], float]:
        return lambda t: f(*point[:i], t, *point[i + 1 :])

    return [numerical_derivative(along(i), point[i], h) for i in range(len(point))]
