"""opgrad's pytest plugin, as an op author's test suite sees it."""

from __future__ import annotations

import pytest

AUTHOR_TESTS = '''
import opgrad

def triple(x):
    return 3.0 * x

def test_registers_inside(opgrad_registry):
    opgrad.register(triple, local_grads=lambda x, out: (3.0,), formula="d/dx triple(x) = 3")
    assert opgrad.Value(1.0).triple().data == 3.0
    assert "triple" in opgrad_registry

def test_nothing_leaked():
    assert "triple" not in opgrad.default_registry()

def test_right_rule_passes(opgrad_registry, assert_op_passes):
    opgrad.register(triple, local_grads=lambda x, out: (3.0,), formula="d/dx triple(x) = 3")
    assert assert_op_passes("triple").ok

def test_wrong_rule_fails(opgrad_registry, assert_op_passes):
    opgrad.register(triple, local_grads=lambda x, out: (2.0,), formula="d/dx triple(x) = 2")
    assert_op_passes("triple")
'''


def test_fixtures_isolate_ops_and_report_failures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_author=AUTHOR_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines([
        "*FAIL triple: 8 points*",
        "*reverse d/dx0 analytic 2 vs numeric 3*",
    ])


def test_pytest_start_does_not_import_opgrad(pytester: pytest.Pytester) -> None:
    # The plugin is loaded by every pytest run where opgrad is installed; it
    # must not import opgrad (and so every installed op plugin) at start.
    pytester.makepyfile(test_plain='''
import sys

def test_opgrad_not_imported():
    assert "opgrad" not in sys.modules
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
