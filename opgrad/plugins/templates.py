"""Inline templates: an op's forward and partials as Python expression text.

``opgrad.compile`` pastes them into generated code instead of calling the
op's functions. ``{0}``, ``{1}``, ... stand for the inputs and ``{out}`` for
the forward result; ``math`` may be used. A template must compute exactly
what the op's ``forward`` / ``local_grads`` compute, float for float.
"""

from __future__ import annotations

import ast
import string
from collections.abc import Callable

ALLOWED_NAMES = frozenset({"math"})


def placeholders(template: str) -> set[str]:
    """The fields a template uses: "0", "1", ..., "out"."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def fill(template: str, inputs: list[str], out: str = "out") -> str:
    """The template with each input (and the result) filled in, parenthesised if compound."""
    return template.format(*map(_atom, inputs), out=_atom(out))


def _atom(text: str) -> str:
    return text if text.isidentifier() else f"({text})"


def check_templates(
    template: object, grad_templates: object, arity: int, fail: Callable[[str], Exception]
) -> tuple[str | None, tuple[str, ...] | None]:
    """Validate an op's optional templates; return them normalised."""
    if template is not None:
        _check_one(template, arity, allow_out=False, what="template", fail=fail)
    if grad_templates is None:
        return template, None  # type: ignore[return-value]  # checked above
    if not isinstance(grad_templates, (tuple, list)) or len(grad_templates) != arity:
        raise fail(f"grad_templates must be {arity} expression(s), one per input")
    for text in grad_templates:
        _check_one(text, arity, allow_out=True, what="grad template", fail=fail)
    return template, tuple(grad_templates)  # type: ignore[return-value]  # checked above


def _check_one(text: object, arity: int, allow_out: bool, what: str,
               fail: Callable[[str], Exception]) -> None:
    if not isinstance(text, str):
        raise fail(f"{what} must be a str, got {type(text).__name__}")
    allowed = {str(i) for i in range(arity)} | ({"out"} if allow_out else set())
    try:
        unknown = placeholders(text) - allowed
        expression = ast.parse(fill(text, [f"x{i}" for i in range(arity)], "out"), mode="eval")
    except (ValueError, SyntaxError, IndexError, KeyError) as exc:
        raise fail(f"{what} {text!r} is not a valid expression: {exc}") from None
    if unknown:
        raise fail(f"{what} {text!r} uses unknown field(s) {sorted(unknown)}; "
                   f"allowed: {sorted(allowed)}")
    names = {n.id for n in ast.walk(expression) if isinstance(n, ast.Name)}
    stray = names - ALLOWED_NAMES - {f"x{i}" for i in range(arity)} - {"out"}
    if stray:
        raise fail(f"{what} {text!r} uses name(s) {sorted(stray)}; only the fields and "
                   f"{', '.join(sorted(ALLOWED_NAMES))} are available")
