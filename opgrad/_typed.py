"""``Value`` as modules built on the ops import it.

At run time this is the core's Value, whose operators and methods the plugin
layer binds. Type checkers read ``_typed.pyi`` beside this file instead,
which declares the built-in ops' operators and methods.
"""

from opgrad.core import Value

__all__ = ["Value"]
