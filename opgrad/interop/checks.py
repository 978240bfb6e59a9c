"""Checking a bridge: the bridged op on float64 tensors against the op on floats."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

from opgrad.core import Value
from opgrad.interop.common import resolve_op
from opgrad.interop.torch_bridge import import_torch, to_torch
from opgrad.plugins.binding import make_apply
from opgrad.plugins.declaration import Op
from opgrad.testing import sample_points


@dataclass(frozen=True)
class BridgeCheck:
    """How the torch bridge of one op did: worst difference, and torch's gradcheck."""

    op: str
    worst: float  # largest |bridge - op on floats| over outputs and gradients
    gradcheck: bool  # torch.autograd.gradcheck and gradgradcheck, float64

    @property
    def ok(self) -> bool:
        return self.gradcheck and self.worst <= 1e-9

    def __str__(self) -> str:
        verdict = "ok" if self.ok else "FAIL"
        checked = "passed" if self.gradcheck else "FAILED"
        return f"bridge: {verdict}, worst |bridge - rule| = {self.worst:.2g}, gradcheck {checked}"


def check_torch_bridge(op: str | Op, points: int = 8, seed: int = 0) -> BridgeCheck:
    """Bridge ``op`` with :func:`to_torch`; compare outputs and gradients with the op on
    floats at sample points, then run gradcheck and gradgradcheck (float64)."""
    torch = import_torch()
    declared = resolve_op(op)
    samples = sample_points(declared, points, seed)
    xs = [torch.tensor(column, dtype=torch.float64, requires_grad=True)
          for column in zip(*samples, strict=True)]
    out = to_torch(declared)(*xs)
    grads = torch.autograd.grad(out.sum(), xs)
    worst = 0.0
    for i, point in enumerate(samples):
        expected, partials = _on_floats(declared, point)
        found = [out[i].item(), *(g[i].item() for g in grads)]
        worst = max(worst, *(abs(a - b) / max(1.0, abs(b))
                             for a, b in zip(found, [expected, *partials], strict=True)))
    return BridgeCheck(declared.name, worst, _gradchecks(torch, declared, xs))


def _on_floats(op: Op, point: list[float]) -> tuple[float, list[float]]:
    values = [Value(v) for v in point]
    node = make_apply(op)(*values)  # this op, whichever registry is active
    node.backward()
    return node.data, [v.grad for v in values]


def _gradchecks(torch: ModuleType, op: Op, xs: list[Any]) -> bool:
    bridged = to_torch(op)
    inputs = tuple(x.detach().requires_grad_() for x in xs)
    autograd = torch.autograd
    return bool(autograd.gradcheck(bridged, inputs, raise_exception=False)
                and autograd.gradgradcheck(bridged, inputs, raise_exception=False))
