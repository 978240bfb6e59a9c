"""Which functions are pasted into the generated code, and which are called."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

import opgrad
from opgrad import Value
from opgrad.compiler.source import expression_of


def one_return(x: float) -> float:
    """A docstring does not count as a statement."""
    return 2.0 * x


def with_statements(x: float) -> float:
    y = 2.0 * x
    return y


def make_closure(k: float) -> Callable[[float], float]:
    return lambda x: k * x


@pytest.mark.parametrize(("function", "inlined"), [
    (lambda x: x + 1.0, True),
    (one_return, True),
    (with_statements, False),
    (make_closure(3.0), False),  # reads a closure cell: called, not pasted
    (lambda x, k=2.0: k * x, False),  # a default value: called
    (math.exp, False),  # no Python source
    (eval("lambda x: x"), False),  # no file to read it from
])
def test_only_one_expression_functions_with_their_own_source_are_pasted(
        function: Callable[..., Any], inlined: bool) -> None:
    assert (expression_of(function) is not None) is inlined


def test_two_lambdas_on_one_line_are_told_apart_by_their_bytecode() -> None:
    f, g = (lambda x: x * 2.0), (lambda x: x * 3.0)
    f_body, g_body = expression_of(f), expression_of(g)
    assert f_body is not None and g_body is not None
    assert "2.0" in ast_text(f_body.body) and "3.0" in ast_text(g_body.body)


def ast_text(node: Any) -> str:
    import ast

    return ast.unparse(node)


def test_ops_that_cannot_be_pasted_still_compile_to_their_numbers(registry: object) -> None:
    opgrad.register(make_closure(3.0), name="triple", formula="d/dx triple(x) = 3",
                    local_grads=lambda x, out: (3.0,))
    opgrad.register(with_statements, name="twice", formula="d/dx twice(x) = 2",
                    local_grads=lambda x, out: (2.0,))
    x = Value(1.5)
    step = opgrad.compile(lambda: opgrad.ops.triple(x) * opgrad.ops.twice(x))
    assert "triple_forward(" in step.source and "twice_forward(" in step.source
    assert step() == 4.5 * 3.0
    assert x.grad == 3.0 * 3.0 + 4.5 * 2.0


def test_a_forward_returning_an_int_gives_a_float_like_the_dynamic_engine(
        registry: object) -> None:
    opgrad.register(lambda x: 0 if x < 0.0 else x, name="floorish",
                    formula="d/dx floorish(x) = 0 for x < 0, else 1",
                    local_grads=lambda x, out: (0 if x < 0.0 else 1,))
    x = Value(-2.0)
    step = opgrad.compile(lambda: opgrad.ops.floorish(x))
    result = step()
    assert result == 0.0 and type(result) is float


def test_a_branch_free_piecewise_partial_is_pasted_without_a_check() -> None:
    # relu's rule, (1.0 - (out <= 0.0) * 1.0,), runs on tensors too; compiled, a comparison
    # is a bool (an int to arithmetic), so the partial is known to be a float: no checked call.
    # relu masks: where the partial is 0, nothing flows back (not even a nan gradient).
    a, b = Value(0.5, label="a"), Value(-2.0, label="b")
    step = opgrad.compile(lambda: (a * b).relu())
    assert "d3_0 = 1.0 - ((v3 <= 0.0) * 1.0)" in step.source
    assert "(d3_0 * g3 if d3_0 else 0.0)" in step.source
    assert "relu_partial" not in step.source and "relu_rule" not in step.source
    for x in (0.5, -0.5):
        a.data, a.grad, b.grad = x, 0.0, 0.0
        step()
        assert (a.grad, b.grad) == ((-2.0, x) if x * -2.0 > 0 else (0.0, 0.0))


def test_a_rule_calling_an_op_function_has_that_op_pasted_not_called(registry: object) -> None:
    # opgrad.ops.<name> is marked with its op (make_function), and the inliner reads that mark.
    # Were the link lost, the step would still be right, but would call opgrad.ops.tanh
    # through a checked partial: this test is what notices.
    opgrad.register(lambda x: math.log(1.0 + math.exp(x)), name="softplus_inline",
                    formula="d/dx softplus(x) = sigmoid(x)",
                    local_grads=lambda x, out: (opgrad.ops.tanh(x),))
    x = Value(0.3)
    step = opgrad.compile(lambda: opgrad.ops.softplus_inline(x))
    code = "\n".join(line.split("#")[0] for line in step.source.splitlines())
    assert "g0 = ((tanh(v0))) * g1" in code
    assert "_partial(" not in code and "_rule(" not in code
    assert step._program.namespace["tanh"] is math.tanh  # tanh's own forward, not the op function
    step()
    assert x.grad == math.tanh(0.3)
