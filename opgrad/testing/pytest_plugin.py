"""A pytest plugin for op authors (loaded through the ``pytest11`` entry point).

Fixtures:
- ``opgrad_registry``: a fresh registry (built-ins and installed plugins)
  bound to Value for one test; ops registered in it never leak out.
- ``assert_op_passes``: ``assert_op_passes("softplus")`` runs
  :func:`opgrad.testing.check_op` and fails the test with its report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from opgrad.assembly import build_registry, use_registry
from opgrad.plugins import Registry
from opgrad.testing.opcheck import OpCheck
from opgrad.testing.opcheck import assert_op_passes as _assert_op_passes


@pytest.fixture
def opgrad_registry() -> Iterator[Registry]:
    """A fresh, isolated registry, active for the duration of one test."""
    registry = build_registry()
    with use_registry(registry):
        yield registry


@pytest.fixture
def assert_op_passes() -> Callable[..., OpCheck]:
    """``assert_op_passes(name, **options)``: check_op, failing the test on problems."""

    def check(name: str, **options: Any) -> OpCheck:
        __tracebackhide__ = True  # show the report, not this frame
        return _assert_op_passes(name, **options)

    return check
