"""micrograd's ``Value``, built on opgrad's engine.

Every op comes from opgrad's registry (so ``explain``, ``draw_dot``,
``check_op`` and the live views work on these Values) and every result is of
this class (a result takes the most derived class of its inputs). ``-`` and
``/`` are composed as micrograd composes them, so the graph and every float
match micrograd's.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from opgrad._typed import Value as OpgradValue
from opgrad.core import Value as CoreValue
from opgrad.core import topological_order
from opgrad.core.graph import partials_of, pass_lock
from opgrad.plugins.constant import Constant
from opgrad.plugins.rules import value_of

# micrograd's _op strings where they differ from opgrad's operator or name
_MICROGRAD_OP_NAMES = {"relu": "ReLU"}


class Value(OpgradValue):
    """A scalar with micrograd's constructor, ``_prev`` and ``_op``, that keeps attributes.

    No ``__slots__`` here, so instances have a ``__dict__``: an optimizer's
    ``p.m`` or a drawing's colour is kept. opgrad's own ``Value`` stays slotted.
    """

    hand_written = 0  # how many nodes were given a _backward (usually none)

    def __init__(self, data: float, _children: Iterable[OpgradValue] = (), _op: str = "",
                 label: str = "") -> None:
        super().__init__(data, label)
        children = tuple(_children)
        odd = next((c for c in children if not isinstance(c, CoreValue)), None)
        if odd is not None:
            raise TypeError(f"Value(data, _children, _op): _children must be Values, got "
                            f"{type(odd).__name__}: {odd!r}")
        if children:  # built by hand, as micrograd allows: drawn with them, a leaf to backward
            self._in1 = children
        if _op:
            self._op = _op

    @property
    def _prev(self) -> set[CoreValue]:
        """The inputs, as micrograd's set; ``x**2`` has only ``x`` (the 2 is in ``_op``)."""
        if self._constant_exponent() is not None:
            return {self.parents[0]}
        return set(self.parents)

    @property
    def _op(self) -> str:
        """micrograd's operator string: ``+``, ``*``, ``**2``, ``ReLU``, else opgrad's."""
        given: str | None = vars(self).get("_micrograd_op")
        op = self.declaration
        if given is not None or op is None:
            return given or ""
        exponent = self._constant_exponent()
        if exponent is not None:
            return f"**{int(exponent) if exponent.is_integer() else exponent}"
        return _MICROGRAD_OP_NAMES.get(op.name) or super()._op

    @_op.setter
    def _op(self, symbol: str) -> None:
        vars(self)["_micrograd_op"] = symbol

    def _constant_exponent(self) -> float | None:
        """k in ``x**k`` for a number k (which opgrad made a constant leaf), else None."""
        op = self.declaration
        if op is None or op.name != "pow":
            return None
        exponent = self.parents[1]
        return exponent.data if type(exponent) is Constant else None

    @property
    def _backward(self) -> Callable[[], None]:
        """micrograd's per-node step: add this node's grad times each local partial to its
        inputs' grads (+=). Assign one to a hand-built node, as the lecture does to add an
        op; otherwise it comes from the op's own rule (a leaf's does nothing)."""
        own: Callable[[], None] | None = vars(self).get("_micrograd_backward")
        return own if own is not None else functools.partial(_rule_step, self)

    @_backward.setter
    def _backward(self, step: Callable[[], None]) -> None:
        if not callable(step):
            raise TypeError(f"_backward must be a function of no arguments, got "
                            f"{type(step).__name__}")
        vars(self)["_micrograd_backward"] = step
        Value.hand_written += 1  # from now on, backward() looks for them

    def backward(self, gradient: float | CoreValue | None = None, *,
                 create_graph: bool = False) -> None:
        """opgrad's backward; a graph with a hand-written ``_backward`` runs micrograd's way:
        each node's ``_backward()`` in reverse order (leaves still accumulate exactly)."""
        if not Value.hand_written:  # no node was ever given a _backward: opgrad's pass
            super().backward(gradient, create_graph=create_graph)
            return
        order = topological_order(self)
        if not any("_micrograd_backward" in getattr(n, "__dict__", ()) for n in order):
            super().backward(gradient, create_graph=create_graph)
        elif create_graph:
            raise TypeError("backward(create_graph=True) needs every node made by an op; "
                            "a hand-written _backward computes floats only")
        else:
            _micrograd_pass(self, order, 1.0 if gradient is None else float(value_of(gradient)))

    def __neg__(self) -> OpgradValue:  # -self
        return self * -1

    def __sub__(self, other: OpgradValue | float) -> OpgradValue:  # self - other
        return self + (-other)

    def __rsub__(self, other: float) -> OpgradValue:  # other - self
        return other + (-self)

    def __truediv__(self, other: OpgradValue | float) -> OpgradValue:  # self / other
        return self * other**-1

    def __rtruediv__(self, other: float) -> OpgradValue:  # other / self
        return other * self**-1

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"


def _rule_step(node: CoreValue) -> None:
    """One node's share of the chain rule, from its op's rule (nothing for a leaf)."""
    op = node.declaration
    if op is None:
        return
    partials = partials_of(op, node, False)
    for k, (parent, partial) in enumerate(zip(node.parents, partials, strict=True)):
        if partial or not op.masks_zero(node, k):
            parent.grad += partial * node.grad


def _micrograd_pass(root: CoreValue, order: list[CoreValue], seed: float) -> None:
    """micrograd's backward (``_backward()`` per node, last first) on freshly zeroed grads;
    leaves then add what they had, so repeated passes accumulate exactly, as opgrad's do."""
    with pass_lock:
        saved = [node.grad for node in order]
        for node in order:
            node.grad = 0.0
        root.grad = seed
        try:
            for node in reversed(order):
                (node._backward if isinstance(node, Value) else functools.partial(
                    _rule_step, node))()
        except BaseException:
            for node, old in zip(order, saved, strict=True):
                node.grad = old
            raise
        for node, old in zip(order, saved, strict=True):
            if not node.parents:
                node.grad = node.grad + old
