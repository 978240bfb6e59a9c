"""Finding the one expression a function computes, from its own source.

``opgrad.compile`` inlines an op's ``forward`` and ``local_grads`` when each
is a lambda or a ``def`` whose body is a single ``return``. The expression is
read from the file that defined the function (or the notebook cell, which
IPython keeps in ``linecache``), and is used only if compiling it gives the
function's own bytecode: what is inlined is exactly what the function runs.
"""

from __future__ import annotations

import ast
import functools
import linecache
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Expression:
    """A function's parameters and the expression it returns (an AST)."""

    parameters: tuple[str, ...]
    body: ast.expr


def expression_of(function: Callable[..., Any]) -> Expression | None:
    """The expression ``function`` returns, or None if it is not a one-expression function."""
    code = getattr(function, "__code__", None)
    if not isinstance(code, types.CodeType) or not _plain(function, code):
        return None
    return _expression_of_code(code)


@functools.lru_cache(maxsize=4096)
def _expression_of_code(code: types.CodeType) -> Expression | None:
    # Sound to cache by code object: a result is only ever one verified to
    # compile to this very bytecode, whatever the file holds later.
    tree = _module_tree(code.co_filename)
    if tree is None:
        return None
    for node in ast.walk(tree):
        if _starts_at(node, code.co_firstlineno) and _same_code(node, code, _imports(tree)):
            return _expression(node)  # type: ignore[arg-type]  # a Lambda or FunctionDef
    return None


def _plain(function: Callable[..., Any], code: types.CodeType) -> bool:
    """No defaults, closures, *args or keyword-only parameters: inputs are all it reads."""
    return (not getattr(function, "__defaults__", None) and not getattr(
        function, "__kwdefaults__", None) and not code.co_freevars
        and code.co_kwonlyargcount == 0 and not code.co_flags & 0x0C)  # VARARGS, VARKEYWORDS


def _module_tree(filename: str) -> ast.Module | None:
    lines = linecache.getlines(filename)
    if not lines:
        return None
    try:
        return ast.parse("".join(lines))
    except (SyntaxError, ValueError):
        return None


def _starts_at(node: ast.AST, line: int) -> bool:
    if isinstance(node, ast.Lambda):
        return node.lineno == line
    if isinstance(node, ast.FunctionDef):
        return min([node.lineno, *(d.lineno for d in node.decorator_list)]) == line
    return False


def _expression(node: ast.Lambda | ast.FunctionDef) -> Expression | None:
    parameters = tuple(a.arg for a in node.args.args)
    if isinstance(node, ast.Lambda):
        return Expression(parameters, node.body)
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    if len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value is not None:
        return Expression(parameters, body[0].value)
    return None


def _imports(tree: ast.Module) -> list[ast.stmt]:
    """The module's top-level imports: compiled beside a function, they make ``math.exp(x)``
    the same bytecode as in the module (Python 3.11 calls a function of an imported module
    with LOAD_ATTR, of any other object with LOAD_METHOD)."""
    return [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]


def _same_code(node: ast.AST, code: types.CodeType, imports: list[ast.stmt]) -> bool:
    """True if compiling ``node`` alone (beside the module's imports) gives exactly
    ``code``'s bytecode."""
    if isinstance(node, ast.FunctionDef):
        node = ast.FunctionDef(name=node.name, args=node.args, body=node.body,
                               decorator_list=[], returns=node.returns, type_comment=None)
    elif isinstance(node, ast.Lambda):
        node = ast.Expr(value=node)
    else:
        return False
    tree = ast.Module(body=[*imports, node], type_ignores=[])
    try:
        compiled = compile(ast.fix_missing_locations(tree), code.co_filename, "exec")
    except (SyntaxError, ValueError):
        return False
    inner = [c for c in compiled.co_consts if isinstance(c, types.CodeType)]
    return len(inner) == 1 and _key(inner[0]) == _key(code)


def _key(code: types.CodeType) -> tuple[Any, ...]:
    consts = tuple(_key(c) if isinstance(c, types.CodeType) else (type(c), c)
                   for c in code.co_consts)
    return (code.co_code, consts, code.co_names, code.co_varnames, code.co_argcount)
