"""``to_torch``: an op on torch tensors, differentiated by the op's own rule.

Three flavours, because PyTorch cannot have everything in one today: Dynamo
refuses an ``autograd.Function`` that defines ``jvp`` under
``torch.compile(fullgraph=True)``, and ``torch.export`` inlines an
``autograd.Function``'s forward and drops its backward.

- default: a ``torch.autograd.Function`` with backward (so ``gradcheck``,
  ``gradgradcheck``, ``vmap(grad(...))``, ``torch.compile(fullgraph=True)``, DDP);
  ``torch.export`` inlines it, with a warning (see :mod:`opgrad.interop.tracing`);
- ``forward_mode=True``: the same plus ``jvp`` (so ``torch.func.jvp`` and
  ``jacfwd``), but no fullgraph compile;
- ``export=True``: a PyTorch custom op, ``torch.ops.opgrad.<name>``, that
  ``torch.export`` keeps as one node (see :mod:`opgrad.interop.custom_op`).

The first two may be ``fused=True``: eager backwards then run the rule as one
compiled kernel (see :mod:`opgrad.interop.fused`).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from opgrad.interop import custom_op
from opgrad.interop.common import array_forward, resolve_op
from opgrad.interop.fused import FusedProducts, Products, chain_term
from opgrad.interop.tensors import (
    as_tensors,
    check_on_tensors,
    import_torch,
    input_gradients,
    plain_products,
    returning_no_input,
)
from opgrad.interop.tracing import at_trace_time, note_tracing
from opgrad.plugins.declaration import Op, zero_masks


class _Bridges:
    """The bridges made so far, one class attribute each, named by :func:`_slot`.

    Not a dict: Dynamo keeps a dict as it first saw it in a trace, so it would miss a
    bridge made later in the same trace, and it guards a dict on its keys, so every
    new bridge would recompile each compiled function using one. An attribute it reads
    afresh, and guards alone.
    """


def _slot(op: Op, forward_mode: bool, fused: bool, export: bool) -> str:
    # By id(op), not by name or by op (the bridge holds its op, so the id stays its own;
    # an op whose torch= or jax= callable is unhashable is unhashable too).
    return f"op{id(op)}_{forward_mode:d}{fused:d}{export:d}"


def to_torch(op: str | Op, *, forward_mode: bool = False, fused: bool = False,
             export: bool = False) -> Callable[..., Any]:
    """``op`` (a name or an Op) as an elementwise function on torch tensors.

    Inputs broadcast; float32 and float64 on any device; Python numbers are
    constants. Gradients come from the op's ``local_grads`` evaluated on
    tensors. The rule is tried on a small tensor here, so an op that cannot
    run on tensors fails now with a :class:`BridgeError` naming it.
    ``forward_mode=True`` adds a ``jvp`` (but no fullgraph compile);
    ``fused=True`` compiles the backward at its first eager use, for long rules;
    ``export=True`` makes it the custom op ``torch.ops.opgrad.<name>``, which
    ``torch.export`` keeps with its rule (no forward mode, no ``fused``).
    """
    declared = resolve_op(op)
    if export and (forward_mode or fused):
        raise ValueError(f"to_torch({declared.name!r}, export=True) is a custom op: it takes "
                         f"no forward_mode=True (custom ops have no jvp) and no fused=True "
                         f"(a compiled model fuses its rule)")
    slot = _slot(declared, forward_mode, fused, export)
    _bridge_once(declared, slot, forward_mode, fused, export)  # Dynamo runs it as it traces
    return getattr(_Bridges, slot)  # type: ignore[no-any-return]  # set by _bridge_once


@at_trace_time
def _bridge_once(op: Op, slot: str, forward_mode: bool, fused: bool, export: bool) -> None:
    """Make and check the bridge for ``slot`` unless it is made (and still current)."""
    if hasattr(_Bridges, slot) and not (export and custom_op.replaced(op)):
        return
    torch = import_torch()
    # Outside any tracer's fake tensors (torch.export's, make_fx's): the check needs data.
    with torch.utils._python_dispatch._disable_current_modes():
        if export:  # registering a custom op runs its forward on a tensor: check that first
            check_on_tensors(torch, op)
            setattr(_Bridges, slot, custom_op.export_bridge(torch, op))
            return
        # Set before the check: a rule may call its own op (where does).
        setattr(_Bridges, slot, _make_bridge(torch, op, forward_mode, fused))
        try:
            check_on_tensors(torch, op)
        except BaseException:
            delattr(_Bridges, slot)
            raise


def _make_bridge(torch: ModuleType, op: Op, forward_mode: bool,
                 fused: bool) -> Callable[..., Any]:
    plain: Any = _function_class(torch, op, forward_mode, plain_products(op))
    eager: Any = plain  # both autograd.Function classes
    if fused:  # the same rule, compiled into one kernel at the first eager backward
        eager = _function_class(torch, op, forward_mode, FusedProducts(torch, op))

    def bridged(*args: Any) -> Any:
        if torch.compiler.is_compiling():  # torch.compile, or torch.export: it may inline
            note_tracing(op)
            # Under an outer torch.compile, the plain rule is traced and fused by that compile.
            return plain.apply(*as_tensors(torch, op, args))
        if torch.jit.is_tracing():
            note_tracing(op)
        return _applied(op, eager, as_tensors(torch, op, args))

    bridged.__name__ = bridged.__qualname__ = op.name
    bridged.__doc__ = f"opgrad op {op.name!r} on torch tensors.\n\n{op.formula}"
    return bridged


def _applied(op: Op, function: Any, tensors: list[Any]) -> Any:
    """``function.apply``, with PyTorch's bare error for forward mode made to name the fix."""
    try:
        return function.apply(*tensors)
    except NotImplementedError as exc:
        if "jvp" not in str(exc):
            raise
        raise NotImplementedError(
            f"opgrad op {op.name!r}: to_torch({op.name!r}) has no forward mode "
            f"(torch.func.jvp, jacfwd, forward AD, which need a jvp); use "
            f"to_torch({op.name!r}, forward_mode=True) for them") from exc


def _function_class(torch: ModuleType, op: Op, forward_mode: bool, products: Products) -> type:
    forward = returning_no_input(array_forward(op, "torch", torch))
    rule, masks = op.local_grads, op.mask_zero_partials

    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
        ctx.save_for_backward(*inputs, output)
        if forward_mode:
            ctx.save_for_forward(*inputs, output)

    def backward(ctx: Any, grad_out: Any) -> tuple[Any, ...]:
        return input_gradients(products, grad_out, ctx.saved_tensors,
                               tuple(ctx.needs_input_grad))

    def jvp(ctx: Any, *tangents: Any) -> Any:
        *inputs, out = ctx.saved_tensors
        partials, conditions = rule(*inputs, out), zero_masks(masks, inputs, out)
        total = sum(chain_term(p, t, mask)
                    for p, t, mask in zip(partials, tangents, conditions, strict=True)
                    if t is not None)
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
