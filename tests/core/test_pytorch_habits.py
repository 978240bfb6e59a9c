"""Habits PyTorch users bring: float(v), v.item(), backward(gradient=...)."""

from __future__ import annotations

import math
from types import ModuleType

import pytest

from opgrad import Value


def test_float_and_item_give_the_data() -> None:
    v = Value(2.5) * 2.0
    assert float(v) == v.item() == 5.0 and type(v.item()) is float


@pytest.mark.parametrize("seed", [2.5, -1, 0.0, Value(3.0)])
def test_backward_seeds_the_pass_with_gradient_as_torch_does(
        seed: float | Value, torch: ModuleType) -> None:
    a, b = Value(0.3), Value(-1.2)
    (a * b).tanh().backward(gradient=seed)
    ta = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(-1.2, dtype=torch.float64, requires_grad=True)
    number = seed.data if isinstance(seed, Value) else float(seed)
    (ta * tb).tanh().backward(gradient=torch.tensor(number, dtype=torch.float64))
    assert a.grad == pytest.approx(ta.grad.item(), rel=1e-14)
    assert b.grad == pytest.approx(tb.grad.item(), rel=1e-14)


def test_a_seed_scales_the_gradients_and_create_graph_keeps_values() -> None:
    x = Value(0.7)
    (x * x * x).backward(2.0, create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == pytest.approx(2.0 * 3 * 0.49)


@pytest.mark.parametrize("bad", ["1.0", None.__class__, 1j, [1.0]])
def test_a_gradient_that_is_no_number_is_a_type_error(bad: object) -> None:
    x = Value(1.0)
    with pytest.raises(TypeError, match=r"backward\(gradient=\.\.\.\) takes a real number"):
        (x * 2.0).backward(bad)  # type: ignore[arg-type]  # the mistake under test
    assert x.grad == 0.0


def test_a_huge_gradient_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="too large for a float"):
        Value(1.0).backward(10**400)


def test_comparisons_use_data_but_equality_is_identity() -> None:
    # As micrograd: <, <=, >, >= compare .data; == is identity (Values are dict keys).
    assert Value(4.0) >= 4.0 and not Value(4.0) > 4.0
    assert Value(4.0) != 4.0 and Value(4.0) != Value(4.0)
    v = Value(4.0)
    assert v == v and math.isclose(float(v), 4.0)
