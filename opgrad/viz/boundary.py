"""The decision boundary of a trained classifier over its 2-D data (matplotlib)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from opgrad.core import no_grad
from opgrad.nn.data import Dataset
from opgrad.nn.module import MLP
from opgrad.viz.figure import new_figure, save_figure


def predict_class(model: MLP, point: list[float]) -> int:
    """The class the model assigns to ``point`` (sign of one output, or argmax)."""
    with no_grad():
        out = model.outputs(point)
    if len(out) == 1:
        return int(out[0].data > 0)
    return max(range(len(out)), key=lambda k: out[k].data)


def plot_decision_boundary(model: MLP, data: Dataset,
                           path: str | os.PathLike[str] | None = None, resolution: int = 80
                           ) -> Any:
    """The model's class regions with the data points on top, as a matplotlib figure.

    A notebook shows the returned figure; with ``path`` it is also saved there
    (.png, .svg or .pdf). pyplot is not used: your backend and figures stay as they are.
    """
    figure = new_figure("plot_decision_boundary", 6, 5)
    draw_decision_boundary(figure.subplots(), model, data, resolution)
    if path is not None:
        save_figure(figure, path)
    return figure


@dataclass(frozen=True)
class DecisionGrid:
    """The class the model assigns at each point of a grid over the data (row by row in y)."""

    xs: list[float]
    ys: list[float]
    regions: list[list[int]]


def decision_grid(model: MLP, data: Dataset, resolution: int = 80) -> DecisionGrid:
    """The model's class at ``resolution`` x ``resolution`` points around the data."""
    xs = [p[0] for p in data.x]
    ys = [p[1] for p in data.x]
    lo_x, hi_x = min(xs) - 0.5, max(xs) + 0.5
    lo_y, hi_y = min(ys) - 0.5, max(ys) + 0.5
    grid_x = [lo_x + (hi_x - lo_x) * i / (resolution - 1) for i in range(resolution)]
    grid_y = [lo_y + (hi_y - lo_y) * j / (resolution - 1) for j in range(resolution)]
    regions = [[predict_class(model, [gx, gy]) for gx in grid_x] for gy in grid_y]
    return DecisionGrid(grid_x, grid_y, regions)


def draw_decision_boundary(axes: Any, model: MLP, data: Dataset, resolution: int = 80) -> None:
    """Draw the model's class regions and the data points on matplotlib ``axes``."""
    grid = decision_grid(model, data, resolution)
    levels = [k - 0.5 for k in range(data.classes + 1)]  # one band per class
    axes.contourf(grid.xs, grid.ys, grid.regions, levels=levels, cmap="coolwarm", alpha=0.35)
    axes.scatter([p[0] for p in data.x], [p[1] for p in data.x], c=data.y, cmap="coolwarm",
                 edgecolors="black", s=30)
    axes.set_title(f"opgrad MLP {'-'.join(map(str, model.sizes))} on {data.name}")
    axes.set_xlim(grid.xs[0], grid.xs[-1])
    axes.set_ylim(grid.ys[0], grid.ys[-1])
