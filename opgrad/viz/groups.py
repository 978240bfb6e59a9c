"""Which drawn group each node of a graph belongs to: neurons, layers, samples.

Read from the graph alone. A leaf labelled like an ``nn`` parameter
(``layers.1.neurons.3.w.0``: its module's path, then the attribute and any
index) belongs to that module, ``layers.1.neurons.3``. An op node belongs to
a module when it reads exactly one parameter, of that module (``w * x``,
``b + ...``); when it reads no parameter but adds up two or more of the
module's results, one of them read straight from a parameter (the running
sum); or when it applies a one-input op to one of the module's results and
feeds another module (the activation that feeds the next layer). Everything
else (the inputs, the loss) belongs to no group and is drawn as before.

Module groups nest by their paths: ``layers.1`` holds ``layers.1.neurons.3``.
When several samples run through the network, the compiler's finder of
repeated regions (:func:`opgrad.compiler.regions.repeated_regions`) tells them
apart: the region of one sample spans many modules, and a module's work on
sample 2 is the subgroup ``samples.2/layers.1.neurons.3`` inside the module's
group, next to its parameters.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

from opgrad.compiler.regions import Graph, repeated_regions
from opgrad.core import Value


@dataclass(frozen=True)
class Group:
    """A drawn group: its path (``data-group``), what its box is titled, and its parent."""

    path: str
    title: str
    parent: int | None  # the enclosing group's position in Grouping.groups


@dataclass(frozen=True)
class Grouping:
    """The groups (each after its parent), and each node's innermost group (None: no group)."""

    groups: list[Group]
    group_of: list[int | None]


def parameter_module(label: str) -> str | None:
    """The module path in a parameter's label: ``layers.1.neurons.3`` for
    ``layers.1.neurons.3.w.0``; None if the label names no module (``a``, ``w.0``, ``2.5``)."""
    parts = label.split(".")
    if not parts[0].isidentifier() or not all(p.isidentifier() or p.isdigit() for p in parts):
        return None
    attribute = max(i for i, part in enumerate(parts) if part.isidentifier())
    return ".".join(parts[:attribute]) or None


def owners(order: Sequence[Value], inputs: Sequence[Sequence[int]]) -> list[str | None]:
    """Each node's module path (None for a node of no module): the rules in the module doc."""
    owner = [None if node.parents else parameter_module(node.label) for node in order]
    is_parameter = [owner[i] is not None and not ins for i, ins in enumerate(inputs)]
    reads_parameter = [False] * len(order)
    for i, ins in enumerate(inputs):  # products and sums, in order: their inputs come first
        read = [owner[j] for j in ins if is_parameter[j]]
        if len(read) == 1:
            owner[i], reads_parameter[i] = read[0], True
        elif not read and len(ins) > 1 and len({owner[j] for j in ins}) == 1 and any(
                reads_parameter[j] for j in ins):
            owner[i] = owner[ins[0]]
    _add_activations(owner, inputs, is_parameter)
    return owner


def _add_activations(owner: list[str | None], inputs: Sequence[Sequence[int]],
                     is_parameter: list[bool]) -> None:
    """A one-input op on a module's result joins the module if it feeds a module: the
    hidden layer's activation does, a loss applied to the network's output does not."""
    feeds_module = [False] * len(owner)
    for i, ins in enumerate(inputs):
        for j in ins:
            feeds_module[j] = feeds_module[j] or owner[i] is not None
    for i, ins in enumerate(inputs):
        if len(ins) == 1 and owner[i] is None and feeds_module[i] and not is_parameter[ins[0]]:
            owner[i] = owner[ins[0]]


def samples(order: Sequence[Value], owner: Sequence[str | None]) -> list[int | None]:
    """Each node's sample (None outside any): regions of one structure, each of which runs
    through the same two or more modules (not one branch of a network each, say)."""
    found: list[list[int]] = []
    for kind in repeated_regions(Graph.of(list(order))):
        modules = [frozenset(owner[i] for i in nodes) - {None} for nodes, _ in kind]
        if len(modules[0]) > 1 and len(set(modules)) == 1:
            found += [nodes for nodes, _ in kind]
    sample: list[int | None] = [None] * len(order)
    for k, nodes in enumerate(sorted(found)):
        for i in nodes:
            sample[i] = k
    return sample


def grouping(order: Sequence[Value], inputs: Sequence[Sequence[int]]) -> Grouping:
    """The groups of the graph whose topological order is ``order``; no groups if no module."""
    owner = owners(order, inputs)
    if all(o is None for o in owner):
        return Grouping([], [None] * len(order))
    sample = samples(order, owner) if len(set(owner) - {None}) > 1 else [None] * len(order)
    spread: dict[str, set[int]] = {}
    for o, k in zip(owner, sample, strict=True):
        if o is not None and k is not None:
            spread.setdefault(o, set()).add(k)
    paths = [None if o is None else
             f"samples.{k}/{o}" if k is not None and len(spread[o]) > 1 else o
             for o, k in zip(owner, sample, strict=True)]
    return _tree(paths)


def _tree(paths: Sequence[str | None]) -> Grouping:
    """Groups for the paths, each module under the modules its path starts with."""
    groups: list[Group] = []
    number: dict[str, int] = {}

    def group(path: str) -> int:
        if path not in number:
            parent = _enclosing(path)
            above = None if parent is None else group(parent)
            title = path.split("/", 1)[0] if "/" in path else path[len(parent or "") :]
            number[path] = len(groups)
            groups.append(Group(path, title.lstrip("."), above))
        return number[path]

    return Grouping(groups, [None if p is None else group(p) for p in paths])


def _enclosing(path: str) -> str | None:
    """The group around ``path``: a sample's module, or the module holding this one: the
    path without its last attribute and index (``layers.1`` around ``layers.1.neurons.3``)."""
    if "/" in path:
        return path.split("/", 1)[1]
    parts = path.split(".")
    attribute = max(i for i, part in enumerate(parts) if part.isidentifier())
    return ".".join(parts[:attribute]) or None


def forward_order(inputs: Sequence[Sequence[int]], group_of: Sequence[int | None]
                  ) -> list[int]:
    """The order the explorer computes nodes in: a group's ready nodes one after another.

    Without groups this is the topological order itself. With groups, once a
    node of a group is computed, the group's other ready nodes follow; then
    the graph goes on with the shallowest ready node (a leaf counts as just
    before its first use), so layers are computed one after another.
    """
    if all(g is None for g in group_of):
        return list(range(len(inputs)))
    depth, consumers = _depths(inputs)
    ready = _Ready(depth, group_of)
    waiting = [len(ins) for ins in inputs]
    for i, ins in enumerate(inputs):
        if not ins:
            ready.add(i)
    order: list[int] = []
    while len(order) < len(inputs):
        i = ready.take(None if not order else group_of[order[-1]])
        order.append(i)
        for c in consumers[i]:
            waiting[c] -= 1
            if waiting[c] == 0:
                ready.add(c)
    return order


class _Ready:
    """The nodes whose inputs are all computed: by group, and shallowest first overall."""

    def __init__(self, depth: list[int], group_of: Sequence[int | None]) -> None:
        self.depth, self.group_of = depth, group_of
        self.everywhere: list[tuple[int, int]] = []
        self.by_group: dict[int, list[int]] = {}
        self.taken: set[int] = set()

    def add(self, i: int) -> None:
        heapq.heappush(self.everywhere, (self.depth[i], i))
        group = self.group_of[i]
        if group is not None:
            heapq.heappush(self.by_group.setdefault(group, []), i)

    def take(self, group: int | None) -> int:
        """The next node: of ``group`` if one is ready, else the shallowest ready anywhere."""
        here = self.by_group.get(group, []) if group is not None else []
        while here and here[0] in self.taken:  # taken already through the other heap
            heapq.heappop(here)
        if here:
            i = heapq.heappop(here)
        else:
            i = heapq.heappop(self.everywhere)[1]
            while i in self.taken:
                i = heapq.heappop(self.everywhere)[1]
        self.taken.add(i)
        return i


def _depths(inputs: Sequence[Sequence[int]]) -> tuple[list[int], list[list[int]]]:
    """Each node's depth (a leaf: one less than its shallowest consumer) and its consumers."""
    depth = [0] * len(inputs)
    consumers: list[list[int]] = [[] for _ in inputs]
    for i, ins in enumerate(inputs):
        for j in ins:
            consumers[j].append(i)
        if ins:
            depth[i] = 1 + max(depth[j] for j in ins)
    for i, ins in enumerate(inputs):
        if not ins and consumers[i]:
            depth[i] = min(depth[c] for c in consumers[i]) - 1
    return depth, consumers
