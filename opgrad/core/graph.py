"""Topological order and the backward pass (the chain rule), both iterative."""

from __future__ import annotations

from numbers import Real
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opgrad.core.value import OpLike, Value


class BackwardError(RuntimeError):
    """An op's ``local_grads`` rule failed or returned the wrong partials."""


def topological_order(root: Value) -> list[Value]:
    """Every node reachable from ``root``, each after all of its parents (iteratively)."""
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
        # Parents go on in reverse, so the first input is expanded first and
        # the order reads like the forward computation.
        first, second = node._in1, node._in2
        if type(first) is tuple:
            for parent in reversed(first):
                if parent not in visited:
                    push(parent)
        elif first is not None:
            if second is not None and second not in visited:
                push(second)
            if first not in visited:
                push(first)  # type: ignore[arg-type]  # not a tuple here
    return order


def backward(root: Value, *, create_graph: bool = False) -> None:
    """Apply the chain rule from ``root``; leaves accumulate, a failed pass changes nothing."""
    order = topological_order(root)
    saved = fresh_pass(root, order, create_graph)
    # Leaves add this pass to what they had (so two passes give exactly 2x).
    for node, grad in zip(order, saved, strict=True):
        if node._made_by is None and not (type(grad) is float and grad == 0.0):
            node.grad = grad + node.grad


def fresh_pass(root: Value, order: list[Value], create_graph: bool) -> list[Any]:
    """The chain rule from ``root`` with every grad reset first; returns the old grads.

    If a rule fails, every grad is put back before the error propagates.
    """
    saved = [node.grad for node in order]
    for node in order:
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
        op = node._made_by
        if op is None:  # a leaf: nothing to propagate
            continue
        upstream = node.grad
        first, second = node._in1, node._in2
        if create_graph or type(first) is tuple:  # the general path
            for parent, partial in zip(node.parents, partials_of(op, node, create_graph),
                                       strict=True):
                # the chain rule: d(root)/d(parent) += d(node)/d(parent) * d(root)/d(node)
                if getattr(partial, "data", partial) or not masks_zero_partials(op):
                    parent.grad = parent.grad + partial * upstream
        # On the two unrolled paths below, first (and second) are single Values:
        # the type test above says so, mypy cannot see it (hence the ignores).
        elif second is None:  # unary on floats: the same, unrolled for speed
            try:
                (dfirst,) = op.local_grads(first.data, node.data)  # type: ignore[union-attr]
            except Exception as exc:
                raise _failure(op, node, exc) from exc
            if type(dfirst) is not float:
                dfirst = _float_partial(op, node, dfirst)
            if dfirst or not masks_zero_partials(op):  # a nonzero (or nan) partial always counts
                first.grad = first.grad + dfirst * upstream  # type: ignore[union-attr]
        else:  # binary on floats
            try:
                dfirst, dsecond = op.local_grads(first.data, second.data, node.data)  # type: ignore[union-attr]
            except Exception as exc:
                raise _failure(op, node, exc) from exc
            if type(dfirst) is not float or type(dsecond) is not float:
                dfirst, dsecond = (_float_partial(op, node, d) for d in (dfirst, dsecond))
            if dfirst or not masks_zero_partials(op):
                first.grad = first.grad + dfirst * upstream  # type: ignore[union-attr]
            if dsecond or not masks_zero_partials(op):
                second.grad = second.grad + dsecond * upstream


def masks_zero_partials(op: OpLike) -> bool:
    """Whether a zero partial of ``op`` stops the gradient (even nan), as PyTorch's relu does."""
    return getattr(op, "mask_zero_partials", False) is True


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
        raise _failure(op, node, f"local_grads returned {count} partial(s), "
                                 f"expected {len(parents)}")
    return partials if create_graph else [_float_partial(op, node, p) for p in partials]


def _float_partial(op: OpLike, node: Value, partial: object) -> float:
    """A partial computed on floats, as a float: anything but a real number is a bug."""
    if isinstance(partial, Real):  # float, int, bool, NumPy's floats
        return float(partial)
    hint = " (partials may be Values only under create_graph=True)" if isinstance(
        partial, type(node)) else ""
    raise _failure(op, node, f"local_grads returned {type(partial).__name__} {partial!r} as a "
                             f"partial; a rule must return real numbers{hint}")


def _failure(op: OpLike, node: Value, exc: Exception | str,
             create_graph: bool = False) -> BackwardError:
    """The error naming the op, its inputs and what its rule did wrong."""
    if isinstance(exc, str):
        problem = exc
    elif isinstance(exc, ValueError) and "values to unpack" in str(exc):
        problem = f"local_grads returned the wrong number of partials ({exc})"
    else:
        problem = f"local_grads failed: {exc!r}"
    if create_graph and isinstance(exc, TypeError):  # e.g. math.exp(a Value)
        problem += "; to run on Values, a rule must use operators and opgrad.ops, not math.*"
    inputs = ", ".join(repr(p.data) for p in node.parents)
    return BackwardError(f"op {op.name!r} at inputs ({inputs}): {problem}")
