"""``fit(..., live=True)``: the loss curve and the decision boundary, redrawn as training runs.

In a Jupyter kernel the picture is one display that is updated in place; in
a terminal the command line's progress bar is shown instead; inside
:func:`live_view` (the browser kit's playground) the view given there. IPython
and matplotlib are imported only when a notebook's live view is asked for.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from opgrad._optional import require
from opgrad.nn.data import Dataset
from opgrad.nn.module import MLP
from opgrad.nn.progress import StepResult, progress_reporter
from opgrad.viz.boundary import draw_decision_boundary
from opgrad.viz.figure import new_figure, png_bytes, require_matplotlib

Report = Callable[[StepResult], None]
LiveView = Callable[[MLP, Dataset, int], Report]  # (model, data, steps) -> a step callback
REDRAWS = 10  # pictures per run: each boundary costs a few hundred model evaluations
RESOLUTION = 30  # grid points per side of the live boundary (the saved one uses 80)
_chosen_view: ContextVar[LiveView | None] = ContextVar("opgrad_live_view", default=None)


def in_notebook() -> bool:
    """True inside a Jupyter kernel (IPython is not imported to find out)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


@contextmanager
def live_view(view: LiveView) -> Iterator[None]:
    """Inside this block, ``fit(..., live=True)`` reports each step to ``view(model, data,
    steps)`` (in this thread or task only): how a page that is not a notebook shows training."""
    token = _chosen_view.set(view)
    try:
        yield
    finally:
        _chosen_view.reset(token)


@contextmanager
def live_reporter(model: MLP, data: Dataset, steps: int, on_step: Report | None
                  ) -> Iterator[Report]:
    """A step callback showing training live (a chosen view, a notebook) or as a progress bar."""
    view = _chosen_view.get()
    if view is not None:
        yield _both(view(model, data, steps), on_step)
        return
    if in_notebook():
        shown: Report = LiveFigure(model, data, steps).update
        yield _both(shown, on_step)
        return
    with progress_reporter(steps) as bar:
        yield _both(bar, on_step)


def _both(first: Report, second: Report | None) -> Report:
    if second is None:
        return first

    def report(result: StepResult) -> None:
        first(result)
        second(result)

    return report


def redraw_at(step: int, steps: int) -> bool:
    """Whether a live view redraws after ``step`` of ``steps``: REDRAWS times, and last."""
    return step % max(1, steps // REDRAWS) == 0 or step == steps


class LiveFigure:
    """One notebook display of the loss so far and the current decision boundary."""

    def __init__(self, model: MLP, data: Dataset, steps: int) -> None:
        self.display = require("IPython.display", "notebook", "fit(live=True)")
        require_matplotlib("fit(live=True)")
        self.model, self.data, self.steps = model, data, steps
        self.losses: list[float] = []
        self.handle: Any = None

    def update(self, result: StepResult) -> None:
        self.losses.append(result.loss)
        if not redraw_at(result.step, self.steps):
            return
        picture = self.display.Image(data=self.png(result), format="png")
        if self.handle is None:
            self.handle = self.display.display(picture, display_id=True)
        else:
            self.handle.update(picture)

    def png(self, result: StepResult) -> bytes:
        figure = new_figure("fit(live=True)", 10, 4)
        loss_axes, boundary_axes = figure.subplots(1, 2)
        loss_axes.plot(range(1, len(self.losses) + 1), self.losses)
        loss_axes.set_xlim(1, max(2, self.steps))
        loss_axes.set_xlabel("step")
        loss_axes.set_title(f"loss {result.loss:.4f}, accuracy {result.accuracy:.0%} "
                            f"(step {result.step}/{self.steps})")
        draw_decision_boundary(boundary_axes, self.model, self.data, RESOLUTION)
        return png_bytes(figure, dpi=80)
