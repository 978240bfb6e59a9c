"""An ``opgrad.nn.MLP`` as a ``torch.nn.Module``: the same weights, the bridged activation."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from opgrad.assembly import default_registry
from opgrad.interop.torch_bridge import import_torch, to_torch
from opgrad.plugins.declaration import Op


def mlp_to_torch(mlp: Any, dtype: Any = None) -> Any:
    """A ``torch.nn.Module`` computing what ``mlp`` computes, on a batch of rows.

    Input shape (batch, nin), output (batch, nout); parameters are copied
    (float64 unless ``dtype`` says otherwise), hidden layers use the bridged
    activation op, the last layer is linear as in the opgrad MLP.
    """
    torch = import_torch()
    dtype = torch.float64 if dtype is None else dtype
    activation = None if mlp.activation is None else to_torch(default_registry()[mlp.activation])
    linears = [_linear(torch, layer, dtype) for layer in mlp.layers]
    return _sequential(torch, linears, activation)


def _linear(torch: Any, layer: Any, dtype: Any) -> Any:
    neurons = layer.neurons
    linear = torch.nn.Linear(len(neurons[0].w), len(neurons), dtype=dtype)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in neurons], dtype=dtype))
        linear.bias.copy_(torch.tensor([n.b.data for n in neurons], dtype=dtype))
    return linear


def _sequential(torch: Any, linears: list[Any], activation: Any) -> Any:
    layers: list[Any] = []
    for index, linear in enumerate(linears):
        layers.append(linear)
        if activation is not None and index < len(linears) - 1:
            layers.append(_activation_class(torch)(activation))  # already bridged
    return torch.nn.Sequential(*layers)


def to_torch_module(op: str | Op, *, forward_mode: bool = False, fused: bool = False) -> Any:
    """``op`` bridged by :func:`to_torch` (same flavours), as a ``torch.nn.Module``
    (an activation layer)."""
    torch = import_torch()
    return _activation_class(torch)(to_torch(op, forward_mode=forward_mode, fused=fused))


@functools.cache
def _activation_class(torch: Any) -> Any:
    """``BridgedActivation(function)``: a parameter-free ``torch.nn.Module`` applying an op."""

    class BridgedActivation(torch.nn.Module):  # type: ignore[misc]  # torch is untyped here
        def __init__(self, function: Callable[..., Any]) -> None:
            super().__init__()
            self.function = function

        def forward(self, x: Any) -> Any:
            return self.function(x)

        def extra_repr(self) -> str:
            return f"opgrad op {self.function.__name__!r}"

    return BridgedActivation
