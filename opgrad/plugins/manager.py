"""Building a plugin manager and loading plugins: built-ins first, then entry points."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from importlib.metadata import EntryPoint, entry_points

import pluggy

from opgrad.plugins import hookspecs
from opgrad.plugins.declaration import Op
from opgrad.plugins.errors import PluginLoadWarning
from opgrad.plugins.registry import Registry

ENTRY_POINT_GROUP = "opgrad"
AUTOLOAD_ENV = "OPGRAD_DISABLE_PLUGIN_AUTOLOAD"


def create_plugin_manager() -> pluggy.PluginManager:
    """A fresh plugin manager that knows opgrad's hook specifications."""
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    return manager


def autoload_disabled() -> bool:
    """True when ``OPGRAD_DISABLE_PLUGIN_AUTOLOAD`` is set to anything but "" or "0"."""
    return os.environ.get(AUTOLOAD_ENV, "") not in ("", "0")


def load_entry_points(registry: Registry, group: str = ENTRY_POINT_GROUP) -> list[Op]:
    """Load every entry point of ``group`` into ``registry``, one at a time.

    A plugin that fails to import or to register (even by calling
    ``sys.exit``) is reported with a :class:`PluginLoadWarning` naming it and
    the reason, and none of its ops are kept (also those it registered with
    ``opgrad.op`` as it was imported); the others still load.
    """
    loaded: list[Op] = []
    for entry_point in _unique(entry_points(group=group)):
        before = registry.snapshot()  # a module may register ops as it is imported
        try:
            plugin = entry_point.load()
            loaded += registry.add_plugin(plugin, name=entry_point.name)
            if len(registry) == len(before) and not registry.plugin_manager.get_hookcallers(
                    plugin):
                _warn(f"opgrad plugin {entry_point.name!r} ({entry_point.value}) implements no "
                      "opgrad hook: decorate its register_ops with @opgrad.hookimpl")
        except (Exception, SystemExit) as exc:  # third-party code: reported, never raised
            registry.restore(before)  # none of its ops are kept, however registered
            reason = f"it called sys.exit({exc.code!r})" if isinstance(exc, SystemExit) else exc
            _warn(f"opgrad plugin {entry_point.name!r} ({entry_point.value}) was not loaded: "
                  f"{reason}")
    return loaded


def _warn(message: str) -> None:
    warnings.warn(message, PluginLoadWarning, stacklevel=3)


def _unique(found: Iterable[EntryPoint]) -> list[EntryPoint]:
    # The same distribution can be visible twice on sys.path; load it once.
    seen: dict[tuple[str, str], EntryPoint] = {}
    for entry_point in found:
        seen.setdefault((entry_point.name, entry_point.value), entry_point)
    return list(seen.values())
