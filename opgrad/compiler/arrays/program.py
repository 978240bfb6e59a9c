"""The whole array step: read the live leaves, run every pack, check, differentiate.

``step(leaves)`` reads the live leaves into ``x``, builds each domain's
varying inputs, runs the packs in order, checks the guards, then runs the
backward in reverse order into ``gx``. If the loss, an output or a gradient
came out nan or inf, it returns None and the caller reruns the step with the
dynamic engine, which gives exactly ``backward()``'s numbers and errors
(numpy gives nan where ``math.log(-1.0)`` raises). Otherwise it adds ``gx``
to the leaves' ``.grad`` and returns the loss and the outputs.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence

from opgrad.compiler import program as scalar_program
from opgrad.compiler.arrays.access import Access
from opgrad.compiler.arrays.domains import Domain, fold, group_domains, top_domain
from opgrad.compiler.arrays.emit import PackWriter
from opgrad.compiler.arrays.forms import Forms, check_algebra
from opgrad.compiler.arrays.guards import write_guards
from opgrad.compiler.arrays.leaves import live_leaves
from opgrad.compiler.arrays.names import Names
from opgrad.compiler.arrays.packing import Packing, Source, pack_all, sources_of
from opgrad.compiler.arrays.stores import LiveIO, Place, store_order, store_places
from opgrad.compiler.program import Program, traced_graph
from opgrad.compiler.regions import Graph, find_groups
from opgrad.compiler.writer import Source as Lines
from opgrad.core import Value
from opgrad.guards import Comparison

TOLERANCE = 1e-12  # relative to what each number sums: sums run in another order


def write_array_program(order: list[Value], root: Value, outputs: list[Value],
                        comparisons: list[Comparison]) -> Program:
    """The NumPy step that recomputes ``root`` (and ``outputs``) from the live leaves."""
    graph, guards = traced_graph(order, root, outputs, comparisons)
    live = live_leaves(graph)  # first: it counts references to the leaves
    packing = _packed(graph, live, len(order) >= scalar_program.GROUPS_FROM)
    places = store_places(graph.nodes, live)
    in_x = live_layout(packing, live, places)
    layout = {node: k for k, node in enumerate(in_x)}
    leaves = [order[node] for node in in_x]
    names = Names()
    names.namespace.update(data_of=operator.attrgetter("data"), math=math)
    lines = Lines()
    access = Access(packing, names, layout, lines)
    writer = PackWriter(access, Forms(names), _needs(packing, bool(live)))
    io = LiveIO(access, leaves, places, in_x)
    lines.emit(0, "def step(leaves):")
    lines.emit(1, "with numpy.errstate(all='ignore'):  # nan and inf are checked at the end")
    io.read()
    _forward(packing, writer)
    messages = write_guards(access, graph, guards)
    index = graph.index
    loss, shown = _element(access, index[root]), _outputs(access, [index[o] for o in outputs])
    _backward(packing, writer, index[root])
    _finish(access, loss, shown, io)
    return Program(lines, names.namespace, messages, leaves, graph.shape(),
                   _positions(graph, layout), tolerance=TOLERANCE)


def _packed(graph: Graph, live: list[int], with_groups: bool) -> Packing:
    """The graph in domains (one per kind of repeated region, and the top), folded, packed."""
    for op in {id(op): op for op in graph.ops if op is not None and op.algebra}.values():
        check_algebra(op)  # the sums and products below trust it
    _check_conditions(graph)
    groups = find_groups(graph) if with_groups else []
    domains = [top_domain(graph, groups)]
    for group in groups:
        domains.extend(group_domains(graph, group))
    for domain in domains:
        fold(domain, graph)
    return pack_all(graph, domains, set(live))


def _check_conditions(graph: Graph) -> None:
    """Ask each op's mask condition (``mask_zero_partials`` as a function) once, at its
    first node. The array code needs no mask (a step with a nan or inf is handed back to
    backward()), so a condition that cannot work fails here, as backward() would fail."""
    conditional = {id(op): op for op in graph.ops
                   if op is not None and not isinstance(op.mask_zero_partials, bool)}
    for op in conditional.values():
        node = graph.nodes[next(i for i, o in enumerate(graph.ops) if o is op)]
        op.masked_at([p.data for p in node.parents], node.data, 0)


def _finish(access: Access, loss: str, shown: str | None, io: LiveIO) -> None:
    """Hand back to the dynamic engine on nan or inf; else add the gradients, return."""
    access.emit(f"loss = float({loss})")
    # The sum is finite only if every term is (an overflow of the sum itself only costs a
    # dynamic step).
    total = "loss + float(gx.sum())" + (f" + float({shown}.sum())" if shown else "")
    access.emit(f"if not math.isfinite({total}):")
    access.emit("return None  # nan or inf: the dynamic engine redoes the step", 3)
    io.add_gradients()
    access.emit(f"return loss, {f'{shown}.tolist()' if shown else '[]'}")


def live_layout(packing: Packing, live: list[int],
                places: dict[int, Place] | None = None) -> list[int]:
    """The order of the live leaves in ``x``: the weights of each matrix product in one
    block, row by row, and each pack's row of live operands (its biases) in one block,
    where they appear first, so that the step reads them as (reshaped) slices of ``x``;
    every other live leaf after them, in graph order. Leaves in a store (``places``)
    come first, in the store's order, block by block (see :func:`store_order`)."""
    units: list[list[int]] = []
    placed: set[int] = set()
    for pack in packing.packs:
        blocks = [lanes for a, _, lanes, _ in pack.products if a[0] == "live"]
        blocks += [[[row[0] for row in lanes]] for source, lanes in pack.plain
                   if source[0] == "live" and len(lanes[0]) == 1]
        for block in blocks:
            flat = [n for row in block for n in row]
            if len(flat) > 1 and len(set(flat)) == len(flat) and not placed.intersection(flat):
                placed.update(flat)
                units.append(flat)
    units += [[node] for node in dict.fromkeys(live) if node not in placed]
    if places:
        units = store_order(units, places)
    return [node for unit in units for node in unit]


def _positions(graph: Graph, layout: dict[int, int]) -> list[int]:
    """Each live leaf's position among all the graph's leaves (for verify())."""
    rank = {node: k for k, node in enumerate(i for i, op in enumerate(graph.ops) if op is None)}
    return [rank[node] for node in sorted(layout, key=layout.__getitem__)]


def _needs(packing: Packing, any_live: bool) -> dict[Source, bool]:
    """Which sources need a gradient: those that lead to a live leaf (worked out in the
    packs' order, in which every source comes before its readers)."""
    needs: dict[Source, bool] = {("live", 0): any_live, ("const", 0): False}
    for pack in packing.packs:
        varying = ("varying", pack.domain)
        if varying not in needs:
            needs[varying] = any(needs[packing.source_of(node)[0]]
                                 for nodes in packing.domains[pack.domain].varying
                                 for node in nodes)
        found = any(needs[s] for s in sources_of(pack))
        needs[("pack", pack.id)] = needs[("flat", pack.id)] = found
    return needs


def _forward(packing: Packing, writer: PackWriter) -> None:
    access = writer.access
    access.emit("# forward: each pack computes its nodes for every column at once")
    for kind, k in packing.units:
        if kind == "pack":
            writer.forward(packing.packs[k])
            continue
        domain = packing.domains[k]
        access.emit(f"# {len(domain.columns)} repeats of a region of {len(domain.template)} "
                    "nodes: one column each")
        _varying(access, k, domain)
        for pack in packing.packs:
            if pack.domain == k:
                writer.forward(pack)


def _backward(packing: Packing, writer: PackWriter, root: int) -> None:
    access = writer.access
    access.emit("# backward: the chain rule, pack by pack in reverse")
    access.start_live()
    if packing.graph.ops[root] is None:  # the loss is a leaf (held by the caller: live)
        access.emit(f"gx[{access.layout[root]}] += 1.0")
    else:
        pack, flat = packing.location[root]  # the loss is in the top domain: one column
        rows = len(packing.packs[pack].members)
        if rows == 1:
            access.emit(f"g{pack} = numpy.ones((1, 1))")
        else:
            access.emit(f"g{pack} = numpy.zeros(({rows}, 1))")
            access.emit(f"g{pack}[{flat}, 0] = 1.0")
        access.started.add(f"g{pack}")
    for kind, k in reversed(packing.units):
        if kind == "pack":
            writer.backward(packing.packs[k])
            continue
        for member in reversed([p for p in packing.packs if p.domain == k]):
            writer.backward(member)
        if writer.needs[("varying", k)] and f"gv{k}" in access.started:
            _varying_backward(access, k, packing.domains[k])


def _varying(access: Access, d: int, domain: Domain) -> None:
    """``v<d>``: domain d's inputs that differ per column, (slot, column)."""
    import numpy

    if not domain.varying:
        return
    packing = access.packing
    found = [[packing.source_of(node) for node in nodes] for nodes in domain.varying]
    fixed = numpy.array([[packing.graph.nodes[node].data if source[0] == "const" else 0.0
                          for node, (source, _) in zip(nodes, row, strict=True)]
                         for nodes, row in zip(domain.varying, found, strict=True)])
    base = access.names.array(fixed)
    groups = _by_source(found)
    shape = f"  # the inputs of each repeat, {len(found)} x {len(found[0])}"
    access.emit(f"v{d} = {base}.copy()" if groups else f"v{d} = {base}{shape}")
    for source, (slots, columns, indices) in groups.items():
        target = f"v{d}[{_ints(access, slots)}, {_ints(access, columns)}]"
        access.emit(f"{target} = {_gather(access, source, indices)}")


def _varying_backward(access: Access, d: int, domain: Domain) -> None:
    packing = access.packing
    found = [[packing.source_of(node) for node in nodes] for nodes in domain.varying]
    for source, (slots, columns, indices) in _by_source(found).items():
        value = f"gv{d}[{_ints(access, slots)}, {_ints(access, columns)}]"
        access.add(source, indices, f"{value}[:, None]", 1)


def _by_source(found: list[list[tuple[Source, int]]]
               ) -> dict[Source, tuple[list[int], list[int], list[int]]]:
    """The non-constant entries of a varying matrix, by source: slots, columns, indices."""
    groups: dict[Source, tuple[list[int], list[int], list[int]]] = {}
    for slot, row in enumerate(found):
        for column, (source, index) in enumerate(row):
            if source[0] != "const":
                entry = groups.setdefault(source, ([], [], []))
                entry[0].append(slot)
                entry[1].append(column)
                entry[2].append(index)
    return groups


def _ints(access: Access, values: Sequence[int]) -> str:
    import numpy

    return access.names.array(numpy.array(values, dtype=numpy.intp))


def _gather(access: Access, source: Source, indices: list[int]) -> str:
    """Elements of a source without columns, as a vector."""
    return f"{access.read(source, indices)}[:, 0]"


def _element(access: Access, node: int) -> str:
    """The value of one node, as an expression."""
    packing = access.packing
    if packing.graph.ops[node] is None:
        (source, index) = packing.source_of(node)
        return f"{access.read(source, [index])}[0, 0]"
    pack, flat = packing.location[node]
    columns = packing.packs[pack].columns
    return f"a{pack}[{flat // columns}, {flat % columns}]"


def _outputs(access: Access, nodes: list[int]) -> str | None:
    """The outputs as one vector: gathered source by source, then put in order."""
    import numpy

    numpy_name = access.names.numpy
    if not nodes:
        return None
    found = [access.packing.source_of(node) for node in nodes]
    by_source: dict[Source, list[int]] = {}
    for k, (source, _) in enumerate(found):
        by_source.setdefault(source, []).append(k)
    pieces = [f"{access.read(source, [found[k][1] for k in ks])}[:, 0]"
              for source, ks in by_source.items()]
    if len(pieces) == 1:
        return access.temp(pieces[0])
    order = [k for ks in by_source.values() for k in ks]
    where = access.names.array(numpy.argsort(numpy.array(order)))
    return access.temp(f"{numpy_name}.concatenate(({', '.join(pieces)},))[{where}]")
