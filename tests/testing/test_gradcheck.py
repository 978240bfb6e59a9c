"""gradcheck and check_op: they pass on right rules and fail, readably, on wrong ones."""

from __future__ import annotations

import math
from typing import Any

import pytest

import opgrad
from opgrad import Value
from opgrad.plugins.registry import Registry
from opgrad.testing import GradcheckError, assert_op_passes, check_op, gradcheck, hessian


def sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def register(name: str, rule: Any, forward: Any = sig, **extra: Any) -> None:
    opgrad.register(forward, name=name, local_grads=rule, formula=f"d/dx {name}(x) = ...",
                    **extra)


def test_gradcheck_passes_on_a_composite_of_builtins() -> None:
    assert gradcheck(lambda a, b: (a * b + b**2 - a / b).tanh() + a.exp().log(), [0.7, -1.3])


def test_gradcheck_fails_on_a_wrong_rule_naming_input_and_op(registry: Registry) -> None:
    register("badsig", lambda x, out: (out * (1.0 + out),))  # the sign is wrong
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda a, b: opgrad.ops.badsig(a * b) + b, [0.5, 2.0])
    report = str(caught.value)
    assert "reverse  x0" in report and "<-- FAIL" in report
    assert "forward  x0" in report
    assert "suspect op 'badsig'" in report
    assert "plugin 'tests.testing.test_gradcheck'" in report


def test_gradcheck_fails_on_a_rule_with_a_wrong_second_derivative(registry: Registry) -> None:
    # Right first derivative, but computed from plain numbers: the second is lost.
    register("flatsig", lambda x, out: (sig(opgrad.value_of(x)) * (1 - sig(opgrad.value_of(x))),))
    assert gradcheck(lambda a: opgrad.ops.flatsig(a), [0.5], second_order=False)
    with pytest.raises(GradcheckError, match=r"second   x0,x0 .*<-- FAIL"):
        gradcheck(lambda a: opgrad.ops.flatsig(a), [0.5])


def test_float_only_rule_has_a_clear_error_under_create_graph(registry: Registry) -> None:
    register("mathsig", lambda x, out: (math.exp(-x) / (1 + math.exp(-x)) ** 2,))
    x = Value(0.5)
    with pytest.raises(opgrad.BackwardError, match=r"op 'mathsig'.*a rule must use operators "
                       r"and opgrad.ops, not math"):
        opgrad.ops.mathsig(x).backward(create_graph=True)
    assert gradcheck(lambda a: opgrad.ops.mathsig(a), [0.5])  # first order still checked
    result = check_op("mathsig")
    assert result.ok
    assert "note: no second derivatives: local_grads works on floats only" in str(result)
    assert check_op("tanh").notes == []


def test_gradcheck_rejects_bad_arguments() -> None:
    with pytest.raises(TypeError, match="f must return a Value, got float"):
        gradcheck(lambda a: 1.0, [0.5])  # type: ignore[arg-type, return-value]
    with pytest.raises(TypeError, match="inputs must be numbers or Values, got str"):
        gradcheck(lambda a: a, ["x"])  # type: ignore[list-item]


def test_hessian_of_a_product_and_a_cube() -> None:
    assert hessian(lambda a, b: a * b + a**3, [2.0, 5.0]) == [[12.0, 1.0], [1.0, 0.0]]


def test_check_op_passes_every_builtin() -> None:
    for name in opgrad.default_registry():
        result = check_op(name)
        assert result.ok, str(result)
        assert result.worst_error < 1e-7


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        (lambda x, out: (out * (1.0 + out),), r"reverse d/dx0 analytic .* vs numeric"),
        (lambda x, out: (out, out), r"wrong number of partials: 2 partial\(s\) for 1 input"),
        # right at x = 0 only: sig'(0) = 0.25
        (lambda x, out: (0.25,), r"at \(.*\): reverse d/dx0 analytic 0.25 vs numeric"),
        (lambda x, out: (1 / 0,), r"partial count: raised ZeroDivisionError"),
    ],
)
def test_check_op_fails_on_wrong_rules(registry: Registry, rule: Any, problem: str) -> None:
    register("wrongsig", rule)
    result = check_op("wrongsig")
    assert not result.ok
    assert str(result).startswith("FAIL wrongsig")
    assert any(__import__("re").search(problem, p) for p in result.problems), result.problems
    with pytest.raises(AssertionError, match="FAIL wrongsig"):
        assert_op_passes("wrongsig")


def test_check_op_finds_accumulating_state_in_a_rule(registry: Registry) -> None:
    calls = []

    def drifting(x: Any, out: Any) -> tuple[Any]:
        calls.append(1)  # a rule with memory: each call answers differently
        return (out * (1 - out) * len(calls),)

    register("driftsig", drifting)
    assert "backward twice gave" in "\n".join(check_op("driftsig").problems)
