"""The PyTorch and JAX bridges of pow give the base no gradient where the exponent is 0, a
nan or inf one included, as PyTorch's own pow does (tests/ops/test_pow_zero_exponent.py has
the scalar engines)."""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import pytest

from opgrad.interop import BridgeError, to_jax, to_torch
from opgrad.plugins.registry import Registry
from tests.ops.test_pow_zero_exponent import UPSTREAMS, points, same


def close(ours: float, theirs: float) -> bool:
    """``same``, up to rounding: JAX's power may differ from PyTorch's in the last bit."""
    finite_and_near = math.isfinite(theirs) and ours == pytest.approx(theirs, rel=1e-12)
    return same(ours, theirs) or finite_and_near


def grid(torch: ModuleType) -> tuple[Any, Any]:
    xs, ys = zip(*points(), strict=True)
    return (torch.tensor(xs, dtype=torch.float64, requires_grad=True),
            torch.tensor(ys, dtype=torch.float64, requires_grad=True))


@pytest.mark.parametrize("flavour", [{}, {"fused": True}, {"export": True}],
                         ids=["plain", "fused", "export"])
@pytest.mark.parametrize("upstream", UPSTREAMS, ids=["nan", "inf", "-inf", "1"])
def test_torch_bridge_masks_like_torch(torch: ModuleType, flavour: dict[str, bool],
                                       upstream: float) -> None:
    bridged = to_torch("pow", **flavour)
    ours, theirs = grid(torch), grid(torch)
    (bridged(*ours) * upstream).sum().backward()
    (torch.pow(*theirs) * upstream).sum().backward()
    for mine, reference in zip(ours, theirs, strict=True):
        assert all(map(same, mine.grad.tolist(), reference.grad.tolist()))


def test_torch_bridge_forward_mode_masks_like_torch(torch: ModuleType) -> None:
    bridged = to_torch("pow", forward_mode=True)
    xs, ys = (t.detach() for t in grid(torch))
    tangents = (torch.full_like(xs, math.nan), torch.zeros_like(ys))
    _, ours = torch.func.jvp(bridged, (xs, ys), tangents)
    _, theirs = torch.func.jvp(torch.pow, (xs, ys), tangents)
    assert all(map(same, ours.tolist(), theirs.tolist()))


@pytest.mark.parametrize("upstream", UPSTREAMS, ids=["nan", "inf", "-inf", "1"])
def test_jax_bridge_masks_like_torch(torch: ModuleType, jax64: ModuleType,
                                     upstream: float) -> None:
    bridged = to_jax("pow")
    xs, ys = (jax64.numpy.array(column) for column in zip(*points(), strict=True))
    out, pullback = jax64.vjp(bridged, xs, ys)
    ours = pullback(jax64.numpy.full_like(out, upstream))
    theirs = grid(torch)
    (torch.pow(*theirs) * upstream).sum().backward()
    for mine, reference in zip(ours, theirs, strict=True):
        assert all(map(close, mine.tolist(), reference.grad.tolist()))


def test_a_condition_that_cannot_run_fails_when_bridged(torch: ModuleType, jax: ModuleType,
                                                        registry: Registry) -> None:
    registry.register(lambda x, k: x * k, "notebook", name="scale",
                      local_grads=lambda x, k, out: (k, x), formula="d/dx = k; d/dk = x",
                      mask_zero_partials=lambda x, k, out: (k == 0.0,))  # one condition, not 2
    for bridge in (to_torch, to_jax):
        with pytest.raises(BridgeError, match=r"op 'scale'.*mask_zero_partials failed.*"
                                              r"1 condition"):
            bridge("scale")
