"""``compile(fn)`` and the step it returns."""

from __future__ import annotations

import builtins
import itertools
import math
import traceback
from collections.abc import Callable
from typing import Any

from opgrad.compiler.program import Program, write_program
from opgrad.compiler.regions import Graph
from opgrad.core import Value, enable_grad, topological_order
from opgrad.derivatives import grad
from opgrad.guards import Comparison, recording_comparisons
from opgrad.memory import gc_paused

_serial = itertools.count()


class StructureChanged(RuntimeError):
    """The function now builds a different graph from the one that was compiled."""


class CompiledStep:
    """A traced loss as generated code: call it for the loss (a float); grads land in leaves."""

    def __init__(self, fn: Callable[[], Any], program: Program, shape: int, nodes: int) -> None:
        self.fn = fn
        self.outputs: list[float] = []  # the extra outputs' values from the last call
        self.source = "\n".join(program.source.lines) + "\n"
        self.leaves = program.leaves
        self.nodes = nodes
        self._program = program
        self._filename = f"<opgrad.compile:{next(_serial)}>"
        self._step = self._function()
        self._shape = shape

    def _function(self) -> Callable[[list[Value]], tuple[float, list[float]]]:
        messages = self._program.guard_messages

        def changed(k: int) -> None:  # a guard failed: the traced branch would not be taken
            raise StructureChanged(messages[k])

        namespace: dict[str, Any] = {**self._program.namespace, "changed": changed}
        exec(builtins.compile(self.source, self._filename, "exec"), namespace)  # our own code
        return namespace["step"]  # type: ignore[no-any-return]

    def __call__(self) -> float:
        """Forward and backward for the leaves' current data; returns the loss."""
        try:
            loss, self.outputs = self._step(self.leaves)
            return loss
        except (ValueError, ArithmeticError, TypeError) as exc:
            raise self._located(exc) from exc

    def _located(self, exc: Exception) -> Exception:
        frames = [f for f in traceback.extract_tb(exc.__traceback__)
                  if f.filename == self._filename]
        line = frames[-1].lineno if frames else None
        where = (f"op {self._program.source.op_at(line)!r} at line {line} of .source" if line
                 else "the compiled step")
        kind = ValueError if not isinstance(exc, TypeError) else TypeError
        return kind(f"compiled step failed in {where}: {exc}")

    def verify(self, rtol: float = 1e-12) -> None:
        """Re-run the function dynamically; raise if its graph or numbers differ.

        Graphs whose structure depends on the data (a Python ``if`` on
        ``.data``) are the caller's responsibility; this is the check.
        Leaves' ``.grad`` are left as they were. Two nans count as equal.
        """
        with enable_grad(), recording_comparisons() as comparisons:
            root, _ = _split(self.fn())
        order = traced_order(root, comparisons)
        if Graph.of(order).shape() != self._shape:
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
            if not same_float(got, want, rtol):
                raise StructureChanged(f"compiled result {got!r} differs from dynamic {want!r}")


def same_float(got: float, want: float, rtol: float = 0.0) -> bool:
    """Equal within ``rtol`` (exactly, by default); two nans are the same result."""
    if math.isnan(got) or math.isnan(want):
        return math.isnan(got) and math.isnan(want)
    return got == want or math.isclose(got, want, rel_tol=rtol, abs_tol=1e-300)


def compile(fn: Callable[[], Any]) -> CompiledStep:
    """Trace ``fn`` once and generate its step.

    ``fn`` takes no arguments and returns the loss Value, or ``(loss,
    outputs)`` with a list of Values in the loss's graph whose numbers each
    call should also report (in ``.outputs``), such as a model's scores.
    ``fn`` is traced with gradients recorded, also inside ``no_grad()``.
    Names an op's functions read (``math``, module constants) are looked
    up once, when compiling.
    """
    if not callable(fn):
        raise TypeError(f"opgrad.compile needs a function, got {type(fn).__name__}")
    # The trace is a big acyclic graph: no collector passes while it is built.
    with gc_paused(), enable_grad(), recording_comparisons() as comparisons:
        root, outputs = _split(fn())
    with gc_paused():
        order = traced_order(root, comparisons)
        program = write_program(order, root, outputs, comparisons)
        return CompiledStep(fn, program, program.shape, len(order))


def traced_order(root: Value, comparisons: list[Comparison]) -> list[Value]:
    """The loss's graph in ``backward()``'s order, with the graphs of compared values that
    it does not hold (``max(xs)`` compares values it then drops) placed before the loss,
    so that the step computes them and checks every comparison each call."""
    order = topological_order(root)
    seen, extra = set(order), []
    for left, _, right, _ in comparisons:
        for side in (left, right) if isinstance(right, Value) else (left,):
            if side not in seen:
                new = [node for node in topological_order(side) if node not in seen]
                seen.update(new)
                extra += new
    if root in {parent for node in extra for parent in node.parents}:
        raise ValueError("opgrad.compile: fn compared a value computed from the loss it "
                         "returns; the compiled step cannot check that comparison before the "
                         "loss is known: compare before computing the loss, or call fn "
                         "without compiling")
    return [*order[:-1], *extra, root] if extra else order


def _split(result: Any) -> tuple[Value, list[Value]]:
    """The loss and the extra outputs from what the traced function returned."""
    loss, outputs = (result[0], list(result[1])) if isinstance(result, tuple) else (result, [])
    if not isinstance(loss, Value) or not all(isinstance(o, Value) for o in outputs):
        raise TypeError("opgrad.compile: fn must return a Value, or (loss, [Values]); got "
                        f"{type(result).__name__}")
    return loss, outputs


