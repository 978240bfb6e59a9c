"""Random expression trees over every registered op: gradients vs references."""

from __future__ import annotations

from types import ModuleType

import pytest
from hypothesis import given, settings

import opgrad
from opgrad.testing import numerical_gradient
from tests.reference import Tree, build, evaluate, float_call, points, torch_call, trees

REGISTRY = opgrad.default_registry()


def _grad_close(actual: float, expected: float, rtol: float, atol: float) -> bool:
    return abs(actual - expected) <= atol + rtol * abs(expected)


@settings(max_examples=300, deadline=None)
@given(tree=trees(REGISTRY), point=points())
def test_tree_gradients_match_finite_differences(tree: Tree, point: list[float]) -> None:
    out, xs = build(tree, point, REGISTRY)
    out.backward()
    numeric = numerical_gradient(lambda *v: evaluate(tree, v, float_call(REGISTRY)), point)
    for x, expected in zip(xs, numeric, strict=True):
        assert _grad_close(x.grad, expected, rtol=1e-4, atol=1e-5), (tree, point)


@settings(max_examples=300, deadline=None)
@given(tree=trees(REGISTRY), point=points())
def test_tree_values_and_gradients_match_torch(
    torch: ModuleType, tree: Tree, point: list[float]
) -> None:
    out, xs = build(tree, point, REGISTRY)
    out.backward()
    leaves = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point]
    reference = evaluate(tree, leaves, torch_call(torch, REGISTRY))
    assert out.data == pytest.approx(reference.item(), rel=1e-12, abs=1e-12)
    # A tree whose value depends on no variable (where(x, 1.0, 1.0)) has no graph in torch.
    expected = (torch.autograd.grad(reference, leaves, allow_unused=True)
                if reference.requires_grad else [None] * len(leaves))
    for x, g in zip(xs, expected, strict=True):
        assert x.grad == pytest.approx(0.0 if g is None else g.item(), rel=1e-9, abs=1e-12)
