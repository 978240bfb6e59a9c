"""Everything a plugin author needs, and nothing else (in the spirit of autograd's ``extend``).

>>> from opgrad.extend import RegisterOp, hookimpl
>>> @hookimpl
... def register_ops(register: RegisterOp) -> None:
...     register(lambda x: x * x, name="square", formula="d/dx x^2 = 2x",
...              local_grads=lambda x, out: (2.0 * x,))

``OpOptions`` lists the keywords ``register`` (and ``opgrad.op``) takes, ``Op``
is a registered op (``value.declaration``), ``value_of`` reads a number out of
a Value inside a rule that decides (never computes) a partial, and the errors
are what registration and loading raise or warn.
"""

from opgrad.core.graph import BackwardError
from opgrad.plugins.declaration import Op, OpOptions
from opgrad.plugins.errors import OpTypeError, PluginLoadWarning, RegistrationError, UnknownOpError
from opgrad.plugins.hookspecs import RegisterOp, hookimpl
from opgrad.plugins.rules import value_of

__all__ = ["BackwardError", "Op", "OpOptions", "OpTypeError", "PluginLoadWarning",
           "RegisterOp", "RegistrationError", "UnknownOpError", "hookimpl", "value_of"]
