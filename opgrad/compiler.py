"""opgrad.compile: trace a loss once, generate straight-line Python for its step.

The generated function recomputes the forward pass from the current ``.data``
of the traced leaves, then the backward pass, and adds each leaf's gradient
to its ``.grad``, exactly as ``backward()`` would, float for float. Each op
contributes through its registered forward and ``local_grads``, or through
its inline templates when it declares them. ``.source`` shows the code.
"""

from __future__ import annotations

import builtins
import hashlib
import itertools
import math
import traceback
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from opgrad.core import Value, topological_order
from opgrad.derivatives import grad
from opgrad.guards import Comparison, recording_comparisons
from opgrad.memory import gc_paused
from opgrad.plugins import Op, op_of
from opgrad.plugins.binding import call_forward
from opgrad.plugins.templates import placeholders

_serial = itertools.count()
MAX_INLINE_DEPTH = 40  # Python's parser refuses more than 200 nested parentheses


class StructureChanged(RuntimeError):
    """The function now builds a different graph from the one that was compiled."""


class CompiledStep:
    """A traced loss as generated code: call it for the loss (a float); grads land in leaves."""

    def __init__(self, fn: Callable[[], Any], code: _Code, leaves: list[Value], nodes: int,
                 signature: str) -> None:
        self.fn = fn
        self.outputs: list[float] = []  # the extra outputs' values from the last call
        self.source = code.source
        self.leaves = leaves
        self.nodes = nodes
        self._code = code
        self._step = code.function()
        self._signature = signature

    def __call__(self) -> float:
        """Forward and backward for the leaves' current data; returns the loss."""
        try:
            loss, self.outputs = self._step(self.leaves)
            return loss
        except (ValueError, ArithmeticError, TypeError) as exc:
            raise self._located(exc) from exc

    def _located(self, exc: Exception) -> Exception:
        frames = [f for f in traceback.extract_tb(exc.__traceback__)
                  if f.filename == self._code.filename]
        line = frames[-1].lineno if frames else None
        where = (f"op {self._code.op_at(line)!r} at line {line} of .source" if line
                 else "the compiled step")
        kind = ValueError if not isinstance(exc, TypeError) else TypeError
        return kind(f"compiled step failed in {where}: {exc}")

    def verify(self, rtol: float = 1e-12) -> None:
        """Re-run the function dynamically; raise if its graph or numbers differ.

        Graphs whose structure depends on the data (a Python ``if`` on
        ``.data``) are the caller's responsibility; this is the check.
        Leaves' ``.grad`` are left as they were.
        """
        root, _ = _split(self.fn())
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


def compile(fn: Callable[[], Any]) -> CompiledStep:
    """Trace ``fn`` once and generate its step.

    ``fn`` takes no arguments and returns the loss Value, or ``(loss,
    outputs)`` with a list of Values in the loss's graph whose numbers each
    call should also report (in ``.outputs``), such as a model's scores.
    """
    if not callable(fn):
        raise TypeError(f"opgrad.compile needs a function, got {type(fn).__name__}")
    with gc_paused(), recording_comparisons() as comparisons:  # the trace is a big graph
        root, outputs = _split(fn())
        order = topological_order(root)
        code = _Generator(order, root, comparisons, outputs).generate()
    leaves = [node for node in order if not node.op]
    return CompiledStep(fn, code, leaves, len(order), _signature(order))


@dataclass(frozen=True)
class _Code:
    """Generated source, what it refers to, and which op each line belongs to."""

    source: str
    constants: dict[str, Any]
    guard_messages: list[str]
    line_ops: array[int]  # per line: an index into op_names (0: no op)
    op_names: list[str]
    filename: str = field(default_factory=lambda: f"<opgrad.compile:{next(_serial)}>")

    def function(self) -> Callable[[list[Value]], tuple[float, list[float]]]:
        """Compile the source and return its ``step`` function."""

        def changed(k: int) -> None:  # a guard failed: the traced branch would not be taken
            raise StructureChanged(self.guard_messages[k])

        namespace: dict[str, Any] = {"math": math, "call_forward": call_forward,
                                     "changed": changed, **self.constants}
        exec(builtins.compile(self.source, self.filename, "exec"), namespace)  # our own code
        return namespace["step"]  # type: ignore[no-any-return]

    def op_at(self, line: int) -> str:
        """The op whose code is on ``line`` of the source, or "?"."""
        index = self.line_ops[line] if 0 <= line < len(self.line_ops) else 0
        return self.op_names[index] if index else "?"


def _split(result: Any) -> tuple[Value, list[Value]]:
    """The loss and the extra outputs from what the traced function returned."""
    loss, outputs = (result[0], list(result[1])) if isinstance(result, tuple) else (result, [])
    if not isinstance(loss, Value) or not all(isinstance(o, Value) for o in outputs):
        raise TypeError("opgrad.compile: fn must return a Value, or (loss, [Values]); got "
                        f"{type(result).__name__}")
    return loss, outputs


def _signature(order: list[Value]) -> str:
    """A digest of the graph's shape: each node's op and the positions of its inputs."""
    index = {node: i for i, node in enumerate(order)}
    shape = "\n".join(f"{n.op}({','.join(str(index[p]) for p in n.parents)})" for n in order)
    return hashlib.sha256(shape.encode()).hexdigest()


@dataclass(frozen=True)
class _OpCode:
    """What the generator needs from one op, worked out once per op."""

    op: Op
    needs_out: bool  # the partials use the op's result
    needs: frozenset[int]  # input positions whose values the partials use

    @staticmethod
    def of(op: Op) -> _OpCode:
        if op.template is None or op.grad_templates is None:
            return _OpCode(op, True, frozenset(range(op.arity)))
        fields = set().union(*(placeholders(t) for t in op.grad_templates))
        return _OpCode(op, "out" in fields,
                       frozenset(int(f) for f in fields if f != "out"))


class _Generator:
    """Writes the step function for one traced graph (nodes are ints, in topological order)."""

    def __init__(self, order: list[Value], root: Value, comparisons: list[Comparison],
                 outputs: list[Value]) -> None:
        self.order = order
        self.index = {node: i for i, node in enumerate(order)}
        self.root = self.index[root]
        codes = {op: _OpCode.of(op) for op in {op_of(n) for n in order} if op is not None}
        self.code = [None if (op := op_of(n)) is None else codes[op] for n in order]
        self.inputs = [tuple(self.index[p] for p in n.parents) for n in order]
        self.leaf_slot = {i: k for k, i in enumerate(
            i for i, code in enumerate(self.code) if code is None)}
        self.uses = [0] * len(order)
        for inputs in self.inputs:
            for j in inputs:
                self.uses[j] += 1
        self.lines: list[str] = ["def step(leaves):"]
        self.line_ops = array("H", [0, 0])  # by line number (from 1): index into op_names
        self.op_names = [""]
        self.constants: dict[str, Any] = {}
        self.guard_messages: list[str] = []
        missing = [o for o in outputs if o not in self.index]
        if missing:
            raise ValueError(f"opgrad.compile: {len(missing)} output(s) are not in the loss's "
                             "graph, so the compiled step cannot compute them")
        self.outputs = [self.index[o] for o in outputs]
        # Comparisons of values in this graph become guards; others cannot be checked.
        self.guards = [c for c in comparisons if c[0] in self.index
                       and (not isinstance(c[2], Value) or c[2] in self.index)]
        self.kept = self._values_to_keep()

    def generate(self) -> _Code:
        self._forward()
        self._guards()
        self._backward()
        return _Code("\n".join(self.lines) + "\n", self.constants, self.guard_messages,
                     self.line_ops, self.op_names)

    def _emit(self, text: str, op: str = "") -> None:
        self.lines.append("    " + text)
        if op and op not in self.op_names:
            self.op_names.append(op)
        self.line_ops.append(self.op_names.index(op) if op else 0)

    def _values_to_keep(self) -> list[bool]:
        """Which values get a variable; the rest are pasted into their single consumer."""
        keep = [uses != 1 or code is None for uses, code in zip(self.uses, self.code, strict=True)]
        for i in [self.root, *self.outputs]:
            keep[i] = True
        for left, _, right, _ in self.guards:
            for side in (left, right):
                if isinstance(side, Value):
                    keep[self.index[side]] = True
        for i, code in enumerate(self.code):
            if code is not None:
                keep[i] = keep[i] or code.needs_out
                for k in code.needs:
                    keep[self.inputs[i][k]] = True
        return keep

    def _forward(self) -> None:
        self._emit("# forward: each value from the current data of the leaves")
        value = self.value = [""] * len(self.order)  # a name, or a parenthesised expression
        depth = [0] * len(self.order)  # parentheses nesting of each pasted expression
        for i, code in enumerate(self.code):
            if code is None:
                label = self.order[i].label
                self._emit(f"v{i} = leaves[{self.leaf_slot[i]}].data"
                           + (f"  # {label}" if label else ""))
                value[i] = f"v{i}"
                continue
            op, inputs = code.op, self.inputs[i]
            args = [value[j] for j in inputs]
            if op.template is not None:
                expression = op.template.format(*args)
            else:
                self.constants[f"OP_{op.name}"] = op
                expression = f"call_forward(OP_{op.name}, ({', '.join(args)},))"
            depth[i] = 1 + max(depth[j] for j in inputs)
            if self.kept[i] or depth[i] > MAX_INLINE_DEPTH:
                self._emit(f"v{i} = {expression}  # {op.name}", op.name)
                value[i], depth[i] = f"v{i}", 0
            else:
                value[i] = f"({expression})"

    def _guards(self) -> None:
        if self.guards:
            self._emit("# guards: comparisons the traced function made on the data")
        for k, (left, symbol, right, result) in enumerate(self.guards):
            other = f"v{self.index[right]}" if isinstance(right, Value) else repr(float(right))
            test = f"v{self.index[left]} {symbol} {other}"
            self._emit(f"if {'not ' if result else ''}({test}): changed({k})")
            self.guard_messages.append(
                f"the traced function compared {test} and got {result}; with the current data "
                f"it is {not result}, so its graph would differ: call opgrad.compile(fn) again")

    def _backward(self) -> None:
        self._emit("# backward: the chain rule, in reverse topological order")
        self._emit(f"g{self.root} = 1.0")
        self.gradient = {self.root: f"g{self.root}"}  # a node's gradient: a name
        for i in reversed(range(len(self.order))):
            code = self.code[i]
            if code is not None:
                for parent, partial in zip(self.inputs[i], self._partials(i, code), strict=True):
                    self._contribute(parent, partial, self.gradient[i], code.op.name)
        self._emit("# gradients of the leaves accumulate, like backward()")
        for i, slot in self.leaf_slot.items():
            self._emit(f"leaves[{slot}].grad += {self.gradient[i]}")
        shown = ", ".join(f"v{i}" for i in self.outputs)
        self._emit(f"return v{self.root}, [{shown}]")

    def _partials(self, i: int, code: _OpCode) -> list[str]:
        op = code.op
        args = [self.value[j] for j in self.inputs[i]]
        if op.template is not None and op.grad_templates is not None:
            return [t.format(*args, out=self.value[i]) for t in op.grad_templates]
        self.constants[f"RULE_{op.name}"] = op.local_grads
        names = [f"d{i}_{k}" for k in range(op.arity)]
        self._emit(f"({', '.join(names)},) = RULE_{op.name}({', '.join([*args, self.value[i]])})",
                   op.name)
        return names

    def _contribute(self, parent: int, partial: str, upstream: str, op: str) -> None:
        """Add partial * upstream to the parent's gradient (the chain rule, one edge).

        The same floats in the same order as backward(): a partial of 1.0 adds
        the upstream itself, -1.0 subtracts it (both round exactly alike).
        """
        if partial == "1.0":
            term, sign = upstream, "+"
        elif partial == "-1.0":
            term, sign = upstream, "-"
        else:
            factor = partial if partial.isidentifier() else f"({partial})"
            term, sign = f"{factor} * {upstream}", "+"
        if parent in self.gradient:
            self._emit(f"g{parent} {sign}= {term}", op)
        elif sign == "+" and term == upstream and self.uses[parent] == 1:
            self.gradient[parent] = upstream  # a lone consumer passing its gradient on
        else:
            self.gradient[parent] = f"g{parent}"
            self._emit(f"g{parent} = {'-' if sign == '-' else ''}{term}", op)
