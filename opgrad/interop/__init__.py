"""The bridge: one opgrad op declaration becomes a PyTorch op and a JAX op.

``to_torch(op)`` and ``to_jax(op)`` return elementwise callables on tensors
(arrays) whose derivatives come from the op's own ``local_grads`` rule,
evaluated on tensors; ``to_torch(op, export=True)`` is the op as the PyTorch
custom op ``torch.ops.opgrad.<name>``, which ``torch.export`` keeps. Importing
this module also lets ``opgrad.ops.<name>`` take tensors and arrays (see
:func:`opgrad.plugins.binding.call_on_arrays`), which is what makes a rule
written with ``opgrad.ops`` calls run there. Neither torch nor JAX is imported
until a bridge is asked for.
"""

from opgrad.interop.common import BridgeError, resolve_op
from opgrad.interop.dispatch import install as _install_dispatch
from opgrad.interop.fused import FusedBackwardWarning
from opgrad.interop.jax_bridge import to_jax
from opgrad.interop.models import mlp_to_torch, to_torch_module
from opgrad.interop.torch_bridge import to_torch
from opgrad.interop.tracing import InlinedRuleWarning

__all__ = ["BridgeError", "FusedBackwardWarning", "InlinedRuleWarning", "mlp_to_torch",
           "resolve_op", "to_jax", "to_torch", "to_torch_module"]

_install_dispatch()
