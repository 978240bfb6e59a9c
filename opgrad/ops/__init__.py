"""Every registered op as a function: ``opgrad.ops.tanh(x)``.

On plain numbers an op returns a float; given any Value it returns a Value
in the graph. The functions are installed here as ops are registered, so
this namespace holds op functions only (the built-in op plugins beside this
file have private names for that reason).
"""

from collections.abc import Callable as _Callable
from typing import Any as _Any


def __getattr__(name: str) -> _Callable[..., _Any]:
    # Only reached for names that no registered op has installed.
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(
        f"opgrad.ops has no op named {name!r}; `opgrad ops` lists the registered ones"
    )
