"""Constants: the numbers an operation turns into leaves (the 2 in ``b ** 2``).

A constant is not a variable: it gets no gradient (its ``grad`` reads 0.0
whatever a backward pass adds to it, as a PyTorch tensor that does not require
grad gets none), and views (explain, the explorer, drawings) show none. Leaves
a user makes with ``Value(...)`` are variables.
"""

from __future__ import annotations

from typing import Any

from opgrad.core import Value

# The classes no op result takes (kept in a set: the dispatch tests membership, fast).
leaf_only: set[type[Value]] = set()


class LeafOnly(Value):
    """Base of the Value classes that only leaves have: a constant, a stored parameter
    (``opgrad.nn.StoredParameter``). An op's result never takes such a class: it takes
    the class of its other inputs, or plain ``Value``. Subclassing is the declaration."""

    __slots__ = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        leaf_only.add(cls)


class Constant(LeafOnly):
    """A number an operation made into a leaf: no gradient, and none shown."""

    __slots__ = ()

    @property  # a read-only zero in place of the slot
    def grad(self) -> float:
        return 0.0

    @grad.setter
    def grad(self, discarded: Any) -> None:
        pass  # a pass adds d(root)/d(constant) here: nobody asked for it

    @staticmethod
    def _backward() -> None:
        """micrograd's per-node step, for code that walks a graph calling each node's: a
        constant passes nothing on (opgrad.compat's Values have the real one)."""


def result_class(*inputs: Value) -> type[Value]:
    """The class of an op's result: the most derived class among its inputs, leaving out
    the leaf-only classes (constants, stored parameters), so a Value subclass
    (opgrad.compat's) keeps its class."""
    return _most_derived(*map(type, inputs))


_of_pairs: dict[tuple[type[Value], type[Value]], type[Value]] = {}


def pair_class(first: type[Value], second: type[Value]) -> type[Value]:
    """:func:`result_class` for a binary op's inputs of these classes, remembered (a
    stored parameter times a plain Value is the common case)."""
    kind = _of_pairs.get((first, second))
    if kind is None:
        kind = _of_pairs[first, second] = _most_derived(first, second)
    return kind


def _most_derived(*kinds: type[Value]) -> type[Value]:
    found: type[Value] = Value
    for kind in kinds:
        if kind not in leaf_only and issubclass(kind, found):
            found = kind
    return found
