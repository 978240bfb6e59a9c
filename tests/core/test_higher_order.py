"""Forward mode and second derivatives on random trees, vs finite differences and torch."""

from __future__ import annotations

from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import opgrad
from opgrad import Value
from opgrad.testing import hessian, numerical_gradient
from tests.reference import Tree, build, evaluate, float_call, points, torch_call, trees

REGISTRY = opgrad.default_registry()
directions = st.lists(st.floats(-1.0, 1.0), min_size=3, max_size=3)


def tree_function(tree: Tree) -> object:
    return lambda *xs: evaluate(tree, xs, lambda name, args: getattr(opgrad.ops, name)(*args))


@settings(max_examples=150, deadline=None)
@given(tree=trees(REGISTRY), point=points(), direction=directions)
def test_jvp_matches_finite_differences(tree: Tree, point: list[float],
                                        direction: list[float]) -> None:
    build(tree, point, REGISTRY)  # rejects ill-conditioned draws
    value, derivative = opgrad.jvp(tree_function(tree), point, direction)  # type: ignore[arg-type]
    slopes = numerical_gradient(lambda *v: evaluate(tree, v, float_call(REGISTRY)), point)
    expected = sum(s * d for s, d in zip(slopes, direction, strict=True))
    assert value == evaluate(tree, point, float_call(REGISTRY))
    assert derivative == pytest.approx(expected, rel=1e-4, abs=1e-5)


@settings(max_examples=150, deadline=None)
@given(tree=trees(REGISTRY), point=points(), direction=directions)
def test_jvp_and_hessian_match_torch(torch: ModuleType, tree: Tree, point: list[float],
                                     direction: list[float]) -> None:
    build(tree, point, REGISTRY)
    call = torch_call(torch, REGISTRY)

    def reference(*xs: object) -> object:
        return evaluate(tree, xs, call) + 0.0 * xs[0]  # a tensor even for a constant tree

    primals = tuple(torch.tensor(v, dtype=torch.float64) for v in point)
    tangents = tuple(torch.tensor(d, dtype=torch.float64) for d in direction)
    _, expected = torch.func.jvp(reference, primals, tangents)
    _, derivative = opgrad.jvp(tree_function(tree), point, direction)  # type: ignore[arg-type]
    assert derivative == pytest.approx(expected.item(), rel=1e-9, abs=1e-12)

    leaves = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point]
    first = torch.autograd.grad(reference(*leaves), leaves, create_graph=True, allow_unused=True)
    rows = [_hessian_row(torch, g, leaves) for g in first]
    ours = hessian(tree_function(tree), point)  # type: ignore[arg-type]
    for our_row, their_row in zip(ours, rows, strict=True):
        assert our_row == pytest.approx(their_row, rel=1e-8, abs=1e-10)


def _hessian_row(torch: ModuleType, g: object, leaves: list[object]) -> list[float]:
    if g is None or not g.requires_grad:  # type: ignore[attr-defined]
        return [0.0] * len(leaves)
    second = torch.autograd.grad(g, leaves, allow_unused=True, retain_graph=True)
    return [0.0 if h is None else h.item() for h in second]


def test_backward_with_create_graph_leaves_values_in_the_graph() -> None:
    x = Value(2.0)
    y = x**3 + x.tanh() * x.exp()
    y.backward(create_graph=True)
    first = x.grad
    assert isinstance(first, Value)
    x.grad = 0.0  # as in PyTorch, a second backward would add to the first derivative
    first.backward()
    assert first.data == pytest.approx(12 + (1 - 0.9640275800758169**2) * 7.38905609893065
                                       + 0.9640275800758169 * 7.38905609893065)
    assert x.grad == pytest.approx(19.160812163526444)


def test_second_backward_accumulates_like_torch(torch: ModuleType) -> None:
    x = Value(2.0)
    (x**3).backward(create_graph=True)
    x.grad.backward()
    t = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    (t**3).backward(create_graph=True)
    t.grad.backward()
    assert x.grad.data == t.grad.item() == 24.0  # 3x^2 + 6x at x = 2


def test_grad_leaves_every_grad_untouched() -> None:
    a, b = Value(1.5), Value(-2.0)
    a.grad = 5.0
    out = (a * b).exp()
    assert opgrad.grad(out, [a, b, Value(3.0)]) == pytest.approx(
        [-2.0 * out.data, 1.5 * out.data, 0.0])
    assert (a.grad, b.grad, out.grad) == (5.0, 0.0, 0.0)


def test_jvp_argument_errors() -> None:
    with pytest.raises(ValueError, match=r"2 input.* but 1 tangent"):
        opgrad.jvp(lambda a, b: a * b, [1.0, 2.0], [1.0])
    with pytest.raises(TypeError, match="f must return a Value"):
        opgrad.jvp(lambda a: 3.0, [1.0], [1.0])  # type: ignore[arg-type, return-value]
