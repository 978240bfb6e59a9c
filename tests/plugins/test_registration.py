"""Registering ops: the decorator, plugin objects, validation and conflicts."""

from __future__ import annotations

import math
from typing import Any

import pytest

import opgrad
from opgrad import RegistrationError, Value, hookimpl
from opgrad.plugins.errors import OpTypeError, UnknownOpError
from opgrad.plugins.manager import create_plugin_manager
from opgrad.plugins.registry import Registry


def softsign_rule(x: Any, out: Any) -> tuple[Any]:
    return (1.0 / ((1.0 + abs(opgrad.value_of(x))) ** 2),)


def test_decorator_registers_function_and_method(registry: Registry) -> None:
    @opgrad.op(local_grads=lambda x, out: (out * (1.0 - out),),
               formula="d/dx logistic(x) = logistic(x) * (1 - logistic(x))")
    def logistic(x: float) -> float:
        return 1.0 / (1.0 + math.exp(-x))

    assert isinstance(logistic(Value(0.5)), Value)
    assert logistic(0.5) == pytest.approx(0.6224593312018546)
    out = Value(0.5).logistic()
    out.backward()
    assert out.parents[0].grad == pytest.approx(0.6224593312018546 * (1 - 0.6224593312018546))
    assert registry["logistic"].plugin == __name__


def test_running_the_same_cell_twice_is_fine(registry: Registry) -> None:
    for _ in range(2):
        @opgrad.op(local_grads=lambda x, out: (2.0,), formula="d/dx twice(x) = 2")
        def twice(x: float) -> float:
            return 2.0 * x

    assert opgrad.ops.twice(Value(3.0)).data == 6.0
    assert list(registry).count("twice") == 1


def test_registered_op_does_not_leak_out_of_its_registry() -> None:
    fresh = opgrad.build_registry(autoload=False)
    with opgrad.use_registry(fresh):
        opgrad.register(lambda x: x, name="identity", local_grads=lambda x, out: (1.0,),
                        formula="d/dx identity(x) = 1")
        assert Value(2.0).identity().data == 2.0
    assert not hasattr(Value, "identity")
    assert "identity" not in opgrad.default_registry()
    with pytest.raises(AttributeError):
        opgrad.ops.identity  # noqa: B018


def test_same_name_from_two_plugins_names_both(registry: Registry) -> None:
    with pytest.raises(RegistrationError, match=r"'tanh' is registered by both plugin "
                       r"'opgrad.functions' and plugin 'elsewhere'"):
        registry.register(math.tanh, "elsewhere", name="tanh", arity=1,
                          local_grads=lambda x, out: (1 - out * out,), formula="d/dx tanh")
    assert registry["tanh"].plugin == "opgrad.functions"


def test_operator_claimed_twice_names_both_ops(registry: Registry) -> None:
    with pytest.raises(RegistrationError, match=r"operator '\+' is claimed by op 'add'.*'plus2'"):
        registry.register(lambda x, y: x + y, "p", name="plus2", operator="+",
                          local_grads=lambda x, y, out: (1.0, 1.0), formula="d/dx = 1")


@pytest.mark.parametrize(
    ("declaration", "error", "match"),
    [
        ({"name": "not an identifier"}, RegistrationError, "must be a Python identifier"),
        ({"name": "lambda"}, RegistrationError, "must be a Python identifier"),
        ({"name": "_hidden"}, RegistrationError, "must not start with '_'"),
        ({"name": "backward"}, RegistrationError, "clashes with the existing Value attribute"),
        ({"name": "data"}, RegistrationError, "clashes with the existing Value attribute"),
        ({"local_grad": softsign_rule}, RegistrationError,
         "unknown keyword 'local_grad'; did you mean 'local_grads'"),
        ({"local_grads": None}, OpTypeError, "local_grads must be a callable"),
        ({"local_grads": lambda x: (1.0,)}, RegistrationError,
         r"local_grads takes 1 argument\(s\) but must take 2"),
        ({"formula": ""}, OpTypeError, "formula must be a non-empty str"),
        ({"arity": 2}, RegistrationError, r"arity=2 but forward takes 1"),
        ({"operator": "**"}, RegistrationError, "operator '\\*\\*' does not fit arity 1"),
        ({"domain": (1.0, 0.0)}, RegistrationError, "lo < hi"),
        ({"torch": 3}, OpTypeError, "torch must be"),
        ({"jax": 3}, OpTypeError, "jax must be"),
    ],
)
def test_bad_declarations_are_refused_naming_plugin_and_op(
    registry: Registry, declaration: dict[str, Any], error: type[Exception], match: str
) -> None:
    full: dict[str, Any] = {"name": "softsign", "local_grads": softsign_rule,
                            "formula": "d/dx softsign(x) = 1 / (1 + |x|)^2"}
    full.update(declaration)
    with pytest.raises(error, match=match) as caught:
        registry.register(lambda x: x / (1 + abs(x)), "myplugin", **full)
    assert "plugin 'myplugin'" in str(caught.value)
    assert full["name"] not in registry or full["name"] == "arithmetic"


def test_forward_must_be_callable(registry: Registry) -> None:
    with pytest.raises(OpTypeError, match=r"plugin 'p', op 'three': forward must be callable"):
        registry.register(3.0, "p", name="three",  # type: ignore[arg-type]
                          local_grads=softsign_rule, formula="d/dx")


def test_unknown_op_lookup(registry: Registry) -> None:
    with pytest.raises(UnknownOpError, match="no op named 'nosuch'"):
        registry["nosuch"]


def test_builtins_come_through_the_same_hook_as_plugins() -> None:
    manager = opgrad.default_registry().plugin_manager
    names = {manager.get_name(p) for p in manager.get_plugins()}
    assert {"opgrad.arithmetic", "opgrad.functions"} <= names
    impls = manager.hook.register_ops.get_hookimpls()
    assert {impl.plugin_name for impl in impls} >= {"opgrad.arithmetic", "opgrad.functions"}


class SoftsignPlugin:
    @hookimpl
    def register_ops(self, register: Any) -> None:
        register(lambda x: x / (1 + abs(x)), name="softsign", local_grads=softsign_rule,
                 formula="d/dx softsign(x) = 1 / (1 + |x|)^2")


class BrokenPlugin:
    @hookimpl
    def register_ops(self, register: Any) -> None:
        register(lambda x: x, name="fine_op", local_grads=lambda x, out: (1.0,), formula="d/dx")
        register(lambda x: x, name="bad op", local_grads=lambda x, out: (1.0,), formula="d/dx")


def test_plugin_object_registers_through_the_hook(registry: Registry) -> None:
    ops = registry.add_plugin(SoftsignPlugin(), name="softsign-plugin")
    assert [op.name for op in ops] == ["softsign"]
    assert registry["softsign"].plugin == "softsign-plugin"
    assert Value(1.0).softsign().data == 0.5


def test_plugin_with_one_bad_op_registers_none_and_is_unregistered(registry: Registry) -> None:
    with pytest.raises(RegistrationError, match=r"plugin 'broken', op 'bad op'"):
        registry.add_plugin(BrokenPlugin(), name="broken")
    assert "fine_op" not in registry
    assert registry.plugin_manager.get_plugin("broken") is None


def test_plugin_whose_hook_raises_is_named() -> None:
    class Raises:
        @hookimpl
        def register_ops(self, register: Any) -> None:
            raise RuntimeError("boom")

    registry = Registry(create_plugin_manager())
    with pytest.raises(RegistrationError, match=r"plugin 'raiser': register_ops raised .*boom"):
        registry.add_plugin(Raises(), name="raiser")
    assert len(registry) == 0


def test_every_fresh_registry_binds_what_it_registers() -> None:
    # Regression: a new registry could reuse a dropped one's id() and go unheard.
    for round_number in range(30):
        with opgrad.use_registry(opgrad.build_registry(autoload=False)):
            opgrad.register(lambda x: x, name="same", local_grads=lambda x, out: (1.0,),
                            formula="d/dx same(x) = 1")
            assert Value(float(round_number)).same().data == round_number


class _CountingDict(dict[str, Any]):
    """A registry's op table that counts how often it is scanned whole."""

    scans = 0

    def values(self) -> Any:
        _CountingDict.scans += 1
        return super().values()

    def __iter__(self) -> Any:
        _CountingDict.scans += 1
        return super().__iter__()


def test_registering_never_scans_every_op_so_it_is_linear() -> None:
    # Quadratic registration (each op checked against a dict rebuilt from every op) made
    # a plugin of 10,000 ops take seconds to load; each registration now looks up its name
    # and its operator only.
    registry = Registry(create_plugin_manager())
    registry._ops = _CountingDict()
    for k in range(200):
        registry.register(lambda x: x, "many", name=f"op{k}", formula="d/dx x = 1",
                          local_grads=lambda x, out: (1.0,))
    assert len(registry) == 200 and _CountingDict.scans == 0


def test_an_operator_freed_by_a_re_registration_can_be_claimed_by_another_plugin() -> None:
    registry = Registry(create_plugin_manager())
    rule = {"formula": "d/dx x = 1", "local_grads": lambda x, out: (1.0,)}
    registry.register(lambda x: x, "notebook", name="ident", operator="+", **rule)
    with pytest.raises(RegistrationError, match="operator '\\+' is claimed by op 'ident'"):
        registry.register(lambda x: x, "other", name="plus", operator="+", **rule)
    registry.register(lambda x: x, "notebook", name="ident", **rule)  # the cell, edited
    registry.register(lambda x: x, "other", name="plus", operator="+", **rule)
    assert registry["plus"].operator == "+" and registry["ident"].operator is None


def test_a_name_registered_twice_in_one_hook_says_so() -> None:
    registry = Registry(create_plugin_manager())

    class Twice:
        @hookimpl
        def register_ops(self, register: Any) -> None:
            for _ in range(2):
                register(lambda x: x, name="ident", formula="d/dx x = 1",
                         local_grads=lambda x, out: (1.0,))

    with pytest.raises(RegistrationError, match="op 'ident' is registered twice by plugin "
                       "'mine'; rename one of them"):
        registry.add_plugin(Twice(), name="mine")
