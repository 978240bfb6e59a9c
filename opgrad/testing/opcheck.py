"""check_op: the op author's one-call check of a registered op."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from opgrad import ops
from opgrad.assembly import default_registry
from opgrad.core import BackwardError, Value
from opgrad.core.graph import checked_count
from opgrad.html_table import html_table
from opgrad.plugins.declaration import Op
from opgrad.testing.gradcheck import compare_derivatives, hessian

SAMPLE_RANGE = (-3.0, 3.0)  # where unbounded domains are sampled
EDGE_MARGIN = 0.05  # distance kept from a domain's finite edges
KINK_MARGIN = 1e-3  # distance kept from declared kinks


def sample_points(op: Op, count: int, seed: int = 0) -> list[list[float]]:
    """``count`` points inside ``op``'s domain (clipped to [-3, 3]), away from its kinks."""
    rng = random.Random(seed)
    lows_highs = [(max(lo, SAMPLE_RANGE[0]) + EDGE_MARGIN, min(hi, SAMPLE_RANGE[1]) - EDGE_MARGIN)
                  for lo, hi in op.domain]
    points: list[list[float]] = []
    while len(points) < count:
        point = [rng.uniform(lo, hi) for lo, hi in lows_highs]
        if all(abs(x - kink) > KINK_MARGIN for x in point for kink in op.kinks):
            points.append(point)
    return points


@dataclass
class OpCheck:
    """The outcome of :func:`check_op`: problems found and the worst disagreement."""

    name: str
    points: int
    worst_error: float = 0.0  # largest |analytic - numeric| over every compared derivative
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # worth knowing, but not failures

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        verdict = "PASS" if self.ok else "FAIL"
        line = (f"{verdict} {self.name}: {self.points} points, worst |analytic - numeric| "
                f"= {self.worst_error:.2g}")
        return "\n".join([line, *(f"  - {p}" for p in self.problems),
                          *(f"  note: {n}" for n in self.notes)])

    def _repr_html_(self) -> str:  # a notebook shows the verdict as a table
        return check_table(self)


def check_op(
    name: str, *, points: int = 8, seed: int = 0, atol: float = 1e-5, rtol: float = 1e-3,
    eps: float = 1e-6,
) -> OpCheck:
    """Check the registered op ``name``: its structure, then gradcheck at sample points.

    Structure: a formula, one partial per input, zero upstream gives zero
    grads, a repeated backward doubles exactly. Then reverse mode, forward
    mode and second derivatives against finite differences at ``points``
    samples from the op's domain, away from its kinks.
    """
    _check_arguments(points, atol, rtol, eps)
    op = default_registry()[name]
    result = OpCheck(name, points)
    samples = sample_points(op, points, seed)
    function: Callable[..., Any] = getattr(ops, name)
    for check in (_partial_count, _zero_upstream, _repeated_backward):
        problem = _guarded(check, op, function, samples[0])
        if problem:
            result.problems.append(problem)
    if result.ok:
        for point in samples:
            _gradcheck_point(result, function, point, atol, rtol, eps)
        if not _rule_runs_on_values(function, samples[0]):
            result.notes.append("no second derivatives: local_grads works on floats only "
                                "(write it with operators and opgrad.ops calls)")
    return result


def _check_arguments(points: int, atol: float, rtol: float, eps: float) -> None:
    """A ValueError naming the first argument of check_op that cannot work."""
    if isinstance(points, bool) or not isinstance(points, int) or points < 1:
        raise ValueError(f"check_op: points must be a whole number >= 1, got {points!r}")
    for name, value, zero_ok in (("atol", atol, True), ("rtol", rtol, True), ("eps", eps, False)):
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not (number and math.isfinite(value) and (value >= 0 if zero_ok else value > 0)):
            bound = ">= 0" if zero_ok else "> 0"
            raise ValueError(f"check_op: {name} must be a finite number {bound}, got {value!r}")


def _rule_runs_on_values(function: Callable[..., Any], point: list[float]) -> bool:
    try:
        hessian(function, point)
    except BackwardError:
        return False
    return True


def assert_op_passes(name: str, **options: Any) -> OpCheck:
    """:func:`check_op`, raising AssertionError with the readable report if it fails."""
    result = check_op(name, **options)
    if not result.ok:
        raise AssertionError(str(result))
    return result


def _guarded(check: Callable[[Op, Callable[..., Any], list[float]], str], op: Op,
             function: Callable[..., Any], point: list[float]) -> str:
    try:
        return check(op, function, point)
    except Exception as exc:  # any failure of the op's code is a finding, not a crash
        return f"{check.__name__.strip('_').replace('_', ' ')}: raised {exc!r}"


def _partial_count(op: Op, function: Callable[..., Any], point: list[float]) -> str:
    try:
        checked_count(op, op.local_grads(*point, op.forward(*point)), op.arity)
    except BackwardError as exc:  # the message every path gives for this mistake
        return str(exc)
    return ""


def _zero_upstream(op: Op, function: Callable[..., Any], point: list[float]) -> str:
    xs = [Value(v) for v in point]
    (function(*xs) * 0.0).backward()
    grads = [x.grad for x in xs]
    return "" if all(g == 0.0 for g in grads) else f"zero upstream gave grads {grads}"


def _repeated_backward(op: Op, function: Callable[..., Any], point: list[float]) -> str:
    xs = [Value(v) for v in point]
    out = function(*xs)
    out.backward()
    once = [x.grad for x in xs]
    out.backward()
    twice = [x.grad for x in xs]
    ok = all(b == 2 * a for a, b in zip(once, twice, strict=True))
    return "" if ok else f"backward twice gave {twice}, expected exactly {[2 * a for a in once]}"


def _gradcheck_point(result: OpCheck, function: Callable[..., Any], point: list[float],
                     atol: float, rtol: float, eps: float) -> None:
    at = ", ".join(f"{v:.6g}" for v in point)
    try:
        rows = compare_derivatives(function, point, eps=eps)
    except Exception as exc:  # the op's code failed at a point inside its domain
        result.problems.append(f"at ({at}): raised {exc!r}")
        return
    for row in rows:
        result.worst_error = max(result.worst_error, row.difference)
        if not row.ok(atol, rtol):
            result.problems.append(
                f"at ({at}): {row.mode} d/d{row.input} analytic {row.analytic:.8g} vs numeric "
                f"{row.numeric:.8g}")


def check_table(result: OpCheck) -> str:
    """check_op's verdict, then its problems and notes, one per row."""
    verdict = "PASS" if result.ok else "FAIL"
    rows: list[tuple[str, str]] = [("verdict", verdict), ("points", str(result.points)),
                                   ("worst |analytic - numeric|", f"{result.worst_error:.2g}")]
    rows += [("problem", p) for p in result.problems]
    rows += [("note", n) for n in result.notes]
    return html_table(f"check_op({result.name!r}): {verdict}", ["", ""], rows)
