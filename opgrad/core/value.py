"""The scalar node of the graph: a float, its gradient, and how it was made.

The core knows nothing about particular operations. A node made by an op
keeps the op object (anything with a ``name`` and a ``local_grads`` rule) and
its parents; the operators and methods of :class:`Value` are attached by the
plugin layer, one per registered op.
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from numbers import Real
from typing import Any, Protocol

from opgrad.core.graph import backward as _backward


class OpLike(Protocol):
    """What the core needs from an op: its name and its local-gradient rule."""

    @property
    def name(self) -> str: ...

    @property
    def local_grads(self) -> Any: ...


class _GradMode(threading.local):
    enabled: bool = True
    comparisons: list[Comparison] | None = None  # recorded while opgrad.compile traces


_grad_mode = _GradMode()
# How many threads are inside no_grad right now. While it is 0 (nearly always)
# node creation skips the per-thread lookup, which is slow on the hot path.
_threads_without_grad = 0
_switch_lock = threading.Lock()


def _switch_grad(enabled: bool) -> bool:
    """Set this thread's grad mode; return the previous one."""
    global _threads_without_grad
    with _switch_lock:
        previous = _grad_mode.enabled
        _grad_mode.enabled = enabled
        _threads_without_grad += int(previous and not enabled) - int(enabled and not previous)
    return previous


@contextmanager
def _grad_mode_set_to(enabled: bool) -> Iterator[None]:
    previous = _switch_grad(enabled)
    try:
        yield
    finally:
        _switch_grad(previous)


def no_grad() -> AbstractContextManager[None]:
    """Record no graph inside the block (this thread only): results are leaves."""
    return _grad_mode_set_to(False)


def enable_grad() -> AbstractContextManager[None]:
    """Record the graph again inside a ``no_grad`` block (this thread only)."""
    return _grad_mode_set_to(True)


def is_grad_enabled() -> bool:
    """True when new results record their parents (the default)."""
    return _grad_mode.enabled


class Value:
    """A scalar in the computational graph.

    ``data`` is the number, ``grad`` d(root)/d(this) after ``backward()``,
    ``op`` the name of the op that made it ("" for a leaf), ``parents`` its
    inputs in order, ``label`` a name for drawings and traces.
    """

    # Inputs are kept in two slots rather than a tuple: one object per node
    # instead of two, which saves memory and garbage-collector work. A unary
    # node has _in2 None; a node of three or more inputs keeps them all as a
    # tuple in _in1. A leaf has neither.
    __slots__ = ("_in1", "_in2", "_op", "data", "grad", "label")

    data: float
    grad: Any  # a float, or a Value after backward(create_graph=True)
    label: str
    _op: OpLike | None
    _in1: Value | tuple[Value, ...] | None
    _in2: Value | None

    def __init__(self, data: float, label: str = "") -> None:
        if type(data) is not float:
            data = _as_float(data)
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__}")
        self.data = data
        self.grad = 0.0
        self.label = label
        self._op = None
        self._in1 = self._in2 = None

    @property
    def op(self) -> str:
        """The name of the op that produced this value, or "" for a leaf."""
        return "" if self._op is None else self._op.name

    @property
    def parents(self) -> tuple[Value, ...]:
        """The inputs of the op that produced this value, in argument order."""
        first, second = self._in1, self._in2
        if second is not None:
            return (first, second)  # type: ignore[return-value]  # binary: first is a Value
        if first is None:
            return ()
        return first if type(first) is tuple else (first,)  # type: ignore[return-value]  # narrowed

    def backward(self, *, create_graph: bool = False) -> None:
        """Fill ``.grad`` of every node reachable from here with d(self)/d(node).

        Leaves accumulate across calls; intermediate nodes are recomputed.
        With ``create_graph=True`` the gradients are Values in a new graph, so
        they can be differentiated again.
        """
        _backward(self, create_graph=create_graph)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # Comparisons look at .data and record no graph. While a trace records
    # them, each one is noted, so a compiled step can tell when a branch
    # taken during the trace would now go the other way.
    def __lt__(self, other: Value | float) -> bool:
        return _compare(self, "<", other)

    def __le__(self, other: Value | float) -> bool:
        return _compare(self, "<=", other)

    def __gt__(self, other: Value | float) -> bool:
        return _compare(self, ">", other)

    def __ge__(self, other: Value | float) -> bool:
        return _compare(self, ">=", other)


Comparison = tuple[Value, str, "Value | float", bool]  # left, operator, right, result
_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def _compare(left: Value, symbol: str, right: Value | float) -> bool:
    other = right.data if isinstance(right, Value) else right
    if not isinstance(other, Real):
        raise TypeError(f"'{symbol}' is not supported between Value and {type(right).__name__}")
    result = bool(_COMPARE[symbol](left.data, other))
    if _grad_mode.comparisons is not None:
        _grad_mode.comparisons.append((left, symbol, right, result))
    return result


@contextmanager
def recording_comparisons() -> Iterator[list[Comparison]]:
    """Collect every Value comparison made in this thread inside the block."""
    previous, _grad_mode.comparisons = _grad_mode.comparisons, []
    try:
        yield _grad_mode.comparisons
    finally:
        _grad_mode.comparisons = previous


def make_node(
    data: float, op: OpLike, first: Value | tuple[Value, ...], second: Value | None = None
) -> Value:
    """A new Value computed by ``op`` (a leaf under no_grad).

    Its inputs are ``first`` (and ``second`` for a binary op), or, for an op
    of three or more inputs, all of them as a tuple in ``first``.
    """
    node = _new_value(Value)
    node.data = data
    node.grad = 0.0
    node.label = ""
    node._op = op
    node._in1 = first
    node._in2 = second
    if _threads_without_grad and not _grad_mode.enabled:  # this thread is in no_grad
        node._op = None
        node._in1 = node._in2 = None
    return node


_new_value = object.__new__


def _as_float(data: object) -> float:
    # bool is a Real too; it is accepted as 0.0 / 1.0 like float(True).
    if isinstance(data, Real):
        try:
            return float(data)
        except OverflowError:
            raise ValueError(f"Value() got {type(data).__name__} too large for a float") from None
    hint = " (pass a number, e.g. float(s))" if isinstance(data, str) else ""
    raise TypeError(f"Value() takes a real number, got {type(data).__name__}: {data!r}{hint}")


def value_of(x: Value | float) -> float:
    """The number inside ``x``: ``x.data`` for a Value, ``x`` itself for a number.

    For decisions inside a rule (which side of a kink), never for computing a
    partial: a partial computed from plain numbers has no second derivative.
    Value deliberately has no ``__float__``, so ``math.exp(value)`` in a rule
    fails loudly under ``create_graph=True`` instead of giving a wrong number.
    """
    return x.data if isinstance(x, Value) else x


def as_values(items: Sequence[object]) -> tuple[Value, ...]:
    """Each item as a Value: Values unchanged, numbers as constant leaves."""
    return tuple(x if isinstance(x, Value) else Value(x) for x in items)  # type: ignore[arg-type]  # Value() checks the type
