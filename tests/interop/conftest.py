"""Fixtures of the bridge tests: JAX and ONNX (required in CI, like torch), and a
straight-through op, whose rule is deliberately not its forward's derivative."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from opgrad.plugins.declaration import Op, declare_op
from tests.conftest import optional


@pytest.fixture(scope="session")
def jax() -> ModuleType:
    """JAX (pip install 'opgrad[jax]', the CPU wheels)."""
    return optional("jax", "pip install 'opgrad[jax]'")


@pytest.fixture
def jax64(jax: ModuleType) -> Iterator[ModuleType]:
    """JAX computing in float64 inside the test (for derivative checks)."""
    with jax.enable_x64(True):
        yield jax


@pytest.fixture(scope="session")
def onnxruntime(torch: ModuleType) -> ModuleType:
    """onnxruntime, with onnx and onnxscript, which torch.onnx.export(dynamo=True) needs."""
    for module in ("onnx", "onnxscript"):
        optional(module, "pip install 'opgrad[onnx]'")
    return optional("onnxruntime", "pip install 'opgrad[onnx]'")


def clamp(x: float) -> float:
    """x clipped to [-1, 1]."""
    return min(max(x, -1.0), 1.0)


def straight_through(x: Any, out: Any) -> tuple[float]:
    return (1.0,)  # the gradient passes through as if the forward were the identity


STE = declare_op(clamp, "tests", {
    "name": "ste", "local_grads": straight_through, "kinks": (-1.0, 1.0),
    "torch": lambda x: x.clamp(-1.0, 1.0), "jax": lambda x: x.clip(-1.0, 1.0),
    "formula": "d/dx ste(x) = 1 (straight through; the forward clamps to [-1, 1])"})


@pytest.fixture
def ste() -> Op:
    """A straight-through estimator (quantization-aware training's): forward clamp(x, -1, 1),
    rule 1. An op, not registered: the bridge takes an Op."""
    return STE
