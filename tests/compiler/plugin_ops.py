"""Plugin ops the way people write them, for the compiler's tests (none has a template)."""

from __future__ import annotations

import math

import opgrad
from opgrad.plugins.registry import Registry


def softplus(x: float) -> float:
    """A notebook-style op: one-expression forward (inlined)."""
    return math.log1p(math.exp(x))


def clipped(x: float) -> float:
    # statements: cannot be inlined, so the compiled step calls it
    if x > 1.0:
        return 1.0
    return x * x


def clipped_grads(x: float, out: float) -> tuple[float]:
    if x > 1.0:
        return (0.0,)
    return (2.0 * x,)


def extended_registry() -> Registry:
    """The built-ins plus plugin ops of every compile path: inlined, called, mixed, 3-ary."""
    registry = opgrad.build_registry(autoload=False)
    plugin = "tests.compiler.plugin_ops"
    registry.register(softplus, plugin, domain=(-5.0, 5.0),
                      local_grads=lambda x, out: (1.0 - opgrad.ops.exp(-out),),
                      formula="d/dx softplus(x) = sigmoid(x)")
    registry.register(clipped, plugin, local_grads=clipped_grads, kinks=(1.0,),
                      formula="d/dx clipped(x) = 2x for x < 1, else 0")
    registry.register(lambda x: 2 * x, plugin, name="double", local_grads=lambda x, out: (2,),
                      formula="d/dx double(x) = 2 (an int partial)")
    registry.register(lambda x, y, z: x * y + z, plugin, name="fma",
                      local_grads=lambda x, y, z, out: (y, x, 1.0),
                      formula="d/dx fma = y; d/dy fma = x; d/dz fma = 1")
    registry.register(lambda x: x ** 3 if x > 0.0 else -x, plugin, name="kinked",
                      local_grads=lambda x, out: (3.0 * x ** 2 if x > 0.0 else -1.0,),
                      kinks=(0.0,), formula="d/dx kinked(x) = 3x^2 for x > 0, else -1")
    return registry
