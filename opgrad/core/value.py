"""The scalar node (a float, its gradient, its inputs, its op) and grad mode. No op is named
here: the plugin layer attaches one method per op to Value."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from numbers import Real
from typing import Any, Protocol

from opgrad.core import graph


class OpLike(Protocol):
    """What the core needs of an op: its name, its rule, whether a zero partial masks."""

    @property
    def name(self) -> str: ...

    @property
    def local_grads(self) -> Callable[..., Any]: ...

    @property
    def mask_zero_partials(self) -> bool | Callable[..., Any]: ...

    def masks_zero(self, node: Value, k: int) -> bool: ...


class _GradMode(threading.local):
    enabled: bool = True


_grad_mode = _GradMode()
# How many threads are inside no_grad right now. While it is 0 (nearly always)
# node creation skips the per-thread lookup, which is slow on the hot path.
_threads_without_grad = 0
_switch_lock = threading.Lock()


@contextmanager
def _grad_mode_set_to(enabled: bool) -> Iterator[None]:
    global _threads_without_grad
    if not enabled and getattr(graph.per_thread, "tracing", False):
        raise RuntimeError("no_grad() inside a function opgrad.compile traces: the step would "
                           "freeze what it computes at its traced numbers; compute it outside")
    previous = _grad_mode.enabled
    change = int(previous) - int(enabled)  # +1 entering no_grad, -1 leaving it
    with _switch_lock:
        _grad_mode.enabled, _threads_without_grad = enabled, _threads_without_grad + change
    try:
        yield
    finally:
        with _switch_lock:
            _grad_mode.enabled, _threads_without_grad = previous, _threads_without_grad - change


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
    """A scalar in the graph: ``data``, ``grad`` (after ``backward()``), ``label``."""

    # Inputs are kept in two slots rather than a tuple: one object per node
    # instead of two, which saves memory and garbage-collector work. A unary
    # node has _in2 None; a node of three or more inputs keeps them all as a
    # tuple in _in1. A leaf has neither.
    __slots__ = ("_in1", "_in2", "_made_by", "data", "grad", "label")

    data: float
    grad: Any  # a float, or a Value after backward(create_graph=True)
    label: str
    _made_by: OpLike | None
    _in1: Value | tuple[Value, ...] | None
    _in2: Value | None

    def __init__(self, data: float, label: str = "") -> None:
        if type(data) is not float:
            data = _as_float(data)
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__}")
        self.data, self.grad, self.label = data, 0.0, label
        self._made_by = self._in1 = self._in2 = None

    @property
    def declaration(self) -> OpLike | None:
        """The op that produced this value (its name, forward, rule, formula), or None."""
        return self._made_by

    @property
    def op(self) -> str:
        """The name of the op that produced this value, or "" for a leaf."""
        return "" if self._made_by is None else self._made_by.name

    @property
    def parents(self) -> tuple[Value, ...]:
        """The inputs of the op that produced this value, in argument order."""
        first, second = self._in1, self._in2
        if second is not None:
            return (first, second)  # type: ignore[return-value]  # binary: first is a Value
        return () if first is None else first if type(first) is tuple else (first,)  # type: ignore[return-value]  # narrowed

    # micrograd's names, for code written against micrograd (no memory per node).
    @property
    def _prev(self) -> set[Value]:  # micrograd's name: the parents, as a set
        return set(self.parents)

    @property
    def _op(self) -> str:  # micrograd's name: the op's operator symbol, else its name
        made_by = self._made_by
        return "" if made_by is None else getattr(made_by, "operator", None) or made_by.name

    def backward(self, gradient: float | Value | None = None, *,
                 create_graph: bool = False) -> None:
        """``.grad`` of every node feeding this one += d(self)/d(node) * gradient (1.0)."""
        seed: Any = 1.0 if gradient is None else gradient if isinstance(
            gradient, Value) else _as_float(gradient, "backward(gradient=...)")
        if create_graph != isinstance(seed, Value):
            seed = Value(seed) if create_graph else seed.data
        graph.backward(self, seed, create_graph)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"


def make_node(data: float, op: OpLike, first: Value | tuple[Value, ...],
              second: Value | None = None, kind: type[Value] = Value) -> Value:
    """A ``kind`` node of ``op`` on ``first`` (and ``second``), or on the tuple ``first``."""
    node = _new_value(kind)
    node.data, node.grad, node.label = data, 0.0, ""
    node._made_by, node._in1, node._in2 = op, first, second
    if _threads_without_grad and not _grad_mode.enabled:  # this thread is in no_grad
        node._made_by = node._in1 = node._in2 = None
    return node


_new_value = object.__new__


def _as_float(data: object, who: str = "Value()") -> float:
    # bool is a Real too; it is accepted as 0.0 / 1.0 like float(True).
    if isinstance(data, Real):
        try:
            return float(data)
        except OverflowError:
            raise ValueError(f"{who} got {type(data).__name__} too large for a float") from None
    hint = " (pass a number, e.g. float(s))" if isinstance(data, str) else ""
    raise TypeError(f"{who} takes a real number, got {type(data).__name__}: {data!r}{hint}")
