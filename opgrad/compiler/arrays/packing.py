"""Packs: the nodes of a domain that one array operation computes.

Nodes of a domain with the same *signature* (the same op, and each input
from the same source) form a pack: one array, a row per node, a column per
repeat of the domain. Visiting nodes in topological order, a node can only
join a pack whose sources existed before it, so no member of a pack depends
on another, and packs come out in an order in which each can run.

Sources: ``("pack", k)`` a pack of the same domain, read by rows;
``("varying", d)`` domain d's inputs that differ per column; ``("live", 0)``
the leaves read on each call; ``("const", 0)`` values fixed when compiling;
``("flat", k)`` a pack of another domain, read element by element (row *
columns + column).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from opgrad.compiler.arrays.domains import Domain, Input, OpTerm, SumTerm
from opgrad.compiler.regions import Graph
from opgrad.plugins.declaration import Op

Source = tuple[str, int]
Lanes = list[int]  # per member: its row (or element) in the source
BATCHLESS = ("live", "const", "flat")  # sources without a column axis


@dataclass
class Pack:
    """One array: ``members`` (template positions) as rows, the domain's columns."""

    id: int
    domain: int
    columns: int
    op: Op | None  # None: a sum pack
    members: list[int] = field(default_factory=list)
    inputs: list[tuple[Source, Lanes]] = field(default_factory=list)  # op packs
    plain: list[tuple[Source, list[Lanes]]] = field(default_factory=list)  # sums: [k][member]
    products: list[tuple[Source, Source, list[Lanes], list[Lanes]]] = field(
        default_factory=list)  # sums: a-source, b-source, a lanes [k][member], b lanes


@dataclass
class Packing:
    """Every pack, where every node's value is, and the order to compute them in."""

    graph: Graph
    live: set[int]
    domains: list[Domain]
    packs: list[Pack] = field(default_factory=list)
    location: dict[int, tuple[int, int]] = field(default_factory=dict)  # node -> (pack, flat)
    units: list[tuple[str, int]] = field(default_factory=list)  # ("pack", k) / ("domain", d)

    def source_of(self, node: int) -> tuple[Source, int]:
        """Where a node outside the reading domain is: its source and index there."""
        if self.graph.ops[node] is None:
            return (("live", 0) if node in self.live else ("const", 0)), node
        pack, flat = self.location[node]
        return ("flat", pack), flat


def pack_all(graph: Graph, domains: list[Domain], live: set[int]) -> Packing:
    """Pack the top domain (``domains[0]``) node by node, each group's domain when the top
    reaches its anchor (all its inputs are known then, none of its consumers yet)."""
    packing = Packing(graph, live, domains)
    later = sorted((d.anchor, k) for k, d in enumerate(domains) if k)
    top, next_domain = domains[0], 0
    signatures: dict[object, Pack] = {}
    for p, node in enumerate(top.template):
        while next_domain < len(later) and later[next_domain][0] <= node:
            _pack_domain(packing, later[next_domain][1], {})
            next_domain += 1
        _place(packing, 0, p, signatures)
    for _, k in later[next_domain:]:
        _pack_domain(packing, k, {})
    packing.units = _schedule(packing)
    return packing


def _pack_domain(packing: Packing, d: int, signatures: dict[object, Pack]) -> None:
    for p in range(len(packing.domains[d].template)):
        _place(packing, d, p, signatures)


def _place(packing: Packing, d: int, p: int, signatures: dict[object, Pack]) -> None:
    """Put position ``p`` of domain ``d`` into the pack of its signature."""
    domain = packing.domains[d]
    term = domain.terms[p]
    if term is None:
        return
    lane_of = packing.location
    if isinstance(term, OpTerm):
        found = [_source(packing, d, x) for x in term.inputs]
        key: tuple[object, ...] = ("op", id(term.op), tuple(s for s, _ in found))
        pack = _pack_for(packing, d, key, term.op, signatures)
        if not pack.inputs:
            pack.inputs = [(s, []) for s, _ in found]
        for (_, lanes), (_, lane) in zip(pack.inputs, found, strict=True):
            lanes.append(lane)
    else:
        plain, products = _sum_groups(packing, d, term)
        key = ("sum", tuple((s, len(ls)) for s, ls in plain.items()),
               tuple((a, b, len(ls[0])) for (a, b), ls in products.items()))
        pack = _pack_for(packing, d, key, None, signatures)
        _add_sum_member(pack, plain, products)
    lane = len(pack.members)
    pack.members.append(p)
    columns = len(domain.columns)
    for c, column in enumerate(domain.columns):
        lane_of[column[p]] = (pack.id, lane * columns + c)


def _pack_for(packing: Packing, d: int, key: tuple[object, ...], op: Op | None,
              signatures: dict[object, Pack]) -> Pack:
    pack = signatures.get(key)
    if pack is None:
        columns = len(packing.domains[d].columns)
        pack = signatures[key] = Pack(len(packing.packs), d, columns, op)
        packing.packs.append(pack)
    return pack


def _source(packing: Packing, d: int, x: Input) -> tuple[Source, int]:
    """The source of one input of a node of domain ``d``, and its lane there."""
    kind, value = x
    if kind == "node":
        pack, flat = packing.location[packing.domains[d].template[value]]
        return ("pack", pack), flat // packing.packs[pack].columns
    if kind == "varying":
        return ("varying", d), value
    return packing.source_of(value)


def _sum_groups(packing: Packing, d: int, term: SumTerm
                ) -> tuple[dict[Source, Lanes], dict[tuple[Source, Source], tuple[Lanes, Lanes]]]:
    """The operands of a sum by source (sorted), products oriented so that a side without
    columns (parameters) comes first."""
    plain: dict[Source, Lanes] = {}
    for x in term.plain:
        source, lane = _source(packing, d, x)
        plain.setdefault(source, []).append(lane)
    products: dict[tuple[Source, Source], tuple[Lanes, Lanes]] = {}
    for a, b in term.products:
        (sa, la), (sb, lb) = _source(packing, d, a), _source(packing, d, b)
        if sb[0] in BATCHLESS and sa[0] not in BATCHLESS:
            (sa, la), (sb, lb) = (sb, lb), (sa, la)
        lanes = products.setdefault((sa, sb), ([], []))
        lanes[0].append(la)
        lanes[1].append(lb)
    return dict(sorted(plain.items())), dict(sorted(products.items()))


def _add_sum_member(pack: Pack, plain: dict[Source, Lanes],
                    products: dict[tuple[Source, Source], tuple[Lanes, Lanes]]) -> None:
    if not pack.members:
        pack.plain = [(s, []) for s in plain]
        pack.products = [(a, b, [], []) for a, b in products]
    for (_, rows), lanes in zip(pack.plain, plain.values(), strict=True):
        rows.append(lanes)
    for (_, _, rows_a, rows_b), (la, lb) in zip(pack.products, products.values(), strict=True):
        rows_a.append(la)
        rows_b.append(lb)


def sources_of(pack: Pack) -> list[Source]:
    return [s for s, _ in pack.inputs] + [s for s, _ in pack.plain] + [
        s for a, b, _, _ in pack.products for s in (a, b)]


def _schedule(packing: Packing) -> list[tuple[str, int]]:
    """Top packs and group domains in an order where each comes after what it reads."""
    unit_of = [("pack", p.id) if p.domain == 0 else ("domain", p.domain) for p in packing.packs]
    needs: dict[tuple[str, int], set[tuple[str, int]]] = {u: set() for u in unit_of}
    for pack in packing.packs:
        unit = unit_of[pack.id]
        for kind, k in sources_of(pack):
            if kind in ("pack", "flat") and unit_of[k] != unit:
                needs[unit].add(unit_of[k])
    for d, domain in enumerate(packing.domains[1:], start=1):
        for column_nodes in domain.varying:
            for node in column_nodes:
                (kind, k), _ = packing.source_of(node)
                if kind == "flat" and ("domain", d) in needs:
                    needs[("domain", d)].add(unit_of[k])
    return _topological(needs)


def _topological(needs: dict[tuple[str, int], set[tuple[str, int]]]) -> list[tuple[str, int]]:
    """Kahn's order, earliest-made first among the ready ones."""
    rank = {unit: k for k, unit in enumerate(needs)}
    waiting = {unit: len(deps) for unit, deps in needs.items()}
    users: dict[tuple[str, int], list[tuple[str, int]]] = {unit: [] for unit in needs}
    for unit, deps in needs.items():
        for dep in deps:
            users[dep].append(unit)
    ready = [(rank[u], u) for u, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        _, unit = heapq.heappop(ready)
        order.append(unit)
        for user in users[unit]:
            waiting[user] -= 1
            if not waiting[user]:
                heapq.heappush(ready, (rank[user], user))
    if len(order) != len(needs):
        raise RuntimeError("opgrad.compile(backend='numpy'): packs depend on each other in a "
                           "circle (a bug: please report it with the traced function)")
    return order
