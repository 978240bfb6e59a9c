"""The backward of ``to_torch(op, fused=True)``: the op's rule as one Inductor kernel.

Eager, each step of a rule is its own pass over the tensor (gelu's has about a
dozen). Compiled by ``torch.compile``, the rule and the products with
``grad_out`` become one fused kernel. The compile happens at the first backward
that can use it (a few seconds, then again for a new dtype, device or number of
dimensions; sizes are dynamic), and only where it is safe; everywhere else, and
if compiling fails, the plain rule runs and gives the same gradients.
"""

from __future__ import annotations

import functools
import types
import warnings
from collections.abc import Callable
from typing import Any

from opgrad.plugins.declaration import Op, zero_masks

Products = Callable[[Any, tuple[Any, ...], Any, tuple[bool, ...]], tuple[Any, ...]]


class FusedBackwardWarning(RuntimeWarning):
    """A fused backward could not be compiled; the op's plain rule runs instead."""


def weighted_partials(rule: Callable[..., Any], masks: bool | Callable[..., Any],
                      grad_out: Any, inputs: tuple[Any, ...], out: Any,
                      needed: tuple[bool, ...]) -> tuple[Any, ...]:
    """``grad_out * d(out)/d(input)`` for each input that needs a gradient, else None
    (``masks``: the op's ``mask_zero_partials``)."""
    partials = rule(*inputs, out)
    conditions = zero_masks(masks, inputs, out)
    return tuple(chain_term(partial, grad_out, mask) if wanted else None
                 for partial, mask, wanted in zip(partials, conditions, needed, strict=True))


def chain_term(partial: Any, upstream: Any, mask: Any) -> Any:
    """``partial * upstream`` on tensors; where ``mask`` holds (True: everywhere, as for
    relu and where; else a condition, as pow's at y = 0) and the partial is 0, it is 0
    even under a nan or inf upstream, as PyTorch's own backward gives."""
    product = upstream * partial
    if mask is False:
        return product
    if isinstance(partial, (int, float)):  # a constant partial, such as where's 0.0
        if partial:
            return product
        if mask is True:
            return product.new_zeros(product.shape)
        return product.where(~mask, 0.0)
    stop = partial == 0.0 if mask is True else (partial == 0.0) & mask
    return product.where(~stop, 0.0)


class FusedProducts:
    """:func:`weighted_partials` for one op, compiled at the first backward that may use it.

    Eager only: Dynamo cannot trace this object, so under an outer ``torch.compile``
    the bridge uses its plain flavour, whose rule that compile traces and fuses.
    """

    def __init__(self, torch: types.ModuleType, op: Op) -> None:
        self._torch, self._op = torch, op
        self._compiled: Products | None = None
        self._failed = False

    def __call__(self, grad_out: Any, inputs: tuple[Any, ...], out: Any,
                 needed: tuple[bool, ...]) -> tuple[Any, ...]:
        if not self._usable(grad_out):
            return self._plain(grad_out, inputs, out, needed)
        try:
            return self._compiled_products()(grad_out, inputs, out, needed)
        except Exception as exc:  # the fuser's failure must never stop the training
            failure = exc
        # Outside the except block: an error of the rule itself surfaces as its own.
        products = self._plain(grad_out, inputs, out, needed)
        self._give_up(failure)
        return products

    def _plain(self, grad_out: Any, inputs: tuple[Any, ...], out: Any,
               needed: tuple[bool, ...]) -> tuple[Any, ...]:
        op = self._op
        return weighted_partials(op.local_grads, op.mask_zero_partials, grad_out, inputs, out,
                                 needed)

    def _usable(self, grad_out: Any) -> bool:
        # Grad mode is on in a backward only for create_graph (gradgradcheck, torch.func):
        # those differentiate the rule, so they need its plain, differentiable form. A
        # backward of a vmapped forward gets batched tensors: plain too (vmap's own rule).
        functorch = self._torch._C._functorch
        return not (self._failed or self._torch.is_grad_enabled()
                    or functorch.is_functorch_wrapped_tensor(grad_out))

    def _compiled_products(self) -> Products:
        if self._compiled is None:
            compiled = self._torch.compile(_own_weighted_partials(self._op.name), dynamic=True)
            self._compiled = functools.partial(compiled, self._op.local_grads,
                                               self._op.mask_zero_partials)
        return self._compiled

    def _give_up(self, failure: Exception) -> None:
        self._failed = True
        warnings.warn(FusedBackwardWarning(
            f"opgrad op {self._op.name!r}: the fused backward (to_torch(..., fused=True)) "
            f"could not be compiled, so it fell back to the plain rule (same gradients, "
            f"slower): {type(failure).__name__}: {failure}"), stacklevel=2)


def _own_weighted_partials(op_name: str) -> Callable[..., Any]:
    """:func:`weighted_partials` with a code object of its own, named after the op."""
    # Dynamo keeps compiled code on the code object, with at most 8 variants (its
    # recompile_limit): a copy per op keeps the fused ops from evicting each other.
    name = f"fused_backward_of_{op_name}"
    code = weighted_partials.__code__.replace(co_name=name, co_qualname=name)
    return types.FunctionType(code, weighted_partials.__globals__, name)
