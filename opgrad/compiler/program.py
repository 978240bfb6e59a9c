"""The whole step: block generators for the groups, then ``step(leaves)``."""

from __future__ import annotations

import operator
from dataclasses import dataclass

from opgrad.compiler.inline import Constants, OpCode
from opgrad.compiler.regions import Graph, Group, find_groups, grouped_nodes
from opgrad.compiler.writer import (
    Source,
    Writer,
    comment_text,
    kept_values,
    tuple_text,
    write_block,
)
from opgrad.core import Value
from opgrad.guards import Comparison

GROUPS_FROM = 200  # smaller graphs are written out node by node: the readable view
LEAF_LINES = 64  # up to this many leaves, each is read on its own line, with its label


@dataclass
class Program:
    """Generated source, the objects it names, and what a failed guard says."""

    source: Source
    namespace: dict[str, object]
    guard_messages: list[str]
    leaves: list[Value]
    shape: int  # the graph's digest (see Graph.shape)
    leaf_positions: list[int] | None = None  # each leaf's place among all (None: all, in order)
    tolerance: float = 0.0  # how far (relative) its numbers may be from backward()'s


def write_program(order: list[Value], root: Value, outputs: list[Value],
                  comparisons: list[Comparison]) -> Program:
    """The source of the step that recomputes ``root`` (and ``outputs``) from the leaves."""
    graph, guards = traced_graph(order, root, outputs, comparisons)
    index = graph.index
    constants = Constants()
    codes = _codes(graph, constants)
    groups = find_groups(graph) if len(order) >= GROUPS_FROM else []
    source = Source()
    kept = kept_values(graph, codes, groups)
    for number, group in enumerate(groups):
        write_block(number, group, graph, codes, kept, source)
    main = _Main(graph, Writer(graph, codes, kept, source, 1), groups)
    messages = main.write([index[o] for o in outputs], [
        _Guard(index[left], symbol, index.get(right) if isinstance(right, Value) else None,
               right, result) for left, symbol, right, result in guards], constants)
    leaves = [order[i] for i in main.leaves]
    return Program(source, constants.namespace, messages, leaves, graph.shape())


def traced_graph(order: list[Value], root: Value, outputs: list[Value],
                 comparisons: list[Comparison]) -> tuple[Graph, list[Comparison]]:
    """The graph, its values the step reports or checks marked exposed, and the
    comparisons that become guards."""
    graph = Graph.of(order)
    index = graph.index
    missing = [o for o in outputs if o not in index]
    if missing:
        raise ValueError(f"opgrad.compile: {len(missing)} output(s) are not in the loss's "
                         "graph, so the compiled step cannot compute them")
    guards = comparisons  # every compared value is in the traced graph: each is checked
    guarded = [side for c in guards for side in (c[0], c[2]) if isinstance(side, Value)]
    graph.exposed = {index[node] for node in [root, *outputs, *guarded]}
    return graph, guards


def _codes(graph: Graph, constants: Constants) -> list[OpCode | None]:
    """Each node's op code (None for a leaf), worked out once per distinct op."""
    distinct = dict(zip(map(id, graph.ops), graph.ops, strict=True))
    table = {key: None if op is None else constants.code(op) for key, op in distinct.items()}
    return [table[id(op)] for op in graph.ops]


class _Main:
    def __init__(self, graph: Graph, writer: Writer, groups: list[Group]) -> None:
        self.graph, self.w, self.groups = graph, writer, groups
        self.leaves = [i for i, op in enumerate(graph.ops) if op is None]
        self.schedule = _schedule(graph, groups)

    def write(self, outputs: list[int], guards: list[_Guard],
              constants: Constants) -> list[str]:
        w, count = self.w, len(self.graph.nodes)
        w.source.emit(0, "def step(leaves):")
        w.emit("# forward: each value from the current data of the leaves")
        self._read_leaves(constants)
        for item in self.schedule:
            if item >= 0:
                w.forward(item)
            else:
                self._group_forward(-1 - item)
        messages = self._guards(guards, constants)
        self._backward(count)
        shown = ", ".join(w.value[i] for i in outputs)
        w.emit(f"return {w.value[count - 1]}, [{shown}]")
        return messages

    def _read_leaves(self, constants: Constants) -> None:
        """One line per leaf (with its label) in a small graph, one statement in a big one."""
        w = self.w
        for i in self.leaves:
            w.value[i] = f"v{i}"
        if len(self.leaves) > LEAF_LINES:
            data = constants.name(operator.attrgetter("data"), "data_of")
            w.emit(f"{tuple_text([f'v{i}' for i in self.leaves])} = map({data}, leaves)")
            return
        for k, i in enumerate(self.leaves):
            label = self.graph.nodes[i].label
            w.emit(f"v{i} = leaves[{k}].data" + (f"  # {comment_text(label)}" if label else ""))

    def _backward(self, count: int) -> None:
        w = self.w
        w.emit("# backward: the chain rule, in reverse topological order")
        w.emit(f"g{count - 1} = 1.0")
        w.gradient = {count - 1: f"g{count - 1}"}
        for item in reversed(self.schedule):
            if item >= 0:
                w.backward(item)
            else:
                self._group_backward(-1 - item)
        w.emit("# gradients of the leaves accumulate, like backward()")
        for k, i in enumerate(self.leaves):
            if i in w.gradient:
                w.emit(f"leaves[{k}].grad += {w.gradient[i]}")

    def _shown(self, group: Group) -> list[list[int]]:
        """Per instance, the values its loop reports: its root, then exposed values."""
        positions = []
        for template in group.templates:
            first = group.instances[template]
            positions.append([len(first) - 1, *(k for k, i in enumerate(first[:-1])
                                                if i in self.graph.exposed)])
        return [[region[k] for k in positions[kind]]
                for region, kind in zip(group.instances, group.kinds, strict=True)]

    def _group_forward(self, number: int) -> None:
        w, group = self.w, self.groups[number]
        shared = tuple_text([w.value[n] for n in group.shared])
        rows = ", ".join(f"({kind}, {tuple_text([w.value[n] for n in row])})"
                         for kind, row in zip(group.kinds, group.varying, strict=True))
        w.emit(f"b{number} = block{number}({shared}, [{rows}])")
        shown = self._shown(group)
        targets = ", ".join(tuple_text([f"v{i}" for i in nodes]) for nodes in shown)
        w.emit(f"{targets}, = next(b{number})")
        for nodes in shown:
            for i in nodes:
                w.value[i] = f"v{i}"

    def _group_backward(self, number: int) -> None:
        w, group = self.w, self.groups[number]
        start = tuple_text([w.gradient.get(n, "0.0") for n in group.shared])
        rows = ", ".join(tuple_text([w.gradient.get(region[-1], "0.0"),
                                     *(w.gradient.get(n, "0.0") for n in row)])
                         for region, row in zip(group.instances, group.varying, strict=True))
        shared = tuple_text([f"g{n}" for n in group.shared])
        varying = tuple_text([tuple_text([f"g{n}" for n in row]) for row in group.varying])
        w.emit(f"{shared}, {varying} = b{number}.send(({start}, [{rows}]))")
        for n in [*group.shared, *(n for row in group.varying for n in row)]:
            w.gradient[n] = f"g{n}"

    def _guards(self, guards: list[_Guard], constants: Constants) -> list[str]:
        """A check per comparison; the number compared with is a constant, never text."""
        w, messages = self.w, []
        if guards:
            w.emit("# guards: comparisons the traced function made on the data")
        for k, guard in enumerate(guards):
            left = w.value[guard.left]
            if guard.right is not None:
                other = shown = w.value[guard.right]
            else:
                other, shown = constants.name(guard.number), repr(guard.number)
            w.emit(f"if {'not ' if guard.result else ''}({left} {guard.symbol} {other}): "
                   f"changed({k})")
            messages.append(
                f"the traced function compared {left} {guard.symbol} {shown} and got "
                f"{guard.result}; with the current data it is {not guard.result}, so its graph "
                "would differ: call opgrad.compile(fn) again")
        return messages


def _schedule(graph: Graph, groups: list[Group]) -> list[int]:
    """What the step runs, in order: node i (>= 0), or group k (-1 - k) before its anchor."""
    grouped = grouped_nodes(len(graph.nodes), groups)
    top = [i for i, op in enumerate(graph.ops) if op is not None and not grouped[i]]
    anchors = sorted((group.anchor, number) for number, group in enumerate(groups))
    schedule: list[int] = []
    k = 0
    for i in top:
        while k < len(anchors) and anchors[k][0] <= i:
            schedule.append(-1 - anchors[k][1])
            k += 1
        schedule.append(i)
    return schedule + [-1 - number for _, number in anchors[k:]]


@dataclass(frozen=True)
class _Guard:
    left: int
    symbol: str
    right: int | None  # a node, or None when compared with ``number``
    number: object
    result: bool
