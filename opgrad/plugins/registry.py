"""The op registry: validated op declarations, keyed by name, with provenance."""

from __future__ import annotations

import inspect
import keyword
import math
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pluggy

from opgrad.core import Value
from opgrad.plugins.templates import check_templates

# Operators an op may bind to, by arity; reflected forms (__radd__ ...) follow.
OPERATORS: Mapping[int, frozenset[str]] = {
    1: frozenset({"-", "+", "abs"}),
    2: frozenset({"+", "-", "*", "/", "//", "%", "**"}),
}
Interval = tuple[float, float]
# Value's own attributes, read before any op is bound to it.
CORE_ATTRIBUTES = frozenset(dir(Value))


class RegistrationError(ValueError):
    """An op declaration was rejected; the message names the plugin and the op."""


class OpTypeError(RegistrationError, TypeError):
    """A declaration field has the wrong type (e.g. a forward that is not callable)."""


class UnknownOpError(KeyError):
    """No op of that name is registered."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True, slots=True)
class Op:
    """One registered op: its forward, its local-gradient rule and how to teach it.

    ``domain`` holds one open interval (lo, hi) per input, used to sample
    points when checking; ``kinks`` are inputs where the op is not smooth.
    ``torch`` names the PyTorch function (or gives a callable) to compare with.
    ``template`` and ``grad_templates`` are optional inline code for
    ``opgrad.compile`` (see :mod:`opgrad.plugins.templates`).
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
    template: str | None = None  # the forward as inline code, for opgrad.compile
    grad_templates: tuple[str, ...] | None = None  # the partials as inline code
    doc: str = field(default="", compare=False)


def declare_op(
    forward: Callable[..., Any],
    *,
    plugin: str,
    name: str | None = None,
    local_grads: Callable[..., Any] | None = None,
    formula: str | None = None,
    operator: str | None = None,
    domain: Interval | tuple[Interval, ...] | None = None,
    kinks: tuple[float, ...] | list[float] = (),
    torch: str | Callable[..., Any] | None = None,
    arity: int | None = None,
    template: str | None = None,
    grad_templates: tuple[str, ...] | None = None,
) -> Op:
    """Validate one declaration and return its :class:`Op` (nothing is registered)."""
    op_name = name if name is not None else getattr(forward, "__name__", None)

    def fail(problem: str, kind: type[RegistrationError] = RegistrationError) -> RegistrationError:
        return kind(f"plugin {plugin!r}, op {op_name!r}: {problem}")

    if not callable(forward):
        raise fail(f"forward must be callable, got {type(forward).__name__}", OpTypeError)
    _check_name(op_name, fail)
    if not callable(local_grads):
        raise fail("local_grads must be a callable returning one partial per input", OpTypeError)
    if not isinstance(formula, str) or not formula.strip():
        example = "e.g. 'd/dx tanh(x) = 1 - tanh(x)^2'"
        raise fail(f"formula must be a non-empty str, {example}", OpTypeError)
    op_arity = _arity(forward, arity, fail)
    _check_rule_arity(local_grads, op_arity, fail)
    if operator is not None and operator not in OPERATORS.get(op_arity, ()):
        allowed = " ".join(sorted(OPERATORS.get(op_arity, ()))) or "none"
        raise fail(f"operator {operator!r} does not fit arity {op_arity} (allowed: {allowed})")
    template, grad_templates = check_templates(template, grad_templates, op_arity, fail)
    return Op(
        name=str(op_name),
        forward=forward,
        local_grads=local_grads,
        formula=formula.strip(),
        arity=op_arity,
        plugin=plugin,
        operator=operator,
        domain=_domain(domain, op_arity, fail),
        kinks=_kinks(kinks, fail),
        torch=_torch(torch, fail),
        template=template,
        grad_templates=grad_templates,
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


def _torch(
    torch: str | Callable[..., Any] | None, fail: Callable[[str], RegistrationError]
) -> str | Callable[..., Any] | None:
    if torch is None or isinstance(torch, str) or callable(torch):
        return torch
    raise fail("torch must be the name of a torch function or a callable", OpTypeError)


class Registry(Mapping[str, Op]):
    """Every registered op by name, and the plugin manager that supplied them.

    Listeners (such as the binder that attaches ops to ``Value``) are told of
    each op as it is added. A re-registration from the same plugin replaces
    the op (a notebook cell run twice); one from another plugin is an error.
    """

    def __init__(
        self, plugin_manager: pluggy.PluginManager, reserved: Collection[str] = ()
    ) -> None:
        self.plugin_manager = plugin_manager
        self.reserved = frozenset(reserved)  # names an op may not take (e.g. module names)
        self._ops: dict[str, Op] = {}
        self._listeners: list[Callable[[Op], None]] = []

    def __getitem__(self, name: str) -> Op:
        try:
            return self._ops[name]
        except KeyError:
            known = ", ".join(sorted(self._ops)) or "none"
            message = f"no op named {name!r} is registered (registered: {known})"
            raise UnknownOpError(message) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._ops)

    def __len__(self) -> int:
        return len(self._ops)

    def subscribe(self, listener: Callable[[Op], None]) -> None:
        """Call ``listener(op)`` for every op registered from now on (once per listener)."""
        if listener not in self._listeners:
            self._listeners.append(listener)

    def register(self, forward: Callable[..., Any], *, plugin: str, **declaration: Any) -> Op:
        """Validate and add one op declared by ``plugin``; return it."""
        (op,) = self.add_all([declare_op(forward, plugin=plugin, **declaration)])
        return op

    def add_all(self, ops: list[Op]) -> list[Op]:
        """Add a batch of ops atomically: all of them, or none if any conflicts."""
        for index, op in enumerate(ops):
            self._check_conflicts(op, ops[:index])
        for op in ops:
            self._ops[op.name] = op
            for listener in self._listeners:
                listener(op)
        return ops

    def _check_conflicts(self, op: Op, batch: list[Op]) -> None:
        if op.name in self.reserved:
            raise RegistrationError(
                f"plugin {op.plugin!r}, op {op.name!r}: the name is reserved; pick another name"
            )
        existing = {o.name: o for o in self._ops.values() if o.plugin != op.plugin}
        existing.update({o.name: o for o in batch})
        clash = existing.get(op.name)
        if clash is not None:
            raise RegistrationError(
                f"op {op.name!r} is registered by both plugin {clash.plugin!r} and plugin "
                f"{op.plugin!r}; rename one of them"
            )
        for other in existing.values():
            if op.operator is not None and (other.operator, other.arity) == (op.operator, op.arity):
                raise RegistrationError(
                    f"operator {op.operator!r} is claimed by op {other.name!r} (plugin "
                    f"{other.plugin!r}) and op {op.name!r} (plugin {op.plugin!r})"
                )

    def add_plugin(self, plugin: object, name: str | None = None) -> list[Op]:
        """Register ``plugin`` with the plugin manager and collect its ops.

        If its ``register_ops`` raises or declares a bad op, the plugin is
        unregistered again, none of its ops are kept, and the error (a
        :class:`RegistrationError` naming the plugin) propagates.
        """
        plugin_name = self.plugin_manager.register(plugin, name=name)
        if plugin_name is None:  # pluggy: blocked or already registered
            raise RegistrationError(f"plugin {name!r} is blocked or already registered")
        try:
            return self.add_all(self._collect(plugin, plugin_name))
        except BaseException:
            self.plugin_manager.unregister(plugin)
            raise

    def _collect(self, plugin: object, plugin_name: str) -> list[Op]:
        declared: list[Op] = []

        def register(forward: Callable[..., Any], /, **declaration: Any) -> Callable[..., Any]:
            declared.append(declare_op(forward, plugin=plugin_name, **declaration))
            return forward

        for impl in self.plugin_manager.hook.register_ops.get_hookimpls():
            if impl.plugin is plugin:
                try:
                    impl.function(**{arg: register for arg in impl.argnames})
                except RegistrationError:
                    raise
                except Exception as exc:
                    raise RegistrationError(
                        f"plugin {plugin_name!r}: register_ops raised {exc!r}"
                    ) from exc
        return declared
