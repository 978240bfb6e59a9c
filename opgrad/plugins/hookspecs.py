"""Hook specifications for opgrad plugins (markers and specs only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import pluggy
from typing_extensions import Unpack

from opgrad.plugins.declaration import OpOptions

PROJECT_NAME = "opgrad"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


class RegisterOp(Protocol):
    """The ``register`` callable handed to :func:`register_ops`."""

    def __call__(self, forward: Callable[..., Any], /,
                 **options: Unpack[OpOptions]) -> Callable[..., Any]: ...


@hookspec
def register_ops(register: RegisterOp) -> None:
    """Declare this plugin's ops by calling ``register(forward, **options)`` once per op.

    ``options`` are the keywords of :class:`opgrad.extend.OpOptions`, the
    same as :func:`opgrad.op` takes. pluggy calls plugins one at a time,
    built-ins first and then entry points of group ``opgrad``; if any
    registration of a plugin fails, none of its ops are kept and the failure
    is reported by the plugin's name.
    """
