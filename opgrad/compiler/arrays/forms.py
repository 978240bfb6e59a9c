"""How one op runs on NumPy arrays: its forward and its partials as array code.

The forward is, in order of preference: the op's declared ``numpy=``
equivalent; its own forward, when that is one expression (a lambda, a
``def`` with a single ``return``, an ``operator`` or ``math`` function)
rewritten for arrays (``a if c else b`` becomes ``numpy.where(c, a, b)``,
``math.exp`` becomes ``numpy.exp``, a call to another op pastes that op's
array forward); else the forward called element by element. The partials
come from the rule the same way: one expression rewritten, else the rule
called element by element. Each rewritten form is checked once against the
op on floats at a few points, and falls back to the element-by-element call
if it disagrees, so a rewrite can only make an op faster, never wrong.
"""

from __future__ import annotations

import ast
import builtins
import math
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from opgrad.compiler.arrays.names import Names
from opgrad.compiler.callers import forward_caller, rule_caller
from opgrad.compiler.inline import (
    FLOAT,
    OTHER,
    ExpressionWriter,
    NotInlinable,
    Template,
    call_template,
    operator_expression,
    render,
    splice,
)
from opgrad.compiler.source import expression_of
from opgrad.plugins.binding import op_behind
from opgrad.plugins.declaration import Op
from opgrad.plugins.rules import value_of
from opgrad.testing import sample_points

# math functions and their NumPy namesakes (only those computing the same thing on arrays)
_SAME_NAME = ("exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "sin", "cos", "tan",
              "sinh", "cosh", "tanh", "fabs", "floor", "ceil", "trunc", "copysign", "hypot",
              "fmod", "degrees", "radians", "exp2", "cbrt")
NUMPY_NAMES: dict[object, str] = {
    **{getattr(math, name): name for name in _SAME_NAME if hasattr(math, name)},
    math.asin: "arcsin", math.acos: "arccos", math.atan: "arctan", math.atan2: "arctan2",
    math.asinh: "arcsinh", math.acosh: "arccosh", math.atanh: "arctanh", math.pow: "power",
    builtins.abs: "abs",
}
CHECK_POINTS = 5


@dataclass(frozen=True)
class ArrayForm:
    """One op as array code: templates over its inputs (``arity`` stands for ``out``)."""

    op: Op
    forward: Template
    partials: tuple[Template, ...] | None  # None: ``rule`` gives all partials at once
    rule: str = ""  # the name of the element-by-element rule (when partials is None)


class Forms:
    """The array form of each op, worked out once per op, and the names they use."""

    def __init__(self, names: Names) -> None:
        self.names = names
        self._forms: dict[int, ArrayForm] = {}

    def of(self, op: Op) -> ArrayForm:
        found = self._forms.get(id(op))
        if found is None:
            found = self._forms[id(op)] = ArrayForm(op, self._forward(op), *self._rule(op))
        return found

    def _forward(self, op: Op) -> Template:
        try:
            template = array_forward(op, self.names, set())
        except NotInlinable:
            template = None
        if template is not None and self._agrees(op, template, None):
            return template
        caller = self.names.bind(elementwise(op))
        return call_template(caller, [(k,) for k in range(op.arity)])

    def _rule(self, op: Op) -> tuple[tuple[Template, ...] | None, str]:
        expression = expression_of(op.local_grads)
        body = None if expression is None else expression.body
        if (expression is not None and len(expression.parameters) == op.arity + 1
                and isinstance(body, (ast.Tuple, ast.List)) and len(body.elts) == op.arity):
            writer = ArrayWriter(op.local_grads, expression.parameters, self.names, set())
            try:
                partials = tuple(writer.convert(element)[0] for element in body.elts)
            except NotInlinable:
                pass
            else:
                if all(self._agrees(op, p, k) for k, p in enumerate(partials)):
                    return partials, ""
        return None, self.names.bind(elementwise_rule(op))

    def _agrees(self, op: Op, template: Template, partial: int | None) -> bool:
        """True if ``template`` gives the op's own numbers (forward, or partial k) at a few
        points of its domain, evaluated on arrays."""
        import numpy

        found = [(point, *known) for point in sample_points(op, CHECK_POINTS, seed=11)
                 if (known := _on_floats(op, point, partial)) is not None]
        if not found:
            return False  # nothing to compare with: the element-by-element call is safe
        columns = [numpy.array(column) for column in zip(*(p for p, _, _ in found), strict=True)]
        params = [f"x{k}" for k in range(op.arity + 1)]
        # Our own template, every name in it bound by us.
        function = eval(f"lambda {', '.join(params)}: {render(template, params)}",
                        dict(self.names.namespace))
        try:
            with numpy.errstate(all="ignore"):
                got = numpy.broadcast_to(
                    function(*columns, numpy.array([out for _, out, _ in found])), len(found))
        except Exception:  # any failure on arrays: the element-by-element call does it
            return False
        return all(close(value, want) for value, (_, _, want) in zip(got.tolist(), found,
                                                                     strict=True))


def _on_floats(op: Op, point: list[float], partial: int | None) -> tuple[float, float] | None:
    """The op's forward at ``point``, and its forward or partial k there; None if either
    fails there (an op defined on part of its sampling range)."""
    try:
        out = op.forward(*point)
        value = out if partial is None else op.local_grads(*point, out)[partial]
        return float(out), float(value)
    except (ArithmeticError, ValueError, TypeError, IndexError):
        return None


def close(got: float, want: float) -> bool:
    """Equal within 1e-12 (relative, absolute below 1); two nans are equal."""
    if math.isnan(got) or math.isnan(want):
        return math.isnan(got) and math.isnan(want)
    return got == want or abs(got - want) <= 1e-12 * max(1.0, abs(want))


def array_forward(op: Op, names: Names, inlining: set[Op]) -> Template | None:
    """The op's forward as array code, or None if there is no such form (raises
    NotInlinable for a forward whose expression cannot be rewritten)."""
    args = [(k,) for k in range(op.arity)]
    declared = op.numpy
    if declared is not None:
        function = declared if callable(declared) else _numpy_attribute(str(declared))
        return None if function is None else _as_floats(
            call_template(names.bind(function), args), names)
    if op.forward in NUMPY_NAMES:
        return call_template(f"{names.numpy}.{NUMPY_NAMES[op.forward]}", args)
    params = tuple(f"x{k}" for k in range(op.arity))
    expression = operator_expression(op.forward, params) or expression_of(op.forward)
    if expression is None or len(expression.parameters) != op.arity or op in inlining:
        return None
    writer = ArrayWriter(op.forward, expression.parameters, names, inlining | {op})
    template, kind = writer.convert(expression.body)
    return template if kind == FLOAT else _as_floats(template, names)


def _as_floats(template: Template, names: Names) -> Template:
    """A forward's result as a float array: the dynamic engine makes a float of an int or
    a bool result (int arrays overflow, and bool arrays add as logical or)."""
    return (f"{names.numpy}.asarray(", *template, f", dtype={names.numpy}.float64)")


def _numpy_attribute(dotted: str) -> Callable[..., Any] | None:
    import numpy

    found: Any = numpy
    for part in dotted.split("."):
        found = getattr(found, part, None)
    return found if callable(found) else None


class ArrayWriter(ExpressionWriter):
    """The scalar inliner's rewriting, for arrays: ``if``-expressions become
    ``numpy.where``, ``math`` functions their NumPy namesakes, op calls their
    array forms; any other call is not rewritten."""

    constants: Names

    def _ifexp(self, node: ast.IfExp) -> tuple[Template, str]:
        (test, _), (body, kind), (orelse, other) = (
            self.convert(n) for n in (node.test, node.body, node.orelse))
        return (call_template(f"{self.constants.numpy}.where", [test, body, orelse]),
                kind if kind == other else OTHER)

    def _compare(self, node: ast.Compare) -> tuple[Template, str]:
        if len(node.ops) == 1:
            return super()._compare(node)
        # a < b < c on arrays: (a < b) & (b < c)
        operands = [node.left, *node.comparators]
        pieces = [super(ArrayWriter, self)._compare(ast.Compare(left, [op], [right]))[0]
                  for left, op, right in zip(operands, node.ops, operands[1:], strict=False)]
        parts: list[str | int] = []
        for k, piece in enumerate(pieces):
            parts.extend([" & "] * bool(k) + ["(", *piece, ")"])
        return tuple(parts), FLOAT

    def _call(self, node: ast.Call) -> tuple[Template, str]:
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise NotInlinable("keyword or starred arguments")
        function = self._resolve(node.func)
        args = [self.convert(a)[0] for a in node.args]
        if function is value_of and len(args) == 1:
            return args[0], FLOAT
        op = op_behind(function)
        if op is not None and len(args) == op.arity:
            inner = array_forward(op, self.constants, self.inlining)
            if inner is None:
                raise NotInlinable(f"op {op.name!r} has no array form")
            return ("(", *splice(inner, args), ")"), FLOAT
        name = NUMPY_NAMES.get(function) if isinstance(
            function, types.BuiltinFunctionType) else None
        if name is None:
            raise NotInlinable("a call of a function with no NumPy namesake")
        return call_template(f"{self.constants.numpy}.{name}", args), FLOAT


def elementwise(op: Op) -> Callable[..., Any]:
    """The op's forward called on each element (the forward has no array form)."""
    import numpy

    each = numpy.frompyfunc(forward_caller(op), op.arity, 1)

    def forward(*xs: Any) -> Any:
        return numpy.asarray(each(*xs), dtype=float)

    forward.__name__ = forward.__qualname__ = f"{op.name}_each"
    return forward


def elementwise_rule(op: Op) -> Callable[..., tuple[Any, ...]]:
    """The op's rule called on each element: a tuple of arrays, one per input."""
    import numpy

    caller = rule_caller(op)
    if op.arity == 1:  # frompyfunc with one output wants the partial, not a 1-tuple
        each = numpy.frompyfunc(lambda x, out: caller(x, out)[0], 2, 1)
    else:
        each = numpy.frompyfunc(caller, op.arity + 1, op.arity)

    def partials(*xs: Any) -> tuple[Any, ...]:
        result = each(*xs)
        columns = result if op.arity > 1 else (result,)
        return tuple(numpy.asarray(c, dtype=float) for c in columns)

    partials.__name__ = partials.__qualname__ = f"{op.name}_rule_each"
    return partials


def check_algebra(op: Op) -> None:
    """Refuse an op whose ``algebra=`` declaration does not hold at a few points."""
    if op.algebra is None:
        return
    for x, y in sample_points(op, CHECK_POINTS, seed=5):
        out = op.forward(x, y)
        expected = (x + y, (1.0, 1.0)) if op.algebra == "sum" else (x * y, (y, x))
        partials = tuple(op.local_grads(x, y, out))
        if len(partials) != 2 or not close(out, expected[0]) or not all(
                close(float(a), b) for a, b in zip(partials, expected[1], strict=True)):
            form = "x + y" if op.algebra == "sum" else "x * y"
            raise ValueError(f"op {op.name!r} declares algebra={op.algebra!r} ({form}, with the "
                             f"partials of {form}) but at {(x, y)} gives {out!r} and partials "
                             f"{partials}: fix the declaration or leave algebra out")
