"""opgrad.compile: trace a loss once, generate straight-line Python for its step.

The generated function recomputes the forward pass from the current ``.data``
of the traced leaves, then the backward pass, and adds each leaf's gradient
to its ``.grad``, exactly as ``backward()`` would, float for float. Each op
contributes through its registered forward and ``local_grads``, or through
its inline templates when it declares them. ``.source`` shows the code.
"""

from __future__ import annotations

import builtins
import itertools
import linecache
import math
import traceback
from collections.abc import Callable
from typing import Any

from opgrad.assembly import default_registry
from opgrad.core import Value, grad, topological_order
from opgrad.plugins import Op
from opgrad.plugins.binding import call_forward
from opgrad.plugins.templates import fill, placeholders

_serial = itertools.count()
MAX_INLINE_DEPTH = 40  # Python's parser refuses more than 200 nested parentheses


class StructureChanged(RuntimeError):
    """The function now builds a different graph from the one that was compiled."""


class CompiledStep:
    """A traced loss as generated code: call it for the loss (a float); grads land in leaves."""

    def __init__(self, fn: Callable[[], Value], source: str, namespace: dict[str, Any],
                 leaves: list[Value], line_ops: dict[int, str], signature: list[str]) -> None:
        self.fn = fn
        self.source = source
        self.leaves = leaves
        self.nodes = len(signature)
        self._filename = namespace["__name__"]
        self._step: Callable[[list[Value]], float] = namespace["step"]
        self._line_ops = line_ops
        self._signature = signature

    def __call__(self) -> float:
        """Forward and backward for the leaves' current data; returns the loss."""
        try:
            return self._step(self.leaves)
        except (ValueError, ArithmeticError, TypeError) as exc:
            raise self._located(exc) from exc

    def _located(self, exc: Exception) -> Exception:
        frames = [f for f in traceback.extract_tb(exc.__traceback__)
                  if f.filename == self._filename]
        line = frames[-1].lineno if frames else None
        op = self._line_ops.get(line or -1, "?")
        where = f"op {op!r} at line {line} of .source" if line else "the compiled step"
        kind = ValueError if not isinstance(exc, TypeError) else TypeError
        return kind(f"compiled step failed in {where}: {exc}")

    def verify(self, rtol: float = 1e-12) -> None:
        """Re-run the function dynamically; raise if its graph or numbers differ.

        Graphs whose structure depends on the data (a Python ``if`` on
        ``.data``) are the caller's responsibility; this is the check.
        Leaves' ``.grad`` are left as they were.
        """
        root = self.fn()
        order = topological_order(root)
        if _signature(order) != self._signature:
            raise StructureChanged("the function now builds a different graph than the one "
                                   "compiled (data-dependent control flow?): compile it again")
        saved = [leaf.grad for leaf in self.leaves]
        try:
            for leaf in self.leaves:
                leaf.grad = 0.0
            loss = self()
            compiled = [leaf.grad for leaf in self.leaves]
        finally:
            for leaf, old in zip(self.leaves, saved, strict=True):
                leaf.grad = old
        # Constants made inside fn are new objects each call: match leaves by position.
        expected = grad(root, [node for node in order if not node.op])
        for got, want in [(loss, root.data), *zip(compiled, expected, strict=True)]:
            if not math.isclose(got, want, rel_tol=rtol, abs_tol=1e-300):
                raise StructureChanged(f"compiled result {got!r} differs from dynamic {want!r}")


def compile(fn: Callable[[], Value]) -> CompiledStep:
    """Trace ``fn`` (no arguments, returns a loss Value) once and generate its step."""
    if not callable(fn):
        raise TypeError(f"opgrad.compile needs a function, got {type(fn).__name__}")
    root = fn()
    if not isinstance(root, Value):
        raise TypeError(f"opgrad.compile: fn must return a Value, got {type(root).__name__}")
    order = topological_order(root)
    source, constants, line_ops = _Generator(order, root).generate()
    filename = f"<opgrad.compile:{next(_serial)}>"
    namespace: dict[str, Any] = {"__name__": filename, "math": math,
                                 "call_forward": call_forward, **constants}
    exec(builtins.compile(source, filename, "exec"), namespace)  # our own generated code
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    leaves = [node for node in order if not node.op]
    return CompiledStep(fn, source, namespace, leaves, line_ops, _signature(order))


def _signature(order: list[Value]) -> list[str]:
    """The graph's shape: each node's op and the positions of its inputs."""
    index = {node: i for i, node in enumerate(order)}
    return [f"{n.op}({','.join(str(index[p]) for p in n.parents)})" for n in order]


class _Generator:
    """Writes the step function for one traced graph."""

    def __init__(self, order: list[Value], root: Value) -> None:
        registry = default_registry()
        self.order, self.root = order, root
        self.index = {node: i for i, node in enumerate(order)}
        self.ops: dict[str, Op] = {n.op: registry[n.op] for n in order if n.op}
        self.lines: list[str] = ["def step(leaves):"]
        self.line_ops: dict[int, str] = {}
        self.constants: dict[str, Any] = {}
        uses = [0] * len(order)
        for node in order:
            for parent in node.parents:
                uses[self.index[parent]] += 1
        self.uses = uses
        self.kept = self._values_to_keep()

    def generate(self) -> tuple[str, dict[str, Any], dict[int, str]]:
        self._forward()
        self._backward()
        return "\n".join(self.lines) + "\n", self.constants, self.line_ops

    def _emit(self, text: str, op: str = "") -> None:
        self.lines.append("    " + text)
        if op:
            self.line_ops[len(self.lines)] = op

    def _values_to_keep(self) -> list[bool]:
        """Which values get a variable; the rest are pasted into their single consumer."""
        keep = [self.uses[i] != 1 or not node.op for i, node in enumerate(self.order)]
        keep[self.index[self.root]] = True
        for i, node in enumerate(self.order):
            if not node.op:
                continue
            op = self.ops[node.op]
            if op.template is None or op.grad_templates is None:
                needed = {str(k) for k in range(op.arity)} | {"out"}
            else:
                needed = set().union(*(placeholders(t) for t in op.grad_templates))
            if "out" in needed:
                keep[i] = True
            for k, parent in enumerate(node.parents):
                if str(k) in needed:
                    keep[self.index[parent]] = True
        return keep

    def _forward(self) -> None:
        self._emit("# forward: each value from the current data of the leaves")
        self.leaf_slot = {i: k for k, i in enumerate(
            i for i, node in enumerate(self.order) if not node.op)}
        self.value: list[str] = [""] * len(self.order)
        depth = [0] * len(self.order)  # parentheses nesting of each pasted expression
        for i, node in enumerate(self.order):
            if not node.op:
                self.value[i] = f"v{i}"
                label = f"  # {node.label}" if node.label else ""
                self._emit(f"v{i} = leaves[{self.leaf_slot[i]}].data{label}")
                continue
            op = self.ops[node.op]
            args = [self.value[self.index[p]] for p in node.parents]
            if op.template is not None:
                expression = fill(op.template, args)
            else:
                self.constants[f"OP_{op.name}"] = op
                expression = f"call_forward(OP_{op.name}, ({', '.join(args)},))"
            depth[i] = 1 + max(depth[self.index[p]] for p in node.parents)
            if self.kept[i] or depth[i] > MAX_INLINE_DEPTH:
                self._emit(f"v{i} = {expression}  # {op.name}", op.name)
                self.value[i], depth[i] = f"v{i}", 0
            else:
                self.value[i] = expression

    def _backward(self) -> None:
        root = self.index[self.root]
        self._emit("# backward: the chain rule, in reverse topological order")
        self._emit(f"g{root} = 1.0")
        gradient = {root: f"g{root}"}
        started: set[int] = {root}
        for i in reversed(range(len(self.order))):
            node = self.order[i]
            if not node.op:
                continue
            for parent, partial in zip(node.parents, self._partials(i), strict=True):
                self._contribute(self.index[parent], partial, gradient[i], gradient, started,
                                 node.op, alias=self.uses[self.index[parent]] == 1)
        self._emit("# gradients of the leaves accumulate, like backward()")
        for i, node in enumerate(self.order):
            if not node.op:
                self._emit(f"leaves[{self.leaf_slot[i]}].grad += {gradient[i]}")
        self._emit(f"return v{root}")

    def _partials(self, i: int) -> list[str]:
        node = self.order[i]
        op = self.ops[node.op]
        args = [self.value[self.index[p]] for p in node.parents]
        if op.template is not None and op.grad_templates is not None:
            return [fill(t, args, self.value[i]) for t in op.grad_templates]
        self.constants[f"RULE_{op.name}"] = op.local_grads
        names = [f"d{i}_{k}" for k in range(op.arity)]
        self._emit(f"({', '.join(names)},) = RULE_{op.name}({', '.join([*args, self.value[i]])})",
                   op.name)
        return names

    def _contribute(self, parent: int, partial: str, upstream: str, gradient: dict[int, str],
                    started: set[int], op: str, alias: bool) -> None:
        if partial == "1.0":
            term, sign = upstream, "+"
        elif partial == "-1.0":
            term, sign = upstream, "-"
        else:
            term, sign = f"({partial}) * {upstream}", "+"
        if parent not in started:
            started.add(parent)
            if alias and sign == "+" and term == upstream:
                gradient[parent] = upstream  # a lone consumer passing its gradient straight on
                return
            gradient[parent] = f"g{parent}"
            self._emit(f"g{parent} = {'-' if sign == '-' else ''}{term}", op)
        else:
            self._emit(f"g{parent} {sign}= {term}", op)
