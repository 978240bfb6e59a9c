"""An op as code to paste: its forward and its partials, from its own functions.

A forward or rule that is one expression (a lambda, or a ``def`` with a
single ``return``) is inlined: its parameters become the node's inputs, the
names it reads are looked up once (in the function's globals, then the
builtins) and bound as constants, and a call to another op's function
(``opgrad.ops.exp(x)``) inlines that op's forward. Only a whitelist of
syntax (numbers, names, attributes of modules, arithmetic, comparisons,
conditional expressions, calls) is rewritten; anything else is called as a
function instead. Nothing but the function's own code reaches the source.

A template is a tuple of parts: text, or an int standing for input ``k``
(``arity`` stands for ``out`` in a partial).
"""

from __future__ import annotations

import ast
import builtins
import keyword
import math
import operator
import re
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from opgrad.compiler.callers import (
    forward_caller,
    mask_caller,
    partial_checker,
    result_checker,
    rule_caller,
)
from opgrad.compiler.source import Expression, expression_of
from opgrad.plugins.binding import op_behind
from opgrad.plugins.declaration import Op
from opgrad.plugins.rules import value_of

Template = tuple["str | int", ...]
FLOAT, INT, OTHER = "float", "int", "other"  # what an expression yields on float inputs
_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
           ast.Mod: "%", ast.Pow: "**"}
_UNARY = {ast.USub: "-", ast.UAdd: "+"}
_COMPARE = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
_OPERATOR_FUNCTIONS: dict[Any, str] = {
    operator.add: "+", operator.sub: "-", operator.mul: "*", operator.truediv: "/",
    operator.floordiv: "//", operator.mod: "%", operator.pow: "**", operator.neg: "-",
    operator.pos: "+"}
_NOT_FLOAT_MATH = frozenset({"floor", "ceil", "trunc", "factorial", "gcd", "lcm", "isqrt",
                             "comb", "perm", "isclose", "isnan", "isinf", "isfinite"})


class NotInlinable(Exception):
    """The expression uses syntax or names the inliner does not rewrite."""


@dataclass(frozen=True)
class OpCode:
    """How one op's nodes are written: forward and partials as templates."""

    op: Op
    forward: Template
    partials: tuple[Template, ...] | None  # None: call ``rule`` for all partials at once
    rule: str  # the constant holding the checked rule caller ("" if inlined)
    needs: frozenset[int] = frozenset()  # inputs (``arity``: out) the partials read
    masks: str = ""  # the constant holding the op's mask condition caller, if it has one

    @staticmethod
    def of(op: Op, forward: Template, partials: tuple[Template, ...] | None,
           rule: str = "", masks: str = "") -> OpCode:
        reads_all = partials is None or bool(masks)
        needs = frozenset(range(op.arity + 1)) if reads_all else frozenset(
            p for t in partials or () for p in t if isinstance(p, int))
        return OpCode(op, forward, partials, rule, needs, masks)


class Constants:
    """Objects the generated code refers to, each bound once under a generated name."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {}
        self._names: dict[int, str] = {}
        self._codes: dict[int, OpCode] = {}

    def name(self, obj: object, hint: str = "") -> str:
        """The name bound to ``obj`` (made on first use): ``hint`` or the object's own
        ``__name__`` when that is a plain identifier not taken yet, else ``c<k>``."""
        found = self._names.get(id(obj))
        if found is None:
            found = _readable(hint or getattr(obj, "__name__", ""))
            if not found or found in self.namespace:
                found = f"c{len(self._names)}"
            self._names[id(obj)] = found
            self.namespace[found] = obj
        return found

    def code(self, op: Op) -> OpCode:
        """The templates of ``op`` (worked out once per op)."""
        found = self._codes.get(id(op))
        if found is None:
            found = self._codes[id(op)] = _op_code(op, self)
        return found


# Every name the generated code binds or calls itself: its locals and parameters (v3, g3,
# d3_0, gs3, kind, row, values, ...), its functions and the builtins it uses. A name bound
# to an object an op reads never matches (it becomes c<k> instead), so no local of the
# step can shadow what a rule calls. tests/compiler/test_security.py checks the list.
GENERATED_NAMES = re.compile(r"[a-z]{1,2}\d+(_\d+)?|up|step|leaves|shared|rows|row|kind|values|"
                             r"saved|outs|start|back|changed|block\d+|zip|reversed|next|map|"
                             r"data_of")


def _readable(name: object) -> str:
    """``name`` if it can serve as a generated name, else ""."""
    ok = (isinstance(name, str) and name.isidentifier() and name.isascii()
          and not keyword.iskeyword(name) and not GENERATED_NAMES.fullmatch(name))
    return name if ok else ""  # type: ignore[return-value]  # a str when ok


def render(template: Template, args: list[str]) -> str:
    """The template with argument ``k`` pasted for each int part."""
    return "".join(p if isinstance(p, str) else args[p] for p in template)


def _op_code(op: Op, constants: Constants) -> OpCode:
    forward = _forward_template(op, constants, set())
    partials = _inline_rule(op, constants)
    masks = "" if isinstance(op.mask_zero_partials, bool) else constants.name(
        mask_caller(op), f"{op.name}_masks")
    if partials is not None:
        return OpCode.of(op, forward, partials, masks=masks)
    return OpCode.of(op, forward, None, constants.name(rule_caller(op), f"{op.name}_rule"),
                     masks)


def _forward_template(op: Op, constants: Constants, inlining: set[Op]) -> Template:
    """The forward of ``op`` as a template; a checked call if it cannot be inlined."""
    params = tuple(f"x{k}" for k in range(op.arity))
    expression = operator_expression(op.forward, params) or expression_of(op.forward)
    if expression is not None and len(expression.parameters) == op.arity and op not in inlining:
        try:
            writer = ExpressionWriter(op.forward, expression.parameters, constants, inlining | {op})
            parts, kind = writer.convert(expression.body)
        except NotInlinable:
            pass
        else:
            checker = constants.name(result_checker(op), f"{op.name}_result")
            return parts if kind == FLOAT else call_template(checker, [parts])
    if isinstance(op.forward, types.BuiltinFunctionType):  # math.tanh: call it directly
        parts = call_template(constants.name(op.forward), [(k,) for k in range(op.arity)])
        if _float_valued(op.forward):
            return parts
        return call_template(constants.name(result_checker(op), f"{op.name}_result"), [parts])
    caller = constants.name(forward_caller(op), f"{op.name}_forward")
    return call_template(caller, [(k,) for k in range(op.arity)])


def _inline_rule(op: Op, constants: Constants) -> tuple[Template, ...] | None:
    expression = expression_of(op.local_grads)
    if expression is None or len(expression.parameters) != op.arity + 1:
        return None
    body = expression.body
    if not isinstance(body, (ast.Tuple, ast.List)) or len(body.elts) != op.arity:
        return None
    writer = ExpressionWriter(op.local_grads, expression.parameters, constants, set())
    try:
        converted = [writer.convert(element) for element in body.elts]
    except NotInlinable:
        return None
    checker = constants.name(partial_checker(op), f"{op.name}_partial")
    return tuple(parts if kind != OTHER else call_template(checker, [parts])
                 for parts, kind in converted)


def operator_expression(function: object, params: tuple[str, ...]) -> Expression | None:
    """``operator.add`` and friends as the expression they compute."""
    symbol = _OPERATOR_FUNCTIONS.get(function) if isinstance(
        function, types.BuiltinFunctionType) else None
    if symbol is None:
        return None
    text = f"{symbol}{params[0]}" if len(params) == 1 else f"{params[0]} {symbol} {params[1]}"
    return Expression(params, ast.parse(text, mode="eval").body)


def call_template(function: str, args: Iterable[Template]) -> Template:
    parts: list[str | int] = [function, "("]
    for k, arg in enumerate(args):
        parts.extend([", "] * bool(k) + list(arg))
    return (*parts, ")")


class ExpressionWriter:
    """Rewrites one function's expression into a template (raises NotInlinable)."""

    def __init__(self, function: Callable[..., Any], parameters: tuple[str, ...],
                 constants: Constants, inlining: set[Op]) -> None:
        self.positions = {name: k for k, name in enumerate(parameters)}
        self.scope: dict[str, Any] = getattr(function, "__globals__", {})
        self.constants = constants
        self.inlining = inlining

    def convert(self, node: ast.expr) -> tuple[Template, str]:
        """The template of ``node`` and what kind of number it yields."""
        handler = getattr(self, f"_{type(node).__name__.lower()}", None)
        if handler is None:
            raise NotInlinable(type(node).__name__)
        return handler(node)  # type: ignore[no-any-return]  # each handler returns that pair

    def _atom(self, node: ast.expr) -> tuple[Template, str]:
        parts, kind = self.convert(node)
        simple = isinstance(node, (ast.Name, ast.Constant, ast.Attribute, ast.Call))
        return (parts if simple else ("(", *parts, ")")), kind

    def _constant(self, node: ast.Constant) -> tuple[Template, str]:
        value = node.value
        if type(value) not in (int, float, bool):
            raise NotInlinable("a constant that is not a number")
        if type(value) is float and not math.isfinite(value):
            return (self.constants.name(value),), FLOAT
        return (repr(value),), (FLOAT if type(value) is float else INT)

    def _name(self, node: ast.Name) -> tuple[Template, str]:
        if node.id in self.positions:
            return (self.positions[node.id],), FLOAT
        return self._bound(self._lookup(node.id))

    def _attribute(self, node: ast.Attribute) -> tuple[Template, str]:
        return self._bound(self._resolve(node))

    def _bound(self, obj: object) -> tuple[Template, str]:
        kind = FLOAT if type(obj) is float else INT if type(obj) is int else OTHER
        return (self.constants.name(obj),), kind

    def _lookup(self, name: str) -> object:
        if name in self.scope:
            return self.scope[name]
        if hasattr(builtins, name):
            return getattr(builtins, name)
        raise NotInlinable(f"unknown name {name}")

    def _resolve(self, node: ast.expr) -> object:
        """A name or a chain of attributes of modules, looked up now."""
        if isinstance(node, ast.Name) and node.id not in self.positions:
            return self._lookup(node.id)
        if isinstance(node, ast.Attribute):
            base = self._resolve(node.value)
            if isinstance(base, types.ModuleType) and hasattr(base, node.attr):
                return getattr(base, node.attr)
        raise NotInlinable("an attribute of something other than a module")

    def _binop(self, node: ast.BinOp) -> tuple[Template, str]:
        symbol = _BINARY.get(type(node.op))
        if symbol is None:
            raise NotInlinable("operator")
        (left, lkind), (right, rkind) = self._atom(node.left), self._atom(node.right)
        numeric = {lkind, rkind} <= {FLOAT, INT}
        if symbol == "**":
            exact = isinstance(node.right, ast.Constant) and type(node.right.value) is int
            kind = FLOAT if lkind == FLOAT and exact else OTHER
        elif numeric and FLOAT in (lkind, rkind):
            kind = FLOAT
        else:
            kind = INT if numeric and symbol != "/" else FLOAT if numeric else OTHER
        return (*left, f" {symbol} ", *right), kind

    def _unaryop(self, node: ast.UnaryOp) -> tuple[Template, str]:
        symbol = _UNARY.get(type(node.op))
        if symbol is None:
            raise NotInlinable("unary operator")
        operand, kind = self._atom(node.operand)
        return (symbol, *operand), kind

    def _ifexp(self, node: ast.IfExp) -> tuple[Template, str]:
        (test, _), (body, bkind), (orelse, okind) = (
            self._atom(node.test), self._atom(node.body), self._atom(node.orelse))
        kind = bkind if bkind == okind else OTHER
        return (*body, " if ", *test, " else ", *orelse), kind

    def _compare(self, node: ast.Compare) -> tuple[Template, str]:
        parts = list(self._atom(node.left)[0])
        for op, right in zip(node.ops, node.comparators, strict=True):
            symbol = _COMPARE.get(type(op))
            if symbol is None:
                raise NotInlinable("comparison")
            parts += [f" {symbol} ", *self._atom(right)[0]]
        # A bool, which arithmetic treats as the int 0 or 1: (out <= 0.0) * 1.0 is a float.
        return tuple(parts), INT

    def _call(self, node: ast.Call) -> tuple[Template, str]:
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise NotInlinable("keyword or starred arguments")
        function = self._resolve(node.func)
        args = [self.convert(a) for a in node.args]
        if function is value_of and len(args) == 1:
            return args[0]  # value_of(x) is x for a number
        op = op_behind(function)
        if op is not None and len(args) == op.arity:
            inner = _forward_template(op, self.constants, self.inlining)
            return ("(", *splice(inner, [a for a, _ in args]), ")"), FLOAT
        kind = FLOAT if _float_valued(function) else OTHER
        return call_template(self.constants.name(function), [a for a, _ in args]), kind


def splice(template: Template, args: list[Template]) -> Template:
    """``template`` with argument ``k`` replaced by the template ``args[k]`` (bracketed)."""
    parts: list[str | int] = []
    for part in template:
        if isinstance(part, str):
            parts.append(part)
        else:
            arg = args[part]
            parts.extend(arg if len(arg) == 1 else ("(", *arg, ")"))
    return tuple(parts)


def _float_valued(function: object) -> bool:
    """True for the functions of ``math`` that always return a float."""
    return (getattr(function, "__module__", None) == "math"
            and getattr(function, "__name__", "") not in _NOT_FLOAT_MATH)
