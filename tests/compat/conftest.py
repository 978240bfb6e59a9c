"""micrograd 0.1.0, the peer these tests compare with (a test dependency only)."""

from __future__ import annotations

from types import ModuleType

import pytest

from tests.conftest import optional


@pytest.fixture(scope="session")
def micrograd() -> ModuleType:
    """micrograd 0.1.0 with its engine and nn (pip install micrograd==0.1.0)."""
    module = optional("micrograd", "pip install micrograd==0.1.0")
    optional("micrograd.nn", "pip install micrograd==0.1.0")
    return module
