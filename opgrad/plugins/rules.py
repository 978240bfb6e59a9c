"""Helpers for writing an op's local-gradient rule."""

from __future__ import annotations

from opgrad.core import Value


def value_of(x: Value | float) -> float:
    """``x.data`` for a Value, ``x`` for a number: for deciding, never computing, a partial.

    Value has no ``__float__`` on purpose: ``math.exp(value)`` in a rule fails
    loudly under ``create_graph=True`` instead of giving a wrong number.
    """
    return x.data if isinstance(x, Value) else x
