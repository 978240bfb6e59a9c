"""Derivatives on demand: ``grad`` (reverse mode) and ``jvp`` (forward mode)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from opgrad.core import Value, topological_order
from opgrad.core.graph import fresh_pass, partials_of, pass_lock
from opgrad.plugins.rules import value_of


def grad(root: Value, inputs: Sequence[Value], *, create_graph: bool = False) -> list[Any]:
    """d(root)/d(x) for each x in ``inputs``, leaving every ``.grad`` as it was.

    An input that does not feed ``root`` gets 0.0. With ``create_graph=True``
    the results are Values, so they can be differentiated again.
    """
    order = topological_order(root)
    refuse_hand_built(order, "opgrad.grad")
    with pass_lock:
        saved = fresh_pass(root, order, Value(1.0) if create_graph else 1.0, create_graph)
        found = {node: node.grad for node in order}
        for node, old in zip(order, saved, strict=True):
            node.grad = old
    return [found.get(x, 0.0) for x in inputs]


def jvp(
    f: Callable[..., Value], inputs: Sequence[float | Value], tangents: Sequence[float]
) -> tuple[float, float]:
    """``(f(inputs), derivative of f along tangents)``, in one forward sweep.

    Each node's tangent is the sum over its inputs of (local partial x input
    tangent), taken in topological order: no backward pass.
    """
    if len(inputs) != len(tangents):
        raise ValueError(f"jvp: {len(inputs)} input(s) but {len(tangents)} tangent(s)")
    xs = [Value(value_of(x)) for x in inputs]
    out = f(*xs)
    if not isinstance(out, Value):
        raise TypeError(f"jvp: f must return a Value, got {type(out).__name__}")
    tangent: dict[Value, Any] = {x: float(t) for x, t in zip(xs, tangents, strict=True)}
    order = topological_order(out)
    refuse_hand_built(order, "opgrad.jvp")
    for node in order:
        op = node.declaration
        if op is None or not any(p in tangent for p in node.parents):
            continue  # constants carry no tangent, so their (maybe nan) partials never count
        partials = partials_of(op, node, create_graph=False)
        # where the op masks, a zero partial stops even a nan tangent
        terms = (partial * tangent[parent]
                 for k, (parent, partial) in enumerate(zip(node.parents, partials, strict=True))
                 if parent in tangent and (partial or not op.masks_zero(node, k)))
        tangent[node] = sum(terms, 0.0)  # a float even when every term is masked
    return out.data, tangent.get(out, 0.0)


def refuse_hand_built(order: list[Value], who: str) -> None:
    """A TypeError for a node with inputs but no op (micrograd's ``Value(data, _children,
    _op)``): ``who`` follows ops' rules, so it would pass nothing through that node."""
    for node in order:
        if node.declaration is None and node.parents:
            name = repr(node.label) if node.label else f"with data {node.data!r}"
            raise TypeError(f"{who}: node {name} has inputs but no op (a node built by hand, "
                            f"as micrograd's Value(data, _children, _op)); only its own "
                            f".backward() runs a hand-written _backward: register the op with "
                            f"opgrad.op to use {who}")
