"""Reading a Value's number: comparisons, ``float(v)`` and ``v.item()``, and what each
means while ``opgrad.compile`` traces.

A Python ``if`` on a Value (``if x > 0``) picks a branch from the data. A
compiled step replays the graph without running that ``if`` again, so the
tracer notes every comparison made and turns it into a guard that raises
``StructureChanged`` when the branch would now go the other way. A number
read with ``float(v)`` can be used in any way, so while tracing it is refused
with an error saying what to do instead.
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from numbers import Real
from typing import Any

from opgrad.core import Value
from opgrad.core.graph import per_thread

Comparison = tuple[Value, str, "Value | float", bool]  # left, operator, right, result
_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_DUNDERS = {"<": "__lt__", "<=": "__le__", ">": "__gt__", ">=": "__ge__"}


class _Recording(threading.local):
    comparisons: list[Comparison] | None = None


_recording = _Recording()


def _comparison(symbol: str) -> Callable[[Value, object], Any]:
    compare = _COMPARE[symbol]

    def method(left: Value, right: object) -> Any:  # a bool, or NotImplemented
        other = right.data if isinstance(right, Value) else right
        if not isinstance(other, Real):
            return NotImplemented
        result = bool(compare(left.data, other))
        if _recording.comparisons is not None:
            _recording.comparisons.append((left, symbol, right, result))  # type: ignore[arg-type]  # a Value or a Real
        return result

    method.__name__ = _DUNDERS[symbol]
    return method


def bind_comparisons() -> None:
    """Give Value ``< <= > >=`` (on ``.data``; they record no graph), ``float(v)`` and
    ``v.item()``."""
    for symbol, dunder in _DUNDERS.items():
        setattr(Value, dunder, _comparison(symbol))
    setattr(Value, "__float__", number)  # noqa: B010  # bound from outside core on purpose
    setattr(Value, "item", number)  # noqa: B010


def number(value: Value) -> float:
    """The number a Value holds (``.data``): ``float(v)``, and ``v.item()`` as in PyTorch."""
    if getattr(per_thread, "rules_on_values", False):  # math.exp(x) in a rule: x cut off
        raise TypeError("float() of a Value in a rule running on Values (create_graph)")
    if _recording.comparisons is not None:
        raise RuntimeError("float(v) or v.item() inside a function opgrad.compile traces: the "
                           "step cannot replay what the number decides; compare Values "
                           "instead (v > 0 is checked on every call), or read it outside")
    return value.data


@contextmanager
def recording_comparisons() -> Iterator[list[Comparison]]:
    """Collect every Value comparison made in this thread inside the block."""
    previous, _recording.comparisons = _recording.comparisons, []
    was_tracing, per_thread.tracing = getattr(per_thread, "tracing", False), True
    try:
        yield _recording.comparisons
    finally:
        _recording.comparisons, per_thread.tracing = previous, was_tracing
