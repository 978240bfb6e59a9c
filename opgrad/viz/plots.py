"""A function beside its derivative: backward's slope and the finite-difference slope."""

from __future__ import annotations

import os
from collections.abc import Callable

from opgrad.core import Value
from opgrad.derivatives import grad
from opgrad.testing.numeric import numerical_derivative
from opgrad.viz.boundary import pyplot


def sample(f: Callable[[Value], Value], lo: float, hi: float, points: int = 201
           ) -> tuple[list[float], list[float], list[float], list[float]]:
    """xs, f(x), df/dx by backward, and the central-difference slope, on a grid."""
    if not lo < hi or points < 2:
        raise ValueError(f"need lo < hi and at least 2 points, got {lo}, {hi}, {points}")
    xs, ys, slopes, numeric = [], [], [], []
    for i in range(points):
        x = lo + (hi - lo) * i / (points - 1)
        try:
            leaf = Value(x)
            out = f(leaf)
            (slope,) = grad(out, [leaf])
            finite = numerical_derivative(lambda t: f(Value(t)).data, x)
        except (ValueError, ArithmeticError):  # outside the function's domain: leave a gap
            continue
        xs.append(x)
        ys.append(out.data)
        slopes.append(float(slope))
        numeric.append(finite)
    return xs, ys, slopes, numeric


def plot_function(f: Callable[[Value], Value], lo: float, hi: float,
                  path: str | os.PathLike[str] | None = None, title: str = "f(x)") -> object:
    """Plot f and its derivative (backward) with the finite-difference slope overlaid.

    Returns the matplotlib figure; with ``path`` it is also saved there.
    """
    plt = pyplot()
    xs, ys, slopes, numeric = sample(f, lo, hi)
    figure, axes = plt.subplots(figsize=(7, 4.5))
    axes.plot(xs, ys, label=title, linewidth=2)
    axes.plot(xs, slopes, label="derivative (backward)", linewidth=2)
    axes.plot(xs[::8], numeric[::8], "o", markersize=4, label="finite differences")
    axes.axhline(0.0, color="gray", linewidth=0.5)
    axes.set_xlabel("x")
    axes.legend()
    axes.set_title(f"{title} and its derivative")
    if path is not None:
        figure.savefig(path, dpi=100, bbox_inches="tight")
    return figure
