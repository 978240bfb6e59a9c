"""The graph core: Value, grad mode, topological order and backward.

It imports nothing else of opgrad and never names an op.
"""

from opgrad.core.forward import jvp
from opgrad.core.graph import BackwardError, grad, topological_order
from opgrad.core.memory import gc_paused
from opgrad.core.value import (
    OpLike,
    Value,
    as_values,
    enable_grad,
    is_grad_enabled,
    make_node,
    no_grad,
    recording_comparisons,
    value_of,
)

__all__ = [
    "BackwardError",
    "OpLike",
    "Value",
    "as_values",
    "enable_grad",
    "gc_paused",
    "grad",
    "is_grad_enabled",
    "jvp",
    "make_node",
    "no_grad",
    "recording_comparisons",
    "topological_order",
    "value_of",
]
