"""``opgrad.ops.<name>(tensor)``: hand tensors and arrays to the bridged op."""

from __future__ import annotations

import sys
from typing import Any

from opgrad.plugins.binding import array_handlers
from opgrad.plugins.declaration import Op


def on_torch(op: Op, args: tuple[Any, ...]) -> Any:
    """The op on torch tensors, if any argument is one."""
    torch = sys.modules.get("torch")
    if torch is None or not any(isinstance(a, torch.Tensor) for a in args):
        return NotImplemented
    from opgrad.interop.torch_bridge import to_torch

    return to_torch(op)(*args)


def on_jax(op: Op, args: tuple[Any, ...]) -> Any:
    """The op on JAX arrays (tracers included), if any argument is one."""
    jax = sys.modules.get("jax")
    if jax is None or not any(isinstance(a, jax.Array) for a in args):
        return NotImplemented
    from opgrad.interop.jax_bridge import to_jax

    return to_jax(op)(*args)


def install() -> None:
    """Let ``opgrad.ops`` take tensors and arrays (idempotent)."""
    for handler in (on_torch, on_jax):
        if handler not in array_handlers:
            array_handlers.append(handler)
