"""What the generated code calls when an op cannot be pasted, and the checks it keeps.

The dynamic engine turns a forward's result into a float (refusing complex
and non-numbers) and checks each partial a rule returns; the compiled step
does the same through these small callables, bound once per op.
"""

from __future__ import annotations

from collections.abc import Callable

from opgrad.core.graph import checked_count, float_partial
from opgrad.plugins.binding import checked_result
from opgrad.plugins.declaration import Op


def forward_caller(op: Op) -> Callable[..., float]:
    forward = op.forward

    def forward_of(*xs: float) -> float:
        out = forward(*xs)
        return out if type(out) is float else checked_result(op, out, xs)

    return forward_of


def result_checker(op: Op) -> Callable[[object], float]:
    def checked(out: object) -> float:
        return out if type(out) is float else checked_result(op, out, ())

    return checked


def partial_checker(op: Op) -> Callable[[object], float]:
    def checked(partial: object) -> float:
        return float_partial(op, None, partial)  # the error backward() raises

    return checked


def rule_caller(op: Op) -> Callable[..., tuple[float, ...]]:
    rule, arity = op.local_grads, op.arity

    def partials(*xs: float) -> tuple[float, ...]:
        result = tuple(checked_count(op, rule(*xs), arity))  # the error backward() raises
        return tuple(p if type(p) is float else float_partial(op, None, p) for p in result)

    return partials


def mask_caller(op: Op) -> Callable[..., bool]:
    """``masked(k, *inputs, out)``: whether a zero partial of input ``k`` stops even a nan
    gradient there (for an op whose ``mask_zero_partials`` is a condition)."""
    arity = op.arity

    def masked(k: int, *xs: float) -> bool:
        return op.masked_at(xs[:arity], xs[arity], k)  # the error backward() raises

    return masked
