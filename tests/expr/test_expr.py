"""The expression language: right values for valid text, one clear error for the rest."""

from __future__ import annotations

import math
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import opgrad
from opgrad.expr import ExpressionError, evaluate, parse, variables

VALUES = {"a": 2.0, "b": -3.0, "x": 0.5}


def test_operators_calls_and_precedence() -> None:
    out = evaluate("tanh(a * b + b ** 2 - a / b) + -x", VALUES)
    assert out.data == math.tanh(2 * -3 + 9 - 2 / -3) - 0.5
    assert evaluate("2 ** -1", {}).data == 0.5
    assert evaluate("+a", VALUES).data == 2.0


def test_variables_are_labelled_leaves() -> None:
    a = opgrad.Value(2.0, label="a")
    out = evaluate("a * a + 1", {"a": a})
    out.backward()
    assert a.grad == 4.0
    assert [leaf.label for leaf in evaluate("a * b", VALUES).parents] == ["a", "b"]
    assert variables(parse("tanh(a) + b * a")) == ["a", "b"]


def test_plugin_ops_can_be_called(registry: object) -> None:
    opgrad.register(lambda x: math.log1p(math.exp(x)), name="softplus", formula="d/dx = sig",
                    local_grads=lambda x, out: (1 / (1 + opgrad.ops.exp(-x)),))
    assert evaluate("softplus(x)", VALUES).data == pytest.approx(math.log1p(math.exp(0.5)))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("__import__('os').system('echo hi')", "only calls of registered ops by name"),
        ("a.data", "attribute is not allowed"),
        ("'text'", "only numbers are allowed"),
        ("lambda: 1", "lambda is not allowed"),
        ("c + 1", "no value given for c"),
        ("9 ** 9 ** 9", "cannot evaluate: pow"),
        ("1" + "0" * 400, "int too large for a float"),
        ("1" + "0" * 5000, "the expression is longer than"),
        ("tanh(" * 150 + "a" + ")" * 150, "nested"),
        ("-" * 150 + "a", "nested"),
        ("tanh(a, b)", "tanh() takes 1 argument(s), got 2"),
        ("tanh(x=a)", "takes plain positional arguments"),
        ("open(a)", "open() is not a registered op"),
        ("a @ b", "only + - * / ** are allowed"),
        ("a if b else x", "ifexp is not allowed"),
        ("_secret", "may not start with '_'"),
        ("log(b)", "log(-3.0) is undefined"),
        ("True + a", "only numbers are allowed"),
        ("a +", "not a valid expression"),
        ("1j * a", "only numbers are allowed"),
        ("nan * 2", "'nan' reads as a number, so it cannot name a variable"),
        ("a + Infinity", "'Infinity' reads as a number"),
        ("n1 + a", "'n1' cannot name a variable: n1, n2, ... name the intermediate results"),
        ("0x1for", "not a valid expression: invalid hexadecimal literal"),
        ("a" + " ** a" * 101, "nested more than 100 levels"),
        ("a\x00", "cannot contain null bytes"),
        ("a\udcff", "surrogates not allowed"),
    ],
)
def test_refused_with_one_clear_line(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate(text, VALUES)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_no_syntax_warning_escapes() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ExpressionError, match="invalid hexadecimal literal"):
            parse("0x1for")
    assert [str(w.message) for w in caught] == []


@pytest.mark.parametrize("terms", [102, 1000])
def test_depth_is_nesting_not_length(terms: int) -> None:
    a = opgrad.Value(1.5, label="a")
    out = evaluate("+".join(["a"] * terms), {"a": a})  # 1000 terms: near the length limit
    out.backward()
    assert (out.data, a.grad) == (1.5 * terms, float(terms))
    assert evaluate("a * b - a * b + " * 100 + "x", VALUES).data == 0.5
    expected = 0.5
    for _ in range(100):
        expected = math.tanh(expected)
    assert evaluate("tanh(" * 100 + "x" + ")" * 100, VALUES).data == expected


def test_a_leading_minus_is_part_of_the_expression() -> None:
    assert evaluate("-a*2", VALUES).data == -4.0
    assert evaluate("-1e-3", {}).data == -0.001


def test_names_like_numbers_or_intermediates_are_fine_with_more_letters() -> None:
    values = {"nan_count": 2.0, "inf2": 3.0, "n1x": 4.0, "nn1": 5.0}
    assert evaluate("nan_count * inf2 + n1x + nn1", values).data == 15.0


def test_reserved_variable_names_can_still_name_ops(registry: object) -> None:
    opgrad.register(lambda x: 2 * x, name="n2", local_grads=lambda x, out: (2.0,),
                    formula="d/dx n2(x) = 2")
    assert evaluate("n2(a)", VALUES).data == 4.0


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=60))
def test_any_text_gives_a_value_or_an_expression_error(text: str) -> None:
    try:
        out = evaluate(text, VALUES)
    except ExpressionError:
        return
    assert isinstance(out, opgrad.Value)


TOKENS = ["a", "b", "x", "1", "2.5", "+", "-", "*", "/", "**", "(", ")", "tanh(", "exp(",
          "log(", "relu(", ",", " ", "pow(", "1e308", "0"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=25))
def test_token_soup_never_crashes(tokens: list[str]) -> None:
    try:
        out = evaluate("".join(tokens), VALUES)
    except ExpressionError:
        return
    assert isinstance(out.data, float)


leaf = st.sampled_from(["a", "b", "x", "1.5", "2"])
expression = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["tanh", "sigmoid", "relu", "neg"]), inner).map(
            lambda t: f"{t[0]}({t[1]})"),
    ),
    max_leaves=10,
)


def reference(text: str) -> float:
    """An independent evaluation: Python's own arithmetic on a fixed namespace."""
    def sigmoid(v: float) -> float:
        return 1 / (1 + math.exp(-v))

    namespace = {"tanh": math.tanh, "sigmoid": sigmoid, "relu": lambda v: max(v, 0.0),
                 "neg": lambda v: -v, "__builtins__": {}, **VALUES}
    return float(eval(text, namespace))  # test-only oracle on generated, known-safe text


@settings(max_examples=300, deadline=None)
@given(expression)
def test_generated_expressions_evaluate_correctly(text: str) -> None:
    assert evaluate(text, VALUES).data == pytest.approx(reference(text), rel=1e-12, abs=1e-12)
