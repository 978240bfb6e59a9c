"""The op registry: validated op declarations, keyed by name, with provenance.

Ops arrive through the ``register_ops`` hook, called by pluggy one plugin at
a time, so one plugin's failure names it and leaves the others loaded.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pluggy
from typing_extensions import Unpack

from opgrad.plugins.declaration import Op, OpOptions, declare_op
from opgrad.plugins.errors import RegistrationError, UnknownOpError

HOOK = "register_ops"


class Registry(Mapping[str, Op]):
    """Every registered op by name, and the plugin manager that supplied them.

    Listeners (such as the binder that attaches ops to ``Value``) are told of
    each op as it is added. A re-registration from the same plugin replaces
    the op (a notebook cell run twice); one from another plugin is an error.
    """

    def __init__(self, plugin_manager: pluggy.PluginManager) -> None:
        self.plugin_manager = plugin_manager
        self._ops: dict[str, Op] = {}
        self._operators: dict[tuple[str, int], Op] = {}  # (operator, arity) -> its op
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

    def snapshot(self) -> dict[str, Op]:
        """The ops registered so far, for :meth:`restore`."""
        return dict(self._ops)

    def restore(self, snapshot: dict[str, Op]) -> None:
        """Forget every op registered since ``snapshot`` (a plugin that failed to load keeps
        none, however it registered them). For a registry whose ops are not bound yet."""
        self._ops = dict(snapshot)
        self._operators = {(op.operator, op.arity): op for op in self._ops.values()
                           if op.operator is not None}

    def subscribe(self, listener: Callable[[Op], None]) -> None:
        """Call ``listener(op)`` for every op registered from now on (once per listener)."""
        if listener not in self._listeners:
            self._listeners.append(listener)

    def register(self, forward: Callable[..., Any], plugin: str, /,
                 **options: Unpack[OpOptions]) -> Op:
        """Validate and add one op declared by ``plugin``; return it."""
        (op,) = self.add_all([declare_op(forward, plugin, options)])
        return op

    def add_all(self, ops: list[Op]) -> list[Op]:
        """Add a batch of ops atomically: all of them, or none if any conflicts."""
        names: dict[str, Op] = {}
        operators: dict[tuple[str, int], Op] = {}
        for op in ops:  # each op checked once against dicts: linear in the number of ops
            self._check_conflicts(op, names, operators)
            names[op.name] = op
            if op.operator is not None:
                operators[op.operator, op.arity] = op
        for op in ops:
            self._store(op)
            for listener in self._listeners:
                listener(op)
        return ops

    def _store(self, op: Op) -> None:
        replaced = self._ops.get(op.name)
        if replaced is not None and replaced.operator is not None:
            self._operators.pop((replaced.operator, replaced.arity), None)
        self._ops[op.name] = op
        if op.operator is not None:
            self._operators[op.operator, op.arity] = op

    def _check_conflicts(self, op: Op, names: dict[str, Op],
                         operators: dict[tuple[str, int], Op]) -> None:
        """``op`` against the batch so far and the ops of other plugins (the same plugin's
        ops are replaced: a notebook cell run twice)."""
        clash = names.get(op.name) or _of_another_plugin(self._ops.get(op.name), op)
        if clash is not None:
            who = (f"twice by plugin {op.plugin!r}" if clash.plugin == op.plugin else
                   f"by both plugin {clash.plugin!r} and plugin {op.plugin!r}")
            raise RegistrationError(f"op {op.name!r} is registered {who}; rename one of them")
        if op.operator is None:
            return
        key = (op.operator, op.arity)
        other = operators.get(key) or _of_another_plugin(self._operators.get(key), op)
        if other is not None:
            raise RegistrationError(
                f"operator {op.operator!r} is claimed by op {other.name!r} (plugin "
                f"{other.plugin!r}) and op {op.name!r} (plugin {op.plugin!r})"
            )

    def add_plugin(self, plugin: object, name: str | None = None) -> list[Op]:
        """Register ``plugin`` with the plugin manager and collect its ops through the hook.

        If the plugin implements an unknown hook, or its ``register_ops``
        raises or declares a bad op, it is unregistered again, none of its ops
        are kept, and a :class:`RegistrationError` naming it is raised.
        """
        try:
            plugin_name = self.plugin_manager.register(plugin, name=name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            raise RegistrationError(f"plugin {name!r} was rejected by pluggy: {exc}") from exc
        if plugin_name is None:  # pluggy: blocked
            raise RegistrationError(f"plugin {name!r} is blocked")
        try:
            self._check_hooks(plugin, plugin_name)
            return self.add_all(self._collect(plugin, plugin_name))
        except BaseException:
            self.plugin_manager.unregister(plugin)
            raise

    def _check_hooks(self, plugin: object, plugin_name: str) -> None:
        """pluggy's own check that every hook implemented has a spec, naming the plugin."""
        try:
            self.plugin_manager.check_pending()
        except pluggy.PluginValidationError:
            callers = self.plugin_manager.get_hookcallers(plugin) or []
            unknown = next((caller.name for caller in callers if not caller.has_spec()), None)
            if unknown is None:  # another plugin's hook: not ours to report
                raise
            close = difflib.get_close_matches(unknown, [HOOK], n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"opgrad's hook is {HOOK!r}"
            raise RegistrationError(
                f"plugin {plugin_name!r} implements unknown hook {unknown!r} ({hint})") from None

    def _collect(self, plugin: object, plugin_name: str) -> list[Op]:
        """Call this plugin's ``register_ops`` through pluggy; return the ops it declared."""
        declared: list[Op] = []

        def register(forward: Callable[..., Any], /,
                     **options: Unpack[OpOptions]) -> Callable[..., Any]:
            declared.append(declare_op(forward, plugin_name, options))
            return forward

        others = [p for p in self.plugin_manager.get_plugins() if p is not plugin]
        hook = self.plugin_manager.subset_hook_caller(HOOK, remove_plugins=others)
        try:
            hook(register=register)
        except RegistrationError:
            raise
        except Exception as exc:
            raise RegistrationError(f"plugin {plugin_name!r}: {HOOK} raised {exc!r}") from exc
        return declared


def _of_another_plugin(existing: Op | None, op: Op) -> Op | None:
    return existing if existing is not None and existing.plugin != op.plugin else None
