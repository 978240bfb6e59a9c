"""gradcheck: reverse mode, forward mode and second derivatives vs finite differences."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from opgrad.core import BackwardError, Value, no_grad, topological_order
from opgrad.core.graph import checked_count
from opgrad.derivatives import grad, jvp
from opgrad.plugins.declaration import Op, op_of
from opgrad.plugins.rules import value_of
from opgrad.testing.numeric import numerical_gradient


class GradcheckError(AssertionError):
    """Analytic and numeric derivatives disagree; the message is a per-input table."""


@dataclass(frozen=True)
class Row:
    """One compared derivative: which mode, which input(s), and both numbers."""

    mode: str  # "reverse", "forward" or "second"
    input: str
    analytic: float
    numeric: float

    @property
    def difference(self) -> float:
        return abs(self.analytic - self.numeric)

    def ok(self, atol: float, rtol: float) -> bool:
        if math.isnan(self.analytic) or math.isnan(self.numeric):
            return math.isnan(self.analytic) and math.isnan(self.numeric)
        if math.isinf(self.analytic) or math.isinf(self.numeric):
            return self.analytic == self.numeric
        return self.difference <= atol + rtol * abs(self.numeric)


def gradcheck(
    f: Callable[..., Value],
    inputs: Sequence[float | Value],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    second_order: bool = True,
) -> bool:
    """Check ``f``'s derivatives at ``inputs`` against central finite differences.

    Compares reverse-mode gradients, forward-mode derivatives and (when every
    rule in the graph runs on Values) second derivatives. Returns True, or
    raises :class:`GradcheckError` with a per-input table and the suspect op.
    """
    rows = compare_derivatives(f, inputs, eps=eps, second_order=second_order)
    failed = [row for row in rows if not row.ok(atol, rtol)]
    if failed:
        point = [value_of(x) for x in inputs]
        raise GradcheckError(failure_report(f, point, rows, atol, rtol, eps))
    return True


def compare_derivatives(
    f: Callable[..., Value], inputs: Sequence[float | Value], *, eps: float = 1e-6,
    second_order: bool = True,
) -> list[Row]:
    """Every analytic derivative of ``f`` at ``inputs`` beside its finite difference."""
    point = _point(inputs)
    names = [f"x{i}" for i in range(len(point))]
    numeric = numerical_gradient(lambda *v: evaluate(f, v), point, eps)
    analytic = gradient(f, point)
    rows = [Row("reverse", n, a, d) for n, a, d in zip(names, analytic, numeric, strict=True)]
    for i, name in enumerate(names):
        direction = [1.0 if j == i else 0.0 for j in range(len(point))]
        rows.append(Row("forward", name, jvp(f, point, direction)[1], numeric[i]))
    if second_order:
        rows += _second_order_rows(f, point, names, eps)
    return rows


def evaluate(f: Callable[..., Value], point: Sequence[float]) -> float:
    """``f`` at ``point`` as a plain number (no graph is recorded)."""
    with no_grad():
        out = f(*[Value(v) for v in point])
    return _checked_output(out).data


def gradient(f: Callable[..., Value], point: Sequence[float]) -> list[float]:
    """Reverse-mode gradient of ``f`` at ``point``."""
    xs = [Value(v) for v in point]
    return [value_of(g) for g in grad(_checked_output(f(*xs)), xs)]


def hessian(f: Callable[..., Value], point: Sequence[float]) -> list[list[float]]:
    """Second derivatives of ``f`` at ``point``, by differentiating the gradient's graph."""
    xs = [Value(v) for v in point]
    first = grad(_checked_output(f(*xs)), xs, create_graph=True)
    return [
        [value_of(h) for h in grad(g, xs)] if isinstance(g, Value) else [0.0] * len(xs)
        for g in first
    ]


def _second_order_rows(
    f: Callable[..., Value], point: list[float], names: list[str], eps: float
) -> list[Row]:
    try:
        analytic = hessian(f, point)
    except BackwardError:  # a rule that runs on floats only: no second derivatives
        return []
    rows = []
    for j, name_j in enumerate(names):  # column j: finite differences of the gradient
        def along(t: float, j: int = j) -> list[float]:
            return gradient(f, [*point[:j], t, *point[j + 1:]])

        plus, minus = along(point[j] + eps), along(point[j] - eps)
        for i, name_i in enumerate(names):
            numeric = (plus[i] - minus[i]) / (2.0 * eps)
            rows.append(Row("second", f"{name_i},{name_j}", analytic[i][j], numeric))
    return rows


def failure_report(
    f: Callable[..., Value], point: list[float], rows: list[Row], atol: float, rtol: float,
    eps: float,
) -> str:
    """The table of every compared derivative, with the failing ones marked."""
    shown = ", ".join(f"{v:.6g}" for v in point)
    lines = [f"gradcheck failed at ({shown}) (atol={atol:g}, rtol={rtol:g}, eps={eps:g})",
             f"{'mode':<8} {'input':<7} {'analytic':>14} {'numeric':>14} {'difference':>11}"]
    for row in rows:
        mark = "" if row.ok(atol, rtol) else "  <-- FAIL"
        lines.append(f"{row.mode:<8} {row.input:<7} {row.analytic:>14.8g} {row.numeric:>14.8g} "
                     f"{row.difference:>11.3g}{mark}")
    lines += suspect_ops(f, point, atol, rtol, eps) or ["no single op's rule disagrees with its "
                                                        "forward at this point"]
    return "\n".join(lines)


def suspect_ops(
    f: Callable[..., Value], point: list[float], atol: float, rtol: float, eps: float
) -> list[str]:
    """Ops in ``f``'s graph whose rule disagrees with finite differences of their forward."""
    suspects: dict[Op, str] = {}
    for node in topological_order(_checked_output(f(*[Value(v) for v in point]))):
        op = op_of(node)
        if op is None or op in suspects:
            continue
        inputs = [p.data for p in node.parents]
        if any(abs(x - kink) < 10 * eps for x in inputs for kink in op.kinks):
            continue
        problem = _rule_disagreement(op, inputs, node.data, atol, rtol, eps)
        if problem:
            suspects[op] = f"suspect op {op.name!r} (plugin {op.plugin!r}): {problem}"
    return list(suspects.values())


def _rule_disagreement(
    op: Op, inputs: list[float], out: float, atol: float, rtol: float, eps: float
) -> str:
    """What is wrong with ``op``'s rule at ``inputs`` (vs its forward), or ""."""
    at = ", ".join(f"{x:.6g}" for x in inputs)
    try:
        rule = [float(p) for p in checked_count(op, op.local_grads(*inputs, out), op.arity)]
    except BackwardError as exc:  # the message every path gives for a wrong count
        return f"at ({at}): {exc}"
    except Exception as exc:  # a rule author's bug, reported rather than raised
        return f"at ({at}) its local_grads raise {exc!r}"
    try:  # the forward may leave its real domain within eps (a negative base, say)
        numeric = [float(n) for n in numerical_gradient(op.forward, inputs, eps)]
    except (TypeError, ValueError, ArithmeticError):
        return ""
    for i, (a, n) in enumerate(zip(rule, numeric, strict=True)):
        if not Row("rule", f"x{i}", a, n).ok(atol, rtol):
            return (f"at ({at}) its local_grads give {a:.8g} for x{i}, finite differences "
                    f"of its forward give {n:.8g}")
    return ""


def _point(inputs: Sequence[float | Value]) -> list[float]:
    point = []
    for x in inputs:
        value = value_of(x)
        if not isinstance(value, (int, float)):
            raise TypeError(f"gradcheck: inputs must be numbers or Values, got {type(x).__name__}")
        point.append(float(value))
    return point


def _checked_output(out: object) -> Value:
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}")
    return out
