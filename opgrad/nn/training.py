"""A full-batch training loop for classifiers on toy datasets."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from opgrad._typed import Value
from opgrad.compiler import CompiledStep, StructureChanged, compile_step
from opgrad.memory import gc_paused
from opgrad.nn.data import Dataset
from opgrad.nn.losses import bce_with_logits, cross_entropy, hinge_loss, l2_penalty, mse_loss
from opgrad.nn.module import MLP
from opgrad.nn.optim import Optimizer
from opgrad.nn.progress import StepResult


class DivergenceError(ArithmeticError):
    """Training made the loss non-finite (nan or inf); ``step`` is the 1-based step."""

    def __init__(self, step: int, loss: float) -> None:
        super().__init__(f"training diverged at step {step}: the loss is {loss} (try a smaller "
                         "learning rate)")
        self.step, self.loss = step, loss


def outputs_and_loss(model: MLP, data: Dataset, loss: str = "hinge", l2: float = 1e-4
                     ) -> tuple[Value, list[Value]]:
    """The loss over the whole dataset (plus ``l2`` times the squared weights), and the
    model's outputs flattened (one per example, or one per class per example)."""
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r} (one of: {', '.join(LOSSES)})")
    rows = [model.outputs(x) for x in data.x]
    total = LOSSES[loss](rows, data)
    if l2:
        total = total + l2_penalty(model.parameters(), l2)
    return total, [z for row in rows for z in row]


def accuracy(scores: Sequence[float], data: Dataset) -> float:
    """The share of examples classified right, from flattened output numbers."""
    width = len(scores) // len(data)
    if width == 1:
        hits = [(s > 0) == (y == 1) for s, y in zip(scores, data.y, strict=True)]
    else:
        rows = [scores[i * width:(i + 1) * width] for i in range(len(data))]
        hits = [max(range(width), key=row.__getitem__) == y
                for row, y in zip(rows, data.y, strict=True)]
    return sum(hits) / len(hits)


def objective(model: MLP, data: Dataset, loss: str = "hinge", l2: float = 1e-4
              ) -> tuple[Value, float]:
    """The loss Value (see :func:`outputs_and_loss`) and the accuracy."""
    total, outputs = outputs_and_loss(model, data, loss, l2)
    return total, accuracy([o.data for o in outputs], data)


def _scores(rows: Sequence[Sequence[Value]], loss: str) -> list[Value]:
    """The one score per example that a loss for two classes needs."""
    if len(rows[0]) != 1:
        raise ValueError(f"the {loss} loss needs one output per example, the model gives "
                         f"{len(rows[0])}; use cross-entropy or a last width of 1")
    return [row[0] for row in rows]


def _cross_entropy(rows: Sequence[Sequence[Value]], data: Dataset) -> Value:
    if len(rows[0]) != data.classes:
        raise ValueError(f"cross-entropy needs one output per class ({data.classes}), the "
                         f"model gives {len(rows[0])}")
    return cross_entropy(rows, data.y)


Loss = Callable[[Sequence[Sequence[Value]], Dataset], Value]  # (outputs per example, data)

LOSSES: Mapping[str, Loss] = {
    "hinge": lambda rows, data: hinge_loss(_scores(rows, "hinge"), data.signed_labels()),
    "bce": lambda rows, data: bce_with_logits(_scores(rows, "bce"), [float(y) for y in data.y]),
    "mse": lambda rows, data: mse_loss(_scores(rows, "mse"), data.signed_labels()),
    "cross-entropy": _cross_entropy,
}


def fit(model: MLP, data: Dataset, optimizer: Optimizer, steps: int, *, loss: str = "hinge",
        l2: float = 1e-4, on_step: Callable[[StepResult], None] | None = None,
        compiled: bool | str = False, live: bool = False) -> list[StepResult]:
    """Full-batch training: each step builds the loss, runs backward, updates.

    With ``live=True`` a notebook redraws the loss curve and the decision
    boundary as training runs; a terminal shows a progress bar.

    With ``compiled=True`` the step is traced once with :func:`opgrad.compile`
    and the generated code runs instead (traced again if the data makes the
    graph change shape, e.g. a loss that branches on the sign of a score);
    ``compiled="numpy"`` (or any backend name) picks the compile's backend. The numpy
    backend is fastest on a model built with ``stored=True`` (``MLP(..., stored=True)``,
    as ``opgrad train --backend numpy`` builds it): it then reads the parameters, adds
    their gradients, and the optimizer updates them, as arrays. (fit does not convert a
    model: its parameters are the caller's objects, held by the optimizer too.)

    A non-finite loss stops training with :class:`DivergenceError` naming the
    step, before that step updates the parameters.
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    if live:
        from opgrad.viz.live import live_reporter

        with live_reporter(model, data, steps, on_step) as report:
            return fit(model, data, optimizer, steps, loss=loss, l2=l2, on_step=report,
                       compiled=compiled)
    backend = compiled if isinstance(compiled, str) else "scalar"
    run = _compiled_step(model, data, loss, l2, backend) if compiled else _dynamic_step(
        model, data, loss, l2)
    history = []
    for step in range(1, steps + 1):
        with gc_paused():  # the graph has no cycles: reference counting frees it
            optimizer.zero_grad()
            total, scores = run()
            if not math.isfinite(total):
                raise DivergenceError(step, total)
            lr = optimizer.current_lr
            optimizer.step()
        result = StepResult(step, total, accuracy(scores, data), lr)
        history.append(result)
        if on_step is not None:
            on_step(result)
    return history


Step = Callable[[], tuple[float, list[float]]]  # runs forward and backward: loss, outputs


def _dynamic_step(model: MLP, data: Dataset, loss: str, l2: float) -> Step:
    def run() -> tuple[float, list[float]]:
        total, outputs = outputs_and_loss(model, data, loss, l2)
        total.backward()
        return total.data, [o.data for o in outputs]

    return run


def _compiled_step(model: MLP, data: Dataset, loss: str, l2: float, backend: str) -> Step:
    def trace() -> CompiledStep:
        return compile_step(lambda: outputs_and_loss(model, data, loss, l2), backend=backend)

    step = trace()

    def run() -> tuple[float, list[float]]:
        nonlocal step
        try:
            total = step()
        except StructureChanged:  # the data took another branch: trace again
            step = trace()
            total = step()
        return total, step.outputs

    return run
