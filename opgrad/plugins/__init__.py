"""The plugin layer: hook specs, the typed op declaration, the registry, loading, binding."""

from opgrad.plugins.binding import Binder, make_apply, make_function
from opgrad.plugins.declaration import OPTION_NAMES, Op, OpOptions, declare_op, op_of
from opgrad.plugins.errors import OpTypeError, PluginLoadWarning, RegistrationError, UnknownOpError
from opgrad.plugins.hookspecs import RegisterOp, hookimpl, hookspec
from opgrad.plugins.manager import (
    AUTOLOAD_ENV,
    ENTRY_POINT_GROUP,
    autoload_disabled,
    create_plugin_manager,
    load_entry_points,
)
from opgrad.plugins.registry import Registry
from opgrad.plugins.rules import value_of

__all__ = [
    "AUTOLOAD_ENV",
    "ENTRY_POINT_GROUP",
    "OPTION_NAMES",
    "Binder",
    "Op",
    "OpOptions",
    "OpTypeError",
    "PluginLoadWarning",
    "RegisterOp",
    "RegistrationError",
    "Registry",
    "UnknownOpError",
    "autoload_disabled",
    "create_plugin_manager",
    "declare_op",
    "hookimpl",
    "hookspec",
    "load_entry_points",
    "make_apply",
    "make_function",
    "op_of",
    "value_of",
]
