"""Built-in elementary functions: tanh, exp, log, relu, sigmoid.

Rules reuse ``out`` (the forward result) where that is cheapest, and are
written with operators so they run on floats and on Values alike.
"""

from __future__ import annotations

import math

from opgrad.plugins import RegisterOp, hookimpl, value_of


def _sigmoid(x: float) -> float:
    # Two branches so that exp never overflows, for x = +-1000 too.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


@hookimpl
def register_ops(register: RegisterOp) -> None:
    """The elementary functions of Value."""
    register(math.tanh, name="tanh", torch="tanh",
             local_grads=lambda x, out: (1.0 - out * out,),
             formula="d/dx tanh(x) = 1 - tanh(x)^2")
    register(math.exp, name="exp", torch="exp", domain=(-5.0, 5.0),
             local_grads=lambda x, out: (out,),
             formula="d/dx exp(x) = exp(x)")
    register(math.log, name="log", torch="log", domain=(0.0, math.inf), arity=1,
             local_grads=lambda x, out: (1.0 / x,),
             formula="d/dx log(x) = 1 / x, for x > 0")
    register(lambda x: x if x > 0.0 else 0.0, name="relu", torch="relu", kinks=(0.0,),
             local_grads=lambda x, out: (1.0 if value_of(x) > 0.0 else 0.0,),
             formula="d/dx relu(x) = 1 if x > 0 else 0 (0 at x = 0, as in PyTorch)")
    register(_sigmoid, name="sigmoid", torch="sigmoid",
             local_grads=lambda x, out: (out * (1.0 - out),),
             formula="d/dx sigmoid(x) = sigmoid(x) * (1 - sigmoid(x))")
