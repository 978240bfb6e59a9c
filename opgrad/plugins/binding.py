"""Turning registered ops into callables: ``opgrad.ops.<name>``, Value methods, operators.

Dispatch is a closure over the op's forward: no pluggy, no registry lookup
on the per-operation path.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, MutableMapping
from numbers import Real
from typing import Any

from opgrad.core import Value, make_node
from opgrad.plugins.constant import Constant, leaf_only, pair_class, result_class
from opgrad.plugins.declaration import Op

Apply = Callable[..., Value]

# operator -> (method, reflected method) per arity
BINARY_DUNDERS = {
    "+": ("__add__", "__radd__"),
    "-": ("__sub__", "__rsub__"),
    "*": ("__mul__", "__rmul__"),
    "/": ("__truediv__", "__rtruediv__"),
    "//": ("__floordiv__", "__rfloordiv__"),
    "%": ("__mod__", "__rmod__"),
    "**": ("__pow__", "__rpow__"),
}
UNARY_DUNDERS = {"-": "__neg__", "+": "__pos__", "abs": "__abs__"}

# ``opgrad.ops.<name>`` given tensors or arrays: each handler runs the op on them, or
# returns NotImplemented. opgrad.interop adds its handlers when imported, so this
# layer never imports it at module level.
ArrayHandler = Callable[[Op, tuple[Any, ...]], Any]
array_handlers: list[ArrayHandler] = []
ARRAY_SUPPORT = "opgrad.interop"


def forward_error(op: Op, inputs: tuple[Any, ...], exc: BaseException) -> ValueError:
    """The error for a forward that failed on these inputs (a domain error)."""
    shown = ", ".join(repr(x) for x in inputs)
    return ValueError(f"{op.name}({shown}) is undefined: {exc}")


def checked_result(op: Op, out: object, inputs: tuple[Any, ...]) -> float:
    """A forward result as float, or a clear error naming the op."""
    if isinstance(out, complex):
        raise forward_error(op, inputs, ValueError("the result is complex"))
    if not isinstance(out, Real):
        raise TypeError(f"op {op.name!r}: forward returned {type(out).__name__}, expected a float")
    try:
        return float(out)
    except OverflowError as exc:  # a huge int: no float can hold it
        raise forward_error(op, inputs, exc) from None


def make_apply(op: Op) -> Apply:
    """``apply(*values) -> Value``: run the forward on Values and record the node.

    The node takes the most derived class of its inputs (leaf-only classes aside: constants,
    stored parameters), so a Value subclass (opgrad.compat's) keeps its class.
    """
    forward = op.forward
    if op.arity == 1:

        def apply_unary(x: Value) -> Value:
            try:
                out = forward(x.data)
            except (ValueError, ArithmeticError) as exc:
                raise forward_error(op, (x.data,), exc) from exc
            if type(out) is not float:
                out = checked_result(op, out, (x.data,))
            kind = type(x)
            return make_node(out, op, x, None, kind if kind not in leaf_only else Value)

        return apply_unary
    if op.arity == 2:

        def apply_binary(x: Value, y: Any) -> Any:
            # Also serves as the operator method (x + y), so y may be a number.
            if not isinstance(y, Value):
                if not isinstance(y, Real):
                    return NotImplemented
                y = Constant(y)  # type: ignore[arg-type]  # Real checked above
            try:
                out = forward(x.data, y.data)
            except (ValueError, ArithmeticError) as exc:
                raise forward_error(op, (x.data, y.data), exc) from exc
            if type(out) is not float:
                out = checked_result(op, out, (x.data, y.data))
            kind = type(x)
            if kind is not type(y) or kind in leaf_only:  # rare but for parameters, constants
                kind = pair_class(kind, type(y))
            return make_node(out, op, x, y, kind)

        return apply_binary

    def apply_many(*xs: Value) -> Value:
        inputs = tuple(x.data for x in xs)
        return make_node(call_forward(op, inputs), op, xs, None, result_class(*xs))

    return apply_many


def call_forward(op: Op, inputs: tuple[Any, ...]) -> float:
    """The op's forward on plain numbers, with the op's errors."""
    _check_operands(op, inputs)
    return _forward_on_numbers(op, inputs)


def _forward_on_numbers(op: Op, inputs: tuple[Any, ...]) -> float:
    try:
        floats = tuple(float(x) for x in inputs)
    except OverflowError as exc:  # a huge int argument
        raise forward_error(op, inputs, exc) from None
    try:
        out = op.forward(*floats)
    except (ValueError, ArithmeticError) as exc:
        raise forward_error(op, floats, exc) from exc
    return checked_result(op, out, floats)


def _check_operands(op: Op, args: tuple[Any, ...]) -> None:
    odd = _first_non_operand(args)
    if odd is not None:
        raise _not_an_operand(op, odd)


def _first_non_operand(args: tuple[Any, ...]) -> Any:
    for x in args:
        if not isinstance(x, (Value, Real)):
            return x
    return None


def _not_an_operand(op: Op, x: object) -> TypeError:
    return TypeError(f"{op.name}() takes numbers or Values, got {type(x).__name__}: {x!r}")


def call_on_arrays(op: Op, args: tuple[Any, ...]) -> Any:
    """The op on tensors or arrays (through opgrad.interop), or the op's TypeError."""
    _load_array_support()  # before array_handlers is read: Dynamo keeps what it first saw
    for handler in array_handlers:
        result = handler(op, args)
        if result is not NotImplemented:
            return result
    raise _not_an_operand(op, _first_non_operand(args))  # no handler took them


def _load_array_support() -> None:
    if not array_handlers:
        importlib.import_module(ARRAY_SUPPORT)  # it adds its handlers on import


# Run by Dynamo as it traces, as torch._dynamo.assume_constant_result marks a function (it
# cannot trace an import): an op's first call on tensors may be inside torch.compile.
_load_array_support._dynamo_marked_constant = True  # type: ignore[attr-defined]


def as_values(op: Op, args: tuple[Any, ...]) -> tuple[Value, ...]:
    """Each argument as a Value (numbers become constant leaves), or the op's TypeError."""
    _check_operands(op, args)
    try:
        return tuple(x if isinstance(x, Value) else Constant(x) for x in args)
    except ValueError as exc:  # a number too large for a float
        raise forward_error(op, args, exc) from None


def make_function(op: Op, apply: Apply) -> Callable[..., Any]:
    """``opgrad.ops.<name>``: floats in, float out; any Value in, Value out."""
    unary = op.arity == 1

    def function(*args: Any) -> Any:
        if unary and len(args) == 1 and type(args[0]) is Value:
            return apply(args[0])  # the common case, without the general checks
        if len(args) != op.arity:
            raise TypeError(f"{op.name}() takes {op.arity} argument(s) ({len(args)} given)")
        if any(isinstance(a, Value) for a in args):
            return apply(*as_values(op, args))
        if _first_non_operand(args) is not None:  # tensors or arrays (or a mistake)
            return call_on_arrays(op, args)
        return _forward_on_numbers(op, args)

    function.__name__ = function.__qualname__ = op.name
    function.__module__ = "opgrad.ops"  # where it is installed: pickle finds it there by name
    function.__doc__ = f"{op.doc}\n\n{op.formula}".strip()
    function.__opgrad_op__ = op  # type: ignore[attr-defined]  # read by op_behind
    return function


def op_behind(function: object) -> Op | None:
    """The op of an ``opgrad.ops.<name>`` function (marked by :func:`make_function`), else None."""
    op = getattr(function, "__opgrad_op__", None)
    return op if isinstance(op, Op) else None


def make_method(op: Op, apply: Apply, function: Callable[..., Any]) -> Callable[..., Any]:
    """``Value.<name>(self, *others)``: the op with ``self`` as first input, called directly."""
    if op.arity == 1:
        method = apply  # self is the Value: nothing to convert or check
    elif op.arity == 2:

        def method(self: Value, other: Any) -> Any:
            result = apply(self, other)
            if result is NotImplemented:
                _check_operands(op, (other,))
            return result

    else:

        def method(self: Value, *others: Any) -> Any:
            return function(self, *others)

    method.__name__ = method.__qualname__ = op.name  # closures of this op alone
    method.__doc__ = function.__doc__
    return method


def make_operator_methods(op: Op, apply: Apply) -> dict[str, Callable[..., Any]]:
    """The dunder methods for the op's operator, reflected form included."""
    if op.operator is None:
        return {}
    if op.arity == 1:
        return {UNARY_DUNDERS[op.operator]: apply}
    name, reflected_name = BINARY_DUNDERS[op.operator]

    def reflected(self: Value, other: Any) -> Any:  # other <op> self
        if isinstance(other, Value):  # a Value on the left of a subclass's: Python asks us first
            return apply(other, self)
        if not isinstance(other, Real):
            return NotImplemented
        return apply(Constant(other), self)  # type: ignore[arg-type]  # Real checked above

    return {name: apply, reflected_name: reflected}


class Binder:
    """Attaches ops to the ``Value`` class and to a namespace, and can take them off."""

    def __init__(self, namespace: MutableMapping[str, Any]) -> None:
        self.namespace = namespace
        self._installed: dict[str, list[str]] = {}  # op name -> Value attributes set

    def bind(self, op: Op) -> None:
        """Install ``op`` (replacing an earlier op of the same name)."""
        self.unbind(op.name)
        apply = make_apply(op)
        function = make_function(op, apply)
        attributes = {op.name: make_method(op, apply, function),
                      **make_operator_methods(op, apply)}
        for attribute, method in attributes.items():
            setattr(Value, attribute, method)
        self._installed[op.name] = list(attributes)
        self.namespace[op.name] = function

    def unbind(self, name: str) -> None:
        """Remove what :meth:`bind` installed for the op ``name``, if anything."""
        for attribute in self._installed.pop(name, []):
            if attribute in vars(Value):
                delattr(Value, attribute)
        self.namespace.pop(name, None)

    def unbind_all(self) -> None:
        """Remove every op this binder installed."""
        for name in list(self._installed):
            self.unbind(name)
