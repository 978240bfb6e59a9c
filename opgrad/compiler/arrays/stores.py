"""Live leaves that live in a flat store (``opgrad.nn``'s stored parameters).

A leaf whose ``__opgrad_store__`` is ``(store, index)`` is element ``index``
of ``store.data`` and of ``store.grad``, two arrays of doubles of a fixed
size. The step reads a store's live leaves with one slice (or one index
array) of a view of ``store.data``: when they are all the live leaves, in
the store's order, ``x`` is that view, nothing copied. It adds their
gradients into a view of ``store.grad`` with one array operation, when every
grad in the store is a float (``store.all_float``; a ``Value`` grad left by
``backward(create_graph=True)`` lives outside the array), and else one by
one through ``.grad``, as it does for every other live leaf.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from opgrad.compiler.arrays.access import Access
from opgrad.compiler.arrays.lanes import rows_index
from opgrad.core import Value

Place = tuple[Any, int]  # (store, index)


def store_places(nodes: list[Value], live: list[int]) -> dict[int, Place]:
    """The live leaves (by node index) that live in a store, and where."""
    found = {}
    for node in live:
        place = getattr(nodes[node], "__opgrad_store__", None)  # the link the leaf states
        if place is not None:
            found[node] = place
    return found


def store_order(units: list[list[int]], places: dict[int, Place]) -> list[list[int]]:
    """``units`` (runs of leaves that must stay together in ``x``) with those of each store
    first, store by store, in the store's order: so a store's leaves become one slice of it."""
    rank: dict[int, int] = {}
    for unit in units:
        for node in unit:
            if node in places:
                rank.setdefault(id(places[node][0]), len(rank))

    def key(k: int) -> tuple[int, int, int]:
        unit = units[k]
        stores = {id(places[n][0]) if n in places else None for n in unit}
        if len(stores) != 1 or None in stores:
            return (1, k, 0)  # not all in one store: after the stores, as it was
        return (0, rank[id(places[unit[0]][0])], min(places[n][1] for n in unit))

    return [units[k] for k in sorted(range(len(units)), key=key)]


@dataclass
class Run:
    """The live leaves of one store: their positions in ``x``, their indices in the store."""

    store: Any
    positions: list[int] = field(default_factory=list)
    indices: list[int] = field(default_factory=list)
    leaves: list[Value] = field(default_factory=list)


class LiveIO:
    """Reading the live leaves into ``x``, and adding ``gx`` to their grads."""

    def __init__(self, access: Access, leaves: list[Value], places: dict[int, Place],
                 nodes: list[int]) -> None:
        self.access, self.size = access, len(leaves)
        runs: dict[int, Run] = {}
        self.plain = Run(None)  # the leaves in no store
        for position, (node, leaf) in enumerate(zip(nodes, leaves, strict=True)):
            place = places.get(node)
            run = self.plain if place is None else runs.setdefault(id(place[0]),
                                                                  Run(place[0]))
            run.positions.append(position)
            run.indices.append(-1 if place is None else place[1])
            run.leaves.append(leaf)
        self.runs = list(runs.values())

    def _in_x(self, run: Run) -> str:
        index = rows_index(run.positions, self.size, self.access.names, exact=True)
        return f"[{index}]" if index else ""

    def _in_store(self, run: Run) -> str:
        index = rows_index(run.indices, len(run.store), self.access.names, exact=True)
        return f"[{index}]" if index else ""

    def _view(self, run: Run, attribute: str) -> str:
        import numpy

        array = numpy.frombuffer(getattr(run.store, attribute), dtype=numpy.float64)
        return self.access.names.array(array)

    def read(self) -> None:
        """``x``: the live leaves' data, in layout order."""
        emit, n = self.access.emit, self.size
        if not self.runs:
            emit(f"x = numpy.fromiter(map(data_of, leaves), float, {n})  # the {n} live leaves")
            return
        if len(self.runs) == 1 and not self.plain.leaves:
            run = self.runs[0]
            emit(f"x = {self._view(run, 'data')}{self._in_store(run)}  # the {n} live leaves: "
                 f"{len(run.store)} stored parameters' data")
            return
        emit(f"x = numpy.empty({n})  # the {n} live leaves")
        for run in self.runs:
            emit(f"x{self._in_x(run) or '[:]'} = {self._view(run, 'data')}{self._in_store(run)}"
                 f"  # {len(run.leaves)} stored parameters")
        if self.plain.leaves:
            leaves = self.access.names.bind(self.plain.leaves)
            emit(f"x{self._in_x(self.plain)} = numpy.fromiter(map(data_of, {leaves}), float, "
                 f"{len(self.plain.leaves)})  # the other live leaves")

    def add_gradients(self) -> None:
        """``gx`` added to the live leaves' grads (the step checked it is finite)."""
        emit = self.access.emit
        for run in self.runs:
            store = self.access.names.bind(run.store)
            emit(f"if {store}.all_float:  # one array operation for this store's leaves")
            grads = f"{self._view(run, 'grad')}{self._in_store(run) or '[:]'}"  # not a local
            emit(f"{grads} += gx{self._in_x(run)}", 3)
            emit("else:  # a grad is not a float (a Value): each leaf adds its own")
            self._one_by_one(run, 3)
        if self.plain.leaves:
            self._one_by_one(self.plain, 2)

    def _one_by_one(self, run: Run, indent: int) -> None:
        emit = self.access.emit
        leaves = "leaves" if len(run.leaves) == self.size else self.access.names.bind(run.leaves)
        gradients = f"gx{self._in_x(run)}" if run.positions != list(range(self.size)) else "gx"
        emit(f"for leaf, gradient in zip({leaves}, {gradients}.tolist()):", indent)
        emit("leaf.grad += gradient", indent + 1)
