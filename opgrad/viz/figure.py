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
from typing import Any

from opgrad._optional import require


def new_figure(purpose: str, width: float, height: float) -> Any:
    """An empty figure of ``width`` x ``height`` inches, or an error naming the viz extra."""
    return _figure_class(purpose)(figsize=(width, height))


def require_matplotlib(purpose: str) -> None:
    """Fail now, with the install command, if matplotlib is missing (before long work)."""
    _figure_class(purpose)


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
