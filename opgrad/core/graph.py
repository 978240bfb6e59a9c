"""Topological order and the backward pass (the chain rule), both iterative."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opgrad.core.value import OpLike, Value


class BackwardError(RuntimeError):
    """An op's ``local_grads`` rule failed or returned the wrong number of partials."""


def topological_order(root: Value) -> list[Value]:
    """Every node reachable from ``root``, each after all of its parents.

    Iterative depth-first search, so a chain of a million nodes is fine.
    """
    order: list[Value] = []
    visited: set[Value] = set()
    # The stack holds nodes to expand; a node being expanded is pushed back
    # with a None above it, and its parents above that. When the None comes
    # off again, every parent has been placed, so the node below can follow.
    # A node may be pushed twice: only its first expansion counts, and a
    # pushed copy always sits above its consumer, so it is placed first.
    stack: list[Value | None] = [root]
    push, pop = stack.append, stack.pop  # bound once: this loop is hot
    while stack:
        node = pop()
        if node is None:
            order.append(pop())  # type: ignore[arg-type]  # a node always sits below None
            continue
        if node in visited:
            continue
        visited.add(node)
        push(node)
        push(None)
        first = node._in1
        if first is None:  # a leaf
            continue
        # Parents go on in reverse, so the first input is expanded first and
        # the order reads like the forward computation.
        if type(first) is tuple:
            for parent in reversed(first):
                if parent not in visited:
                    push(parent)
        else:
            second = node._in2
            if second is not None and second not in visited:
                push(second)
            if first not in visited:
                push(first)  # type: ignore[arg-type]  # not a tuple here
    return order


def backward(root: Value, *, create_graph: bool = False) -> None:
    """Apply the chain rule from ``root`` to every node that feeds it.

    Leaves accumulate into ``.grad``; intermediate nodes keep this pass only.
    If a rule fails, every ``.grad`` is restored to what it was before the
    pass, so nothing is left half-updated.
    """
    order = topological_order(root)
    saved = _fresh_pass(root, order, create_graph)
    # Leaves add this pass to what they had (so two passes give exactly 2x).
    for node, grad in zip(order, saved, strict=True):
        if node._op is None and not (type(grad) is float and grad == 0.0):
            node.grad = grad + node.grad


def grad(root: Value, inputs: Sequence[Value], *, create_graph: bool = False) -> list[Any]:
    """d(root)/d(x) for each x in ``inputs``, leaving every ``.grad`` as it was.

    An input that does not feed ``root`` gets 0.0. With ``create_graph=True``
    the results are Values, so they can be differentiated again.
    """
    order = topological_order(root)
    saved = _fresh_pass(root, order, create_graph)
    found = {node: node.grad for node in order}
    for node, old in zip(order, saved, strict=True):
        node.grad = old
    return [found.get(x, 0.0) for x in inputs]


def _fresh_pass(root: Value, order: list[Value], create_graph: bool) -> list[Any]:
    """Run the chain rule with every grad starting from zero; return the old grads."""
    saved = []
    for node in order:
        saved.append(node.grad)
        node.grad = 0.0
    root.grad = type(root)(1.0) if create_graph else 1.0
    try:
        _propagate(order, create_graph)
    except BaseException:
        for node, old in zip(order, saved, strict=True):
            node.grad = old
        raise
    return saved


def _propagate(order: list[Value], create_graph: bool) -> None:
    for node in reversed(order):  # every consumer of a node comes before it
        op = node._op
        if op is None:  # a leaf: nothing to propagate
            continue
        upstream = node.grad
        first, second = node._in1, node._in2
        if create_graph or type(first) is tuple:  # the general path
            parents = node.parents
            partials = partials_of(op, node, create_graph)
            for parent, partial in zip(parents, partials, strict=True):
                # the chain rule: d(root)/d(parent) += d(node)/d(parent) * d(root)/d(node)
                parent.grad = parent.grad + partial * upstream
        # On the two unrolled paths below, first (and second) are single Values:
        # the type test above says so, mypy cannot see it (hence the ignores).
        elif second is None:  # unary on floats: the same, unrolled for speed
            try:
                (dfirst,) = op.local_grads(first.data, node.data)  # type: ignore[union-attr]
            except Exception as exc:
                raise _failure(op, node, exc) from exc
            first.grad = first.grad + dfirst * upstream  # type: ignore[union-attr]
        else:  # binary on floats
            try:
                dfirst, dsecond = op.local_grads(first.data, second.data, node.data)  # type: ignore[union-attr]
            except Exception as exc:
                raise _failure(op, node, exc) from exc
            first.grad = first.grad + dfirst * upstream  # type: ignore[union-attr]
            second.grad = second.grad + dsecond * upstream


def partials_of(op: OpLike, node: Value, create_graph: bool) -> Any:
    """d(node)/d(parent_i) for each parent of ``node``, from its op's rule, checked."""
    parents = node.parents
    try:
        if create_graph:  # partials as Values, so they can be differentiated again
            partials = op.local_grads(*parents, node)
        else:
            partials = op.local_grads(*[p.data for p in parents], node.data)
        count = len(partials)
    except Exception as exc:
        raise _failure(op, node, exc, create_graph) from exc
    if count != len(parents):
        raise _rule_error(
            op, parents, f"local_grads returned {count} partial(s), expected {len(parents)}"
        )
    return partials


def _failure(
    op: OpLike, node: Value, exc: Exception, create_graph: bool = False
) -> BackwardError:
    # Unpacking the wrong number of partials also lands here; say so plainly.
    if isinstance(exc, ValueError) and "values to unpack" in str(exc):
        problem = f"local_grads returned the wrong number of partials ({exc})"
    else:
        problem = f"local_grads failed: {exc!r}"
    if create_graph and isinstance(exc, TypeError):
        problem += (
            "; under create_graph=True the rule receives Values, so it must be written "
            "with Python operators and opgrad.ops calls (not math.*) to be differentiated again"
        )
    return _rule_error(op, node.parents, problem)


def _rule_error(op: OpLike, parents: tuple[Value, ...], problem: str) -> BackwardError:
    inputs = ", ".join(repr(p.data) for p in parents)
    return BackwardError(f"op {op.name!r} at inputs ({inputs}): {problem}")
