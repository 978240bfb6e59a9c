"""Built-in arithmetic ops: add, sub, mul, div, neg, pow, abs.

Registered through the same ``register_ops`` hook a third-party plugin uses.
Each rule is written with Python operators so it also runs on Values
(second derivatives and forward mode come from the same line).
"""

from __future__ import annotations

import math
import operator
from numbers import Real
from typing import Any

from opgrad import ops
from opgrad.extend import RegisterOp, hookimpl, value_of


@hookimpl
def register_ops(register: RegisterOp) -> None:
    """The arithmetic operators of Value."""
    register(operator.add, name="add", operator="+", torch="add", jax="numpy.add", algebra="sum",
             local_grads=lambda x, y, out: (1.0, 1.0),
             formula="d/dx (x + y) = 1; d/dy (x + y) = 1")
    register(operator.sub, name="sub", operator="-", torch="sub", jax="numpy.subtract",
             local_grads=lambda x, y, out: (1.0, -1.0),
             formula="d/dx (x - y) = 1; d/dy (x - y) = -1")
    register(operator.mul, name="mul", operator="*", torch="mul", jax="numpy.multiply",
             algebra="product",
             local_grads=lambda x, y, out: (y, x),
             formula="d/dx (x * y) = y; d/dy (x * y) = x")
    register(operator.truediv, name="div", operator="/", torch="div", jax="numpy.divide",
             local_grads=lambda x, y, out: (1.0 / y, -out / y),
             formula="d/dx (x / y) = 1 / y; d/dy (x / y) = -x / y^2",
             domain=((-3.0, 3.0), (0.2, 3.0)))
    register(operator.neg, name="neg", operator="-", torch="neg", jax="numpy.negative",
             local_grads=lambda x, out: (-1.0,),
             formula="d/dx (-x) = -1")
    # sign(x) as comparisons, so it runs on tensors too; 0 at the kink, as in PyTorch
    register(abs, name="abs", operator="abs", torch="abs", jax="numpy.abs", kinks=(0.0,),
             local_grads=lambda x, out: ((x > 0.0) * 1.0 - (x < 0.0) * 1.0,),
             formula="d/dx |x| = sign(x) (1 for x > 0, -1 for x < 0, 0 at x = 0, as in PyTorch)")
    # As PyTorch does, no gradient reaches the base through x^0, not even a nan one.
    register(operator.pow, name="pow", operator="**", torch="pow", jax="numpy.power",
             local_grads=_pow_grads, domain=((0.1, 3.0), (-3.0, 3.0)),
             mask_zero_partials=_pow_masks,
             formula="d/dx x^y = y * x^(y - 1) (0 if y = 0); d/dy x^y = x^y * log(x) "
                     "(0 at x = 0 if y >= 0, nan for x < 0), as in PyTorch")


def _pow_masks(x: Any, y: Any, out: Any) -> tuple[Any, bool]:
    # One function for every registration, so that pow's Op compares equal across
    # registries (the export bridge checks that torch.ops.opgrad.pow is still this op).
    return y == 0.0, False


def _pow_grads(x: Any, y: Any, out: Any) -> tuple[Any, Any]:
    # Edges follow PyTorch: no partial ever raises, an undefined one is nan.
    # Python's float ** raises where IEEE arithmetic gives inf or nan, so numbers
    # and Values take the edges one by one; tensors and arrays follow IEEE and
    # need only where().
    base, exponent = value_of(x), value_of(y)
    if not isinstance(base, Real) or not isinstance(exponent, Real):
        return _pow_grads_on_arrays(x, y, out)
    if exponent == 0.0:
        d_base: Any = 0.0
    elif base == 0.0 and exponent < 1.0:
        d_base = exponent * math.inf  # y * 0^(y - 1): 0 < y < 1, or y = -inf (else no forward)
    else:
        d_base = _times_power(y, x, y - 1.0)
    if base > 0.0:
        d_exponent: Any = out * ops.log(x)
    elif base == 0.0:
        d_exponent = 0.0 if exponent >= 0.0 else value_of(out) * -math.inf  # log(0) = -inf
    else:
        d_exponent = math.nan  # log of a negative base
    return d_base, d_exponent


def _times_power(y: Any, x: Any, power: Any) -> Any:
    """``y * x ** power``, or the signed infinity PyTorch gives where the power overflows."""
    try:
        return y * x ** power
    except (OverflowError, ValueError):  # ValueError: the same overflow, met on Values
        # Only a tiny |x| to a negative power overflows after a forward that worked;
        # a negative x then has a whole power, odd or even.
        odd_negative = value_of(x) < 0.0 and value_of(power) % 2.0 == 1.0
        return math.copysign(math.inf, value_of(y)) * (-1.0 if odd_negative else 1.0)


def _pow_grads_on_arrays(x: Any, y: Any, out: Any) -> tuple[Any, Any]:
    # The same conventions for tensors and arrays, where no partial raises anyway.
    d_base = ops.where(y == 0.0, 0.0, y * x ** (y - 1.0))
    d_exponent = ops.where((x == 0.0) & (y >= 0.0), 0.0, out * ops.log(x))
    return d_base, d_exponent
