"""The bridge under PyTorch's tracers: work done while Dynamo traces, and no silent loss of a
rule when a tracer inlines an ``autograd.Function``."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TypeVar

from opgrad.interop.tensors import import_torch
from opgrad.plugins.declaration import Op

Function = TypeVar("Function", bound=Callable[..., object])

_warned: set[int] = set()  # ids of the ops warned about (the bridges' cache keeps them alive)


class InlinedRuleWarning(UserWarning):
    """A tracer inlined a bridged op's forward, so the traced program's gradients do not
    follow the op's rule; ``to_torch(op, export=True)`` keeps it."""


def at_trace_time(function: Function) -> Function:
    """Have Dynamo run ``function`` while it traces and take its result as a constant,
    as ``torch._dynamo.assume_constant_result`` does (this is the attribute it sets;
    setting it here needs no torch import). Dynamo would refuse to trace what such a
    function does (importing, making classes), and ``fullgraph=True`` allows no break."""
    setattr(function, "_dynamo_marked_constant", True)  # noqa: B010  # no typed attribute
    return function


@at_trace_time
def note_tracing(op: Op) -> None:
    """Warn once per op when ``torch.export`` or ``torch.jit.trace`` traces its default
    flavour: they inline the forward of an ``autograd.Function`` and drop its backward.
    (``torch.compile`` keeps the backward; ONNX has no gradients to lose.)"""
    torch = import_torch()
    exporting, tracing = torch.compiler.is_exporting(), torch.jit.is_tracing()
    if not (exporting or tracing) or torch.onnx.is_in_onnx_export() or id(op) in _warned:
        return
    _warned.add(id(op))
    tracer = "torch.export" if exporting else "torch.jit.trace"
    warnings.warn(InlinedRuleWarning(
        f"opgrad op {op.name!r}: {tracer} inlined to_torch({op.name!r}), so the traced program "
        f"computes the op's forward with PyTorch operations and its gradients follow their "
        f"derivatives, not the op's rule ({op.formula}); to keep the rule, bridge it with "
        f"to_torch({op.name!r}, export=True), a custom op (torch.ops.opgrad.{op.name}) that "
        f"stays one node"), stacklevel=3)
