"""matplotlib figures of opgrad's own, made without pyplot.

pyplot holds global state: a backend, and a list of open figures. Drawing
through it would change the user's (``matplotlib.use("Agg")`` turns a
notebook's inline plots off for the rest of the session). A
:class:`matplotlib.figure.Figure` made directly touches none of it, renders
to a file by itself, and a notebook shows it as a PNG (``_repr_png_``).
"""

from __future__ import annotations

import functools
import io
import os
import warnings
from typing import Any

from opgrad._optional import require
from opgrad.files import writable_target, write_file


def new_figure(purpose: str, width: float, height: float) -> Any:
    """An empty figure of ``width`` x ``height`` inches, or an error naming the viz extra."""
    return _figure_class(purpose)(figsize=(width, height))


def require_matplotlib(purpose: str) -> None:
    """Fail now, with the install command, if matplotlib is missing (before long work)."""
    _figure_class(purpose)


def save_figure(figure: Any, path: str | os.PathLike[str]) -> None:
    """Save ``figure`` in the format its suffix names (.png appended if it has none).

    The figure is rendered in memory, then written by :func:`opgrad.files.write_file`
    (atomic, only over a regular file), like every file opgrad writes.
    """
    name = os.fspath(path)
    if not os.path.splitext(name)[1]:  # as matplotlib itself does
        name += ".png"
    writable_target(name)  # refuse a FIFO or a folder before the work of rendering
    rendered = io.BytesIO()
    with warnings.catch_warnings():  # numpy overflows placing ticks for values near 1e308
        warnings.simplefilter("ignore", RuntimeWarning)
        figure.savefig(rendered, format=os.path.splitext(name)[1][1:].lower(), dpi=100,
                       bbox_inches="tight")
    write_file(name, rendered.getvalue())


def png_bytes(figure: Any, dpi: int = 100) -> bytes:
    """The figure rendered as PNG."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


def _figure_class(purpose: str) -> Any:
    require("matplotlib", "viz", purpose)  # names the extra when matplotlib is missing
    return _shown_figure_class()


@functools.cache
def _shown_figure_class() -> Any:
    from matplotlib import figure  # only once matplotlib is known to be installed

    class Figure(figure.Figure):  # named as matplotlib's, so its repr reads the same
        """A matplotlib Figure that a notebook displays as a PNG, with no pyplot involved."""

        def _repr_png_(self) -> bytes:
            return png_bytes(self)

    return Figure
