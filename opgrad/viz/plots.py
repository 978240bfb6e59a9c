"""A function beside its derivative: backward's slope and the finite-difference slope."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

from opgrad.core import BackwardError, Value
from opgrad.derivatives import grad
from opgrad.testing.numeric import numerical_derivative
from opgrad.viz.figure import new_figure, save_figure

POINTS = 201  # samples across the range
FINITE_DIFFERENCE_STEP = 1e-6  # relative to |x| beyond 1
LARGEST_DRAWN = 1e307  # matplotlib's margins and tick steps overflow a float near 1.8e308


def sample(f: Callable[[Value], Value], lo: float, hi: float, points: int = POINTS
           ) -> tuple[list[float], list[float], list[float], list[float]]:
    """xs, f(x), df/dx by backward, and the central-difference slope, on a grid.

    Points where f or a slope is undefined, or beyond what a plot can draw
    (:data:`LARGEST_DRAWN`), are left out (a gap). A range reaching beyond
    that, or too narrow for its grid points to be different numbers, is refused.
    """
    xs, ys, slopes, numeric = [], [], [], []
    for x in grid(lo, hi, points):
        row = _sample_at(f, x)
        if row is not None:
            xs.append(x)
            ys.append(row[0])
            slopes.append(row[1])
            numeric.append(row[2])
    return xs, ys, slopes, numeric


def grid(lo: float, hi: float, points: int) -> list[float]:
    """``points`` evenly spaced numbers from ``lo`` to ``hi``, all different."""
    if points < 2:
        raise ValueError(f"sampling needs at least 2 points, got {points}")
    if not (lo < hi and math.isfinite(hi - lo)):
        raise ValueError(f"the range [{lo:g}, {hi:g}] must be finite, with lo < hi")
    if max(-lo, hi) > LARGEST_DRAWN:
        raise ValueError(f"the range [{lo:g}, {hi:g}] reaches beyond ±{LARGEST_DRAWN:g}, more "
                         "than a plot's axes can hold; choose a smaller range")
    width = hi - lo
    xs = [lo + width * (i / (points - 1)) for i in range(points - 1)] + [hi]  # never overflows
    different = len(set(xs))
    if different < points:
        raise ValueError(f"the range [{lo:g}, {hi:g}] is too narrow for numbers this large: its "
                         f"{points} samples round to {different} different numbers; widen it")
    return xs


def _sample_at(f: Callable[[Value], Value], x: float) -> tuple[float, float, float] | None:
    """f(x), its slope by backward and by finite differences; None where undefined."""
    try:
        leaf = Value(x)
        out = f(leaf)
        (slope,) = grad(out, [leaf])
        step = FINITE_DIFFERENCE_STEP * max(1.0, abs(x))  # x + step differs from x
        finite = numerical_derivative(lambda t: f(Value(t)).data, x, step)
    except (ValueError, ArithmeticError, BackwardError):  # outside f's domain
        return None
    row = (out.data, float(slope), finite)
    return row if all(abs(v) <= LARGEST_DRAWN for v in row) else None  # nan compares false


def sample_to_plot(f: Callable[[Value], Value], lo: float, hi: float, title: str
                   ) -> tuple[list[float], list[float], list[float], list[float]]:
    """:func:`sample`, refusing a function with fewer than two points to draw on the range."""
    xs, ys, slopes, numeric = sample(f, lo, hi)
    if len(xs) < 2:  # a line needs two points
        where = "everywhere" if not xs else f"at all but one of its {POINTS} samples"
        raise ValueError(f"{title} is undefined or not finite {where} on [{lo:g}, {hi:g}] "
                         "(with its slope): choose another range")
    return xs, ys, slopes, numeric


def plot_function(f: Callable[[Value], Value], lo: float, hi: float,
                  path: str | os.PathLike[str] | None = None, title: str = "f(x)") -> Any:
    """Plot f and its derivative (backward) with the finite-difference slope overlaid.

    Returns the matplotlib figure (a notebook shows it); with ``path`` it is
    also saved there. pyplot is not used: your backend and figures stay as they are.
    """
    xs, ys, slopes, numeric = sample_to_plot(f, lo, hi, title)  # named before matplotlib is
    figure = new_figure("plot_function", 7, 4.5)
    axes = figure.subplots()
    axes.plot(xs, ys, label=title, linewidth=2)
    axes.plot(xs, slopes, label="derivative (backward)", linewidth=2)
    axes.plot(xs[::8], numeric[::8], "o", markersize=4, label="finite differences")
    axes.axhline(0.0, color="gray", linewidth=0.5)
    axes.set_xlabel("x")
    axes.legend()
    axes.set_title(f"{title} and its derivative")
    if path is not None:
        save_figure(figure, path)
    return figure
