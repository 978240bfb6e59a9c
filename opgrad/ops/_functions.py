"""Built-in elementary functions: tanh, exp, log, relu, sigmoid, and ``where``.

Rules reuse ``out`` (the forward result) where that is cheapest, and are
written with operators and ``opgrad.ops`` calls so they run on floats, on
Values, and on torch tensors and JAX arrays alike (see :mod:`opgrad.interop`).
A piecewise partial is a ``where``, never an ``if``: ``if`` cannot decide for a
tensor of many elements.
"""

from __future__ import annotations

import math
from typing import Any

from opgrad import ops
from opgrad.extend import RegisterOp, hookimpl


def _sigmoid(x: float) -> float:
    # Two branches so that exp never overflows, for x = +-1000 too.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _numpy_sigmoid(x: Any) -> Any:
    import numpy  # only reached with arrays in hand (opgrad.compile(fn, backend="numpy"))

    z = numpy.exp(-numpy.abs(x))  # the same two branches as _sigmoid, on arrays
    return numpy.where(x >= 0.0, 1.0 / (1.0 + z), z / (1.0 + z))


def _where(condition: float, if_true: float, if_false: float) -> float:
    """``if_true`` where ``condition`` holds (is non-zero), else ``if_false``."""
    return if_true if condition else if_false


def _where_grads(condition: Any, if_true: Any, if_false: Any, out: Any) -> tuple[Any, Any, Any]:
    return 0.0, ops.where(condition, 1.0, 0.0), ops.where(condition, 0.0, 1.0)


def _torch_where(condition: Any, if_true: Any, if_false: Any) -> Any:
    import torch  # only reached with tensors in hand

    return torch.where(condition != 0, if_true, if_false)


@hookimpl
def register_ops(register: RegisterOp) -> None:
    """The elementary functions of Value."""
    register(math.tanh, name="tanh", torch="tanh", jax="numpy.tanh",
             local_grads=lambda x, out: (1.0 - out * out,),
             formula="d/dx tanh(x) = 1 - tanh(x)^2")
    register(math.exp, name="exp", torch="exp", jax="numpy.exp", domain=(-5.0, 5.0),
             local_grads=lambda x, out: (out,),
             formula="d/dx exp(x) = exp(x)")
    register(math.log, name="log", torch="log", jax="numpy.log", domain=(0.0, math.inf), arity=1,
             local_grads=lambda x, out: (1.0 / x,),
             formula="d/dx log(x) = 1 / x, for x > 0")
    # As in PyTorch: relu(nan) = nan, relu(-0.0) = -0.0, and the partial is 0
    # where out <= 0 (so 0 at the kink x = 0, and 1 at nan); there no gradient
    # flows back, not even a nan one (mask_zero_partials).
    register(lambda x: 0.0 if x < 0.0 else x, name="relu", torch="relu", jax="nn.relu",
             local_grads=lambda x, out: (1.0 - (out <= 0.0) * 1.0,), kinks=(0.0,),
             mask_zero_partials=True,
             formula="d/dx relu(x) = 1 if x > 0 else 0 (0 at x = 0, as in PyTorch)")
    register(_sigmoid, name="sigmoid", torch="sigmoid", jax="nn.sigmoid", numpy=_numpy_sigmoid,
             local_grads=lambda x, out: (out * (1.0 - out),),
             formula="d/dx sigmoid(x) = sigmoid(x) * (1 - sigmoid(x))")
    register(_where, name="where", torch=_torch_where, jax="numpy.where", kinks=(0.0,),
             local_grads=_where_grads, mask_zero_partials=True,
             formula="d/dc where(c, a, b) = 0; d/da = 1 where c holds, else 0; "
                     "d/db = 0 where c holds, else 1")
