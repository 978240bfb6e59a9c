"""Assembling the default registry: built-in op plugins, then entry points.

The active registry is the one whose ops are bound to ``Value`` and to
``opgrad.ops``. It is built on first use (``import opgrad`` does that as its
last step) and can be swapped, e.g. for an isolated registry in a test
(:func:`use_registry`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from typing_extensions import Unpack

from opgrad import ops
from opgrad.ops import _arithmetic, _functions
from opgrad.plugins.binding import Binder, make_apply, make_function
from opgrad.plugins.declaration import Op, OpOptions
from opgrad.plugins.manager import autoload_disabled, create_plugin_manager, load_entry_points
from opgrad.plugins.registry import Registry

BUILTIN_PLUGINS = (("opgrad.arithmetic", _arithmetic), ("opgrad.functions", _functions))


def build_registry(*, autoload: bool | None = None) -> Registry:
    """A new registry with a fresh plugin manager: built-ins, then entry points.

    ``autoload`` defaults to loading entry points unless
    ``OPGRAD_DISABLE_PLUGIN_AUTOLOAD`` is set. A plugin module that registers
    ops with ``opgrad.op`` when it is imported (rather than through the hook)
    registers them into this registry too.
    """
    registry = Registry(create_plugin_manager())
    for name, module in BUILTIN_PLUGINS:
        registry.add_plugin(module, name=name)
    if not autoload_disabled() if autoload is None else autoload:
        with _active.building(registry):
            load_entry_points(registry)
    return registry


class _Active:
    """The registry bound to Value and opgrad.ops, and the binder that did it."""

    def __init__(self) -> None:
        self.binder = Binder(vars(ops))
        self.registry: Registry | None = None
        self.under_construction: Registry | None = None

    def activate(self, registry: Registry) -> None:
        self.binder.unbind_all()
        self.registry = registry
        for op in registry.values():
            self.binder.bind(op)
        registry.subscribe(self.added)

    def added(self, op: Op) -> None:
        """Bind a newly registered op, if it was registered in the active registry."""
        if self.registry is not None and self.registry.get(op.name) is op:
            self.binder.bind(op)

    @contextmanager
    def building(self, registry: Registry) -> Iterator[None]:
        """While plugins load, registrations made at their import go to ``registry``."""
        previous, self.under_construction = self.under_construction, registry
        try:
            yield
        finally:
            self.under_construction = previous


_active = _Active()


def default_registry() -> Registry:
    """The active registry (the one ``Value`` operators and ``opgrad.ops`` use)."""
    if _active.under_construction is not None:
        return _active.under_construction
    registry = _active.registry
    if registry is None:
        registry = build_registry()
        _active.activate(registry)
    return registry


@contextmanager
def use_registry(registry: Registry) -> Iterator[Registry]:
    """Make ``registry`` the active one inside the block, then restore the previous."""
    previous = default_registry()
    _active.activate(registry)
    try:
        yield registry
    finally:
        _active.activate(previous)


def register(forward: Callable[..., Any], /, **options: Unpack[OpOptions]) -> Callable[..., Any]:
    """Register ``forward`` as an op in the active registry; return ``opgrad.ops.<name>``.

    The plugin is the module that defined ``forward`` (``__main__`` in a
    notebook), so re-running the same cell replaces the op instead of failing.
    """
    plugin = getattr(forward, "__module__", None) or "__main__"
    op = default_registry().register(forward, plugin, **options)
    return _function_of(op)


def op(**options: Unpack[OpOptions]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator form of :func:`register`: ``@opgrad.op(local_grads=..., formula=...)``."""

    def decorate(forward: Callable[..., Any]) -> Callable[..., Any]:
        return register(forward, **options)

    return decorate


def _function_of(op: Op) -> Callable[..., Any]:
    """``opgrad.ops.<name>`` for ``op``, or its own function if its registry is not active."""
    if _active.registry is not None and _active.registry.get(op.name) is op:
        return vars(ops)[op.name]  # type: ignore[no-any-return]  # installed by the binder
    return make_function(op, make_apply(op))
