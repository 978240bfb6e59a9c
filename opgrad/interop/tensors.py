"""What every torch flavour shares: its arguments as tensors, its backward, the early check."""

from __future__ import annotations

from collections.abc import Callable
from numbers import Real
from types import ModuleType
from typing import Any

from opgrad._optional import require
from opgrad.interop.common import array_forward, check_early, check_points
from opgrad.interop.fused import Products, weighted_partials
from opgrad.plugins.declaration import Op


def import_torch() -> ModuleType:
    """torch, or the error naming the ``torch`` extra."""
    return require("torch", "torch", "opgrad.interop.to_torch")


def plain_products(op: Op) -> Products:
    """``grad_out * partial`` for each input, from the op's rule evaluated step by step."""
    # A closure over the rule and a bool alone: Dynamo traces the backward, and it
    # can wrap neither a functools.partial nor an Op found in a closure.
    rule, masks = op.local_grads, op.mask_zero_partials

    def products(grad_out: Any, inputs: tuple[Any, ...], out: Any,
                 needed: tuple[bool, ...]) -> tuple[Any, ...]:
        return weighted_partials(rule, masks, grad_out, inputs, out, needed)

    return products


def input_gradients(products: Products, grad_out: Any, saved: tuple[Any, ...],
                    needed: tuple[bool, ...]) -> tuple[Any, ...]:
    """The gradient of each input (``saved`` is the inputs, then the output), in its shape."""
    *inputs, out = saved
    weighted = products(grad_out, tuple(inputs), out, needed)
    # Broadcast inputs get their gradients summed back to their shapes here, outside
    # a fused kernel (a reduction, where the kernel is elementwise).
    return tuple(None if w is None else w.sum_to_size(x.shape)
                 for x, w in zip(inputs, weighted, strict=True))


def returning_no_input(forward: Callable[..., Any]) -> Callable[..., Any]:
    """``forward``, but a result that is one of its inputs (an identity op) comes back copied:
    PyTorch refuses an input returned as-is when it is saved for backward, and a custom op
    whose output is its input."""
    def fresh(*xs: Any) -> Any:
        out = forward(*xs)
        return out.clone() if any(out is x for x in xs) else out

    return fresh


def sharing_no_storage(forward: Callable[..., Any]) -> Callable[..., Any]:
    """``forward`` for a custom op's kernel: a result that shares memory with an input (the
    input itself, a view, a ``detach()``) comes back copied, as PyTorch requires of a custom
    op's output. Run on real tensors only: fake ones have no storage to compare."""
    def fresh(*xs: Any) -> Any:
        out = forward(*xs)
        memory = out.untyped_storage().data_ptr()
        return out.clone() if any(x.untyped_storage().data_ptr() == memory for x in xs) else out

    return fresh


def as_tensors(torch: ModuleType, op: Op, args: tuple[Any, ...]) -> list[Any]:
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
    dtype = common_dtype(torch, [t.dtype for t in tensors if t.is_floating_point()])
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


def common_dtype(torch: ModuleType, dtypes: list[Any]) -> Any:
    """The dtype the floating ``dtypes`` promote to (the default dtype if there are none)."""
    if not dtypes:
        return torch.get_default_dtype()  # only conditions (bool tensors) and numbers
    common = dtypes[0]
    for dtype in dtypes[1:]:
        common = torch.promote_types(common, dtype)
    return common


def check_on_tensors(torch: ModuleType, op: Op) -> None:
    """Run the forward and the rule on a small float64 tensor; compare with the floats."""
    points = check_points(op)
    columns = [torch.tensor(column, dtype=torch.float64) for column in zip(*points, strict=True)]
    check_early(op, "torch", array_forward(op, "torch", torch), points, columns,
                lambda p, shape: torch.broadcast_to(torch.as_tensor(p, dtype=torch.float64),
                                                    shape), 1e-9)
