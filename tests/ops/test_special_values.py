"""Every registered op at nan, +-inf and +-0.0 against PyTorch float64, forward and backward.

Where opgrad's forward succeeds (a domain error may raise instead of giving
nan), the result and every partial must equal PyTorch's, nan for nan and
the sign of zero included; and no rule may raise.
"""

from __future__ import annotations

import itertools
import math
from types import ModuleType

import pytest

import opgrad
from opgrad.plugins.declaration import Op
from opgrad.testing.torch_compare import torch_function

SPECIAL = (math.nan, math.inf, -math.inf, -0.0, 0.0, 1.0, -2.5, 0.5)
OPS = sorted((op for op in opgrad.default_registry().values() if op.torch is not None),
             key=lambda op: op.name)


def same(ours: float, theirs: float, signed_zero: bool = True) -> bool:
    """Equal as PyTorch would print them: nan is nan, and -0.0 is not 0.0."""
    if math.isnan(ours) or math.isnan(theirs):
        return math.isnan(ours) and math.isnan(theirs)
    if ours == theirs == 0.0 and signed_zero:
        return math.copysign(1.0, ours) == math.copysign(1.0, theirs)
    return ours == pytest.approx(theirs, rel=1e-12)


def points(op: Op) -> list[tuple[float, ...]]:
    return [point for point in itertools.product(SPECIAL, repeat=op.arity)
            if any(not math.isfinite(v) or v == 0.0 for v in point)]


@pytest.mark.parametrize("upstream", [1.0, math.nan, math.inf], ids=["1", "nan", "inf"])
@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
def test_op_at_special_values_matches_torch(torch: ModuleType, op: Op, upstream: float) -> None:
    """The op's output times ``upstream`` is the loss: a nan or inf gradient arriving from
    above passes through each op as in PyTorch (relu and where mask it where their partial
    is 0; every other op multiplies, so 0 * nan is nan there too)."""
    reference = torch_function(op.name, torch)
    assert reference is not None
    function = getattr(opgrad.ops, op.name)
    checked = 0
    for point in points(op):
        xs = [opgrad.Value(v) for v in point]
        try:
            out = function(*xs)
        except ValueError:  # a domain error: opgrad refuses where PyTorch gives nan
            continue
        (out * upstream).backward()  # must not raise: the forward succeeded
        leaves = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point]
        theirs = reference(*leaves)
        (theirs * upstream).backward()
        assert same(out.data, theirs.item()), (op.name, point, out.data, theirs.item())
        for x, leaf in zip(xs, leaves, strict=True):
            # A leaf's grad is accumulated onto 0.0, and 0.0 + -0.0 is 0.0: zero's sign is lost.
            theirs_grad = 0.0 if leaf.grad is None else leaf.grad.item()  # None: no path
            assert same(x.grad, theirs_grad, signed_zero=False), (op.name, point, x.grad)
        checked += 1
    assert checked > 0


def test_relu_follows_torch_at_nan_and_negative_zero() -> None:
    nan = opgrad.Value(math.nan)
    out = nan.relu()
    out.backward()
    assert math.isnan(out.data) and nan.grad == 1.0  # torch: relu(nan) = nan, relu'(nan) = 1
    assert math.copysign(1.0, opgrad.ops.relu(-0.0)) == -1.0
    zero = opgrad.Value(0.0)
    zero.relu().backward()
    assert zero.grad == 0.0  # the kink convention, relu'(0) = 0


@pytest.mark.parametrize(("base", "expected"), [(1e-200, -math.inf), (-1e-200, -math.inf)])
def test_pow_overflowing_partial_is_infinite_not_an_error(base: float, expected: float) -> None:
    x = opgrad.Value(base)
    out = x**-1.0
    out.backward()
    assert x.grad == expected  # torch: -1 * x^-2 overflows to -inf
