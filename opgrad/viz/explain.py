"""A worked chain-rule exercise: the forward pass, then backward edge by edge."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from opgrad.core import Value, topological_order
from opgrad.core.graph import partials_of
from opgrad.html_table import html_table
from opgrad.plugins.constant import Constant
from opgrad.plugins.declaration import op_of


@dataclass(frozen=True)
class Edge:
    """One application of the chain rule: upstream x local added to an input's grad."""

    node: str
    op: str
    formula: str
    input: str
    local: float
    upstream: float
    product: float
    total: float  # the input's gradient after adding the product
    at: int  # the node's position in the forward order
    into: int  # the input's position in the forward order
    slot: int  # which argument of the op the input is (0 for the first)


def names(order: list[Value]) -> dict[Value, str]:
    """A readable name per node: its label, else n1, n2, ... in forward order.

    A counter name that some node already has as its label is skipped, so
    a node labelled "n1" and an unlabelled one never share a name.
    """
    labels = {node.label for node in order}
    unused = (name for name in (f"n{i}" for i in itertools.count(1)) if name not in labels)
    return {node: node.label or next(unused) for node in order}


@dataclass(frozen=True)
class Trace:
    """The forward order, a name per node, each backward edge, and the final gradients."""

    order: list[Value]
    names: dict[Value, str]
    steps: list[Edge]
    grads: dict[Value, float]


def backward_steps(root: Value) -> Trace:
    """The chain rule applied by hand from ``root``: every edge, in backward order.

    Each node's partials come from the op it carries (through the core's
    checked ``partials_of``), so a graph explains itself whichever registry
    is active now. Edges into constants are left out: a constant gets no
    gradient, as in ``backward()``.
    """
    order = topological_order(root)
    named = names(order)
    position = {node: i for i, node in enumerate(order)}
    grads: dict[Value, float] = {node: 0.0 for node in order}
    grads[root] = 1.0
    steps = []
    for node in reversed(order):
        op = op_of(node)
        if op is None:
            continue
        partials = partials_of(op, node, create_graph=False)
        for slot, (parent, local) in enumerate(zip(node.parents, partials, strict=True)):
            if type(parent) is Constant:
                continue
            masked = not local and op.masks_zero(node, slot)  # as backward() does
            product = 0.0 if masked else local * grads[node]
            grads[parent] += product
            steps.append(Edge(named[node], op.name, op.formula, named[parent], local,
                              grads[node], product, grads[parent], position[node],
                              position[parent], slot))
    return Trace(order, named, steps, grads)


class Explanation(str):
    """What :func:`explain` returns: the text, which a notebook shows as HTML tables."""

    trace: Trace

    def _repr_html_(self) -> str:
        return trace_tables(self.trace)


def explain(root: Value) -> Explanation:
    """The forward pass node by node, then each backward edge with its numbers.

    The result is a ``str``; in a notebook it displays as tables.
    """
    trace = backward_steps(root)
    order, named, steps, grads = trace.order, trace.names, trace.steps, trace.grads
    top = named[root]
    lines = ["forward pass:"]
    for node in order:
        if node.op:
            args = ", ".join(named[p] for p in node.parents)
            lines.append(f"  {named[node]} = {node.op}({args}) = {node.data:.6g}")
        else:
            lines.append(f"  {named[node]} = {node.data:.6g}")
    lines += ["", f"backward pass, from {top} (d{top}/d{top} = 1):"]
    current = None
    for step in steps:
        if step.node != current:
            current = step.node
            lines.append(f"  {step.node} = {step.op}(...), rule: {step.formula}")
        lines.append(f"    to {step.input}: local d{step.node}/d{step.input} = {step.local:.6g} "
                     f"x upstream d{top}/d{step.node} = {step.upstream:.6g} -> "
                     f"{step.product:.6g}; d{top}/d{step.input} is now {step.total:.6g}")
    leaves = [node for node in order if not node.op and type(node) is not Constant]
    lines += ["", "gradients:"]
    lines += [f"  d{top}/d{named[leaf]} = {grads[leaf]:.6g}" for leaf in leaves]
    explanation = Explanation("\n".join(lines))
    explanation.trace = trace
    return explanation


def trace_tables(trace: Trace) -> str:
    """explain's forward pass, backward edges and leaf gradients as three tables."""
    named, top = trace.names, trace.names[trace.order[-1]]
    forward = [(named[n], n.op or "leaf", ", ".join(named[p] for p in n.parents), n.data)
               for n in trace.order]
    backward = [(s.node, s.formula, s.input, s.local, s.upstream, s.product, s.total)
                for s in trace.steps]
    leaves = [(f"d{top}/d{named[n]}", trace.grads[n]) for n in trace.order
              if not n.op and type(n) is not Constant]
    return "".join([
        html_table("forward pass", ["node", "op", "inputs", "data"], forward),
        html_table(f"backward pass, from {top}",
                   ["node", "rule", "to input", "local", "upstream", "product", "input grad now"],
                   backward),
        html_table("gradients", ["derivative", "value"], leaves),
    ])
