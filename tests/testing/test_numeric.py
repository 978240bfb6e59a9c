"""Finite differences and sensitivity tables (the seed's first two lessons)."""

from __future__ import annotations

import pytest

from opgrad.testing import numerical_derivative, numerical_gradient, sensitivity


def test_slope_of_the_seed_quadratic() -> None:
    assert numerical_derivative(lambda x: 3 * x**2 - 4 * x + 5, 3.0) == pytest.approx(14.0)


def test_gradient_of_a_product() -> None:
    assert numerical_gradient(lambda a, b: a * b, [2.0, -3.0]) == pytest.approx([-3.0, 2.0])


def test_step_must_be_positive() -> None:
    with pytest.raises(ValueError, match="step h must be positive"):
        numerical_derivative(lambda x: x, 1.0, h=0.0)
    with pytest.raises(ValueError, match="step h must be positive"):
        sensitivity(lambda x: x, [1.0], h=-1.0)


def test_sensitivity_of_a_times_b_plus_c() -> None:
    table = sensitivity(lambda a, b, c: a * b + c, {"a": 2.0, "b": -3.0, "c": 10.0}, h=1e-4)
    assert table.output == 4.0
    assert table.slopes() == pytest.approx({"a": -3.0, "b": 2.0, "c": 1.0})
    assert [bump.change for bump in table.bumps] == pytest.approx([-3e-4, 2e-4, 1e-4])
    text = str(table).splitlines()
    assert text[0] == "output 4; each input bumped by h = 0.0001"
    assert text[2].split() == ["a", "2", "3.9997", "-0.0003", "-3"]


def test_sensitivity_with_positional_inputs_names_them() -> None:
    table = sensitivity(lambda x, y: x - y, [1.0, 1.0])
    assert list(table.slopes()) == ["x0", "x1"]
    assert table.slopes()["x1"] == pytest.approx(-1.0)
