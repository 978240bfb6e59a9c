"""One op declaration: the typed keywords an author writes, validated into an :class:`Op`.

:class:`OpOptions` is the single list of declaration keywords: ``opgrad.op``,
``opgrad.register`` and the ``register`` callback of the ``register_ops`` hook
all take exactly these, so a type checker catches a misspelled keyword and
:func:`declare_op` rejects it at run time, suggesting the closest one.
"""

from __future__ import annotations

import difflib
import inspect
import keyword
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Required

from typing_extensions import TypedDict

from opgrad.core import BackwardError, Value
from opgrad.plugins.errors import OpTypeError, RegistrationError

# Operators an op may bind to, by arity; reflected forms (__radd__ ...) follow.
OPERATORS: Mapping[int, frozenset[str]] = {
    1: frozenset({"-", "+", "abs"}),
    2: frozenset({"+", "-", "*", "/", "//", "%", "**"}),
}
Interval = tuple[float, float]
Algebra = Literal["sum", "product"]  # x + y, x * y: what an array backend may reorder
# Value's own attributes, read before any op is bound to it.
CORE_ATTRIBUTES = frozenset(dir(Value))


@dataclass(frozen=True, slots=True)
class Op:
    """One registered op: its forward, its local-gradient rule and how to teach it.

    ``domain`` holds one open interval (lo, hi) per input, used to sample
    points when checking; ``kinks`` are inputs where the op is not smooth.
    ``torch`` and ``jax`` name the array function (or give a callable) that
    computes the same forward on tensors: for comparisons and the bridge;
    ``numpy`` the same on NumPy arrays, for ``opgrad.compile(fn, backend="numpy")``.
    ``algebra`` says the op is ``x + y`` ("sum") or ``x * y`` ("product"): the
    numpy backend may then reorder chains of sums and turn sums of products
    into matrix products.
    ``mask_zero_partials``: where a partial is exactly 0, no gradient flows
    back at all, not even a nan or inf one (PyTorch's convention for relu and
    ``where``); otherwise the chain rule multiplies, and 0 * nan is nan. For
    ops that select: a masked edge has no second derivative. A function of the
    inputs and ``out`` (as ``local_grads`` takes them) returning one condition
    per input masks a zero partial only where its condition holds (pow's
    d/dx x^y at y = 0, as PyTorch masks it).
    """

    name: str
    forward: Callable[..., float]
    local_grads: Callable[..., Any]
    formula: str
    arity: int
    plugin: str
    operator: str | None = None
    domain: tuple[Interval, ...] = ()
    kinks: tuple[float, ...] = ()
    torch: str | Callable[..., Any] | None = None
    jax: str | Callable[..., Any] | None = None
    mask_zero_partials: bool | Callable[..., Any] = False
    numpy: str | Callable[..., Any] | None = None
    algebra: Algebra | None = None
    doc: str = field(default="", compare=False)

    def masks_zero(self, node: Value, k: int) -> bool:
        """Whether a partial of 0 for input ``k`` of ``node`` stops even a nan gradient."""
        masks = self.mask_zero_partials
        if isinstance(masks, bool):
            return masks
        return self.masked_at([p.data for p in node.parents], node.data, k)

    def masked_at(self, inputs: Sequence[float], out: float, k: int) -> bool:
        """The op's mask condition for input ``k`` at these numbers, checked."""
        try:
            return bool(zero_masks(self.mask_zero_partials, inputs, out)[k])
        except Exception as exc:
            raise BackwardError(f"op {self.name!r} at inputs {tuple(inputs)}: "
                                f"mask_zero_partials failed: {exc!r}") from exc


def zero_masks(masks: bool | Callable[..., Any], inputs: Sequence[Any],
               out: Any) -> tuple[Any, ...]:
    """Per input, where a partial of 0 stops even a nan gradient (an op's
    ``mask_zero_partials`` applied): True (everywhere), False (nowhere), or, on
    tensors and arrays, a boolean one. A result that is not one condition per
    input is a TypeError or ValueError saying so."""
    if isinstance(masks, bool):
        return (masks,) * len(inputs)
    conditions = masks(*inputs, out)
    if not isinstance(conditions, (tuple, list)):
        raise TypeError(f"it returned {type(conditions).__name__}, not a tuple of one "
                        f"condition per input")
    if len(conditions) != len(inputs):
        raise ValueError(f"it returned {len(conditions)} condition(s) for {len(inputs)} "
                         f"input(s)")
    return tuple(map(_condition, conditions))


def _condition(given: Any) -> Any:
    """One condition as True or False, as bool() reads it; a tensor or an array as a
    boolean one (nonzero holds), so that ``&`` and ``where`` take it."""
    scalar = isinstance(given, (bool, int, float)) or given is None or (
        type(given).__module__ == "numpy" and getattr(given, "ndim", None) == 0)
    return bool(given) if scalar else given != 0


class OpOptions(TypedDict, total=False):
    """The keywords of an op declaration (see docs/plugins.md for each one)."""

    name: str
    local_grads: Required[Callable[..., Any]]
    formula: Required[str]
    operator: str | None
    domain: Interval | tuple[Interval, ...] | None
    kinks: tuple[float, ...] | list[float]
    torch: str | Callable[..., Any] | None
    jax: str | Callable[..., Any] | None
    arity: int | None
    mask_zero_partials: bool | Callable[..., Any]
    numpy: str | Callable[..., Any] | None
    algebra: Algebra | None


OPTION_NAMES = frozenset(OpOptions.__annotations__)


def declare_op(forward: Callable[..., Any], plugin: str, options: OpOptions) -> Op:
    """Validate one declaration and return its :class:`Op` (nothing is registered)."""
    name = options.get("name")
    op_name = name if name is not None else getattr(forward, "__name__", None)

    def fail(problem: str, kind: type[RegistrationError] = RegistrationError) -> RegistrationError:
        return kind(f"plugin {plugin!r}, op {op_name!r}: {problem}")

    _check_keywords(options, fail)
    local_grads, formula = options.get("local_grads"), options.get("formula")
    if not callable(forward):
        raise fail(f"forward must be callable, got {type(forward).__name__}", OpTypeError)
    _check_name(op_name, fail)
    if not callable(local_grads):
        raise fail("local_grads must be a callable returning one partial per input", OpTypeError)
    if not isinstance(formula, str) or not formula.strip():
        example = "e.g. 'd/dx tanh(x) = 1 - tanh(x)^2'"
        raise fail(f"formula must be a non-empty str, {example}", OpTypeError)
    op_arity = _arity(forward, options.get("arity"), fail)
    _check_rule_arity(local_grads, op_arity, fail)
    operator = options.get("operator")
    if operator is not None and operator not in OPERATORS.get(op_arity, ()):
        allowed = " ".join(sorted(OPERATORS.get(op_arity, ()))) or "none"
        raise fail(f"operator {operator!r} does not fit arity {op_arity} (allowed: {allowed})")
    return Op(
        name=str(op_name),
        forward=forward,
        local_grads=local_grads,
        formula=formula.strip(),
        arity=op_arity,
        plugin=plugin,
        operator=operator,
        domain=_domain(options.get("domain"), op_arity, fail),
        kinks=_kinks(options.get("kinks", ()), fail),
        torch=_array_equivalent("torch", options.get("torch"), fail),
        jax=_array_equivalent("jax", options.get("jax"), fail),
        mask_zero_partials=_masks(options.get("mask_zero_partials", False), op_arity, fail),
        numpy=_array_equivalent("numpy", options.get("numpy"), fail),
        algebra=_algebra(options.get("algebra"), op_arity, fail),
        doc=inspect.getdoc(forward) or "",
    )


def _check_name(name: object, fail: Callable[[str], RegistrationError]) -> None:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise fail("name must be a Python identifier")
    if name.startswith("_"):
        raise fail("name must not start with '_' (it becomes a public Value method)")
    if name in CORE_ATTRIBUTES:
        raise fail(f"name clashes with the existing Value attribute {name!r}; pick another name")


def _arity(
    forward: Callable[..., Any], declared: int | None, fail: Callable[[str], RegistrationError]
) -> int:
    counted = _positional_count(forward)
    if counted is None and declared is None:
        raise fail("cannot read forward's signature; pass arity=N")
    if declared is not None and counted is not None and declared != counted:
        raise fail(f"arity={declared} but forward takes {counted} argument(s)")
    op_arity = declared if declared is not None else counted
    if not isinstance(op_arity, int) or op_arity < 1:
        raise fail(f"forward must take at least one input, got arity {op_arity}")
    return op_arity


def _positional_count(func: Callable[..., Any]) -> int | None:
    """Required positional parameters of ``func``; None if variadic or unreadable."""
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return None
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params):
        return None
    return sum(1 for p in params if p.kind in kinds and p.default is inspect.Parameter.empty)


def _check_rule_arity(
    rule: Callable[..., Any], op_arity: int, fail: Callable[[str], RegistrationError]
) -> None:
    counted = _positional_count(rule)
    if counted is not None and counted != op_arity + 1:
        raise fail(
            f"local_grads takes {counted} argument(s) but must take {op_arity + 1}: "
            f"the {op_arity} input(s), then out (the forward result)"
        )


def _domain(
    domain: Interval | tuple[Interval, ...] | None,
    op_arity: int,
    fail: Callable[[str], RegistrationError],
) -> tuple[Interval, ...]:
    if domain is None:
        return ((-math.inf, math.inf),) * op_arity
    try:
        if len(domain) == 2 and all(isinstance(b, (int, float)) for b in domain):
            intervals = ((float(domain[0]), float(domain[1])),) * op_arity  # type: ignore[arg-type]  # checked above
        else:
            intervals = tuple((float(lo), float(hi)) for lo, hi in domain)  # type: ignore[misc]  # malformed input raises below
    except (TypeError, ValueError) as exc:
        raise fail(f"domain must be (lo, hi) or one (lo, hi) per input: {exc}") from exc
    if len(intervals) != op_arity or any(not lo < hi for lo, hi in intervals):
        raise fail(f"domain must give {op_arity} interval(s) (lo, hi) with lo < hi, got {domain!r}")
    return intervals


def _kinks(
    kinks: tuple[float, ...] | list[float], fail: Callable[[str], RegistrationError]
) -> tuple[float, ...]:
    try:
        return tuple(float(k) for k in kinks)
    except (TypeError, ValueError) as exc:
        raise fail(f"kinks must be numbers: {exc}") from exc


def _array_equivalent(
    keyword: str, given: object, fail: Callable[..., RegistrationError]
) -> str | Callable[..., Any] | None:
    if given is None or isinstance(given, str) or callable(given):
        return given
    raise fail(f"{keyword} must be the dotted name of a {keyword} function or a callable, "
               f"got {type(given).__name__}", OpTypeError)


def _algebra(given: object, op_arity: int,
             fail: Callable[..., RegistrationError]) -> Algebra | None:
    if given is None:
        return None
    if given not in ("sum", "product"):
        raise fail(f"algebra must be 'sum' (x + y), 'product' (x * y) or None, got {given!r}",
                   OpTypeError)
    if op_arity != 2:
        raise fail(f"algebra={given!r} needs an op of two inputs, this one takes {op_arity}")
    return given


def _masks(given: object, op_arity: int,
           fail: Callable[..., RegistrationError]) -> bool | Callable[..., Any]:
    if isinstance(given, bool):
        return given
    if not callable(given):
        raise fail(f"mask_zero_partials must be True, False or a function of the inputs and "
                   f"out giving one condition per input, got {type(given).__name__}",
                   OpTypeError)
    counted = _positional_count(given)
    if counted is not None and counted != op_arity + 1:
        raise fail(f"mask_zero_partials takes {counted} argument(s) but must take "
                   f"{op_arity + 1}, as local_grads does")
    return given


def _check_keywords(options: Mapping[str, object],
                    fail: Callable[[str], RegistrationError]) -> None:
    for keyword_name in options:
        if keyword_name not in OPTION_NAMES:
            close = difflib.get_close_matches(keyword_name, OPTION_NAMES, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            known = ", ".join(sorted(OPTION_NAMES))
            raise fail(f"unknown keyword {keyword_name!r}{hint} (an op declaration takes: {known})")




def op_of(node: Value) -> Op | None:
    """The op that made ``node`` (None for a leaf), as the plugin layer's :class:`Op`."""
    made_by = node.declaration
    if made_by is None or isinstance(made_by, Op):
        return made_by
    raise TypeError(f"{node!r} was made by {made_by!r}, which is not a registered opgrad op")
