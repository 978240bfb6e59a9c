"""softplus, swish and gelu (tanh form) as opgrad ops, registered through the hook."""

from __future__ import annotations

import math
from typing import Any

from opgrad import ops
from opgrad.extend import RegisterOp, hookimpl

SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def softplus(x: float) -> float:
    """log(1 + e^x), computed without overflow for large |x|."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def swish(x: float) -> float:
    """x * sigmoid(x) (also called SiLU)."""
    return x * ops.sigmoid(x)


def gelu(x: float) -> float:
    """The tanh approximation of GELU: x/2 * (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    return 0.5 * x * (1.0 + math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x**3)))


def gelu_grad(x: Any, out: Any) -> tuple[Any]:
    # Written with operators and opgrad.ops, so second derivatives work too.
    inner = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)
    t = ops.tanh(inner)
    d_inner = SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * x * x)
    return (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * d_inner,)


def _torch_gelu(x: Any) -> Any:
    import torch

    return torch.nn.functional.gelu(x, approximate="tanh")


def _jax_gelu(x: Any) -> Any:
    import jax

    return jax.nn.gelu(x, approximate=True)


@hookimpl
def register_ops(register: RegisterOp) -> None:
    """The three ops of this package."""
    register(softplus, local_grads=lambda x, out: (ops.sigmoid(x),),
             formula="d/dx softplus(x) = sigmoid(x)", torch="nn.functional.softplus",
             jax="nn.softplus")
    register(swish, local_grads=lambda x, out: (ops.sigmoid(x) * (1.0 + x - out),),
             formula="d/dx swish(x) = sigmoid(x) * (1 + x - swish(x))",
             torch="nn.functional.silu", jax="nn.silu")
    register(gelu, local_grads=gelu_grad, torch=_torch_gelu, jax=_jax_gelu,
             formula="d/dx gelu(x) = (1 + t)/2 + x/2 (1 - t^2) sqrt(2/pi) (1 + 0.134145 x^2), "
                     "t = tanh(sqrt(2/pi) (x + 0.044715 x^3))")
