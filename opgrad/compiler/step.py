"""``opgrad.compile(fn)`` (:func:`compile_step` here) and the step it returns."""

from __future__ import annotations

import itertools
import math
import traceback
from collections.abc import Callable
from typing import Any

from opgrad._optional import require
from opgrad.compiler.arrays.program import write_array_program
from opgrad.compiler.program import Program, write_program
from opgrad.compiler.regions import Graph
from opgrad.core import Value, enable_grad, topological_order
from opgrad.derivatives import grad
from opgrad.guards import Comparison, recording_comparisons
from opgrad.memory import gc_paused

_serial = itertools.count()
BACKENDS = ("scalar", "numpy")  # the names compile(fn, backend=...) takes


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
        exec(compile(self.source, self._filename, "exec"), namespace)  # our own code
        return namespace["step"]  # type: ignore[no-any-return]

    def __call__(self) -> float:
        """Forward and backward for the leaves' current data; returns the loss."""
        try:
            result = self._step(self.leaves)
        except (ValueError, ArithmeticError, TypeError) as exc:
            raise self._located(exc) from exc
        if result is None:  # an array step met nan or inf: backward()'s numbers and errors
            return self._dynamic()
        loss, self.outputs = result
        return loss

    def _dynamic(self) -> float:
        """The step by the dynamic engine: ``fn()`` again, then ``backward()``."""
        with enable_grad():
            root, outputs = _split(self.fn())
        root.backward()
        self.outputs = [o.data for o in outputs]
        return root.data

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
        A number passes within ``rtol`` of the dynamic one, relative to it or
        to the largest number of the step (the numpy backend sums in another
        order, so a gradient that cancels to about 0 differs in its last bits).
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
        leaves = [node for node in order if not node.op]
        positions = self._program.leaf_positions
        expected = grad(root, leaves if positions is None else [leaves[k] for k in positions])
        pairs = [(loss, root.data), *zip(compiled, expected, strict=True)]
        scale = max((abs(want) for _, want in pairs if math.isfinite(want)), default=0.0)
        for got, want in pairs:
            if not same_float(got, want, rtol, scale):
                raise StructureChanged(f"compiled result {got!r} differs from dynamic {want!r}")


def same_float(got: float, want: float, rtol: float = 0.0, scale: float = 0.0) -> bool:
    """Equal within ``rtol`` (exactly, by default) of ``want``, or of ``scale`` (the step's
    largest number: a gradient summed in another order to about 0 is off by its terms'
    rounding, not its own); two nans are the same result."""
    if math.isnan(got) or math.isnan(want):
        return math.isnan(got) and math.isnan(want)
    if got == want or math.isinf(got) or math.isinf(want):
        return got == want
    return abs(got - want) <= max(rtol * max(abs(want), scale), 1e-300)


def compile_step(fn: Callable[[], Any], backend: str = "scalar") -> CompiledStep:
    """Trace ``fn`` once and generate its step.

    ``fn`` takes no arguments and returns the loss Value, or ``(loss,
    outputs)`` with a list of Values in the loss's graph whose numbers each
    call should also report (in ``.outputs``), such as a model's scores.
    ``fn`` is traced with gradients recorded, also when called inside ``no_grad()``;
    ``no_grad()``, ``float(v)`` and ``v.item()`` inside ``fn`` are refused (no guard could
    replay them), and every comparison of Values becomes a guard.
    Names an op's functions read (``math``, module constants) are looked
    up once, when compiling.

    ``backend``: "scalar" (Python on floats, the same floats as
    ``backward()``) or "numpy" (array code; the same numbers within 1e-12
    relative: sums are reordered; needs NumPy, the ``numpy`` extra).
    """
    if not callable(fn):
        raise TypeError(f"opgrad.compile needs a function, got {type(fn).__name__}")
    write = _writer(backend)
    # The trace is a big acyclic graph: no collector passes while it is built.
    with gc_paused(), enable_grad(), recording_comparisons() as comparisons:
        root, outputs = _split(fn())
    with gc_paused():
        order = traced_order(root, comparisons)
        program = write(order, root, outputs, comparisons)
        return CompiledStep(fn, program, program.shape, len(order))


def _writer(backend: str) -> Callable[[list[Value], Value, list[Value], list[Comparison]],
                                       Program]:
    """The program writer of a backend, or the error listing the backends."""
    if backend == "scalar":
        return write_program
    if backend == "numpy":
        require("numpy", "numpy", "opgrad.compile(fn, backend='numpy')")
        return write_array_program
    raise ValueError(f"opgrad.compile: unknown backend {backend!r}; the backends are "
                     f"{', '.join(map(repr, BACKENDS))}")


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


