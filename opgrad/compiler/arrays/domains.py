"""The graph as domains: nodes that compute together, one column per repeat.

A group of repeated regions (see :func:`opgrad.compiler.regions.find_groups`)
becomes one domain per kind of region: its template's nodes are the rows,
its regions the columns (the batch axis). Every node in no group belongs to
the top domain, which has a single column. Then, per domain, chains of
``algebra="sum"`` ops fold into one sum each, and a single-use
``algebra="product"`` node under a sum becomes one of its products (the
material for matrix products).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from opgrad.compiler.regions import Graph, Group, grouped_nodes
from opgrad.plugins.declaration import Op

# An input of a template node: ("node", position) inside the domain, ("shared", node)
# for a node outside it (the same one in every column), ("varying", slot) for an
# input whose node differs per column (its nodes are in Domain.varying[slot]).
Input = tuple[str, int]


@dataclass(frozen=True)
class OpTerm:
    """A node computed by its op."""

    op: Op
    inputs: tuple[Input, ...]


@dataclass(frozen=True)
class SumTerm:
    """A folded chain of sums: plain operands plus products ``a * b``, in any order."""

    plain: tuple[Input, ...]
    products: tuple[tuple[Input, Input], ...]


Term = OpTerm | SumTerm


@dataclass
class Domain:
    """Nodes computed together; ``columns[c][p]`` is the node at position p of column c."""

    columns: list[list[int]]
    inputs: list[tuple[Input, ...]]  # per position
    varying: list[list[int]] = field(default_factory=list)  # per varying slot: node per column
    anchor: int = -1  # the first node consuming it (-1: the top domain)
    terms: list[Term | None] = field(default_factory=list)  # per position; None: folded away

    @property
    def template(self) -> list[int]:
        return self.columns[0]


def top_domain(graph: Graph, groups: list[Group]) -> Domain:
    """Every non-leaf node outside the groups, as one column."""
    grouped = grouped_nodes(len(graph.nodes), groups)
    nodes = [i for i, op in enumerate(graph.ops) if op is not None and not grouped[i]]
    position = {node: p for p, node in enumerate(nodes)}
    inputs = [tuple(("node", position[j]) if j in position else ("shared", j)
                    for j in graph.inputs[i]) for i in nodes]
    return Domain([nodes], inputs)


def group_domains(graph: Graph, group: Group) -> list[Domain]:
    """One domain per kind of region in ``group``: its regions are the columns."""
    domains = []
    shared = set(group.shared)
    for kind, template in enumerate(group.templates):
        members = [k for k, found in enumerate(group.kinds) if found == kind]
        region, slots = group.instances[template], group.slots[template]
        position = {node: p for p, node in enumerate(region)}
        varying_slots = [q for q, node in enumerate(slots) if node not in shared]
        slot_of = {slots[q]: v for v, q in enumerate(varying_slots)}
        inputs = [tuple(("node", position[j]) if j in position else
                        ("shared", j) if j in shared else ("varying", slot_of[j])
                        for j in graph.inputs[i]) for i in region]
        varying = [[group.slots[k][q] for k in members] for q in varying_slots]
        domains.append(Domain([group.instances[k] for k in members], inputs, varying,
                              group.anchor))
    return domains


def fold(domain: Domain, graph: Graph) -> None:
    """Fill ``domain.terms``: sums folded, products under sums taken in."""
    template, ops, uses, exposed = domain.template, graph.ops, graph.uses, graph.exposed
    algebra = [None if ops[node] is None else ops[node].algebra  # type: ignore[union-attr]  # not None
               for node in template]
    consumer = _consumers(domain)
    # Folded away: a sum or a product used once, by a sum of this domain, and not reported.
    folded = [algebra[p] is not None and uses[node] == 1 and node not in exposed
              and consumer[p] >= 0 and algebra[consumer[p]] == "sum"
              for p, node in enumerate(template)]
    terms: list[Term | None] = []
    for p, node in enumerate(template):
        op = ops[node]
        if folded[p] or op is None:
            terms.append(None)
        elif op.algebra == "sum":
            terms.append(_sum_term(domain, p, folded, algebra))
        else:
            terms.append(OpTerm(op, domain.inputs[p]))
    domain.terms = terms


def _consumers(domain: Domain) -> list[int]:
    """Per position: a consumer inside the domain (its position), or -1."""
    consumer = [-1] * len(domain.template)
    for p, inputs in enumerate(domain.inputs):
        for kind, q in inputs:
            if kind == "node":
                consumer[q] = p
    return consumer


def _sum_term(domain: Domain, head: int, folded: list[bool],
              algebra: list[str | None]) -> SumTerm:
    """The operands of the chain of sums rooted at ``head``, left to right (iteratively)."""
    plain: list[Input] = []
    products: list[tuple[Input, Input]] = []
    stack: list[Input] = list(reversed(domain.inputs[head]))
    while stack:
        operand = stack.pop()
        kind, p = operand
        if kind == "node" and folded[p]:
            if algebra[p] == "sum":
                stack.extend(reversed(domain.inputs[p]))
            else:
                a, b = domain.inputs[p]
                products.append((a, b))
            continue
        plain.append(operand)
    return SumTerm(tuple(plain), tuple(products))
