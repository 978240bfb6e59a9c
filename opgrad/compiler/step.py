"""``opgrad.compile(fn)`` (:func:`compile_step` here) and the step it returns."""

from __future__ import annotations

import itertools
import math
import traceback
from collections.abc import Callable
from typing import Any

from opgrad._optional import require
from opgrad.compiler.program import Program, write_program
from opgrad.compiler.regions import Graph
from opgrad.core import Value, enable_grad, topological_order
from opgrad.core.graph import partials_of, pass_lock
from opgrad.derivatives import grad, refuse_hand_built
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
            with pass_lock:  # its gradients land in the leaves as one backward() pass's do
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

    def verify(self, rtol: float | None = None) -> None:
        """Re-run the function dynamically; raise if its graph or numbers differ.

        Graphs whose structure depends on the data (a Python ``if`` on
        ``.data``) are the caller's responsibility; this is the check.
        Leaves' ``.grad`` are left as they were. Two nans count as equal.
        The scalar backend's numbers must be equal; the numpy backend's within
        ``rtol`` (default 1e-12) of the size of what each one sums (a gradient
        that cancels to about 0 differs in its terms' last bits, not its own).
        """
        with enable_grad(), recording_comparisons() as comparisons:
            root, _ = _split(self.fn())
        order = traced_order(root, comparisons)
        if Graph.of(order).shape() != self._shape:
            raise StructureChanged("the function now builds a different graph than the one "
                                   "compiled (data-dependent control flow?): compile it again")
        with pass_lock:  # no other thread's pass sees the grads parked here
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
        leaves = leaves if positions is None else [leaves[k] for k in positions]
        pairs = zip([loss, *compiled], [root.data, *grad(root, leaves)],
                    term_sizes(order, root, leaves), strict=True)
        tolerance = self._program.tolerance if rtol is None else rtol
        for got, want, size in pairs:
            if not same_float(got, want, tolerance, size):
                raise StructureChanged(f"compiled result {got!r} differs from dynamic {want!r}")


def term_sizes(order: list[Value], root: Value, leaves: list[Value]) -> list[float]:
    """How large the terms each number sums are: for the loss, the largest value of its
    graph; for a leaf, the sum over every path of |partial| x |upstream|."""
    size = {root: 1.0}
    for node in reversed(order):
        op, upstream = node.declaration, size.get(node, 0.0)
        if op is None or not upstream:
            continue
        for parent, partial in zip(node.parents, partials_of(op, node, False), strict=True):
            size[parent] = size.get(parent, 0.0) + abs(partial) * upstream
    largest = max((abs(n.data) for n in order if math.isfinite(n.data)), default=0.0)
    return [largest, *(size.get(x, 0.0) for x in leaves)]


def same_float(got: float, want: float, rtol: float = 0.0, scale: float = 0.0) -> bool:
    """Equal within ``rtol`` (exactly, by default) of ``want``, or of ``scale`` (the size of
    what it sums: a gradient summed in another order to about 0 is off by its terms'
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
    # The trace is a big acyclic graph: no collector passes while it is built and
    # compiled, and it is freed before the collector is back (whose first pass would
    # otherwise walk all of it, as young objects: a tenth of the build or more).
    with gc_paused():
        with enable_grad(), recording_comparisons() as comparisons:
            root, outputs = _split(fn())
        order = traced_order(root, comparisons)
        program = write(order, root, outputs, comparisons)
        step = CompiledStep(fn, program, program.shape, len(order))
        del root, outputs, order, comparisons
    return step


def _writer(backend: str) -> Callable[[list[Value], Value, list[Value], list[Comparison]],
                                       Program]:
    """The program writer of a backend, or the error listing the backends."""
    if backend == "scalar":
        return write_program
    if backend == "numpy":
        require("numpy", "numpy", "opgrad.compile(fn, backend='numpy')")
        from opgrad.compiler.arrays.program import write_array_program  # on first use only

        return write_array_program
    raise ValueError(f"opgrad.compile: unknown backend {backend!r}; the backends are "
                     f"{', '.join(map(repr, BACKENDS))}")


def traced_order(root: Value, comparisons: list[Comparison]) -> list[Value]:
    """The loss's graph in ``backward()``'s order, with the graphs of compared values that
    it does not hold (``max(xs)`` compares values it then drops) placed before the loss,
    so that the step computes them and checks every comparison each call."""
    order = topological_order(root)
    refuse_hand_built(order, "opgrad.compile")
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


