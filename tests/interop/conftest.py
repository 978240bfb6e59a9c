"""Fixtures of the bridge tests: JAX (required in CI, like torch)."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import pytest

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
