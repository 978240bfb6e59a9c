"""What the generated code calls when an op cannot be pasted, and the checks it keeps.

The dynamic engine turns a forward's result into a float (refusing complex
and non-numbers) and checks each partial a rule returns; the compiled step
does the same through these small callables, bound once per op.
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Real

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
        if isinstance(partial, Real):
            return float(partial)
        raise TypeError(f"op {op.name!r}: local_grads returned {type(partial).__name__} "
                        f"{partial!r} as a partial; a rule must return real numbers")

    return checked


def rule_caller(op: Op) -> Callable[..., tuple[float, ...]]:
    rule, arity, checked = op.local_grads, op.arity, partial_checker(op)

    def partials(*xs: float) -> tuple[float, ...]:
        result = tuple(rule(*xs))
        if len(result) != arity:
            raise ValueError(f"op {op.name!r}: local_grads returned {len(result)} partial(s), "
                             f"expected {arity}")
        return tuple(p if type(p) is float else checked(p) for p in result)

    return partials
