"""The graph core: Value, grad mode, topological order and backward. It never names an op."""

from opgrad.core.graph import BackwardError, topological_order
from opgrad.core.value import Value, enable_grad, is_grad_enabled, make_node, no_grad

__all__ = ["BackwardError", "Value", "enable_grad", "is_grad_enabled", "make_node", "no_grad",
           "topological_order"]
