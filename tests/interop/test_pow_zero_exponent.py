"""The PyTorch and JAX bridges of pow give the base no gradient where the exponent is 0, a
nan or inf one included, as PyTorch's own pow does (tests/ops/test_pow_zero_exponent.py has
the scalar engines)."""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import pytest

import opgrad
from opgrad.interop import BridgeError, to_jax, to_torch
from opgrad.plugins.registry import Registry
from tests.core.test_masking import register_scale, scale
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


@pytest.mark.parametrize(("masks", "problem"), [
    (lambda x, k, out: (k == 0.0,), "1 condition"),
    (lambda x, k, out: k == 0.0, "not a tuple"),  # the tuple forgotten
], ids=["one-condition", "no-tuple"])
def test_a_condition_that_cannot_run_fails_when_bridged(torch: ModuleType, jax: ModuleType,
                                                        registry: Registry, masks: Any,
                                                        problem: str) -> None:
    register_scale(registry, masks)
    for bridge in (to_torch, to_jax):
        with pytest.raises(BridgeError, match=rf"op 'scale'.*mask_zero_partials failed.*"
                                              rf"{problem}.*a tuple of one condition"):
            bridge("scale")


# Conditions as a plugin author may write them: whatever bool() holds true masks, on
# numbers (backward()) and on tensors and arrays (the bridges) alike.
CONDITIONS = {
    "comparison": lambda x, k, out: (k == 0.0, False),
    "ints": lambda x, k, out: ((k == 0.0) * 1, 0),
    "floats": lambda x, k, out: ((k == 0.0) * 1.0, 0.0),
    "numpy-false": lambda x, k, out: (k == 0.0, numpy_false()),
    "none": lambda x, k, out: (k == 0.0, None),
}


def numpy_false() -> Any:
    import numpy

    return numpy.False_


@pytest.mark.parametrize("condition", CONDITIONS)
def test_conditions_mask_alike_on_numbers_and_in_the_bridges(
        torch: ModuleType, jax64: ModuleType, registry: Registry, condition: str) -> None:
    register_scale(registry, CONDITIONS[condition])
    xs, ks = [3.0, 0.0, 2.0], [0.0, 0.0, 1.0]
    expected = []
    for x, k in zip(xs, ks, strict=True):
        a, b = opgrad.Value(x), opgrad.Value(k)
        (scale(a, b) * math.nan).backward()
        expected.append((a.grad, b.grad))
    assert expected[0][0] == 0.0 and all(math.isnan(g) for g in expected[2])  # it masks
    x, k = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (xs, ks))
    (to_torch("scale")(x, k) * math.nan).sum().backward()
    _, pullback = jax64.vjp(to_jax("scale"), jax64.numpy.array(xs), jax64.numpy.array(ks))
    jax_grads = pullback(jax64.numpy.full(3, math.nan))
    for got in [(x.grad.tolist(), k.grad.tolist()), [g.tolist() for g in jax_grads]]:
        assert all(map(same, [g for pair in expected for g in pair],
                       [g for row in zip(*got, strict=True) for g in row]))


def test_pow_is_one_op_across_registries(torch: ModuleType) -> None:
    """Its condition is one function, so a registry built later has an equal pow, and the
    export bridge made before keeps working (torch.ops.opgrad.pow is still this op)."""
    assert opgrad.build_registry()["pow"] == opgrad.default_registry()["pow"]
    bridged = to_torch("pow", export=True)
    with opgrad.use_registry(opgrad.build_registry()):
        to_torch("pow", export=True)
    x = torch.tensor([2.0], dtype=torch.float64)
    assert bridged(x, x).item() == 4.0
