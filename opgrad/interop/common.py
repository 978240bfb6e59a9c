"""What both bridges share: finding the op, its array forward, and checking its rule early."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from opgrad.assembly import default_registry
from opgrad.core.graph import checked_count
from opgrad.plugins.declaration import Op, zero_masks
from opgrad.testing import sample_points


class BridgeError(ValueError):
    """An op cannot run on tensors or arrays; the message names the op and the fix."""


def resolve_op(op: str | Op) -> Op:
    """``op`` itself, or the registered op of that name."""
    if isinstance(op, Op):
        return op
    if not isinstance(op, str):
        raise TypeError(f"expected an op name or an opgrad.extend.Op, got {type(op).__name__}")
    registry = default_registry()
    if op not in registry:
        raise BridgeError(f"no op named {op!r} is registered; `opgrad ops` lists them")
    return registry[op]


def array_forward(op: Op, keyword: str, library: ModuleType) -> Callable[..., Any]:
    """The op's forward on arrays: its declared ``torch=``/``jax=`` equivalent, else its
    own forward (which works when it is written with operators and ``opgrad.ops`` calls)."""
    spec = getattr(op, keyword)
    if spec is None:
        return op.forward
    if callable(spec):
        return spec  # type: ignore[no-any-return]  # a callable declared by the op
    found: Any = library
    for part in str(spec).split("."):
        found = getattr(found, part, None)
    if not callable(found):
        raise BridgeError(f"op {op.name!r} declares {keyword}={spec!r}, but "
                          f"{library.__name__}.{spec} is not a function")
    return found  # type: ignore[no-any-return]  # checked callable above


def check_points(op: Op) -> list[list[float]]:
    """A few points inside the op's domain, away from its kinks, for the early check."""
    return sample_points(op, 3, seed=7)


def bridge_failure(op: Op, keyword: str, part: str, exc: BaseException) -> BridgeError:
    """The error for an op whose forward or rule cannot run on arrays."""
    if part == "forward":
        fix = (f"declare the array equivalent with {keyword}=... (a function name under "
               f"{keyword}, or a callable), or write the forward with operators and opgrad.ops")
    elif part == "mask_zero_partials":
        fix = ("return a tuple of one condition per input, written with comparisons and & "
               "(no `if` on a value), e.g. (y == 0.0, False)")
    else:
        fix = ("write local_grads with operators, opgrad.ops calls and opgrad.ops.where "
               "(no `if` on a value, no math.*)")
    kind = "torch tensors" if keyword == "torch" else f"{keyword} arrays"
    return BridgeError(f"op {op.name!r} cannot run on {kind}: its {part} "
                       f"failed with {type(exc).__name__}: {exc}; {fix}")


def close(ours: float, theirs: float, tolerance: float = 1e-9) -> bool:
    """Equal up to ``tolerance``, relative (absolute below 1); nan equal to nan."""
    if ours != ours or theirs != theirs:
        return ours != ours and theirs != theirs
    return abs(ours - theirs) <= tolerance * max(1.0, abs(theirs))


def check_early(op: Op, keyword: str, forward: Callable[..., Any], points: list[list[float]],
                columns: list[Any], broadcast: Callable[[Any, Any], Any],
                tolerance: float) -> None:
    """Run the forward and the rule on ``columns`` (the ``points`` as arrays) and compare
    with the op on floats, so a bridge that cannot work fails when it is made."""
    try:
        out = forward(*columns)
    except Exception as exc:
        raise bridge_failure(op, keyword, "forward", exc) from exc
    for got, point in zip(out.tolist(), points, strict=True):
        expected = op.forward(*point)
        if not close(got, expected, tolerance):
            raise bridge_failure(op, keyword, "forward", ValueError(
                f"it gives {got!r} at {point}, but the op's forward gives {expected!r}"))
    try:
        partials = op.local_grads(*columns, out)
    except Exception as exc:
        raise bridge_failure(op, keyword, "local_grads", exc) from exc
    checked_count(op, partials, op.arity)  # the error every path gives for a wrong count
    try:
        for partial in partials:
            broadcast(partial, out.shape)
    except Exception as exc:
        raise bridge_failure(op, keyword, "local_grads", exc) from exc
    try:
        zero_masks(op.mask_zero_partials, columns, out)
    except Exception as exc:
        raise bridge_failure(op, keyword, "mask_zero_partials", exc) from exc
