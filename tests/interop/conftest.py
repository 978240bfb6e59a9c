"""Fixtures of the bridge tests: JAX and ONNX (required in CI, like torch), and a plugin's
straight-through op, whose rule is deliberately not its forward's derivative."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import pytest

import opgrad
from opgrad.plugins.declaration import Op
from tests.conftest import optional
from tests.interop import ste_plugin


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


def straight_through_op() -> Op:
    """The op of tests/interop/ste_plugin.py, loaded as a plugin is, in a registry of its own."""
    registry = opgrad.build_registry(autoload=False)
    (op,) = registry.add_plugin(ste_plugin, name="ste-plugin")
    return op


STE = straight_through_op()


@pytest.fixture
def ste() -> Op:
    """A straight-through estimator (quantization-aware training's), from a plugin: forward
    clamp(x, -1, 1), rule 1. The bridge takes the Op."""
    return STE
