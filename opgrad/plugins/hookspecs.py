"""Hook specifications for opgrad plugins (markers and specs only)."""

from __future__ import annotations

from typing import Any, Protocol

import pluggy

PROJECT_NAME = "opgrad"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


class RegisterOp(Protocol):
    """The ``register`` callable handed to :func:`register_ops`."""

    def __call__(self, forward: Any, /, **declaration: Any) -> Any: ...


@hookspec
def register_ops(register: RegisterOp) -> None:
    """Declare this plugin's ops by calling ``register`` once per op.

    ``register(forward, name=..., local_grads=..., formula=..., operator=...,
    domain=..., kinks=..., torch=...)`` takes the same keywords as
    :func:`opgrad.op`. Plugins are called one at a time, built-ins first and
    then entry points of group ``opgrad``; if any registration of a plugin
    fails, none of its ops are kept and the failure is reported by name.
    """
