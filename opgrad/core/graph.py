"""Topological order and the backward pass (the chain rule), both iterative."""

from __future__ import annotations

import threading
from numbers import Real
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opgrad.core.value import OpLike, Value

# One pass at a time: a pass parks every grad it touches while it runs, so two
# passes into shared leaves must not interleave (the sum of both stays exact).
pass_lock = threading.RLock()


# .rules_on_values: a rule runs on Values (float(Value) refuses: math.* would cut the graph);
# .tracing: opgrad.compile records fn (no_grad refuses: it would freeze values).
per_thread = threading.local()


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


def backward(root: Value, seed: Any, create_graph: bool) -> None:
    """Apply the chain rule from ``root``; leaves accumulate, a failed pass changes nothing."""
    order = topological_order(root)
    with pass_lock:
        saved = fresh_pass(root, order, seed, create_graph)
        # Leaves add this pass to what they had (so two passes give exactly 2x).
        for node, grad in zip(order, saved, strict=True):
            if node._made_by is None and not (type(grad) is float and grad == 0.0):
                node.grad = grad + node.grad


def fresh_pass(root: Value, order: list[Value], seed: Any, create_graph: bool) -> list[Any]:
    """The chain rule from ``root`` on zeroed grads (hold ``pass_lock``): the old grads."""
    saved = [node.grad for node in order]
    for node in order:
        node.grad = 0.0
    root.grad = seed
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
            partials = partials_of(op, node, create_graph)
            for k, (parent, partial) in enumerate(zip(node.parents, partials, strict=True)):
                # the chain rule: d(root)/d(parent) += d(node)/d(parent) * d(root)/d(node)
                if (getattr(partial, "data", partial) or not op.mask_zero_partials
                        or not op.masks_zero(node, k)):
                    parent.grad = parent.grad + partial * upstream
        # On the two unrolled paths below, first (and second) are single Values:
        # the type test above says so, mypy cannot see it (hence the ignores).
        elif second is None:  # unary on floats: the same, unrolled for speed
            try:
                (dfirst,) = op.local_grads(first.data, node.data)  # type: ignore[union-attr]
            except Exception:
                (dfirst,) = partials_of(op, node, False)  # raises the error naming the op
            if type(dfirst) is not float:
                dfirst = float_partial(op, node, dfirst)
            # a nonzero (or nan) partial always counts; a zero one unless the op masks it
            if dfirst or not op.mask_zero_partials or not op.masks_zero(node, 0):
                first.grad = first.grad + dfirst * upstream  # type: ignore[union-attr]
        else:  # binary on floats
            try:
                dfirst, dsecond = op.local_grads(first.data, second.data, node.data)  # type: ignore[union-attr]
            except Exception:
                dfirst, dsecond = partials_of(op, node, False)  # raises the error naming the op
            if type(dfirst) is not float or type(dsecond) is not float:
                dfirst, dsecond = (float_partial(op, node, d) for d in (dfirst, dsecond))
            if dfirst or not op.mask_zero_partials or not op.masks_zero(node, 0):
                first.grad = first.grad + dfirst * upstream  # type: ignore[union-attr]
            if dsecond or not op.mask_zero_partials or not op.masks_zero(node, 1):
                second.grad = second.grad + dsecond * upstream


def partials_of(op: OpLike, node: Value, create_graph: bool) -> Any:
    """d(node)/d(parent_i) for each parent of ``node``, from its op's rule, checked."""
    parents = node.parents
    try:
        if create_graph:  # partials as Values, so they can be differentiated again
            previous = getattr(per_thread, "rules_on_values", False)
            per_thread.rules_on_values = True
            try:
                partials = op.local_grads(*parents, node)
            finally:
                per_thread.rules_on_values = previous
        else:
            partials = op.local_grads(*[p.data for p in parents], node.data)
    except Exception as exc:
        raise _failure(op, node, exc) from exc
    partials = checked_count(op, partials, len(parents), node)
    return partials if create_graph else [float_partial(op, node, p) for p in partials]


def checked_count(op: OpLike, partials: Any, inputs: int, node: Value | None = None) -> Any:
    """``partials`` if one per input, else the error every path raises (compile, bridges)."""
    count = len(partials) if hasattr(partials, "__len__") else None
    if count != inputs:
        what = type(partials).__name__ if count is None else f"{count} partial(s)"
        raise _failure(op, node, f"local_grads returned the wrong number of partials: {what} "
                                 f"for {inputs} input(s) (one per input, in input order)")
    return partials


def float_partial(op: OpLike, node: Value | None, partial: object) -> float:
    """A partial computed on floats, as a float: anything but a real number is a bug."""
    if isinstance(partial, Real):  # float, int, bool, NumPy's floats
        return float(partial)
    raise _failure(op, node, f"local_grads returned {type(partial).__name__} {partial!r} as a "
                             f"partial; a rule returns real numbers (Values under create_graph)")


def _failure(op: OpLike, node: Value | None, exc: Exception | str) -> BackwardError:
    """The error naming the op, its inputs and what its rule did wrong."""
    problem = exc if isinstance(exc, str) else f"local_grads failed: {exc!r}"
    if isinstance(exc, TypeError) and "Value" in str(exc):  # e.g. math.exp(a Value)
        problem += "; to run on Values, a rule must use operators and opgrad.ops, not math.*"
    inputs = "" if node is None else f" at inputs ({', '.join(repr(p.data) for p in node.parents)})"
    return BackwardError(f"op {op.name!r}{inputs}: {problem}")
