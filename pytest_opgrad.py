"""opgrad's pytest plugin for op authors (loaded through the ``pytest11`` entry point).

Fixtures:
- ``opgrad_registry``: a fresh registry (built-ins and installed plugins)
  bound to Value for one test; ops registered in it never leak out.
- ``assert_op_passes``: ``assert_op_passes("softplus")`` runs
  :func:`opgrad.testing.check_op` and fails the test with its report.

This module lives outside the ``opgrad`` package and imports opgrad only
inside the fixtures: every pytest run in an environment with opgrad installed
loads this plugin, and it must not import opgrad's op plugins at start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from opgrad.plugins.registry import Registry
    from opgrad.testing import OpCheck


@pytest.fixture
def opgrad_registry() -> Iterator[Registry]:
    """A fresh, isolated registry, active for the duration of one test."""
    import opgrad

    registry = opgrad.build_registry()
    with opgrad.use_registry(registry):
        yield registry


@pytest.fixture
def assert_op_passes() -> Callable[..., OpCheck]:
    """``assert_op_passes(name, **options)``: check_op, failing the test on problems."""
    from opgrad.testing import assert_op_passes as check_and_assert

    def check(name: str, **options: Any) -> OpCheck:
        __tracebackhide__ = True  # show the report, not this frame
        return check_and_assert(name, **options)

    return check
