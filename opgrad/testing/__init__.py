"""Seeing that a derivative is right: finite differences, gradcheck, check_op, PyTorch.

One op definition (forward + ``local_grads``) feeds all of it.
"""

from opgrad.testing.gradcheck import GradcheckError, gradcheck, hessian
from opgrad.testing.numeric import (
    Sensitivity,
    numerical_derivative,
    numerical_gradient,
    sensitivity,
)
from opgrad.testing.opcheck import OpCheck, assert_op_passes, check_op, sample_points
from opgrad.testing.torch_compare import TorchComparison, compare_op_with_torch, compare_with_torch

__all__ = [
    "GradcheckError",
    "OpCheck",
    "Sensitivity",
    "TorchComparison",
    "assert_op_passes",
    "check_op",
    "compare_op_with_torch",
    "compare_with_torch",
    "gradcheck",
    "hessian",
    "numerical_derivative",
    "numerical_gradient",
    "sample_points",
    "sensitivity",
]
