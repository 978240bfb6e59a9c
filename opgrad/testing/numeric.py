"""Finite differences in float64: slopes, gradients and sensitivity tables."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from opgrad.html_table import html_table


def numerical_derivative(f: Callable[[float], float], x: float, h: float = 1e-6) -> float:
    """The central difference (f(x + h) - f(x - h)) / 2h: the slope of f at x.

    >>> round(numerical_derivative(lambda x: 3 * x**2 - 4 * x + 5, 3.0), 6)
    14.0
    """
    if not h > 0.0:
        raise ValueError(f"numerical_derivative: the step h must be positive, got {h!r}")
    return (f(x + h) - f(x - h)) / (2.0 * h)


def numerical_gradient(
    f: Callable[..., float], inputs: Sequence[float], h: float = 1e-6
) -> list[float]:
    """The central-difference partial derivative of ``f(*inputs)`` for each input."""
    point = [float(x) for x in inputs]

    def along(i: int) -> Callable[[float], float]:
        return lambda t: f(*point[:i], t, *point[i + 1 :])

    return [numerical_derivative(along(i), point[i], h) for i in range(len(point))]


@dataclass(frozen=True)
class Bump:
    """How the output moved when one input was bumped by ``h``."""

    name: str
    value: float
    bumped_output: float
    change: float
    slope: float


@dataclass(frozen=True)
class Sensitivity:
    """The output at the inputs, and one :class:`Bump` per input."""

    output: float
    h: float
    bumps: tuple[Bump, ...]

    def __str__(self) -> str:
        lines = [f"output {self.output:.6g}; each input bumped by h = {self.h:g}",
                 f"{'input':<8} {'value':>10} {'bumped output':>14} {'change':>12} {'slope':>10}"]
        lines += [f"{b.name:<8} {b.value:>10.6g} {b.bumped_output:>14.8g} {b.change:>12.4g} "
                  f"{b.slope:>10.6g}" for b in self.bumps]
        return "\n".join(lines)

    def _repr_html_(self) -> str:  # a notebook shows the bumps as a table
        return sensitivity_table(self)

    def slopes(self) -> dict[str, float]:
        """The slope for each input, by name."""
        return {b.name: b.slope for b in self.bumps}


def sensitivity(
    f: Callable[..., float], inputs: Mapping[str, float] | Sequence[float], h: float = 1e-4
) -> Sensitivity:
    """Bump each input of ``f`` by ``h`` in turn and report how the output moves.

    ``inputs`` is a mapping of argument names to values (passed by keyword)
    or a sequence (passed by position, named x0, x1, ...).
    """
    if not h > 0.0:
        raise ValueError(f"sensitivity: the step h must be positive, got {h!r}")
    named = dict(inputs) if isinstance(inputs, Mapping) else {
        f"x{i}": v for i, v in enumerate(inputs)}
    keyword = isinstance(inputs, Mapping)

    def call(values: dict[str, float]) -> float:
        return float(f(**values) if keyword else f(*values.values()))

    base = call(named)
    bumps = []
    for name, value in named.items():
        bumped = call({**named, name: value + h})
        bumps.append(Bump(name, value, bumped, bumped - base, (bumped - base) / h))
    return Sensitivity(base, h, tuple(bumps))


def sensitivity_table(table: Sensitivity) -> str:
    """One row per bumped input: value, bumped output, change, slope."""
    rows = [(b.name, b.value, b.bumped_output, b.change, b.slope) for b in table.bumps]
    return html_table(f"output {table.output:.6g}; each input bumped by h = {table.h:g}",
                      ["input", "value", "bumped output", "change", "slope"], rows)
