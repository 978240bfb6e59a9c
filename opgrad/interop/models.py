"""An ``opgrad.nn.MLP`` as a ``torch.nn.Module``: the same weights, the bridged activation."""

from __future__ import annotations

from typing import Any

from opgrad.assembly import default_registry
from opgrad.interop.common import resolve_op
from opgrad.interop.tensors import import_torch
from opgrad.plugins.declaration import Op


def mlp_to_torch(mlp: Any, dtype: Any = None) -> Any:
    """A ``torch.nn.Module`` computing what ``mlp`` computes, on a batch of rows.

    Input shape (batch, nin), output (batch, nout); parameters are copied
    (float64 unless ``dtype`` says otherwise), hidden layers use the bridged
    activation op (its default flavour; the export flavour when ``torch.export``
    traces it), the last layer is linear as in the opgrad MLP. Picklable.
    """
    torch = import_torch()
    from opgrad.interop.modules import BridgedActivation, BridgedMLP  # imports torch

    dtype = torch.float64 if dtype is None else dtype
    linears = [_linear(torch, layer, dtype) for layer in mlp.layers]
    layers: list[Any] = []
    for index, linear in enumerate(linears):
        layers.append(linear)
        if mlp.activation is not None and index < len(linears) - 1:
            layers.append(BridgedActivation(default_registry()[mlp.activation]))
    return BridgedMLP(*layers)


def _linear(torch: Any, layer: Any, dtype: Any) -> Any:
    neurons = layer.neurons
    linear = torch.nn.Linear(len(neurons[0].w), len(neurons), dtype=dtype)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in neurons], dtype=dtype))
        linear.bias.copy_(torch.tensor([n.b.data for n in neurons], dtype=dtype))
    return linear


def to_torch_module(op: str | Op, *, forward_mode: bool = False, fused: bool = False,
                    export: bool = False) -> Any:
    """``op`` bridged by :func:`to_torch` (same flavours), as a ``torch.nn.Module``
    (an activation layer). Picklable; under ``torch.export`` it keeps the op's rule."""
    import_torch()
    from opgrad.interop.modules import BridgedActivation  # imports torch

    return BridgedActivation(resolve_op(op), forward_mode=forward_mode, fused=fused,
                             export=export)
