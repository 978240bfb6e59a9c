"""Every registered op as a function: ``opgrad.ops.tanh(x)``.

On plain numbers an op returns a float; given any Value it returns a Value
in the graph. The functions are installed here as ops are registered (the
built-ins live in ``arithmetic`` and ``functions`` beside this file).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def __getattr__(name: str) -> Callable[..., Any]:
    # Only reached for names that no registered op has installed.
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(
        f"opgrad.ops has no op named {name!r}; `opgrad ops` lists the registered ones"
    )
