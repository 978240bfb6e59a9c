"""Placing a graph left to right, like the lecture drawings: inputs left, the root right.

Each node sits just left of its earliest use (the root at the far right),
so a constant or a product feeding deep into the graph stays near where it
is used, and a running sum reads as a staircase; a node with more inputs
than uses then moves back next to its inputs, which shortens its edges.
Within a column, nodes are ordered by the mean row of their neighbours (one
sweep each way), which keeps most edges short and uncrossed.
"""

from __future__ import annotations

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


def columns(order: list[Value], index: dict[Value, int]) -> list[int]:
    """The column of each node (a position in ``order``), 0 for the leftmost."""
    column = [0] * len(order)
    for i, node in enumerate(order):  # first as far left as the inputs allow
        if node.parents:
            column[i] = 1 + max(column[index[p]] for p in node.parents)
    first_use: dict[int, int] = {}
    for i in reversed(range(len(order))):  # then right up against the earliest use
        if i in first_use:
            column[i] = first_use[i] - 1
        for parent in order[i].parents:
            j = index[parent]
            first_use[j] = min(first_use.get(j, column[i]), column[i])
    _pull_back(order, index, column)
    lowest = min(column)
    return [c - lowest for c in column]


def _pull_back(order: list[Value], index: dict[Value, int], column: list[int]) -> None:
    """A node with more edges in than out moves back next to its inputs: shorter edges."""
    uses = [0] * len(order)
    for node in order:
        for parent in node.parents:
            uses[index[parent]] += 1
    for i, node in enumerate(order):
        if node.parents and len(node.parents) > uses[i] > 0:
            column[i] = 1 + max(column[index[p]] for p in node.parents)


def arrange(order: list[Value]) -> Layout:
    """Positions for every node of ``order`` (a topological order)."""
    index = {node: i for i, node in enumerate(order)}
    column = columns(order, index)
    neighbours: list[list[int]] = [[] for _ in order]
    for i, node in enumerate(order):
        for parent in node.parents:
            neighbours[i].append(index[parent])
            neighbours[index[parent]].append(i)
    stacks: dict[int, list[int]] = {}
    for i in range(len(order)):
        stacks.setdefault(column[i], []).append(i)
    tallest = max(len(stack) for stack in stacks.values())
    rank = {i: (tallest - len(stack)) / 2 + r  # short columns are centred
            for stack in stacks.values() for r, i in enumerate(stack)}
    for sweep in (sorted(stacks), sorted(stacks, reverse=True)):
        for c in sweep:
            _sort_by_neighbours(stacks[c], neighbours, rank, (tallest - len(stacks[c])) / 2)
    positions = [(float(MARGIN + column[i] * COLUMN), MARGIN + rank[i] * ROW)
                 for i in range(len(order))]
    width = 2 * MARGIN + max(stacks) * COLUMN + BOX[0]
    return Layout(positions, width, 2 * MARGIN + tallest * ROW)


def _sort_by_neighbours(stack: list[int], neighbours: list[list[int]],
                        rank: dict[int, float], offset: float) -> None:
    def mean_rank(i: int) -> float:
        near = neighbours[i]
        return sum(rank[j] for j in near) / len(near) if near else rank[i]

    stack.sort(key=lambda i: (mean_rank(i), i))
    for r, i in enumerate(stack):
        rank[i] = offset + r
