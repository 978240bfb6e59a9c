"""micrograd's ``nn`` (Module, Neuron, Layer, MLP) on opgrad.nn and compat Values.

``zero_grad``, ``state_dict`` and weight initialisation are opgrad.nn's;
names, signatures, call results, ``parameters()`` lists and reprs are micrograd's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opgrad import nn
from opgrad._typed import Value as OpgradValue
from opgrad.compat.micrograd.engine import Value


class Module(nn.Module):
    """micrograd's Module: ``parameters()`` (found by attribute) and ``zero_grad()``."""


class Neuron(Module, nn.Neuron):
    """``relu(w . x + b)``, or linear with ``nonlin=False``; weights drawn from ``random``."""

    def __init__(self, nin: int, nonlin: bool = True) -> None:
        # opgrad.nn.Neuron draws nin weights from Python's random, in micrograd's order.
        super().__init__(nin, "relu" if nonlin else None)
        self.w = [Value(w.data) for w in self.w]
        self.b = Value(0.0)
        self.nonlin = nonlin

    def __call__(self, x: Sequence[Value | float]) -> Value:  # type: ignore[override]  # micrograd's zip
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)  # noqa: B905  # micrograd's zip
        return act.relu() if self.nonlin else act  # type: ignore[return-value]  # a compat Value

    def parameters(self) -> list[OpgradValue]:
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons on the same inputs; a layer of one neuron returns its Value."""

    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[OpgradValue]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """ReLU layers of the widths ``nouts``, the last one linear."""

    def __init__(self, nin: int, nouts: list[int]) -> None:
        sizes = [nin, *nouts]
        self.layers = [Layer(sizes[i], sizes[i + 1], nonlin=i != len(nouts) - 1)
                       for i in range(len(nouts))]

    def __call__(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> list[OpgradValue]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
