"""``to_torch``: an op as a ``torch.autograd.Function`` differentiated by the op's own rule.

Two flavours, because PyTorch cannot have both at once today: Dynamo refuses an
``autograd.Function`` that defines ``jvp`` under ``torch.compile(fullgraph=True)``.

- default: backward (so ``gradcheck``, ``gradgradcheck``, ``vmap(grad(...))``,
  ``torch.compile(fullgraph=True)``, DDP);
- ``forward_mode=True``: the same plus ``jvp`` (so ``torch.func.jvp`` and
  ``jacfwd``), but no fullgraph compile.

Either may be ``fused=True``: eager backwards then run the rule as one compiled
kernel (see :mod:`opgrad.interop.fused`).
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Real
from types import ModuleType
from typing import Any

from opgrad._optional import require
from opgrad.interop.common import (
    array_forward,
    bridge_failure,
    check_points,
    close,
    resolve_op,
)
from opgrad.interop.fused import FusedProducts, Products, chain_term, weighted_partials
from opgrad.plugins.declaration import Op

# Keyed by id(op), not op (the bridge holds its op, so the id stays its own): Dynamo
# guards a dict keyed by objects on its length, so every new bridge would recompile
# each compiled function that uses one.
_bridges: dict[tuple[int, bool, bool], Callable[..., Any]] = {}


def import_torch() -> ModuleType:
    """torch, or the error naming the ``torch`` extra."""
    return require("torch", "torch", "opgrad.interop.to_torch")


def to_torch(op: str | Op, *, forward_mode: bool = False,
             fused: bool = False) -> Callable[..., Any]:
    """``op`` (a name or an Op) as an elementwise function on torch tensors.

    Inputs broadcast; float32 and float64 on any device; Python numbers are
    constants. Gradients come from the op's ``local_grads`` evaluated on
    tensors. The rule is tried on a small tensor here, so an op that cannot
    run on tensors fails now with a :class:`BridgeError` naming it.
    ``forward_mode=True`` adds a ``jvp`` (but no fullgraph compile);
    ``fused=True`` compiles the backward at its first eager use, for long rules.
    """
    declared = resolve_op(op)
    key = (id(declared), forward_mode, fused)
    if key not in _bridges:
        torch = import_torch()
        # Cached before the check: a rule may call its own op (where does).
        _bridges[key] = _make_bridge(torch, declared, forward_mode, fused)
        try:
            _check_on_tensors(torch, declared, _bridges[key])
        except BaseException:
            del _bridges[key]
            raise
    return _bridges[key]


def _make_bridge(torch: ModuleType, op: Op, forward_mode: bool,
                 fused: bool) -> Callable[..., Any]:
    plain: Any = _function_class(torch, op, forward_mode, _plain_products(op))
    eager: Any = plain  # both autograd.Function classes
    if fused:  # the same rule, compiled into one kernel at the first eager backward
        eager = _function_class(torch, op, forward_mode, FusedProducts(torch, op))

    def bridged(*args: Any) -> Any:
        # Under an outer torch.compile, the plain rule is traced and fused by that compile.
        function = plain if torch.compiler.is_compiling() else eager
        return function.apply(*_as_tensors(torch, op, args))

    bridged.__name__ = bridged.__qualname__ = op.name
    bridged.__doc__ = f"opgrad op {op.name!r} on torch tensors.\n\n{op.formula}"
    return bridged


def _plain_products(op: Op) -> Products:
    # A closure over the rule and a bool alone: Dynamo traces the backward, and it
    # can wrap neither a functools.partial nor an Op found in a closure.
    rule, masks = op.local_grads, op.mask_zero_partials

    def products(grad_out: Any, inputs: tuple[Any, ...], out: Any,
                 needed: tuple[bool, ...]) -> tuple[Any, ...]:
        return weighted_partials(rule, masks, grad_out, inputs, out, needed)

    return products


def _function_class(torch: ModuleType, op: Op, forward_mode: bool, products: Products) -> type:
    forward = array_forward(op, "torch", torch)
    rule, masks = op.local_grads, op.mask_zero_partials

    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
        ctx.save_for_backward(*inputs, output)
        if forward_mode:
            ctx.save_for_forward(*inputs, output)

    def backward(ctx: Any, grad_out: Any) -> tuple[Any, ...]:
        *inputs, out = ctx.saved_tensors
        weighted = products(grad_out, tuple(inputs), out, tuple(ctx.needs_input_grad))
        # Broadcast inputs get their gradients summed back to their shapes here, outside
        # the fused kernel (a reduction, where the kernel is elementwise).
        return tuple(None if w is None else w.sum_to_size(x.shape)
                     for x, w in zip(inputs, weighted, strict=True))

    def jvp(ctx: Any, *tangents: Any) -> Any:
        *inputs, out = ctx.saved_tensors
        partials = rule(*inputs, out)
        total = sum(chain_term(p, t, masks)
                    for p, t in zip(partials, tangents, strict=True) if t is not None)
        return torch.zeros_like(out) + total

    namespace: dict[str, Any] = {
        "generate_vmap_rule": True,
        "forward": staticmethod(_with_named_inputs(forward, op.arity)),
        "setup_context": staticmethod(setup_context),
        "backward": staticmethod(backward),
    }
    if forward_mode:
        namespace["jvp"] = staticmethod(jvp)
    return type(f"Bridged_{op.name}", (torch.autograd.Function,), namespace)


def _with_named_inputs(function: Callable[..., Any], arity: int) -> Callable[..., Any]:
    # Dynamo reads the signature of an autograd.Function's forward: with *args it
    # takes the first one for a ctx. So give the common arities named parameters.
    if arity == 1:
        return lambda x: function(x)
    if arity == 2:
        return lambda x, y: function(x, y)
    if arity == 3:
        return lambda x, y, z: function(x, y, z)
    return lambda *xs: function(*xs)  # more inputs: eager and vmap, not compile


def _as_tensors(torch: ModuleType, op: Op, args: tuple[Any, ...]) -> list[Any]:
    """The arguments as floating tensors of one dtype on one device, or a TypeError."""
    if len(args) != op.arity:
        raise TypeError(f"{op.name}() takes {op.arity} argument(s) ({len(args)} given)")
    for a in args:
        _check_argument(torch, op, a)
    tensors = [a for a in args if isinstance(a, torch.Tensor)]
    if not tensors:
        raise TypeError(f"{op.name}() on torch needs at least one tensor, got only numbers")
    devices = {t.device for t in tensors}
    if len(devices) > 1:
        shown = ", ".join(sorted(str(d) for d in devices))
        raise TypeError(f"{op.name}() got tensors on different devices ({shown}); "
                        f"move them to one device first")
    dtype = _common_dtype(torch, [t.dtype for t in tensors if t.is_floating_point()])
    return [_converted(torch, a, dtype, tensors[0].device) for a in args]


def _converted(torch: ModuleType, a: Any, dtype: Any, device: Any) -> Any:
    # Conditions (bool tensors) and numbers become tensors of the inputs' dtype.
    if not isinstance(a, torch.Tensor):
        return torch.tensor(float(a), dtype=dtype, device=device)
    return a if a.dtype == dtype else a.to(dtype)


def _check_argument(torch: ModuleType, op: Op, a: Any) -> None:
    if isinstance(a, torch.Tensor):
        if not (a.is_floating_point() or a.dtype == torch.bool):
            raise TypeError(f"{op.name}() takes floating tensors (float32, float64...), got a "
                            f"{a.dtype} tensor; convert it with .double() or .float()")
    elif not isinstance(a, Real):
        raise TypeError(f"{op.name}() takes torch tensors or numbers, "
                        f"got {type(a).__name__}: {a!r}")


def _common_dtype(torch: ModuleType, dtypes: list[Any]) -> Any:
    if not dtypes:
        return torch.get_default_dtype()  # only conditions (bool tensors) and numbers
    common = dtypes[0]
    for dtype in dtypes[1:]:
        common = torch.promote_types(common, dtype)
    return common


def _check_on_tensors(torch: ModuleType, op: Op, bridged: Callable[..., Any]) -> None:
    """Run the forward and the rule on a small float64 tensor; compare with the floats."""
    points = check_points(op)
    columns = [torch.tensor(column, dtype=torch.float64) for column in zip(*points, strict=True)]
    try:
        out = array_forward(op, "torch", torch)(*columns)
    except Exception as exc:
        raise bridge_failure(op, "torch", "forward", exc) from exc
    for got, point in zip(out.tolist(), points, strict=True):
        if not close(got, op.forward(*point)):
            raise bridge_failure(op, "torch", "forward", ValueError(
                f"it gives {got!r} at {point}, but the op's forward gives {op.forward(*point)!r}"))
    try:
        partials = op.local_grads(*columns, out)
        [torch.broadcast_to(torch.as_tensor(p, dtype=torch.float64), out.shape)
         for p in partials]
    except Exception as exc:
        raise bridge_failure(op, "torch", "local_grads", exc) from exc
