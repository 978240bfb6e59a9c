"""opgrad: a scalar autograd engine in which every operation is a plugin.

>>> from opgrad import Value
>>> a, b = Value(2.0), Value(-3.0)
>>> c = (a * b).tanh()
>>> c.backward()
>>> round(a.grad, 8)               # (1 - tanh(-6)^2) * b
-7.373e-05
"""

from opgrad import extend, func, guards, nn, ops, testing, viz
from opgrad._typed import Value
from opgrad.assembly import build_registry, default_registry, op, register, use_registry
from opgrad.compiler import CompiledStep, StructureChanged, compile
from opgrad.core import (
    BackwardError,
    enable_grad,
    is_grad_enabled,
    no_grad,
    topological_order,
)
from opgrad.derivatives import grad, jvp
from opgrad.memory import gc_paused
from opgrad.plugins.constant import Constant
from opgrad.plugins.errors import PluginLoadWarning, RegistrationError, UnknownOpError
from opgrad.plugins.hookspecs import hookimpl, hookspec
from opgrad.plugins.rules import value_of
from opgrad.viz import notebook

__version__ = "0.1.0"

__all__ = [
    "BackwardError",
    "CompiledStep",
    "Constant",
    "PluginLoadWarning",
    "RegistrationError",
    "StructureChanged",
    "UnknownOpError",
    "Value",
    "__version__",
    "build_registry",
    "compile",
    "default_registry",
    "enable_grad",
    "extend",
    "func",
    "gc_paused",
    "grad",
    "hookimpl",
    "hookspec",
    "is_grad_enabled",
    "jvp",
    "nn",
    "no_grad",
    "op",
    "ops",
    "register",
    "testing",
    "topological_order",
    "use_registry",
    "value_of",
    "viz",
]

# The side effects of importing opgrad, last: Value gets its comparisons (guards
# while compiling) and its notebook drawing (IPython is not imported), then the
# registry is built (built-in ops, then installed plugins) and its ops bound.
guards.bind_comparisons()
notebook.bind_display()
default_registry()
