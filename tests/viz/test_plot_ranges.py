"""The ranges a function plot can sample, and a clear refusal of the others."""

from __future__ import annotations

import itertools
import math
import warnings
from pathlib import Path
from types import ModuleType

import pytest

from opgrad import Value
from opgrad.viz import plot_function
from opgrad.viz.plots import sample
from tests.cli.runner import run

LARGEST = 1.7976e308  # about the largest float
DRAWN = 1e307  # the largest number a plot draws


def identity(x: Value) -> Value:
    return x


def square(x: Value) -> Value:
    return x * x


@pytest.mark.parametrize(("lo", "hi"), [(1.0, 1.0), (2.0, 1.0), (math.nan, 1.0), (0.0, math.nan),
                                        (0.0, math.inf), (-math.inf, 0.0), (-1e308, 1e308)])
def test_a_range_without_a_finite_width_is_refused(lo: float, hi: float) -> None:
    with pytest.raises(ValueError, match=r"^the range \[.*\] must be finite, with lo < hi$"):
        sample(identity, lo, hi)


@pytest.mark.parametrize(("lo", "hi"), [(1e16, 1e16 + 64), (1.0, 1.0 + 1e-14), (-1e300, -1e300)])
def test_a_range_too_narrow_for_its_numbers_is_refused(lo: float, hi: float) -> None:
    if lo == hi:  # one float apart: the narrowest range there is
        hi = math.nextafter(lo, math.inf)
    with pytest.raises(ValueError, match=r"^the range \[.*\] is too narrow for numbers this "
                       r"large: its 201 samples round to \d+ different numbers; widen it$"):
        sample(identity, lo, hi)


@pytest.mark.parametrize(("lo", "hi"), [(-5.0, LARGEST), (-LARGEST, 5.0), (-DRAWN, 1e308),
                                        (-LARGEST / 2, LARGEST / 2)])
def test_a_range_beyond_what_a_plot_can_draw_is_refused(lo: float, hi: float) -> None:
    with pytest.raises(ValueError, match=r"^the range \[.*\] reaches beyond ±1e\+307, more "
                       r"than a plot's axes can hold; choose a smaller range$"):
        sample(identity, lo, hi)


@pytest.mark.parametrize(("lo", "hi"), [(-5.0, DRAWN), (-DRAWN, 5.0), (-DRAWN, DRAWN),
                                        (1e12, 1e13), (-1e-300, 1e-300)])
def test_a_wide_or_far_range_is_sampled_evenly_and_drawn(lo: float, hi: float,
                                                         matplotlib: ModuleType) -> None:
    xs, ys, slopes, numeric = sample(identity, lo, hi)
    assert len(xs) == 201 and xs == sorted(set(xs)) and (xs[0], xs[-1]) == (lo, hi)
    steps = [b - a for a, b in itertools.pairwise(xs)]
    assert max(steps) <= min(steps) * (1 + 1e-9)  # evenly spaced: no sample overflowed
    assert ys == xs and slopes == [1.0] * len(xs)
    assert numeric == pytest.approx(slopes, rel=1e-6)  # the step follows the size of x
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib overflowing would warn
        figure = plot_function(identity, lo, hi)
    assert figure.axes[0].get_xlim()[1] >= hi  # type: ignore[attr-defined]  # all of it drawn


def test_finite_differences_follow_the_slope_far_from_zero() -> None:
    xs, _, slopes, numeric = sample(square, 1e12, 1e13)
    assert slopes == [2 * x for x in xs] and numeric == pytest.approx(slopes, rel=1e-6)


def test_a_function_finite_at_one_sample_only_is_refused(matplotlib: ModuleType) -> None:
    with pytest.raises(ValueError, match=r"^x\*x is undefined or not finite at all but one of "
                       r"its 201 samples on \[-5, 1e\+307\] \(with its slope\): choose "
                       r"another range$"):
        plot_function(square, -5.0, DRAWN, title="x*x")


def test_values_beyond_what_a_plot_can_draw_are_a_gap(matplotlib: ModuleType) -> None:
    xs, ys, _, _ = sample(lambda x: x * 10.0, -DRAWN, DRAWN)
    assert 0 < len(xs) < 201 and max(abs(x) for x in xs) <= DRAWN / 10
    assert max(abs(y) for y in ys) <= DRAWN
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib overflowing would warn
        figure = plot_function(lambda x: x * 10.0, -DRAWN, DRAWN)
    assert figure.axes[0].get_ylim()[1] > DRAWN / 2  # type: ignore[attr-defined]  # drawn


def test_the_plot_command_refuses_a_range_it_cannot_sample(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], matplotlib: ModuleType) -> None:
    path = tmp_path / "p.png"
    refusals = {
        ("x*x", "-5", "1.7976e308"): "the range [-5, 1.7976e+308] reaches beyond ±1e+307, more "
        "than a plot's axes can hold; choose a smaller range",
        ("x*x", "-5", "1e307"): "x*x is undefined or not finite at all but one of its 201 "
        "samples on [-5, 1e+307] (with its slope): choose another range",
        ("x", "1e16", "1.0000000000000064e16"): "the range [1e+16, 1e+16] is too narrow for "
        "numbers this large: its 201 samples round to 33 different numbers; widen it",
        ("x", "2", "-2"): "the range [2, -2] must be finite, with lo < hi",
    }
    for (expression, lo, hi), message in refusals.items():
        status, out, err = run(capsys, "plot", expression, "--var", "x", "--range", lo, hi,
                               "-o", str(path))
        assert (status, out, err) == (2, "", f"opgrad: error: {message}\n")
    assert list(tmp_path.iterdir()) == []
    status, _, err = run(capsys, "plot", "x", "--range", "-5", "1e307", "-o", str(path))
    assert (status, err) == (0, f"wrote {path}\n")
