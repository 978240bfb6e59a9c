"""The bridge's ``torch.nn.Module`` classes: an op as an activation layer, an MLP's network.

Defined at module level, so that ``pickle`` and ``torch.save`` find them by name (a
loaded model needs opgrad importable, as any custom module does). This module
imports torch: :mod:`opgrad.interop.models` imports it only when torch is wanted.
"""

from __future__ import annotations

from typing import Any

import torch

from opgrad.interop.common import BridgeError, resolve_op
from opgrad.interop.torch_bridge import to_torch
from opgrad.plugins.declaration import Op


class BridgedActivation(torch.nn.Module):
    """A parameter-free layer applying one op, bridged by ``to_torch(op, **flavour)``.

    When ``torch.export`` traces it, it runs the op's export flavour (the custom op
    ``torch.ops.opgrad.<name>``), so the exported program keeps the op's rule.
    Pickled, it holds the op's name and plugin; loading finds the op registered
    under that name again (and refuses one from another plugin).
    """

    def __init__(self, op: Op, **flavour: bool) -> None:
        super().__init__()
        self.op, self.flavour = op, flavour
        to_torch(op, **flavour)  # bridged now: an op that cannot run on tensors fails here

    @property
    def function(self) -> Any:
        """The bridged op this layer applies (its flavour's; cached by ``to_torch``)."""
        return to_torch(self.op, **self.flavour)

    def forward(self, x: Any) -> Any:
        # Asked each time, not held: to_torch gives the current bridge (an export flavour
        # re-registered for another op of the same name is registered again for this one).
        if torch.compiler.is_exporting():  # an autograd.Function would be inlined
            return to_torch(self.op, export=True)(x)
        return self.function(x)

    def extra_repr(self) -> str:
        return f"opgrad op {self.op.name!r}"

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        op = state.pop("op")  # its functions may be lambdas: saved by name and plugin
        state["op_name_and_plugin"] = (op.name, op.plugin)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        name, plugin = state.pop("op_name_and_plugin")
        super().__setstate__(state)  # type: ignore[no-untyped-call]  # torch's is untyped
        self.op = _registered(name, plugin)


def _registered(name: str, plugin: str) -> Op:
    """The op registered as ``name`` now, if it is still the one from ``plugin``."""
    try:
        op = resolve_op(name)
    except BridgeError as exc:
        raise BridgeError(f"cannot load a bridged layer of op {name!r} (plugin {plugin!r}): "
                          f"no op of that name is registered here; install or register "
                          f"that plugin before loading") from exc
    if op.plugin != plugin:
        raise BridgeError(f"cannot load a bridged layer of op {name!r}: it was saved with "
                          f"plugin {plugin!r}'s op, but {name!r} here comes from plugin "
                          f"{op.plugin!r}")
    return op


class BridgedMLP(torch.nn.Sequential):
    """``MLP.to_torch()``: Linear layers with the bridged activation between them; its
    input must have its parameters' dtype (say which, instead of a matmul's error)."""

    def forward(self, x: Any) -> Any:
        expected = self[0].weight.dtype
        if isinstance(x, torch.Tensor) and x.dtype != expected:
            fix = f"convert the input with x.to({expected})"
            if x.is_floating_point():
                fix += (f", or make the model in {x.dtype} with mlp.to_torch(dtype={x.dtype}) "
                        f"(or model.to({x.dtype}))")
            raise TypeError(f"this model (MLP.to_torch()) has {expected} parameters but got a "
                            f"{x.dtype} input: {fix}")
        return super().forward(x)  # type: ignore[no-untyped-call]  # torch's is untyped
