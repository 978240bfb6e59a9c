"""Built-in arithmetic ops: add, sub, mul, div, neg, pow.

Registered through the same ``register_ops`` hook a third-party plugin uses.
Each rule is written with Python operators so it also runs on Values
(second derivatives and forward mode come from the same line).
"""

from __future__ import annotations

import math
import operator
from typing import Any

from opgrad import ops
from opgrad.plugins import RegisterOp, hookimpl, value_of


@hookimpl
def register_ops(register: RegisterOp) -> None:
    """The arithmetic operators of Value."""
    register(operator.add, name="add", operator="+", torch="add",
             local_grads=lambda x, y, out: (1.0, 1.0),
             formula="d/dx (x + y) = 1; d/dy (x + y) = 1")
    register(operator.sub, name="sub", operator="-", torch="sub",
             local_grads=lambda x, y, out: (1.0, -1.0),
             formula="d/dx (x - y) = 1; d/dy (x - y) = -1")
    register(operator.mul, name="mul", operator="*", torch="mul",
             local_grads=lambda x, y, out: (y, x),
             formula="d/dx (x * y) = y; d/dy (x * y) = x")
    register(operator.truediv, name="div", operator="/", torch="div",
             local_grads=lambda x, y, out: (1.0 / y, -out / y),
             formula="d/dx (x / y) = 1 / y; d/dy (x / y) = -x / y^2",
             domain=((-3.0, 3.0), (0.2, 3.0)))
    register(operator.neg, name="neg", operator="-", torch="neg",
             local_grads=lambda x, out: (-1.0,),
             formula="d/dx (-x) = -1")
    register(operator.pow, name="pow", operator="**", torch="pow",
             local_grads=_pow_grads, domain=((0.1, 3.0), (-3.0, 3.0)),
             formula="d/dx x^y = y * x^(y - 1) (0 if y = 0); d/dy x^y = x^y * log(x) "
                     "(0 at x = 0 if y >= 0, nan for x < 0), as in PyTorch")


def _pow_grads(x: Any, y: Any, out: Any) -> tuple[Any, Any]:
    # Edges follow PyTorch: no partial ever raises, an undefined one is nan.
    base, exponent = value_of(x), value_of(y)
    if exponent == 0.0:
        d_base: Any = 0.0
    elif base == 0.0 and exponent < 1.0:
        d_base = math.inf  # y * 0^(y - 1) with 0 < y < 1 (y < 0 failed in forward)
    else:
        d_base = y * x ** (y - 1.0)
    if base > 0.0:
        d_exponent: Any = out * ops.log(x)
    elif base == 0.0 and exponent >= 0.0:
        d_exponent = 0.0
    else:
        d_exponent = math.nan  # log of a negative base
    return d_base, d_exponent
