"""A third-party op plugin with a surrogate gradient: the straight-through estimator of
quantization-aware training. Its forward clamps to [-1, 1]; its rule is 1, deliberately
not the forward's derivative, so a tool that drops the rule shows it."""

from __future__ import annotations

from typing import Any

from opgrad.extend import RegisterOp, hookimpl


def ste(x: float) -> float:
    """x clipped to [-1, 1]."""
    return min(max(x, -1.0), 1.0)


def straight_through(x: Any, out: Any) -> tuple[float]:
    return (1.0,)  # the gradient passes through as if the forward were the identity


@hookimpl
def register_ops(register: RegisterOp) -> None:
    """The one op of this plugin."""
    register(ste, local_grads=straight_through, kinks=(-1.0, 1.0),
             torch=lambda x: x.clamp(-1.0, 1.0), jax=lambda x: x.clip(-1.0, 1.0),
             formula="d/dx ste(x) = 1 (straight through; the forward clamps to [-1, 1])")
