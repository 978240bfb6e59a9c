"""The traced graph as flat arrays, and the repeated regions that compile once.

A training step over a batch builds the same subgraph once per example. A
*region* is a node with everything only it consumes (the nodes it
dominates); regions with the same structure form a *group*, written as one
loop over its instances instead of once per instance, so compile time
grows with the number of distinct structures rather than with the batch.
"""

from __future__ import annotations

import itertools
import operator
from collections import Counter
from dataclasses import dataclass, field

from opgrad.core import Value
from opgrad.plugins.declaration import Op, op_of

MIN_REGION = 24  # smaller regions are not worth a loop
NEAR = 64  # how far first_use() looks before building the map of first consumers


@dataclass
class Graph:
    """Nodes in topological order; inputs and consumers counted by index."""

    nodes: list[Value]
    ops: list[Op | None]
    inputs: list[tuple[int, ...]]
    uses: list[int]
    index: dict[Value, int]
    shapes: list[int]  # a hash of each node's op and its inputs' shapes (leaves all alike)
    exposed: set[int] = field(default_factory=set)  # values the step reports (loss, outputs...)
    _first_use: dict[int, int] | None = None  # built on demand by first_use()

    @staticmethod
    def of(order: list[Value]) -> Graph:
        """The arrays of the graph whose topological order is ``order``."""
        index = dict(zip(order, range(len(order)), strict=True))
        ops = ops_of(order)
        inputs: list[tuple[int, ...]] = []
        shapes: list[int] = []
        uses = [0] * len(order)
        # One pass, reading the input slots directly: this runs once per node of
        # graphs of a million nodes, so each step of it counts.
        position, add_inputs, add_shape = index.__getitem__, inputs.append, shapes.append
        for node, op_id in zip(order, map(id, ops), strict=True):
            first, second = node._in1, node._in2
            if second is not None:
                a, b = position(first), position(second)  # type: ignore[arg-type]  # binary: a Value
                add_inputs((a, b))
                uses[a] += 1
                uses[b] += 1
                add_shape(hash((op_id, shapes[a], shapes[b])))
            elif first is None:  # a leaf
                add_inputs(())
                add_shape(hash((op_id,)))
            else:
                ins = tuple(map(position, first)) if isinstance(first, tuple) else (
                    position(first),)
                add_inputs(ins)
                for j in ins:
                    uses[j] += 1
                add_shape(hash((op_id, *map(shapes.__getitem__, ins))))
        return Graph(order, ops, inputs, uses, index, shapes)

    def first_use(self, node: int) -> int:
        """The index of ``node``'s first consumer (the number of nodes if it has none)."""
        # A consumer usually follows closely in topological order: look there
        # first, and build the whole map only if it is far away.
        for i in range(node + 1, min(node + NEAR, len(self.nodes))):
            if node in self.inputs[i]:
                return i
        if self._first_use is None:
            first: dict[int, int] = {}
            for i in reversed(range(len(self.nodes))):
                for j in self.inputs[i]:
                    first[j] = i
            self._first_use = first
        return self._first_use.get(node, len(self.nodes))

    def shape(self) -> int:
        """A digest of the graph's structure: each node's op and its inputs' positions."""
        return hash((tuple(map(id, self.ops)), tuple(self.inputs)))


def ops_of(order: list[Value]) -> list[Op | None]:
    """Each node's op, read from the node (checked once per distinct op)."""
    # The slot, not the property: checked below, once per distinct op.
    ops: list[Op | None] = list(map(operator.attrgetter("_made_by"), order))
    for node in dict(zip(map(id, ops), order, strict=True)).values():
        op_of(node)  # raises TypeError for a node not made by an opgrad op
    return ops


@dataclass
class Group:
    """Regions of one structure: ``instances[k]`` lists region k's nodes in order."""

    instances: list[list[int]]  # in the order they run
    kinds: list[int]  # per instance: its structure (index into ``templates``)
    templates: list[int]  # per structure: the instance its code is written from
    slots: list[list[int]]  # per instance: its inputs from outside, in slot order
    shared: list[int]  # inputs of two or more instances (always in the same slot of a kind)
    varying: list[list[int]]  # per instance: the inputs only it has, in slot order
    anchor: int = 0  # the first consumer of any instance: the group runs just before it


def grouped_nodes(size: int, groups: list[Group]) -> bytearray:
    """Per node of a graph of ``size`` nodes: 1 if it is in a region of ``groups``."""
    grouped = bytearray(size)
    for group in groups:
        for region in group.instances:
            for i in region:
                grouped[i] = 1
    return grouped


def find_groups(graph: Graph) -> list[Group]:
    """Groups of repeated regions that can run as one loop.

    Regions of one structure are one kind; kinds whose regions interleave
    run in one loop (one branch per kind), so that the gradients of their
    shared inputs add up in the graph's own order.
    """
    groups = [_group(graph, family) for family in _interleaved(repeated_regions(graph))]
    return _valid(graph, [g for g in groups if g is not None])


def repeated_regions(graph: Graph) -> list[list[tuple[list[int], list[int]]]]:
    """The regions whose structure occurs twice or more, by structure (a *kind*).

    Each region is its nodes and its inputs from outside, in graph order;
    regions are disjoint, and a region inside a repeated one is not listed.
    """
    kinds: dict[tuple[object, ...], list[tuple[list[int], list[int]]]] = {}
    owner = [False] * len(graph.nodes)
    for region, key, externals in _regions(graph, owner):
        kinds.setdefault(key, []).append((region, externals))
    return [sorted(found) for found in kinds.values() if len(found) > 1]


def _interleaved(kinds: list[list[tuple[list[int], list[int]]]]
                 ) -> list[list[list[tuple[list[int], list[int]]]]]:
    """Kinds grouped into families whose spans (first to last node) overlap."""
    spans = sorted(((found[0][0][0], found[-1][0][-1]), k) for k, found in enumerate(kinds))
    families: list[list[list[tuple[list[int], list[int]]]]] = []
    end = -1
    for (start, stop), k in spans:
        if start > end:
            families.append([])
        families[-1].append(kinds[k])
        end = max(end, stop)
    return families


Found = tuple[list[int], tuple[object, ...], list[int]]  # region, structure, inputs


def _regions(graph: Graph, owner: list[bool]) -> list[Found]:
    """Regions rooted at nodes whose shape repeats, outermost first."""
    shapes = graph.shapes
    count = Counter(shapes)
    pending = [0] * len(graph.nodes)
    found: list[Found] = []
    last: dict[int, tuple[int, Found]] = {}  # per shape: the last region's root, and it
    for root in reversed(range(len(graph.nodes) - 1)):  # never the loss itself
        if owner[root] or graph.ops[root] is None or count[shapes[root]] < 2:
            continue
        region = _like(graph, root, last.get(shapes[root]), owner)
        if region is None:
            nodes = sorted(_dominated(graph, root, owner, pending))
            if len(nodes) < MIN_REGION:
                continue
            region = (nodes, *_structure(graph, nodes))
        for i in region[0]:
            owner[i] = True
        last[shapes[root]] = (root, region)
        found.append(region)
    return found


def _like(graph: Graph, root: int, previous: tuple[int, Found] | None,
          owner: list[bool]) -> Found | None:
    """The previous region of this shape moved to ``root``, if it fits exactly there.

    Equal structure and equal use counts make the moved region closed too (every
    node but the root used only inside it): a cheap test, tried before the walk.
    """
    if previous is None:
        return None
    previous_root, (previous_nodes, key, _) = previous
    nodes = [i + root - previous_root for i in previous_nodes]
    uses = graph.uses.__getitem__
    if nodes[0] < 0 or any(map(owner.__getitem__, nodes)) or list(
            map(uses, nodes[:-1])) != list(map(uses, previous_nodes[:-1])):
        return None
    moved_key, externals = _structure(graph, nodes)
    return (nodes, key, externals) if moved_key == key else None


def _dominated(graph: Graph, root: int, owner: list[bool], pending: list[int]) -> list[int]:
    """``root`` and every free non-leaf node whose consumers are all in the region."""
    region, stack, touched = [root], [root], []
    inputs, ops, uses = graph.inputs, graph.ops, graph.uses
    while stack:
        for j in inputs[stack.pop()]:
            count = pending[j] = pending[j] + 1
            touched.append(j)
            if count == uses[j] and ops[j] is not None and not owner[j]:
                region.append(j)
                stack.append(j)
    for j in touched:
        pending[j] = 0
    return region


def _structure(graph: Graph, region: list[int]) -> tuple[tuple[object, ...], list[int]]:
    """The region's ops and wiring with nodes renamed by position (equal for equal code),
    and its inputs from outside in order of first appearance."""
    # Every region of a big graph passes here: each step runs at C speed.
    size = len(region)
    local = dict(zip(region, range(size), strict=True))
    wires = list(itertools.chain.from_iterable(map(graph.inputs.__getitem__, region)))
    externals = list(dict.fromkeys(itertools.filterfalse(local.__contains__, wires)))
    numbers = range(-size, -size - len(externals), -1)  # outside inputs, numbered as met
    local.update(zip(externals, numbers, strict=True))
    ops = tuple(map(id, map(graph.ops.__getitem__, region)))
    exposed = tuple(itertools.compress(range(size), map(graph.exposed.__contains__, region)))
    return (ops, tuple(map(local.__getitem__, wires)), exposed), externals


def _group(graph: Graph, family: list[list[tuple[list[int], list[int]]]]) -> Group | None:
    """Regions of one or more kinds as a group; None if their inputs do not fit a loop."""
    tagged = sorted((region[0], kind, region, slots)
                    for kind, found in enumerate(family) for region, slots in found)
    count = Counter(itertools.chain.from_iterable(t[3] for t in tagged))
    shared = [node for node, uses in count.items() if uses > 1]
    is_shared = set(shared).__contains__
    for found in family:  # a slot holds one shared node, or nodes of one instance each
        for column in zip(*(slots for _, slots in found), strict=True):
            if is_shared(column[0]) and column.count(column[0]) != len(column):
                return None
            if not is_shared(column[0]) and any(map(is_shared, column)):
                return None
    instances = [region for _, _, region, _ in tagged]
    kinds = [kind for _, kind, _, _ in tagged]
    slots = [list(slots) for _, _, _, slots in tagged]
    varying = [[n for n in row if not is_shared(n)] for row in slots]
    templates = [kinds.index(kind) for kind in range(len(family))]
    anchor = min(graph.first_use(region[-1]) for region in instances)
    return Group(instances, kinds, templates, slots, shared, varying, anchor)


def _valid(graph: Graph, groups: list[Group]) -> list[Group]:
    """The groups that run in order, dropping invalid ones until all that remain do."""
    while True:
        group_of = [-1] * len(graph.nodes)
        for g, group in enumerate(groups):
            for region in group.instances:
                for i in region:
                    group_of[i] = g
        kept = [group for g, group in enumerate(groups) if _runs_in_order(graph, group,
                                                                          group_of, g)]
        if len(kept) == len(groups):
            return kept
        groups = kept


def _runs_in_order(graph: Graph, group: Group, group_of: list[int], g: int) -> bool:
    """True if the loop gives the same floats in the same order as the graph.

    Inputs that are not leaves must be ready before the group runs and lie
    outside every group; instances must not interleave; no other consumer of
    an input may sit between the instances (so each input's gradient adds up
    in the same order as in ``backward()``).
    """
    inputs = {*group.shared, *(n for row in group.varying for n in row)}
    if any(graph.ops[j] is not None and (group_of[j] != -1 or j >= group.anchor)
           for j in inputs):
        return False
    regions = group.instances
    if any(a[-1] > b[0] for a, b in itertools.pairwise(regions)):
        return False
    start, end = regions[0][0], regions[-1][-1]
    others = itertools.compress(range(start, end), map(g.__ne__, group_of[start:end]))
    return all(inputs.isdisjoint(graph.inputs[t]) for t in others)
