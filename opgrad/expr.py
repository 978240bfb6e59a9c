"""A safe expression language: Python syntax for numbers, variables and registered ops.

Parsed with ``ast`` into calls of registered ops; nothing is ever executed
with ``eval``. Anything outside the language is an :class:`ExpressionError`.

Variable names may not start with ``_``, read as a number (``nan``, ``inf``)
or look like the names ``explain`` gives intermediate results (``n1``, ``n2``).
Depth is nesting (calls, unary signs, right operands), not length: a sum of a
thousand terms is flat, and the graph is built without recursion.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Mapping

from opgrad import ops
from opgrad.assembly import default_registry
from opgrad.core import Value
from opgrad.plugins.constant import Constant
from opgrad.suggest import closest

MAX_LENGTH = 2_000  # characters: expressions are typed by people
MAX_DEPTH = 100  # nesting of calls, unary signs and right operands (see _children)
INTERMEDIATE_NAME = re.compile(r"n\d+")  # how explain names unlabelled results

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
        with warnings.catch_warnings():  # e.g. "0x1for": a warning would leak to stderr
            warnings.simplefilter("error")  # the compiler turns it into a SyntaxError
            tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        where = f" (column {exc.offset})" if exc.offset else ""
        raise ExpressionError(f"not a valid expression: {exc.msg}{where}") from None
    except (ValueError, RecursionError, MemoryError) as exc:  # e.g. a 5000-digit literal
        raise ExpressionError(f"the expression cannot be read: {exc}") from None
    _check(tree)
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
        return _build(tree, leaves)
    except (ValueError, ArithmeticError) as exc:  # a domain error of an op, an overflow
        raise ExpressionError(f"cannot evaluate: {exc}") from None


def _check(tree: ast.expr) -> None:
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExpressionError(f"the expression is nested more than {MAX_DEPTH} levels deep")
        problem = _problem(node)
        if problem:
            raise ExpressionError(f"{problem} (column {getattr(node, 'col_offset', 0) + 1})")
        stack.extend(reversed(_children(node, depth)))  # left to right: the first problem


def _children(node: ast.AST, depth: int) -> list[tuple[ast.AST, int]]:
    """Sub-expressions with their depth: a left operand stays at its parent's depth, so
    ``a + b + c`` (parsed as ``(a + b) + c``) is flat, while ``tanh(tanh(a))`` is not."""
    if isinstance(node, ast.BinOp):
        return [(node.left, depth), (node.right, depth + 1)]
    if isinstance(node, ast.Call):  # the callee is an op name, checked by _call_problem
        return [(argument, depth + 1) for argument in node.args]
    return [(child, depth + 1) for child in ast.iter_child_nodes(node)
            if not isinstance(child, (ast.operator, ast.unaryop, ast.expr_context))]


def _problem(node: ast.AST) -> str:
    """Why ``node`` is outside the language, or ""."""
    if isinstance(node, ast.Constant):
        ok = isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
        return "" if ok else f"only numbers are allowed, not {node.value!r}"
    if isinstance(node, ast.BinOp):
        return _operator_problem(node)
    if isinstance(node, ast.UnaryOp):
        return "" if isinstance(node.op, (ast.USub, ast.UAdd)) else "only unary - and + are allowed"
    if isinstance(node, ast.Name):
        return _name_problem(node.id)
    if isinstance(node, ast.Call):
        return _call_problem(node)
    return f"{type(node).__name__.lower()} is not allowed in an expression"


def _operator_problem(node: ast.BinOp) -> str:
    if type(node.op) in _BINARY:
        return ""
    if isinstance(node.op, ast.BitXor):  # a ^ 2 is a power in maths, an exclusive or in Python
        power = ast.unparse(ast.BinOp(node.left, ast.Pow(), node.right))
        return f"^ is not a power in Python: write {power}"
    return "only + - * / ** are allowed"


def _name_problem(name: str) -> str:
    if name.startswith("_"):
        return f"names may not start with '_': {name}"
    if _reads_as_number(name):
        return f"{name!r} reads as a number, so it cannot name a variable: rename it"
    if INTERMEDIATE_NAME.fullmatch(name):
        return (f"{name!r} cannot name a variable: n1, n2, ... name the intermediate "
                "results (in `opgrad explain`); rename it")
    return ""


def _reads_as_number(name: str) -> bool:
    try:
        float(name)  # nan, inf, Infinity in any case
    except ValueError:
        return False
    return True


def _call_problem(node: ast.Call) -> str:
    if not isinstance(node.func, ast.Name):
        return "only calls of registered ops by name are allowed, e.g. tanh(x)"
    registry = default_registry()
    name = node.func.id
    if name not in registry:
        meant = closest(name, registry)
        hint = f"did you mean {meant}()?" if meant else "`opgrad ops` lists them"
        return f"{name}() is not a registered op; {hint}"
    if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
        return f"{name}() takes plain positional arguments"
    if len(node.args) != registry[name].arity:
        return f"{name}() takes {registry[name].arity} argument(s), got {len(node.args)}"
    return ""


def _build(tree: ast.expr, leaves: Mapping[str, Value]) -> Value:
    """The graph of ``tree``, operands first, with an explicit stack instead of recursion."""
    built: dict[int, Value] = {}
    stack: list[tuple[ast.expr, bool]] = [(tree, False)]
    while stack:
        node, operands_built = stack.pop()
        operands = _operands(node)
        if operands_built:
            built[id(node)] = _apply(node, [built.pop(id(o)) for o in operands], leaves)
        else:
            stack.append((node, True))
            stack.extend((o, False) for o in reversed(operands))  # the left one is built first
    return built[id(tree)]


def _operands(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.Call):
        return list(node.args)
    return []


def _apply(node: ast.expr, operands: list[Value], leaves: Mapping[str, Value]) -> Value:
    result: Value
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        result = Constant(node.value, label=repr(node.value))  # a number: no gradient
    elif isinstance(node, ast.Name):
        result = leaves[node.id]
    elif isinstance(node, ast.UnaryOp):
        result = ops.neg(operands[0]) if isinstance(node.op, ast.USub) else operands[0]
    elif isinstance(node, ast.BinOp):
        result = getattr(ops, _BINARY[type(node.op)])(*operands)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        result = getattr(ops, node.func.id)(*operands)
    else:
        raise ExpressionError(f"{type(node).__name__} is not allowed")  # _check prevents this
    return result
