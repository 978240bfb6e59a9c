"""Placing a graph left to right, like the lecture drawings: inputs left, the root right.

Each node sits just left of its earliest use (the root at the far right),
so a constant or a product feeding deep into the graph stays near where it
is used, and a running sum reads as a staircase; a node with more inputs
than uses then moves back next to its inputs, which shortens its edges.
Within a column, nodes are ordered by the mean row of their neighbours (one
sweep each way), which keeps most edges short and uncrossed.

A graph in groups (a network's layers and neurons) is placed one level at a
time (:func:`place_nested`): inside each group, its own nodes and its child
groups, each child standing for all it holds, get a column and a row; the
explorer sizes each group, open or closed, and stacks the columns from those.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

from opgrad.core import Value

COLUMN = 215  # horizontal distance between columns (a box, the op oval, the gaps)
ROW = 72  # vertical distance between rows
MARGIN = 24  # around the drawing (the first column holds only leaves: no op ovals)
BOX = (130, 56)  # a value's box: label, data, grad
PILL = 40  # an op's oval is centred this far left of the box it computes


@dataclass(frozen=True)
class Layout:
    """Each node's box position (its left-top corner), and the drawing's size."""

    positions: list[tuple[float, float]]
    width: float
    height: float


def columns(inputs: Sequence[Sequence[int]]) -> list[int]:
    """The column of each node (given by its inputs, each earlier than it), 0 for the leftmost."""
    column = [0] * len(inputs)
    for i, ins in enumerate(inputs):  # first as far left as the inputs allow
        if ins:
            column[i] = 1 + max(column[j] for j in ins)
    first_use: dict[int, int] = {}
    for i in reversed(range(len(inputs))):  # then right up against the earliest use
        if i in first_use:
            column[i] = first_use[i] - 1
        for j in inputs[i]:
            first_use[j] = min(first_use.get(j, column[i]), column[i])
    _pull_back(inputs, column)
    lowest = min(column)
    return [c - lowest for c in column]


def _pull_back(inputs: Sequence[Sequence[int]], column: list[int]) -> None:
    """A node with more edges in than out moves back next to its inputs: shorter edges."""
    uses = [0] * len(inputs)
    for ins in inputs:
        for j in ins:
            uses[j] += 1
    for i, ins in enumerate(inputs):
        if ins and len(ins) > uses[i] > 0:
            column[i] = 1 + max(column[j] for j in ins)


def place(inputs: Sequence[Sequence[int]]) -> tuple[list[int], list[int]]:
    """Each node's column, and its row within that column (0 at the top).

    ``inputs[i]`` lists the nodes feeding node ``i``, each earlier than ``i``.
    """
    column = columns(inputs)
    neighbours: list[list[int]] = [[] for _ in inputs]
    for i, ins in enumerate(inputs):
        for j in ins:
            neighbours[i].append(j)
            neighbours[j].append(i)
    stacks: dict[int, list[int]] = {}
    for i in range(len(inputs)):
        stacks.setdefault(column[i], []).append(i)
    tallest = max(len(stack) for stack in stacks.values())
    rank = {i: (tallest - len(stack)) / 2 + r  # short columns are centred
            for stack in stacks.values() for r, i in enumerate(stack)}
    for sweep in (sorted(stacks), sorted(stacks, reverse=True)):
        for c in sweep:
            _sort_by_neighbours(stacks[c], neighbours, rank, (tallest - len(stacks[c])) / 2)
    row = [0] * len(inputs)
    for stack in stacks.values():
        for r, i in enumerate(stack):
            row[i] = r
    return column, row


def arrange(order: list[Value]) -> Layout:
    """Positions for every node of ``order`` (a topological order)."""
    index = {node: i for i, node in enumerate(order)}
    column, row = place([[index[p] for p in node.parents] for node in order])
    height = [0] * (max(column) + 1)
    for c in column:
        height[c] += 1
    tallest = max(height)
    positions = [(float(MARGIN + c * COLUMN), MARGIN + ((tallest - height[c]) / 2 + r) * ROW)
                 for c, r in zip(column, row, strict=True)]
    width = 2 * MARGIN + max(column) * COLUMN + BOX[0]
    return Layout(positions, width, 2 * MARGIN + tallest * ROW)


def _sort_by_neighbours(stack: list[int], neighbours: list[list[int]],
                        rank: dict[int, float], offset: float) -> None:
    def mean_rank(i: int) -> float:
        near = neighbours[i]
        return sum(rank[j] for j in near) / len(near) if near else rank[i]

    stack.sort(key=lambda i: (mean_rank(i), i))
    for r, i in enumerate(stack):
        rank[i] = offset + r


def place_nested(inputs: Sequence[Sequence[int]], group_of: Sequence[int | None],
                 parent: Sequence[int | None], first: Sequence[int]
                 ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Column and row of each node and each group inside whatever holds it.

    Nodes with groups (``group_of`` per node, ``parent`` per group) are
    placed level by level: inside a group (or the whole drawing) its own
    nodes and its child groups are placed as one small graph, a group
    standing for all of its nodes. ``first`` gives each node's place in the
    forward pass, which breaks ties and any cycle between groups.
    """
    count = len(inputs)
    chains = [_chain(i, group_of, parent, count) for i in range(count)]
    edges: dict[int | None, dict[int, list[int]]] = {}
    for i, ins in enumerate(inputs):
        for j in ins:
            container, source, target = _meeting(chains[j], chains[i])
            into = edges.setdefault(container, {}).setdefault(target, [])
            if (source < count and target < count) or source not in into:
                into.append(source)  # plain edges keep their multiplicity, as arrange's do
    members: dict[int | None, set[int]] = {}
    priority: dict[int, int] = {}
    for i, chain in enumerate(chains):
        for unit, container in zip(chain, [*chain[1:], None], strict=True):
            members.setdefault(container, set()).add(unit)
            priority[unit] = min(priority.get(unit, first[i]), first[i])
    at: dict[int, tuple[int, int]] = {}
    for container, units in members.items():
        at |= _place_units(sorted(units, key=priority.__getitem__),
                           edges.get(container, {}), priority)
    return [at[i] for i in range(count)], [at[count + g] for g in range(len(parent))]


def _place_units(units: list[int], edges: dict[int, list[int]], priority: dict[int, int]
                 ) -> dict[int, tuple[int, int]]:
    """:func:`place` for the units inside one group, in an order where inputs come first
    (an edge that would point back, in a cycle between groups, is left out)."""
    ordered = _topological(units, edges, priority)
    position = {unit: k for k, unit in enumerate(ordered)}
    inputs = [[position[s] for s in edges.get(unit, []) if position[s] < k]
              for k, unit in enumerate(ordered)]
    column, row = place(inputs)
    return {unit: (column[k], row[k]) for k, unit in enumerate(ordered)}


def _topological(units: list[int], edges: dict[int, list[int]], priority: dict[int, int]
                 ) -> list[int]:
    """The units with each after its inputs, earliest ``priority`` first among those ready."""
    waiting = {unit: len(set(edges.get(unit, []))) for unit in units}
    consumers: dict[int, list[int]] = {}
    for target, sources in edges.items():
        for source in set(sources):
            consumers.setdefault(source, []).append(target)
    ready = [(priority[u], u) for u in units if waiting[u] == 0]
    left = [(priority[u], u) for u in units]  # for breaking a cycle: the earliest not placed
    heapq.heapify(ready)
    heapq.heapify(left)
    placed: list[int] = []
    done: set[int] = set()
    while len(placed) < len(units):
        heap = ready if ready else left
        unit = heapq.heappop(heap)[1]
        if unit in done:
            continue
        done.add(unit)
        placed.append(unit)
        for consumer in consumers.get(unit, []):
            waiting[consumer] -= 1
            if waiting[consumer] == 0:
                heapq.heappush(ready, (priority[consumer], consumer))
    return placed


def _chain(node: int, group_of: Sequence[int | None], parent: Sequence[int | None],
           count: int) -> list[int]:
    """The units holding ``node``, innermost first: itself, then count + each group around it."""
    chain, group = [node], group_of[node]
    while group is not None:
        chain.append(count + group)
        group = parent[group]
    return chain


def _meeting(source: list[int], target: list[int]) -> tuple[int | None, int, int]:
    """Where an edge is drawn: the innermost group holding both ends (None: the drawing),
    and the units inside it that hold each end."""
    held = set(target[1:])
    for k, unit in enumerate(source[:-1]):
        if source[k + 1] in held:
            container = source[k + 1]
            return container, unit, target[target.index(container) - 1]
    return None, source[-1], target[-1]
