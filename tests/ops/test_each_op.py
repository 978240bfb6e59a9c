"""Every registered op, found by iterating the registry, against finite differences."""

from __future__ import annotations

import math

import pytest

import opgrad
from opgrad.plugins.declaration import Op
from opgrad.testing import numerical_gradient, sample_points
from opgrad.testing.torch_compare import torch_function

OPS = sorted(opgrad.default_registry().values(), key=lambda op: op.name)
# torch= is optional for a plugin op; the ops that declare it are compared with torch.
WITH_TORCH = [op for op in OPS if op.torch is not None]
SAMPLES = 20


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
def test_backward_matches_central_differences(op: Op) -> None:
    for point in sample_points(op, SAMPLES):
        xs = [opgrad.Value(v) for v in point]
        out = getattr(opgrad.ops, op.name)(*xs)
        out.backward()
        numeric = numerical_gradient(op.forward, point)
        for x, expected in zip(xs, numeric, strict=True):
            assert x.grad == pytest.approx(expected, rel=1e-5, abs=1e-6), (op.name, point)


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
def test_function_gives_float_on_numbers_and_value_on_values(op: Op) -> None:
    point = sample_points(op, 1)[0]
    function = getattr(opgrad.ops, op.name)
    on_floats = function(*point)
    on_values = function(*[opgrad.Value(v) for v in point])
    assert type(on_floats) is float
    assert isinstance(on_values, opgrad.Value)
    assert on_values.data == on_floats == op.forward(*point)
    assert on_values.op == op.name
    assert len(on_values.parents) == op.arity


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
def test_bound_as_value_method(op: Op) -> None:
    first, *rest = sample_points(op, 1)[0]
    out = getattr(opgrad.Value(first), op.name)(*rest)
    assert out.data == op.forward(first, *rest)


def test_every_built_in_op_declares_its_torch_equivalent() -> None:
    built_ins = opgrad.build_registry(autoload=False).values()
    assert [op.name for op in built_ins if op.torch is None] == []


@pytest.mark.parametrize("op", WITH_TORCH, ids=lambda op: op.name)
def test_op_matches_torch(torch: object, op: Op) -> None:
    import torch as t

    function = torch_function(op.name, t)
    assert function is not None
    for point in sample_points(op, 5, seed=1):
        xs = [opgrad.Value(v) for v in point]
        out = getattr(opgrad.ops, op.name)(*xs)
        out.backward()
        leaves = [t.tensor(v, dtype=t.float64, requires_grad=True) for v in point]
        reference = function(*leaves)
        reference.backward()
        assert out.data == pytest.approx(reference.item(), rel=1e-13)
        for x, leaf in zip(xs, leaves, strict=True):
            theirs = 0.0 if leaf.grad is None else leaf.grad.item()  # None: no path (a condition)
            assert x.grad == pytest.approx(theirs, rel=1e-12, abs=1e-15)


def test_operators_and_reflected_forms() -> None:
    a = opgrad.Value(2.0)
    cases = {
        "a + 3": (a + 3, 5.0), "3 + a": (3 + a, 5.0), "a - 3": (a - 3, -1.0),
        "3 - a": (3 - a, 1.0), "a * 3": (a * 3, 6.0), "3 * a": (3 * a, 6.0),
        "a / 4": (a / 4, 0.5), "4 / a": (4 / a, 2.0), "a ** 3": (a**3, 8.0),
        "3 ** a": (3**a, 9.0), "-a": (-a, -2.0), "a ** a": (a**a, 4.0),
    }
    for text, (value, expected) in cases.items():
        assert isinstance(value, opgrad.Value), text
        assert value.data == expected, text


def test_reflected_forms_give_the_constant_first() -> None:
    a = opgrad.Value(2.0)
    out = 3 - a
    assert [p.data for p in out.parents] == [3.0, 2.0]
    out.backward()
    assert a.grad == -1.0


@pytest.mark.parametrize(
    ("base", "exponent"),
    [(0.0, 2.0), (0.0, 0.5), (0.0, 0.0), (0.0, 1.0), (-3.0, 2.0), (-3.0, 3.0), (2.0, 0.0)],
)
def test_pow_edges_follow_torch(torch: object, base: float, exponent: float) -> None:
    import torch as t

    x, y = opgrad.Value(base), opgrad.Value(exponent)
    out = x**y
    out.backward()
    tx = t.tensor(base, dtype=t.float64, requires_grad=True)
    ty = t.tensor(exponent, dtype=t.float64, requires_grad=True)
    t.pow(tx, ty).backward()
    assert out.data == tx.detach().pow(ty.detach()).item()
    for ours, theirs in [(x.grad, tx.grad.item()), (y.grad, ty.grad.item())]:
        assert (math.isnan(ours) and math.isnan(theirs)) or ours == theirs, (base, exponent)


def test_negative_base_with_constant_exponent_just_works() -> None:
    x = opgrad.Value(-3.0)
    out = x**2
    out.backward()
    assert (out.data, x.grad) == (9.0, -6.0)
    # the 2 is a constant: no gradient (PyTorch computes none for a tensor that does not
    # require grad); a Value the user made as exponent is a variable, and d/dy at a
    # negative base is undefined, as in torch
    assert type(out.parents[1]) is opgrad.Constant and out.parents[1].grad == 0.0
    y = opgrad.Value(2.0)
    (x**y).backward()
    assert math.isnan(y.grad)


def test_an_op_on_two_constants_gives_a_variable_not_a_constant() -> None:
    c1, c2 = opgrad.Constant(2.0), opgrad.Constant(3.0)
    for out in (c1 + c2, c1 * c2, c1.tanh(), opgrad.ops.where(c1, c2, c1)):
        assert type(out) is opgrad.Value
        (first,) = opgrad.grad(out * out, [out])
        assert first == 2 * out.data  # a variable gets its gradient
