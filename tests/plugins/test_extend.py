"""opgrad.extend: the plugin author's few typed names, and a plugin written with them."""

from __future__ import annotations

import warnings

import pytest

import opgrad
import opgrad.plugins
from opgrad import extend
from opgrad.plugins.registry import Registry

AUTHOR_NAMES = {"BackwardError", "Op", "OpOptions", "OpTypeError", "PluginLoadWarning",
                "RegisterOp", "RegistrationError", "UnknownOpError", "hookimpl", "value_of"}


def test_extend_holds_the_author_names_and_nothing_else() -> None:
    assert set(extend.__all__) == AUTHOR_NAMES
    assert all(hasattr(extend, name) for name in AUTHOR_NAMES)


def test_the_plugins_package_exports_no_machinery() -> None:
    public = {n for n in vars(opgrad.plugins) if not n.startswith("_")}
    # only its submodules, which Python sets as attributes when they are imported
    assert all(type(getattr(opgrad.plugins, n)) is type(opgrad.plugins) for n in public)


def test_a_plugin_written_with_extend_loads(registry: Registry) -> None:
    class Plugin:
        @extend.hookimpl
        def register_ops(self, register: extend.RegisterOp) -> None:
            register(lambda x: x * x, name="square_ext", formula="d/dx x^2 = 2x",
                     local_grads=lambda x, out: (2.0 * x,))

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        registry.add_plugin(Plugin(), name="ext-plugin")
    assert isinstance(registry["square_ext"], extend.Op)
    y = opgrad.Value(3.0).square_ext()
    y.backward()
    assert (y.data, y.parents[0].grad) == (9.0, 6.0)


def test_a_bad_declaration_raises_the_error_extend_exports(registry: Registry) -> None:
    class Plugin:
        @extend.hookimpl
        def register_ops(self, register: extend.RegisterOp) -> None:
            register(lambda x: x, name="not an identifier", formula="d",
                     local_grads=lambda x, o: (1.0,))

    with pytest.raises(extend.RegistrationError, match=r"bad-plugin.*not an identifier"):
        registry.add_plugin(Plugin(), name="bad-plugin")
