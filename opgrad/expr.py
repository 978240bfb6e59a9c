"""A safe expression language: Python syntax for numbers, variables and registered ops.

Parsed with ``ast`` into calls of registered ops; nothing is ever executed
with ``eval``. Anything outside the language is an :class:`ExpressionError`.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

from opgrad import ops
from opgrad.assembly import default_registry
from opgrad.core import Value

MAX_LENGTH = 2_000  # characters: expressions are typed by people
MAX_DEPTH = 100  # nesting of the parsed tree

_BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}


class ExpressionError(ValueError):
    """The text is not a valid opgrad expression; the message says what and where."""


def parse(text: str) -> ast.expr:
    """The checked syntax tree of ``text`` (still unevaluated)."""
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        where = f" (column {exc.offset})" if exc.offset else ""
        raise ExpressionError(f"not a valid expression: {exc.msg}{where}") from None
    except (ValueError, RecursionError, MemoryError) as exc:  # e.g. a 5000-digit literal
        raise ExpressionError(f"the expression cannot be read: {exc}") from None
    _check(tree, 0)
    return tree


def variables(tree: ast.expr) -> list[str]:
    """Names used as variables (not as op calls), in order of first appearance."""
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    names = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called]
    return list(dict.fromkeys(names))


def evaluate(text: str, values: Mapping[str, float | Value]) -> Value:
    """Build ``text`` as a graph of registered ops over ``values`` (Values or numbers)."""
    tree = parse(text)
    missing = [name for name in variables(tree) if name not in values]
    if missing:
        raise ExpressionError(f"no value given for {', '.join(missing)} "
                              f"(e.g. --set {missing[0]}=1.5)")
    leaves = {name: v if isinstance(v, Value) else Value(v, label=name)
              for name, v in values.items()}
    try:
        result = _build(tree, leaves)
    except RecursionError:
        raise ExpressionError("the expression is nested too deeply") from None
    except ExpressionError:
        raise
    except (ValueError, ArithmeticError) as exc:  # a domain error of an op, an overflow
        raise ExpressionError(f"cannot evaluate: {exc}") from None
    return result if isinstance(result, Value) else Value(result)


def _check(node: ast.AST, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ExpressionError(f"the expression is nested more than {MAX_DEPTH} levels deep")
    problem = _problem(node)
    if problem:
        raise ExpressionError(f"{problem} (column {getattr(node, 'col_offset', 0) + 1})")
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, (ast.operator, ast.unaryop, ast.expr_context)):
            _check(child, depth + 1)


def _problem(node: ast.AST) -> str:
    """Why ``node`` is outside the language, or ""."""
    if isinstance(node, ast.Constant):
        ok = isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
        return "" if ok else f"only numbers are allowed, not {node.value!r}"
    if isinstance(node, ast.BinOp):
        return "" if type(node.op) in _BINARY else "only + - * / ** are allowed"
    if isinstance(node, ast.UnaryOp):
        return "" if isinstance(node.op, (ast.USub, ast.UAdd)) else "only unary - and + are allowed"
    if isinstance(node, ast.Name):
        return "" if not node.id.startswith("_") else f"names may not start with '_': {node.id}"
    if isinstance(node, ast.Call):
        return _call_problem(node)
    return f"{type(node).__name__.lower()} is not allowed in an expression"


def _call_problem(node: ast.Call) -> str:
    if not isinstance(node.func, ast.Name):
        return "only calls of registered ops by name are allowed, e.g. tanh(x)"
    registry = default_registry()
    name = node.func.id
    if name not in registry:
        return f"{name}() is not a registered op (see `opgrad ops`)"
    if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
        return f"{name}() takes plain positional arguments"
    if len(node.args) != registry[name].arity:
        return f"{name}() takes {registry[name].arity} argument(s), got {len(node.args)}"
    return ""


def _build(node: ast.AST, leaves: Mapping[str, Value]) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return Value(node.value, label=repr(node.value))
    if isinstance(node, ast.Name):
        return leaves[node.id]
    if isinstance(node, ast.UnaryOp):
        operand = _build(node.operand, leaves)
        return ops.neg(operand) if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        name = _BINARY[type(node.op)]
        return getattr(ops, name)(_build(node.left, leaves), _build(node.right, leaves))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return getattr(ops, node.func.id)(*[_build(a, leaves) for a in node.args])
    raise ExpressionError(f"{type(node).__name__} is not allowed")  # _check prevents this
