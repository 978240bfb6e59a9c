"""Shared fixtures: an isolated registry, and torch (required in CI)."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from types import ModuleType

import pytest
from hypothesis import settings

import opgrad
from opgrad.plugins.registry import Registry

pytest_plugins = ["pytester"]  # for testing opgrad's own pytest plugin

# CI runs hypothesis derandomized, so a red CI run is reproducible as it is.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def registry() -> Iterator[Registry]:
    """A fresh registry (built-ins only) bound to Value for this test alone."""
    fresh = opgrad.build_registry(autoload=False)
    with opgrad.use_registry(fresh):
        yield fresh


def optional(module: str, install: str) -> ModuleType:
    """Import an optional dependency: skip where absent, but fail in CI.

    CI sets OPGRAD_REQUIRE_OPTIONAL=1 after installing every optional
    dependency, so tests that need one always run there.
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("OPGRAD_REQUIRE_OPTIONAL") == "1":
            pytest.fail(f"OPGRAD_REQUIRE_OPTIONAL=1 but {module} is not installed")
        pytest.skip(f"{module} is not installed ({install})")


@pytest.fixture(scope="session")
def torch() -> ModuleType:
    """PyTorch (pip install torch==2.13.0)."""
    return optional("torch", "pip install torch==2.13.0")


@pytest.fixture(scope="session")
def jax() -> ModuleType:
    """JAX (pip install 'opgrad[jax]', the CPU wheels)."""
    return optional("jax", "pip install 'opgrad[jax]'")


@pytest.fixture(scope="session")
def numpy() -> ModuleType:
    """NumPy (the numpy extra; CI installs it)."""
    return optional("numpy", "pip install 'opgrad[numpy]'")


@pytest.fixture(scope="session")
def matplotlib() -> ModuleType:
    """matplotlib (the viz extra)."""
    return optional("matplotlib", "pip install 'opgrad[viz]'")


@pytest.fixture(scope="session")
def graphviz_dot() -> str:
    """The path of Graphviz's dot program (Debian's graphviz package; CI installs it)."""
    import shutil

    found = shutil.which("dot")
    if found is None:
        if os.environ.get("OPGRAD_REQUIRE_OPTIONAL") == "1":
            pytest.fail("OPGRAD_REQUIRE_OPTIONAL=1 but Graphviz's dot is not installed")
        pytest.skip("Graphviz's dot is not installed (apt-get install graphviz)")
    return found


@pytest.fixture(scope="session")
def graphviz() -> ModuleType:
    """The graphviz Python package (the viz extra)."""
    return optional("graphviz", "pip install 'opgrad[viz]'")


@pytest.fixture(scope="session")
def mypy_api() -> ModuleType:
    """mypy's API (the dev extra; CI installs it)."""
    return optional("mypy.api", "pip install mypy")


@pytest.fixture
def frequent_switches() -> Iterator[None]:
    """Make the interpreter switch threads as often as it can, so interleavings happen."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)
