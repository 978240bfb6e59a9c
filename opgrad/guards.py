"""Comparing Values, and noting each comparison while ``opgrad.compile`` traces.

A Python ``if`` on a Value (``if x > 0``) picks a branch from the data. A
compiled step replays the graph without running that ``if`` again, so the
tracer notes every comparison made and turns it into a guard that raises
``StructureChanged`` when the branch would now go the other way.
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from numbers import Real
from typing import Any

from opgrad.core import Value

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
    """Give Value ``< <= > >=`` (on ``.data``; they record no graph)."""
    for symbol, dunder in _DUNDERS.items():
        setattr(Value, dunder, _comparison(symbol))


@contextmanager
def recording_comparisons() -> Iterator[list[Comparison]]:
    """Collect every Value comparison made in this thread inside the block."""
    previous, _recording.comparisons = _recording.comparisons, []
    try:
        yield _recording.comparisons
    finally:
        _recording.comparisons = previous
