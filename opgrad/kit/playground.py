"""The playground page's Python side: it runs in the browser, inside Pyodide.

A :class:`Session` runs a student's code as an interactive prompt does (each
top-level expression's value is printed, so a tutorial's doctest shows the
same text here) and sends pictures to the page through ``show(kind, json)``:
``"text"`` (printed text, as it comes), ``"html"`` (a result's
``_repr_html_``: the explorer, a graph, a table), ``"plot"`` (f and its
derivative) and ``"training"`` (the loss so far and the decision boundary,
redrawn while ``fit(..., live=True)`` runs). The page draws them; this module
needs no browser, so the tests run it in CPython too.
"""

from __future__ import annotations

import ast
import builtins
import json
import linecache
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from contextvars import ContextVar
from typing import Any

from opgrad.core import Value
from opgrad.nn import MLP, Dataset, StepResult
from opgrad.viz.boundary import decision_grid
from opgrad.viz.live import RESOLUTION, live_view, redraw_at
from opgrad.viz.plots import sample_to_plot

Show = Callable[[str, str], None]  # (kind, JSON text) to the page
SOURCE = "<playground>"  # the file name tracebacks give the student's code
_page: ContextVar[Show | None] = ContextVar("opgrad_playground_page", default=None)


class Session:
    """One page's interpreter: a namespace kept from run to run, as in a notebook."""

    def __init__(self, show: Show) -> None:
        self.show = show
        self.namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}

    def run(self, source: str) -> tuple[str, str | None]:
        """Run ``source``; return what it printed and the traceback if it raised (else None)."""
        printed = _Printed(self.show)
        linecache.cache[SOURCE] = (len(source), None, source.splitlines(True), SOURCE)
        with redirect_stdout(printed), redirect_stderr(printed), self._on_page():
            try:
                exec(_interactive(source), self.namespace)  # the student's own code, by design
            except BaseException as exc:  # even SystemExit: shown to the student, like a prompt
                return printed.text, _traceback(exc)
        return printed.text, None

    @contextmanager
    def _on_page(self) -> Iterator[None]:
        token = _page.set(self.show)
        hook, sys.displayhook = sys.displayhook, self._display
        try:
            with live_view(self._training_view):
                yield
        finally:
            sys.displayhook = hook
            _page.reset(token)

    def _display(self, value: object) -> None:
        """What a prompt shows for an expression: its repr, and here its picture too."""
        if value is None:
            return
        builtins._ = value  # type: ignore[attr-defined]  # as the interactive prompt does
        print(repr(value))
        html = getattr(value, "_repr_html_", None)
        if callable(html):
            self.show("html", json.dumps(html()))

    def _training_view(self, model: MLP, data: Dataset, steps: int) -> Callable[
            [StepResult], None]:
        return TrainingView(self.show, model, data, steps).update


def _interactive(source: str) -> Any:
    """``source`` compiled as an interactive prompt compiles it: expression values displayed."""
    tree = ast.parse(source, SOURCE)
    return compile(ast.Interactive(body=tree.body), SOURCE, "single")


def _traceback(exc: BaseException) -> str:
    """The traceback from the student's code on: the runner's own frames are left out."""
    frames = traceback.extract_tb(exc.__traceback__)
    first = next((i for i, frame in enumerate(frames) if frame.filename == SOURCE), len(frames))
    lines = traceback.format_list(frames[first:]) if first < len(frames) else []
    head = ["Traceback (most recent call last):\n"] if lines else []
    return "".join(head + lines + traceback.format_exception_only(type(exc), exc))


class _Printed:
    """stdout and stderr while a run lasts: kept for the result, and sent to the page as
    it comes (a long run shows its progress)."""

    def __init__(self, show: Show) -> None:
        self.show = show
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        self.show("text", json.dumps(text))
        return len(text)

    def flush(self) -> None:
        """Nothing is buffered."""

    @property
    def text(self) -> str:
        return "".join(self.parts)


class TrainingView:
    """``fit(..., live=True)`` in the playground: the loss so far and the class regions,
    sent to the page REDRAWS times over the run."""

    def __init__(self, show: Show, model: MLP, data: Dataset, steps: int) -> None:
        self.show, self.model, self.data, self.steps = show, model, data, steps
        self.losses: list[float] = []

    def update(self, result: StepResult) -> None:
        self.losses.append(result.loss)
        if not redraw_at(result.step, self.steps):
            return
        grid = decision_grid(self.model, self.data, RESOLUTION)
        self.show("training", json.dumps({
            "step": result.step, "steps": self.steps, "loss": result.loss,
            "accuracy": result.accuracy, "losses": self.losses,
            "grid": {"xs": grid.xs, "ys": grid.ys, "regions": grid.regions},
            "points": [list(p) for p in self.data.x], "labels": list(self.data.y),
            "title": f"MLP {'-'.join(map(str, self.model.sizes))} on {self.data.name}"}))


def plot_function(f: Callable[[Value], Value], lo: float, hi: float, path: object = None,
                  title: str = "f(x)") -> None:
    """:func:`opgrad.viz.plot_function` for the playground: f, its derivative by backward
    and finite-difference slopes, drawn on the page (the browser has no matplotlib).

    ``path`` is accepted so the tutorial's call runs as written; nothing is saved, and
    nothing is returned (there is no matplotlib figure to return).
    """
    show = _page.get()
    if show is None:
        raise RuntimeError("opgrad.kit.playground.plot_function draws on the kit's playground "
                           "page; elsewhere use opgrad.viz.plot_function")
    xs, ys, slopes, numeric = sample_to_plot(f, lo, hi, title)  # bad ranges: refused, why
    show("plot", json.dumps({"title": title, "xs": xs, "ys": ys, "slopes": slopes,
                             "numeric": numeric}))
