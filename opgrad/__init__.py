"""opgrad: a scalar autograd engine in which every operation is a plugin.

>>> from opgrad import Value
>>> a, b = Value(2.0), Value(-3.0)
>>> c = (a * b).tanh()
>>> c.backward()
>>> round(a.grad, 6)
-0.0
"""

from typing import TYPE_CHECKING

from opgrad import ops
from opgrad.assembly import build_registry, default_registry, op, register, use_registry
from opgrad.compiler import CompiledStep, StructureChanged, compile
from opgrad.core import (
    BackwardError,
    enable_grad,
    gc_paused,
    grad,
    is_grad_enabled,
    jvp,
    no_grad,
    topological_order,
    value_of,
)
from opgrad.plugins import (
    PluginLoadWarning,
    RegistrationError,
    UnknownOpError,
    hookimpl,
    hookspec,
)

if TYPE_CHECKING:  # Value with the built-in ops' operators and methods, for type checkers
    from opgrad.ops.typed import Value
else:
    from opgrad.core import Value

__version__ = "0.1.0"

default_registry()  # bind the built-in and installed ops to Value and opgrad.ops

from opgrad import nn, testing, viz  # noqa: E402  (built on the ops bound just above)

__all__ = [
    "BackwardError",
    "CompiledStep",
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
