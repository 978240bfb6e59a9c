"""``to_jax``: an op as a ``jax.custom_jvp`` function whose rule is the op's ``local_grads``.

JAX derives reverse mode by transposing the JVP, so one rule gives ``jax.grad``,
``jax.jvp``, higher orders, and works under ``jax.jit`` and ``jax.vmap``.
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Real
from types import ModuleType
from typing import Any

from opgrad._optional import require
from opgrad.interop.common import array_forward, check_early, check_points, resolve_op
from opgrad.plugins.declaration import Op, zero_masks

# Keyed by id(op), as the torch bridge: an op whose jax= callable is unhashable is
# unhashable too (the bridge holds its op, so the id stays its own).
_bridges: dict[int, Callable[..., Any]] = {}


def import_jax() -> ModuleType:
    """jax, or the error naming the ``jax`` extra."""
    return require("jax", "jax", "opgrad.interop.to_jax")


def to_jax(op: str | Op) -> Callable[..., Any]:
    """``op`` (a name or an Op) as an elementwise JAX function, differentiated by its rule.

    Inputs broadcast; Python numbers are constants; integer arrays are refused.
    The rule is tried on a small array here, so an op that cannot run on arrays
    fails now with a :class:`BridgeError` naming it.
    """
    declared = resolve_op(op)
    key = id(declared)
    if key not in _bridges:
        jax = import_jax()
        _bridges[key] = _make_bridge(jax, declared)  # before the check: where calls where
        try:
            _check_on_arrays(jax, declared)
        except BaseException:
            del _bridges[key]
            raise
    return _bridges[key]


def _make_bridge(jax: ModuleType, op: Op) -> Callable[..., Any]:
    jnp = jax.numpy
    forward = array_forward(op, "jax", jax)
    rule = op.local_grads
    differentiable = jax.custom_jvp(lambda *xs: forward(*xs))

    def term(partial: Any, tangent: Any, mask: Any) -> Any:
        if mask is False:
            return partial * tangent
        stop = jnp.asarray(partial) == 0.0  # where the op masks: 0, even for a nan tangent
        return jnp.where(stop if mask is True else stop & mask, 0.0, partial * tangent)

    def jvp(primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> tuple[Any, Any]:
        out = differentiable(*primals)
        partials = rule(*primals, out)
        conditions = zero_masks(op.mask_zero_partials, primals, out)
        total = sum(term(p, t, mask)
                    for p, t, mask in zip(partials, tangents, conditions, strict=True))
        return out, jnp.broadcast_to(total, out.shape).astype(out.dtype)

    differentiable.defjvp(jvp)

    def bridged(*args: Any) -> Any:
        return differentiable(*_as_arrays(jax, op, args))

    bridged.__name__ = bridged.__qualname__ = op.name
    bridged.__doc__ = f"opgrad op {op.name!r} on JAX arrays.\n\n{op.formula}"
    return bridged


def _as_arrays(jax: ModuleType, op: Op, args: tuple[Any, ...]) -> list[Any]:
    """The arguments as floating arrays of one dtype, or a TypeError naming the op."""
    import numpy  # a dependency of jax

    jnp = jax.numpy
    if len(args) != op.arity:
        raise TypeError(f"{op.name}() takes {op.arity} argument(s) ({len(args)} given)")
    arrays = (jax.Array, numpy.ndarray)
    for a in args:
        if isinstance(a, arrays):
            if not (jnp.issubdtype(a.dtype, jnp.floating) or a.dtype == jnp.bool_):
                raise TypeError(f"{op.name}() takes floating arrays, got a {a.dtype} array; "
                                f"convert it with .astype(float)")
        elif not isinstance(a, Real):
            raise TypeError(f"{op.name}() takes JAX or NumPy arrays or numbers, "
                            f"got {type(a).__name__}: {a!r}")
    floating = [a.dtype for a in args if isinstance(a, arrays)
                and jnp.issubdtype(a.dtype, jnp.floating)]
    dtype = jnp.result_type(*floating) if floating else jnp.result_type(float)
    return [jnp.asarray(a, dtype=dtype) for a in args]


def _check_on_arrays(jax: ModuleType, op: Op) -> None:
    """Run the forward and the rule on a small array; compare with the op on floats."""
    jnp = jax.numpy
    points = check_points(op)
    columns = [jnp.asarray(column) for column in zip(*points, strict=True)]
    check_early(op, "jax", array_forward(op, "jax", jax), points, columns,  # float32 by default
                lambda p, shape: jnp.broadcast_to(jnp.asarray(p), shape), 1e-4)
