"""Shared fixtures: an isolated registry, and torch (required in CI)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from types import ModuleType

import pytest

import opgrad
from opgrad.plugins import Registry

pytest_plugins = ["pytester"]  # for testing opgrad's own pytest plugin


@pytest.fixture
def registry() -> Iterator[Registry]:
    """A fresh registry (built-ins only) bound to Value for this test alone."""
    fresh = opgrad.build_registry(autoload=False)
    with opgrad.use_registry(fresh):
        yield fresh


@pytest.fixture(scope="session")
def torch() -> ModuleType:
    """PyTorch; skipped where absent, but a failure when OPGRAD_REQUIRE_TORCH=1 (CI)."""
    try:
        import torch
    except ImportError:
        if os.environ.get("OPGRAD_REQUIRE_TORCH") == "1":
            pytest.fail("OPGRAD_REQUIRE_TORCH=1 but torch is not installed")
        pytest.skip("torch is not installed (pip install torch==2.13.0)")
    return torch
