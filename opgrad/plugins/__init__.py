"""The plugin layer: hook specs, the op registry, plugin loading, op binding."""

from opgrad.core import value_of
from opgrad.plugins.binding import Binder
from opgrad.plugins.hookspecs import hookimpl, hookspec
from opgrad.plugins.manager import (
    AUTOLOAD_ENV,
    ENTRY_POINT_GROUP,
    PluginLoadWarning,
    autoload_disabled,
    create_plugin_manager,
    load_entry_points,
)
from opgrad.plugins.registry import (
    Op,
    OpTypeError,
    RegistrationError,
    Registry,
    UnknownOpError,
    declare_op,
)

__all__ = [
    "AUTOLOAD_ENV",
    "ENTRY_POINT_GROUP",
    "Binder",
    "Op",
    "OpTypeError",
    "PluginLoadWarning",
    "RegistrationError",
    "Registry",
    "UnknownOpError",
    "autoload_disabled",
    "create_plugin_manager",
    "declare_op",
    "hookimpl",
    "hookspec",
    "load_entry_points",
    "value_of",
]
