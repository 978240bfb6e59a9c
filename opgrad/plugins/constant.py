"""Constants: the numbers an operation turns into leaves (the 2 in ``b ** 2``).

A constant is not a variable: it gets no gradient (its ``grad`` reads 0.0
whatever a backward pass adds to it, as a PyTorch tensor that does not require
grad gets none), and views (explain, the explorer, drawings) show none. Leaves
a user makes with ``Value(...)`` are variables.
"""

from __future__ import annotations

from typing import Any

from opgrad.core import Value


class Constant(Value):
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
    """The class of an op's result: the most derived class among its inputs that are not
    constants, so a Value subclass (opgrad.compat's) keeps its class."""
    kind: type[Value] = Value
    for x in inputs:
        if type(x) is not Constant and issubclass(type(x), kind):
            kind = type(x)
    return kind
