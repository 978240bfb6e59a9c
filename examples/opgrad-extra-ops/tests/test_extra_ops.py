"""The plugin's ops, checked the way opgrad asks op authors to check theirs."""

from __future__ import annotations

import math

import pytest

import opgrad
from opgrad.testing import check_op

OPS = ["softplus", "swish", "gelu"]


@pytest.mark.parametrize("name", OPS)
def test_op_is_registered_by_this_plugin(name: str) -> None:
    assert opgrad.default_registry()[name].plugin == "extra-ops"


@pytest.mark.parametrize("name", OPS)
def test_check_op_passes(name: str) -> None:
    result = check_op(name)
    assert result.ok, str(result)


@pytest.mark.parametrize("name", OPS)
def test_with_the_pytest_fixture(name: str, assert_op_passes: object) -> None:
    assert assert_op_passes(name).worst_error < 1e-6  # type: ignore[operator]


def test_softplus_does_not_overflow() -> None:
    assert opgrad.ops.softplus(1000.0) == 1000.0
    assert opgrad.ops.softplus(-1000.0) == 0.0
    x = opgrad.Value(1000.0)
    x.softplus().backward()
    assert x.grad == 1.0


def test_usable_as_an_activation() -> None:
    model = opgrad.nn.MLP(2, [4, 1], activation="gelu", seed=0)
    hidden = model.layers[0]([0.5, -1.0])
    assert {h.op for h in hidden} == {"gelu"}
    assert opgrad.ops.gelu(1.0) == pytest.approx(0.5 * (1 + math.tanh(
        math.sqrt(2 / math.pi) * (1 + 0.044715))))


@pytest.mark.parametrize("name", OPS)
def test_bridged_to_torch_matches_torch_and_its_rule(name: str) -> None:
    torch = pytest.importorskip("torch")
    from opgrad.interop import to_torch
    from opgrad.testing.torch_compare import torch_function

    x = torch.linspace(-3.0, 3.0, 9, dtype=torch.float64, requires_grad=True)
    bridged = to_torch(name)
    assert torch.autograd.gradcheck(bridged, (x,))
    assert torch.autograd.gradgradcheck(bridged, (x,))
    native = torch_function(name, torch)
    assert native is not None
    (ours,) = torch.autograd.grad(bridged(x).sum(), x)
    (theirs,) = torch.autograd.grad(native(x).sum(), x)
    assert torch.allclose(ours, theirs, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", OPS)
def test_bridged_to_jax_passes_check_grads(name: str) -> None:
    jax = pytest.importorskip("jax")
    from jax.test_util import check_grads

    from opgrad.interop import to_jax

    with jax.enable_x64(True):
        check_grads(to_jax(name), (jax.numpy.linspace(-3.0, 3.0, 9),), order=2,
                    modes=["fwd", "rev"])
