"""JAX-shaped transforms on plain numbers: ``grad(f)(x, y)`` and ``value_and_grad``.

``f`` takes numbers and returns a Value (it is written with operators and
``opgrad.ops``); the transformed function takes floats and returns floats:

>>> import opgrad
>>> from opgrad.func import grad, value_and_grad
>>> f = lambda x, y: x * y + opgrad.ops.tanh(y)
>>> round(grad(f)(2.0, 0.5), 6)                       # df/dx = y
0.5
>>> [round(g, 6) for g in grad(f, argnums=(0, 1))(2.0, 0.5)]
[0.5, 2.786448]
>>> round(grad(grad(lambda x: x ** 3))(2.0), 6)       # d2/dx2 x^3 = 6x
12.0

(``opgrad.grad(output, inputs)`` is the other way in: gradients of a graph
already built.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from numbers import Real
from typing import Any

from opgrad.core import Value
from opgrad.derivatives import grad as graph_grad

Argnums = int | Sequence[int]


def grad(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """The function giving df/dx for the argument(s) ``argnums`` (a number, or a tuple)."""
    differentiated = value_and_grad(f, argnums)

    def gradient(*args: Any) -> Any:
        return differentiated(*args)[1]

    gradient.__name__ = f"grad_{getattr(f, '__name__', 'f')}"
    return gradient


def value_and_grad(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """The function giving ``(f(*args), df/dx)`` for the argument(s) ``argnums``.

    Called with Values (inside another transform), it returns Values, so
    transforms nest: ``grad(grad(f))`` is the second derivative.
    """
    if not callable(f):
        raise TypeError(f"value_and_grad needs a function, got {type(f).__name__}")

    def value_and_gradient(*args: Any) -> tuple[Any, Any]:
        positions = _positions(argnums, len(args))
        xs = list(args)
        for i in positions:
            xs[i] = _as_input(args[i], i)
        out = f(*xs)
        if not isinstance(out, Value):
            raise TypeError(f"value_and_grad: f must return a Value (a scalar built from its "
                            f"inputs), got {type(out).__name__}")
        nested = any(isinstance(args[i], Value) for i in positions)  # inside a transform
        grads = graph_grad(out, [xs[i] for i in positions], create_graph=nested)
        found = grads[0] if isinstance(argnums, int) else tuple(grads)
        return (out if nested else out.data), found

    return value_and_gradient


def _positions(argnums: Argnums, count: int) -> list[int]:
    positions = [argnums] if isinstance(argnums, int) else list(argnums)
    if not positions or not all(isinstance(i, int) for i in positions):
        raise TypeError(f"argnums must be an int or a tuple of ints, got {argnums!r}")
    bad = [i for i in positions if not -count <= i < count]
    if bad:
        raise ValueError(f"argnums {bad} out of range for {count} argument(s)")
    return [i % count for i in positions]


def _as_input(x: object, position: int) -> Value:
    if isinstance(x, Value):
        return x
    if isinstance(x, Real):
        return Value(float(x))
    raise TypeError(f"argument {position} is differentiated, so it must be a real number, "
                    f"got {type(x).__name__}")
