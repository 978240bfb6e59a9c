"""Each leaf's finite-difference slope, for the explorer to show beside its gradient."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from opgrad.core import Value
from opgrad.plugins.constant import Constant
from opgrad.plugins.declaration import op_of
from opgrad.testing.numeric import numerical_derivative


def finite_differences(order: list[Value]) -> dict[int, float | None]:
    """For each leaf but a constant (by position), the central-difference slope of the
    root's data.

    The nodes that depend on the leaf are recomputed with the leaf moved,
    through each node's own op's forward; None where a move leaves an op's
    domain.
    """
    index = {node: i for i, node in enumerate(order)}
    inputs = [[index[p] for p in node.parents] for node in order]
    forwards = [None if op is None else op.forward for op in map(op_of, order)]
    consumers: list[list[int]] = [[] for _ in order]
    for i, ins in enumerate(inputs):
        for j in ins:
            consumers[j].append(i)
    data = [node.data for node in order]
    return {i: _slope(i, _downstream(i, consumers), forwards, inputs, data)
            for i, node in enumerate(order) if not node.parents and type(node) is not Constant}


def _downstream(leaf: int, consumers: list[list[int]]) -> list[int]:
    """The nodes that depend on ``leaf``, in forward order."""
    seen, stack = {leaf}, [leaf]
    while stack:
        for c in consumers[stack.pop()]:
            if c not in seen:
                seen.add(c)
                stack.append(c)
    seen.discard(leaf)
    return sorted(seen)


def _slope(leaf: int, cone: list[int], forwards: Sequence[Callable[..., float] | None],
           inputs: list[list[int]], data: list[float]) -> float | None:
    def root_data(x: float) -> float:
        values = data.copy()
        values[leaf] = x
        for i in cone:
            values[i] = forwards[i](*[values[j] for j in inputs[i]])  # type: ignore[misc]  # an op node
        return float(values[-1])  # a complex result (pow of a negative base) raises here

    try:
        return numerical_derivative(root_data, data[leaf])
    except (ValueError, ArithmeticError, TypeError):  # outside an op's domain
        return None
