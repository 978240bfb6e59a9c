"""A function beside its derivative: backward's slope and the finite-difference slope."""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable

from opgrad.core import BackwardError, Value
from opgrad.derivatives import grad
from opgrad.testing.numeric import numerical_derivative
from opgrad.viz.boundary import pyplot


def sample(f: Callable[[Value], Value], lo: float, hi: float, points: int = 201
           ) -> tuple[list[float], list[float], list[float], list[float]]:
    """xs, f(x), df/dx by backward, and the central-difference slope, on a grid.

    Points where f or a slope is undefined or not finite are left out (a gap).
    """
    if not (lo < hi and math.isfinite(hi - lo)):
        raise ValueError(f"the range [{lo:g}, {hi:g}] must be finite, with lo < hi")
    if points < 2:
        raise ValueError(f"sampling needs at least 2 points, got {points}")
    xs, ys, slopes, numeric = [], [], [], []
    for i in range(points):
        x = lo + (hi - lo) * i / (points - 1)
        row = _sample_at(f, x)
        if row is not None:
            xs.append(x)
            ys.append(row[0])
            slopes.append(row[1])
            numeric.append(row[2])
    return xs, ys, slopes, numeric


def _sample_at(f: Callable[[Value], Value], x: float) -> tuple[float, float, float] | None:
    """f(x), its slope by backward and by finite differences; None where undefined."""
    try:
        leaf = Value(x)
        out = f(leaf)
        (slope,) = grad(out, [leaf])
        finite = numerical_derivative(lambda t: f(Value(t)).data, x)
    except (ValueError, ArithmeticError, BackwardError):  # outside f's domain
        return None
    row = (out.data, float(slope), finite)
    return row if all(math.isfinite(v) for v in row) else None


def sample_to_plot(f: Callable[[Value], Value], lo: float, hi: float, title: str
                   ) -> tuple[list[float], list[float], list[float], list[float]]:
    """:func:`sample`, refusing a function with no point to draw on the range."""
    xs, ys, slopes, numeric = sample(f, lo, hi)
    if not xs:
        raise ValueError(f"{title} is undefined or not finite everywhere on [{lo:g}, {hi:g}] "
                         "(with its slope): choose another range")
    return xs, ys, slopes, numeric


def plot_function(f: Callable[[Value], Value], lo: float, hi: float,
                  path: str | os.PathLike[str] | None = None, title: str = "f(x)") -> object:
    """Plot f and its derivative (backward) with the finite-difference slope overlaid.

    Returns the matplotlib figure; with ``path`` it is also saved there.
    """
    xs, ys, slopes, numeric = sample_to_plot(f, lo, hi, title)  # named before matplotlib is
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(7, 4.5))
    axes.plot(xs, ys, label=title, linewidth=2)
    axes.plot(xs, slopes, label="derivative (backward)", linewidth=2)
    axes.plot(xs[::8], numeric[::8], "o", markersize=4, label="finite differences")
    axes.axhline(0.0, color="gray", linewidth=0.5)
    axes.set_xlabel("x")
    axes.legend()
    axes.set_title(f"{title} and its derivative")
    if path is not None:
        with warnings.catch_warnings():  # numpy overflows placing ticks for values near 1e308
            warnings.simplefilter("ignore", RuntimeWarning)
            figure.savefig(path, dpi=100, bbox_inches="tight")
    return figure
