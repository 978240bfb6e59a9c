"""A third-party op plugin, as a package would ship it: mish, registered through the hook."""

from __future__ import annotations

import math
from typing import Any

from opgrad import hookimpl, ops


def mish(x: float) -> float:
    """x * tanh(softplus(x))."""
    return x * math.tanh(max(x, 0.0) + math.log1p(math.exp(-abs(x))))


def mish_grad(x: Any, out: Any) -> tuple[Any]:
    # softplus(x) = log(1 + e^x) = -log(sigmoid(-x)), written with opgrad.ops only.
    t = ops.tanh(-ops.log(ops.sigmoid(-x)))
    return (t + x * (1.0 - t * t) * ops.sigmoid(x),)


@hookimpl
def register_ops(register: Any) -> None:
    """The one op of this plugin."""
    register(mish, local_grads=mish_grad, torch="nn.functional.mish",
             formula="d/dx mish(x) = t + x (1 - t^2) sigmoid(x), t = tanh(softplus(x))")
