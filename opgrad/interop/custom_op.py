"""``to_torch(op, export=True)``: the op as a PyTorch custom op, ``torch.ops.opgrad.<name>``.

``torch.export`` inlines an ``autograd.Function`` and drops its backward; a custom
op (``torch.library.custom_op``) stays one node, and differentiating the exported
program runs the autograd formula registered here: the op's own rule. Registered
with it: a fake (meta) implementation (broadcast shape, promoted dtype), a vmap
rule (the batch dimension passes through: one call, no per-sample loop), and a
decomposition into the op's ``torch=`` forward, which ``torch.onnx.export(...,
dynamo=True)`` applies, so the ONNX graph computes that forward.

One name holds one op per process (PyTorch's operator names are global): bridging
another op of the same name (a notebook cell run again with a changed rule, or a
plugin's op of that name) re-registers ``torch.ops.opgrad.<name>`` for it, and
the bridge made for the replaced op refuses to run, naming the fix.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import ModuleType
from typing import Any

from opgrad.interop.common import BridgeError, array_forward
from opgrad.interop.tensors import (
    as_tensors,
    common_dtype,
    input_gradients,
    plain_products,
    sharing_no_storage,
)
from opgrad.plugins.declaration import Op

NAMESPACE = "opgrad"
_holders: dict[str, Op] = {}  # the op that torch.ops.opgrad.<name> runs now, by name
_translated: dict[str, Any] = {}  # the overload whose ONNX translation is registered, by name
# Every definition made, kept for the process: a replaced one, freed by the garbage
# collector at some later moment, would drop torch.ops.opgrad.<name> from PyTorch's
# cache, and the overload it then gives is not the one the ONNX translation is keyed by.
_definitions: list[Any] = []


def replaced(op: Op) -> bool:
    """Whether ``torch.ops.opgrad.<name>`` now runs an op other than ``op``."""
    return _holders.get(op.name) != op


def export_bridge(torch: ModuleType, op: Op) -> Callable[..., Any]:
    """Register ``op`` as ``torch.ops.opgrad.<name>`` (unless it is already) and return
    the function calling it on tensors and numbers."""
    if replaced(op):
        _check_name(torch, op)
        _register(torch, op)
        _holders[op.name] = op
    overload = getattr(getattr(torch.ops, NAMESPACE), op.name).default

    def bridged(*args: Any) -> Any:
        if replaced(op):
            raise _replaced_error(op)
        tensors = as_tensors(torch, op, args)
        if torch.compiler.is_compiling():
            return overload(*tensors)
        return _called_eagerly(torch, op, overload, tensors)

    bridged.__name__ = bridged.__qualname__ = op.name
    bridged.__doc__ = f"opgrad op {op.name!r}, as torch.ops.opgrad.{op.name}.\n\n{op.formula}"
    return bridged


def _called_eagerly(torch: ModuleType, op: Op, overload: Any, tensors: list[Any]) -> Any:
    """The op on ``tensors``, refusing the transforms PyTorch gives custom ops none of."""
    unpack = torch.autograd.forward_ad.unpack_dual
    if any(unpack(t).tangent is not None for t in tensors):  # else: zero tangents, silently
        raise _unsupported(op, "has no forward mode (torch.func.jvp, jacfwd, forward AD)",
                           f"to_torch({op.name!r}, forward_mode=True)")
    try:
        return overload(*tensors)
    except RuntimeError as exc:
        if "setup_context" not in str(exc):
            raise
        raise _unsupported(op, "does not run under torch.func's gradients (grad, vjp, "
                           "jacrev): PyTorch runs a custom op's rule outside torch.func",
                           f"to_torch({op.name!r})") from exc


def _unsupported(op: Op, problem: str, fix: str) -> NotImplementedError:
    return NotImplementedError(
        f"opgrad op {op.name!r}: to_torch({op.name!r}, export=True) {problem}; use {fix} "
        f"for that")


def _replaced_error(op: Op) -> BridgeError:
    holder = _holders[op.name]
    return BridgeError(
        f"torch.ops.opgrad.{op.name} now runs another op named {op.name!r} (plugin "
        f"{holder.plugin!r}), bridged after this one (plugin {op.plugin!r}): PyTorch holds one "
        f"op per name; call to_torch(op, export=True) again for the one you mean")


def _check_name(torch: ModuleType, op: Op) -> None:
    # PyTorch's schema parser takes ASCII names, and torch.ops.opgrad.<name> must not be
    # an attribute the namespace object has of its own (its `name`).
    own = {a for a in dir(type(getattr(torch.ops, NAMESPACE))(NAMESPACE)) if a[0] != "_"}
    problem = ("is not ASCII, and PyTorch's operator schemas take ASCII names"
               if not op.name.isascii() else
               "is an attribute of torch.ops.opgrad itself" if op.name in own else None)
    if problem:
        raise BridgeError(f"op {op.name!r} cannot be the custom op torch.ops.opgrad.{op.name}: "
                          f"its name {problem}; register the op under another name "
                          f"(name=...) to bridge it with export=True")


def _register(torch: ModuleType, op: Op) -> None:
    forward = array_forward(op, "torch", torch)
    kernel = sharing_no_storage(forward)
    names = ", ".join(f"Tensor x{i}" for i in range(op.arity))
    # custom_op replaces an earlier definition of the same name (its own library is freed).
    custom = torch.library.custom_op(f"{NAMESPACE}::{op.name}", lambda *xs: kernel(*xs),
                                     mutates_args=(), schema=f"({names}) -> Tensor")
    _definitions.append(custom)
    custom.register_fake(functools.partial(_fake, torch))
    products = plain_products(op)

    def backward(ctx: Any, grad_out: Any) -> tuple[Any, ...]:
        return input_gradients(products, grad_out, ctx.saved_tensors,
                               tuple(ctx.needs_input_grad))

    custom.register_autograd(backward, setup_context=_save_inputs_and_output)
    overload = getattr(getattr(torch.ops, NAMESPACE), op.name).default
    custom.register_vmap(functools.partial(_batched, overload))
    _register_translation(op, overload, forward)


def _fake(torch: ModuleType, *xs: Any) -> Any:
    """The output's shape, dtype and device, without data (for export and compile)."""
    shape = torch.broadcast_shapes(*(x.shape for x in xs))
    return xs[0].new_empty(shape, dtype=common_dtype(torch, [x.dtype for x in xs]))


def _save_inputs_and_output(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
    ctx.save_for_backward(*inputs, output)


def _batched(overload: Any, info: Any, in_dims: tuple[int | None, ...], *xs: Any) -> Any:
    """vmap's rule: each batched input's batch dimension goes first, the other dimensions
    right-aligned, then one call of the op over the whole batch (it broadcasts)."""
    rank = max(x.dim() - (d is not None) for x, d in zip(xs, in_dims, strict=True))
    moved = [x if d is None else _batch_first(x.movedim(d, 0), rank)
             for x, d in zip(xs, in_dims, strict=True)]
    return overload(*moved), 0


def _batch_first(x: Any, rank: int) -> Any:
    # (batch, *shape) -> (batch, 1, ..., 1, *shape): as broadcasting aligns `shape` to the right.
    padding = (1,) * (rank - (x.dim() - 1))
    return x.reshape(x.shape[:1] + padding + x.shape[1:])


def _register_translation(op: Op, overload: Any, forward: Callable[..., Any]) -> None:
    """The op's forward as the decomposition ``torch.onnx.export(..., dynamo=True)`` applies
    (it decomposes ops it cannot translate with ``torch._decomp``'s table)."""
    from torch._decomp import decomposition_table, register_decomposition

    decomposition_table.pop(_translated.pop(op.name, None), None)  # a replaced op's
    register_decomposition(overload)(_translation(op, forward))
    _translated[op.name] = overload


def _translation(op: Op, forward: Callable[..., Any]) -> Callable[..., Any]:
    declared = f"its torch={op.torch!r}" if op.torch else "its forward (no torch= declared)"

    def translate(*xs: Any) -> Any:
        try:
            return forward(*xs)
        except Exception as exc:
            raise BridgeError(
                f"op {op.name!r} cannot be exported to ONNX: {declared} failed when traced "
                f"into PyTorch operations, with {type(exc).__name__}: {exc}; declare torch= "
                f"as a function of torch operations, without .item(), NumPy or an `if` on "
                f"a value") from exc

    return translate
